// Environment → validated settings. The only module that reads process.env;
// everything else receives a Settings value.
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { CONNECT_POLICIES, type ConnectPolicy } from './core/principal.js';
import { parseEncryptionKey } from './db/secret-box.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = z.coerce
  .number({ invalid_type_error: 'must be a number' })
  .int('must be a whole number')
  .min(0, 'must be between 0 and 65535')
  .max(65535, 'must be between 0 and 65535');

// An address to bind: an IP literal (0.0.0.0, ::, 127.0.0.1, ::1) or a host name such as localhost.
const host = z
  .string()
  .refine((value) => isIP(value) !== 0 || /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(value), 'must be an IP address such as 127.0.0.1 or 0.0.0.0, or a host name');

const httpUrl = z
  .string()
  .url('must be a URL such as http://localhost:3003')
  .refine((value) => /^https?:$/.test(new URL(value).protocol), 'must start with http:// or https://');

const encryptionKey = z
  .string()
  .refine((value) => parseEncryptionKey(value) !== null, 'must be the base64 of 32 random bytes (e.g. `openssl rand -base64 32`)')
  .transform((value) => parseEncryptionKey(value)!);

const apiKey = z.string().min(16, 'must be at least 16 characters').max(512, 'must be at most 512 characters').regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

const postgresUrl = z
  .string()
  .url('must be a URL such as postgres://user:password@host:5432/db')
  .refine((value) => /^postgres(ql)?:$/.test(new URL(value).protocol), 'must start with postgres:// or postgresql://');

const flag = z.enum(['true', 'false', '1', '0'], { errorMap: () => ({ message: 'must be true or false' }) }).transform((value) => value === 'true' || value === '1');

// Empty strings count as "not set": docker-compose and shells often export VAR= .
const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const count = (min: number, max: number) =>
  z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

const EnvSchema = z.object({
  HOST: optional(host),
  PORT: optional(port),
  SERVER_PORT: optional(port),
  NANGO_SERVER_URL: optional(httpUrl),
  DATABASE_URL: optional(postgresUrl),
  NANGO_DATA_DIR: optional(z.string()),
  LOG_LEVEL: optional(z.enum(LOG_LEVELS)),
  NANGO_CALLBACK_URL: optional(httpUrl),
  NANGO_SECRET_KEY: optional(apiKey),
  NANGO_PUBLIC_KEY: optional(apiKey),
  NANGO_ENCRYPTION_KEY: optional(encryptionKey),
  NANGO_ENCRYPTION_KEY_PREVIOUS: optional(encryptionKey),
  NANGO_REFRESH_COOLDOWN_SECONDS: optional(z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(0, 'must be at least 0').max(3600, 'must be at most 3600')),
  NANGO_CONNECT_POLICY: optional(z.enum(CONNECT_POLICIES, { errorMap: () => ({ message: `must be one of ${CONNECT_POLICIES.join(', ')}` }) })),
  NANGO_MAX_OPEN_FLOWS_PER_CONFIG: optional(count(1, 1_000_000)),
  NANGO_MAX_OPEN_FLOWS_PER_CLIENT: optional(count(1, 1_000_000)),
  NANGO_TRUST_PROXY_HOPS: optional(count(0, 10)),
  NANGO_ALLOW_PRIVATE_PROVIDER_URLS: optional(flag),
  NANGO_REFRESH_ANSWER_TIMEOUT_MS: optional(count(1000, 3_600_000)),
  NANGO_REFRESH_LEASE_SECONDS: optional(count(3, 3600)),
  NANGO_NEEDS_REAUTH_AFTER_HOURS: optional(count(1, 24 * 365)),
  NANGO_REFRESH_CONCURRENCY: optional(count(0, 10_000)),
  NANGO_REFRESH_SCHEDULER_INTERVAL_MS: optional(count(50, 600_000)),
  NANGO_EVENTS_RETENTION_DAYS: optional(count(1, 3650)),
  NANGO_WEBHOOK_CONCURRENCY: optional(count(0, 1000)),
  NANGO_PROXY_MAX_UPLOAD_BYTES: optional(count(0, 10 * 1024 ** 3)),
  NANGO_PROXY_TIMEOUT_MS: optional(count(100, 600_000)),
  NANGO_PROXY_RETRY_BUDGET_MS: optional(count(0, 600_000)),
  NANGO_PROXY_MAX_RETRIES: optional(count(0, 100)),
  NANGO_PROVIDER_TIMEOUT_MS: optional(z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(100, 'must be at least 100').max(120_000, 'must be at most 120000')),
});

export type LogLevel = (typeof LOG_LEVELS)[number];


