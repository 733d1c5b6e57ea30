import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadSettings, SettingsError } from './settings.js';

describe('settings', () => {
  it('has defaults that run a local server on 3003 with an embedded database', () => {
    expect(loadSettings({})).toEqual({
      host: '127.0.0.1',
      port: 3003,
      serverUrl: 'http://localhost:3003',
      databaseUrl: undefined,
      dataDir: path.resolve('.nango'),
      logLevel: 'info',
      callbackUrl: 'http://localhost:3003/oauth/callback',
      providerTimeoutMs: 10_000,
      proxy: { maxUploadBytes: 104_857_600, timeoutMs: 60_000, retryBudgetMs: 30_000, maxRetries: 10 },
      refreshCooldownSeconds: 30,
      refreshAnswerTimeoutMs: 300_000,
      refreshLeaseSeconds: 30,
      needsReauthAfterHours: 96,
      refreshConcurrency: 200,
      eventsRetentionDays: 30,
      webhookConcurrency: 50,
      refreshSchedulerIntervalMs: 1000,
      allowPrivateProviderUrls: false,
      secretKey: undefined,
      connectPolicy: 'open',
      maxOpenFlowsPerConfig: 1000,
      maxOpenFlowsPerClient: 30,
      trustProxyHops: 0,
      publicKey: undefined,
      encryptionKey: undefined,
      previousEncryptionKey: undefined,
    });
  });

  it('needs connect sessions by default once a secret key is set; NANGO_CONNECT_POLICY says otherwise', () => {
    const secretKey = 'a-secret-key-of-some-length';
    expect(loadSettings({ NANGO_SECRET_KEY: secretKey }).connectPolicy).toBe('session');
    expect(loadSettings({ NANGO_SECRET_KEY: secretKey, NANGO_CONNECT_POLICY: 'public-key' }).connectPolicy).toBe('public-key');
    expect(loadSettings({ NANGO_CONNECT_POLICY: 'session' }).connectPolicy).toBe('session');
    expect(() => loadSettings({ NANGO_CONNECT_POLICY: 'anyone' })).toThrow('NANGO_CONNECT_POLICY must be one of open, session, public-key');
  });

  it('derives the callback URL from the server URL unless NANGO_CALLBACK_URL is set', () => {
    expect(loadSettings({ NANGO_SERVER_URL: 'https://nango.example.com' }).callbackUrl).toBe('https://nango.example.com/oauth/callback');
    expect(loadSettings({ NANGO_CALLBACK_URL: 'https://example.com/cb' }).callbackUrl).toBe('https://example.com/cb');
  });

  it('listens on loopback only without a secret key, on every interface with one, and where HOST says when set', () => {
    const secretKey = 'a-secret-key-of-some-length';
    expect(loadSettings({}).host).toBe('127.0.0.1');
    expect(loadSettings({ NANGO_PUBLIC_KEY: 'a-public-key-of-some-length' }).host).toBe('127.0.0.1');
    expect(loadSettings({ NANGO_SECRET_KEY: secretKey }).host).toBe('0.0.0.0');
    expect(loadSettings({ NANGO_SECRET_KEY: secretKey, HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
    expect(loadSettings({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(loadSettings({ HOST: '::' }).host).toBe('::');
    expect(loadSettings({ HOST: 'localhost' }).host).toBe('localhost');
    expect(loadSettings({ HOST: '' }).host).toBe('127.0.0.1');
  });

  it('allows private provider URLs only when NANGO_ALLOW_PRIVATE_PROVIDER_URLS is true', () => {
    expect(loadSettings({}).allowPrivateProviderUrls).toBe(false);
    expect(loadSettings({ NANGO_ALLOW_PRIVATE_PROVIDER_URLS: 'true' }).allowPrivateProviderUrls).toBe(true);
    expect(loadSettings({ NANGO_ALLOW_PRIVATE_PROVIDER_URLS: 'false' }).allowPrivateProviderUrls).toBe(false);
    expect(() => loadSettings({ NANGO_ALLOW_PRIVATE_PROVIDER_URLS: 'yes' })).toThrow('NANGO_ALLOW_PRIVATE_PROVIDER_URLS must be true or false');
  });

  it('takes the proxy limits from the environment, within bounds', () => {
    expect(loadSettings({ NANGO_PROXY_MAX_UPLOAD_BYTES: '1024', NANGO_PROXY_TIMEOUT_MS: '500', NANGO_PROXY_RETRY_BUDGET_MS: '0', NANGO_PROXY_MAX_RETRIES: '3' }).proxy).toEqual({
      maxUploadBytes: 1024,
      timeoutMs: 500,
      retryBudgetMs: 0,
      maxRetries: 3,
    });
    expect(() => loadSettings({ NANGO_PROXY_TIMEOUT_MS: '10' })).toThrow('NANGO_PROXY_TIMEOUT_MS must be at least 100');
    expect(() => loadSettings({ NANGO_PROXY_MAX_RETRIES: '1000' })).toThrow('NANGO_PROXY_MAX_RETRIES must be at most 100');
  });

  it('accepts SERVER_PORT, and PORT wins over it', () => {
    expect(loadSettings({ SERVER_PORT: '4000' })).toMatchObject({ port: 4000, serverUrl: 'http://localhost:4000' });
    expect(loadSettings({ SERVER_PORT: '4000', PORT: '5000' }).port).toBe(5000);
  });

  it('takes the server URL, database URL, data dir and log level from the environment', () => {
    expect(
      loadSettings({
        NANGO_SERVER_URL: 'https://nango.example.com/',
        DATABASE_URL: 'postgres://u:p@db:5432/nango',
        NANGO_DATA_DIR: '/var/lib/nango',
        LOG_LEVEL: 'debug',
      }),
    ).toMatchObject({
      serverUrl: 'https://nango.example.com',
      databaseUrl: 'postgres://u:p@db:5432/nango',
      dataDir: '/var/lib/nango',
      logLevel: 'debug',
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadSettings({ PORT: '', DATABASE_URL: '' })).toMatchObject({ port: 3003, databaseUrl: undefined });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be a number'],
    [{ PORT: '70000' }, 'PORT must be between 0 and 65535'],
    [{ SERVER_PORT: '3.5' }, 'SERVER_PORT must be a whole number'],
    [{ HOST: 'http://0.0.0.0' }, 'HOST must be an IP address'],
    [{ HOST: '0.0.0.0:3003' }, 'HOST must be an IP address'],
    [{ NANGO_SERVER_URL: 'localhost:3003' }, 'NANGO_SERVER_URL must'],
    [{ DATABASE_URL: 'mysql://u:hunter2@db/nango' }, 'DATABASE_URL must start with postgres://'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL Invalid enum value'],
    [{ NANGO_PROVIDER_TIMEOUT_MS: '10' }, 'NANGO_PROVIDER_TIMEOUT_MS must be at least 100'],
    [{ NANGO_ENCRYPTION_KEY: 'c2hvcnQ=' }, 'NANGO_ENCRYPTION_KEY must be the base64 of 32 random bytes'],
    [{ NANGO_SECRET_KEY: 'short' }, 'NANGO_SECRET_KEY must be at least 16 characters'],
  ])('names the bad variable in %j', (env, message) => {
    expect(() => loadSettings(env)).toThrow(SettingsError);
    expect(() => loadSettings(env)).toThrow(message);
  });

  it('decodes the encryption key', () => {
    const key = Buffer.alloc(32, 7);
    expect(loadSettings({ NANGO_ENCRYPTION_KEY: key.toString('base64') }).encryptionKey).toEqual(key);
  });

  it('never echoes a value, which may carry a password', () => {
    try {
      loadSettings({ DATABASE_URL: 'mysql://u:hunter2@db/nango' });
      throw new Error('expected a SettingsError');
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});
