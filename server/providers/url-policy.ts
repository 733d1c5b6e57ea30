// Which provider URLs the service will talk to, typed, interpolated or
// discovered alike: https, plain http only to loopback in development, and —
// once a secret key is set — no host that is or resolves to a non-public address.
import ipaddr from 'ipaddr.js';

export interface ProviderUrlPolicy {
  /**
   * 'refused' when a secret key is set (a deployment) and
   * NANGO_ALLOW_PRIVATE_PROVIDER_URLS is not: a provider URL may then not reach
   * loopback, private, link-local, unspecified or other non-public addresses.
   */
  privateAddresses: 'allowed' | 'refused';
}

/** Local development (and the test suite): loopback and private hosts are fine. */
export const DEVELOPMENT_URL_POLICY: ProviderUrlPolicy = { privateAddresses: 'allowed' };

export function providerUrlPolicy(secretKeySet: boolean, allowPrivate: boolean): ProviderUrlPolicy {
  return { privateAddresses: secretKeySet && !allowPrivate ? 'refused' : 'allowed' };
}

/** A provider URL the policy refuses; thrown before anything is sent. */
export class ProviderUrlRefused extends Error {
  override name = 'ProviderUrlRefused';
}

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback']);

/** `hostname` as URL gives it: IPv4 dotted (WHATWG normalises 2130706433, 0x7f.1, 127.1), IPv6 in brackets. */
function literalAddress(hostname: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare) ? ipaddr.parse(bare) : null;
}

/**
 * Only ordinary public unicast addresses: ipaddr.js names every special range
 * (loopback, private, linkLocal, uniqueLocal, carrierGradeNat, unspecified,
 * reserved, ...). An IPv4-mapped IPv6 address is judged as the IPv4 it carries;
 * the other embeddings (6to4, NAT64, Teredo) are refused outright.
 */
export function isPublicAddress(address: string | ipaddr.IPv4 | ipaddr.IPv6): boolean {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = typeof address === 'string' ? ipaddr.parse(address) : address;
  } catch {
    return false;
  }
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === 'unicast';
}

export function isLoopbackHost(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (LOOPBACK_NAMES.has(name) || name.endsWith('.localhost')) return true;
  const literal = literalAddress(name);
  if (!literal) return false;
  const address = literal.kind() === 'ipv6' && (literal as ipaddr.IPv6).isIPv4MappedAddress() ? (literal as ipaddr.IPv6).toIPv4Address() : literal;
  return address.range() === 'loopback';
}

/** The problem with `hostname` under `policy`, or null. Names are judged again by what they resolve to, at connect time. */
export function hostProblem(hostname: string, policy: ProviderUrlPolicy): string | null {
  if (policy.privateAddresses === 'allowed') return null;
  if (isLoopbackHost(hostname)) return `must not point at this machine (${hostname} is a loopback host)`;
  const literal = literalAddress(hostname);
  if (literal && !isPublicAddress(literal)) return `must not point at a non-public address (${hostname} is ${literal.range()})`;
  return null;
}

/** The problem with `value` as a provider URL under `policy`, or null when it is acceptable. */
export function endpointUrlProblem(value: string, policy: ProviderUrlPolicy): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL such as https://example.com/oauth/token';
  }
  if (url.username || url.password) return 'must not contain a user name or password';
  if (url.hash) return 'must not contain a #fragment';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use https://';
  const problem = hostProblem(url.hostname, policy);
  if (problem) return problem;
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return 'must use https:// (http:// is accepted only for localhost and 127.0.0.1)';
  }
  return null;
}

/** Throws ProviderUrlRefused naming `what` when the policy refuses `url`. */
export function checkProviderUrl(what: string, url: string, policy: ProviderUrlPolicy): void {
  const problem = endpointUrlProblem(url, policy);
  if (problem) throw new ProviderUrlRefused(`${what} ${problem}`);
}