export interface Settings {
  /** The address the HTTP server binds to. */
  host: string;
  port: number;
  serverUrl: string;
  /** Unset: the server runs its own embedded Postgres under dataDir/pg. */
  databaseUrl: string | undefined;
  dataDir: string;
  logLevel: LogLevel;
  /** The OAuth redirect_uri: <serverUrl>/oauth/callback unless set. */
  callbackUrl: string;
  /** How long a provider may take to answer a flow's token or discovery request, and how long a reader waits for a refresh. */
  providerTimeoutMs: number;
  /**
   * With a secret key set, provider URLs that are or resolve to loopback,
   * private, link-local or unspecified addresses are refused unless this is set.
   */
  allowPrivateProviderUrls: boolean;
  /** After a failed refresh, the first wait before the provider is asked again (doubling up to an hour). */
  refreshCooldownSeconds: number;
  /** How long a refresh's answer is awaited (past any reader's wait) before its outcome counts as unknown. */
  refreshAnswerTimeoutMs: number;
  /** How long a refresh claim lives unless its holder renews it. */
  refreshLeaseSeconds: number;
  /** Refreshes failing this long mark the connection NEEDS_REAUTH. */
  needsReauthAfterHours: number;
  /** Refreshes ahead this instance runs at once; 0: none (readers still refresh). */
  refreshConcurrency: number;
  /** Events older than this go (hourly). */
  eventsRetentionDays: number;
  /** Webhook attempts this instance makes at once; 0: this instance sends none. */
  webhookConcurrency: number;
  refreshSchedulerIntervalMs: number;
  /** The proxy (/proxy/*): the largest request body, how long the API may take to answer (and may pause while sending), how long retry waits may add up to, and the most retries a caller may ask for. */
  proxy: { maxUploadBytes: number; timeoutMs: number; retryBudgetMs: number; maxRetries: number };
  /** Required on every GraphQL operation and REST connection route when set. */
  secretKey: string | undefined;
  /** Required as ?public_key= on /oauth/connect when set. */
  publicKey: string | undefined;
  /** Default: `session` with a secret key, `open` without. */
  connectPolicy: ConnectPolicy;
  /** Flows started and not yet finished or expired, per provider config and per client address; more are refused. */
  maxOpenFlowsPerConfig: number;
  maxOpenFlowsPerClient: number;
  /** How many proxies in front of the server append to X-Forwarded-For (0: the socket's address is the client's). */
  trustProxyHops: number;
  /** Encrypts secrets at rest when set (32 bytes). */
  encryptionKey: Buffer | undefined;
  /** During a key rotation: the key being replaced, for reading only. */
  previousEncryptionKey: Buffer | undefined;
}

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid settings:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'SettingsError';
  }
}

export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    // Name the variable, never echo its value: DATABASE_URL carries a password.
    throw new SettingsError(parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`));
  }
  const values = parsed.data;
  const listenPort = values.PORT ?? values.SERVER_PORT ?? 3003;
  const serverUrl = (values.NANGO_SERVER_URL ?? `http://localhost:${listenPort}`).replace(/\/+$/, '');
  return {
    // With no secret key the API is open: reachable from this machine only unless HOST says
    // otherwise. A key set means a deployment, where the load balancer must reach us.
    host: values.HOST ?? (values.NANGO_SECRET_KEY ? '0.0.0.0' : '127.0.0.1'),
    port: listenPort,
    serverUrl,
    callbackUrl: values.NANGO_CALLBACK_URL ?? `${serverUrl}/oauth/callback`,
    providerTimeoutMs: values.NANGO_PROVIDER_TIMEOUT_MS ?? 10_000,
    allowPrivateProviderUrls: values.NANGO_ALLOW_PRIVATE_PROVIDER_URLS ?? false,
    refreshCooldownSeconds: values.NANGO_REFRESH_COOLDOWN_SECONDS ?? 30,
    refreshAnswerTimeoutMs: values.NANGO_REFRESH_ANSWER_TIMEOUT_MS ?? 300_000,
    refreshLeaseSeconds: values.NANGO_REFRESH_LEASE_SECONDS ?? 30,
    needsReauthAfterHours: values.NANGO_NEEDS_REAUTH_AFTER_HOURS ?? 96,
    refreshConcurrency: values.NANGO_REFRESH_CONCURRENCY ?? 200,
    refreshSchedulerIntervalMs: values.NANGO_REFRESH_SCHEDULER_INTERVAL_MS ?? 1000,
    eventsRetentionDays: values.NANGO_EVENTS_RETENTION_DAYS ?? 30,
    webhookConcurrency: values.NANGO_WEBHOOK_CONCURRENCY ?? 50,
    proxy: {
      maxUploadBytes: values.NANGO_PROXY_MAX_UPLOAD_BYTES ?? 100 * 1024 * 1024,
      timeoutMs: values.NANGO_PROXY_TIMEOUT_MS ?? 60_000,
      retryBudgetMs: values.NANGO_PROXY_RETRY_BUDGET_MS ?? 30_000,
      maxRetries: values.NANGO_PROXY_MAX_RETRIES ?? 10,
    },
    secretKey: values.NANGO_SECRET_KEY,
    connectPolicy: values.NANGO_CONNECT_POLICY ?? (values.NANGO_SECRET_KEY ? 'session' : 'open'),
    maxOpenFlowsPerConfig: values.NANGO_MAX_OPEN_FLOWS_PER_CONFIG ?? 1000,
    maxOpenFlowsPerClient: values.NANGO_MAX_OPEN_FLOWS_PER_CLIENT ?? 30,
    trustProxyHops: values.NANGO_TRUST_PROXY_HOPS ?? 0,
    publicKey: values.NANGO_PUBLIC_KEY,
    encryptionKey: values.NANGO_ENCRYPTION_KEY,
    previousEncryptionKey: values.NANGO_ENCRYPTION_KEY_PREVIOUS,
    databaseUrl: values.DATABASE_URL,
    dataDir: path.resolve(values.NANGO_DATA_DIR ?? '.nango'),
    logLevel: values.LOG_LEVEL ?? 'info',
  };
}

/** For the commands (`npm start`, `npm run db:rotate-key`): a bad setting ends the process with its message. */
export function loadSettingsOrExit(): Settings {
  try {
    return loadSettings();
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    console.error(`❌ ${error.message}`);
    process.exit(1);
  }
}
