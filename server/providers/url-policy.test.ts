import { describe, expect, it } from '@jest/globals';
import { NON_PUBLIC_URLS } from '../../test/support/non-public-urls.js';
import { endpointUrlProblem, hostProblem, isPublicAddress, providerUrlPolicy } from './url-policy.js';

const DEPLOYMENT = providerUrlPolicy(true, false);
const DEVELOPMENT = providerUrlPolicy(false, false);


describe('the provider URL policy', () => {
  it.each(NON_PUBLIC_URLS)('refuses %s once a secret key is set', (url) => {
    expect(endpointUrlProblem(url, DEPLOYMENT)).toMatch(/must not point at/);
  });

  it('accepts public https hosts and IP literals once a secret key is set', () => {
    for (const url of ['https://github.com/login/oauth/access_token', 'https://8.8.8.8/token', 'https://[2606:4700::1111]/token']) {
      expect(endpointUrlProblem(url, DEPLOYMENT)).toBeNull();
    }
  });

  it('keeps loopback http for local development, and https anywhere', () => {
    expect(endpointUrlProblem('http://127.0.0.1:3005/token', DEVELOPMENT)).toBeNull();
    expect(endpointUrlProblem('http://localhost:3005/token', DEVELOPMENT)).toBeNull();
    expect(endpointUrlProblem('https://10.0.0.5/token', DEVELOPMENT)).toBeNull();
    expect(endpointUrlProblem('http://example.com/token', DEVELOPMENT)).toMatch(/must use https/);
    // 0.0.0.0 is not loopback: no plain http to it, even in development.
    expect(endpointUrlProblem('http://0.0.0.0:3005/token', DEVELOPMENT)).toMatch(/must use https/);
  });

  it('allows private hosts with a secret key only when NANGO_ALLOW_PRIVATE_PROVIDER_URLS says so', () => {
    expect(providerUrlPolicy(true, true)).toEqual({ privateAddresses: 'allowed' });
    expect(providerUrlPolicy(true, false)).toEqual({ privateAddresses: 'refused' });
    expect(providerUrlPolicy(false, false)).toEqual({ privateAddresses: 'allowed' });
  });

  it('classifies addresses with ipaddr.js, an IPv4-mapped address as the IPv4 it carries', () => {
    expect(isPublicAddress('93.184.216.34')).toBe(true);
    expect(isPublicAddress('::ffff:93.184.216.34')).toBe(true);
    expect(isPublicAddress('::ffff:10.0.0.1')).toBe(false);
    expect(isPublicAddress('not an address')).toBe(false);
    expect(hostProblem('[::]', DEPLOYMENT)).toMatch(/unspecified/);
  });
});
