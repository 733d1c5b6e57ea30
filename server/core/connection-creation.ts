// Connections made without an OAuth redirect: the backend's createConnection
// (secret key) and the Connect UI's form (a connect session). The fields the
// template's mode needs are checked, an API key or password is proven by the
// template's check request before anything is stored, and a client
// credentials or GitHub App token is obtained at once, so that a wrong secret
// fails the call rather than a later token read.
import type { ConnectSessionStore, EndUser } from '../db/connect-session-store.js';
import type { ConnectionStore, ConnectionWithCredentials } from '../db/connection-store.js';
import type { ProviderConfigStore } from '../db/provider-config-store.js';
import type { ProviderCatalog } from '../providers/catalog.js';
import type { ProviderUrlPolicy } from '../providers/url-policy.js';
import { unknownConnection } from './connections.js';
import { checkCredentials } from './credential-check.js';
import { serializeCredentials, type Credentials, type RenewableCredentials } from './credentials.js';
import { AppError, invalidInput } from './errors.js';
import { checkConnectionIdentity, checkParams, hasControlCharacters } from './identifiers.js';
import { clientCredentialsToken, INSTALLATION_ID_PARAM, installationToken } from './machine-tokens.js';
import { checkConnectParams, loadProviderApp, type ProviderApp } from './provider-apps.js';
import { providerFailure } from './oauth-flow.js';

export interface CreateConnectionInput {
  providerConfigKey: string;
  connectionId: string;
  /** API_KEY templates. */
  apiKey?: string | null;
  /** BASIC templates. */
  username?: string | null;
  password?: string | null;
  /** APP templates: the installation's id. */
  installationId?: string | null;
  /** Connection params (e.g. a subdomain) the template's URLs need. */
  params?: Record<string, string> | null;
}

/** A connect session's permission, for the Connect UI: consumed with the write. */
export interface SessionGrant {
  tokenHash: string;
}

export interface ConnectionCreationOptions {
  configs: ProviderConfigStore;
  connections: ConnectionStore;
  connectSessions: ConnectSessionStore;
  catalog: ProviderCatalog;
  providerTimeoutSeconds: number;
  urlPolicy: ProviderUrlPolicy;
  refreshDueAt: (credentials: RenewableCredentials, provider: string) => Date | null;
}

const MAX_SECRET = 4096;
const MAX_USERNAME = 1024;

/** Which input fields each mode takes (the others are refused, naming the mode). */
const FIELDS_BY_MODE = {
  API_KEY: ['apiKey'],
  BASIC: ['username', 'password'],
  OAUTH2_CC: [],
  APP: ['installationId'],
} as const;
type DirectMode = keyof typeof FIELDS_BY_MODE;
const CREDENTIAL_FIELDS = ['apiKey', 'username', 'password', 'installationId'] as const;

export class ConnectionCreation {
  constructor(private readonly options: ConnectionCreationOptions) {}

  /**
   * Stores a connection from credentials given (or obtained now), replacing
   * the credentials of an existing one with this id (it is then re-authorized).
   * With a session grant, the session is consumed in the same transaction: a
   * second submission with it stores nothing.
   */
  async create(input: CreateConnectionInput, grant?: SessionGrant): Promise<ConnectionWithCredentials> {
    const { providerConfigKey, connectionId } = input;
    checkConnectionIdentity(providerConfigKey, connectionId);
    const identity = { providerConfigKey, connectionId };
    const params = { ...(input.params ?? {}) };
    checkParams(params, identity);
    const app = await loadProviderApp(this.options.configs, this.options.catalog, providerConfigKey, identity);
    const mode = directMode(app, identity);
    for (const field of CREDENTIAL_FIELDS) {
      const given = input[field];
      if (given !== undefined && given !== null && given !== '' && !(FIELDS_BY_MODE[mode] as readonly string[]).includes(field)) {
        throw invalidInput(field, `is not used by ${mode} templates (${app.template.name}${FIELDS_BY_MODE[mode].length ? `: give ${FIELDS_BY_MODE[mode].join(', ')}` : ': the service obtains the token itself'})`);
      }
    }
    checkConnectParams(app, params, identity);
    if (mode === 'APP') params[INSTALLATION_ID_PARAM] = requiredInstallationId(input.installationId);
    const credentials = await this.credentialsFor(app, mode, input, params, identity);
    const values = {
      providerConfigKey,
      connectionId,
      credentials: serializeCredentials(credentials),
      expiresAt: credentials.expiresAt,
      refreshDueAt: credentials.type === 'OAUTH2_CC' || credentials.type === 'APP' ? this.options.refreshDueAt(credentials, app.config.provider) : null,
      connectionConfig: params,
      metadata: {},
    };
    if (grant) {
      await this.options.connections.transaction(async (transaction) => {
        const consumed: { endUser: EndUser | null } | null = await this.options.connectSessions.consume(transaction, grant.tokenHash);
        if (!consumed) throw new AppError('invalid_connect_session', 'The connect session expired or was used already; nothing was stored.', identity);
        await this.options.connections.write({ ...values, endUser: consumed.endUser }, 'replace', transaction);
      });
    } else {
      await this.options.connections.write(values, 'replace');
    }
    const stored = await this.options.connections.getWithCredentials(providerConfigKey, connectionId);
    if (!stored) throw unknownConnection(providerConfigKey, connectionId);
    return stored;
  }

  private async credentialsFor(app: ProviderApp, mode: DirectMode, input: CreateConnectionInput, params: Record<string, string>, identity: Record<string, string>): Promise<Credentials> {
    const now = new Date();
    const timing = { timeoutSeconds: this.options.providerTimeoutSeconds, policy: this.options.urlPolicy };
    if (mode === 'API_KEY' || mode === 'BASIC') {
      const credentials =
        mode === 'API_KEY'
          ? { type: 'API_KEY' as const, apiKey: apiKeyText(app, input.apiKey), expiresAt: null, obtainedAt: now, raw: {} }
          : {
              type: 'BASIC' as const,
              username: secretText('username', input.username, MAX_USERNAME),
              password: app.template.basic?.passwordOptional && !input.password ? '' : secretText('password', input.password, MAX_SECRET),
              expiresAt: null,
              obtainedAt: now,
              raw: {},
            };
      await checkCredentials(app, credentials, params, timing, identity);
      return credentials;
    }
    try {
      return mode === 'APP' ? await installationToken(app, params, { ...timing, now }) : await clientCredentialsToken(app, params, { ...timing, now });
    } catch (error) {
      // A wrong client secret or app key fails here, and nothing is stored.
      throw providerFailure(error, { providerConfigKey: identity.providerConfigKey!, connectionId: identity.connectionId! });
    }
  }
}

/** The template's mode, when connections of it are made without an authorization redirect. */
function directMode(app: ProviderApp, identity: Record<string, string>): DirectMode {
  const mode = app.template.authMode;
  if (mode === 'OAUTH2' || mode === 'OAUTH1') {
    throw new AppError('invalid_input', `Connections of ${mode} templates (${app.template.name}) come from the end user's authorization: create a connect session and open its connectUrl.`, { ...identity, field: 'providerConfigKey' });
  }
  return mode;
}

function secretText(field: string, value: string | null | undefined, max: number): string {
  if (value === undefined || value === null || value.trim() === '') throw invalidInput(field, 'is required by this template');
  if (value.length > max) throw invalidInput(field, `must be at most ${max} characters`);
  if (hasControlCharacters(value)) throw invalidInput(field, 'must not contain control characters');
  // JSON can spell a lone surrogate (\ud800), which is no character: it cannot be sent or stored as given.
  if (LONE_SURROGATE.test(value)) throw invalidInput(field, 'must be valid Unicode text (it holds a lone surrogate)');
  return value;
}

const LONE_SURROGATE = /\p{Cs}/u;

/** A key sent in a header can hold only what a header carries: printable ASCII (undici refuses the rest, after the call looked made). */
function apiKeyText(app: ProviderApp, value: string | null | undefined): string {
  const apiKey = secretText('apiKey', value, MAX_SECRET);
  if (app.template.apiKey?.in !== 'query' && !/^[\x20-\x7e]*$/.test(apiKey)) throw invalidInput('apiKey', 'must be printable ASCII: it is sent in an HTTP header');
  return apiKey;
}

function requiredInstallationId(value: string | null | undefined): string {
  if (value === undefined || value === null || value.trim() === '') throw invalidInput('installationId', 'is required by GitHub App templates');
  if (!/^\d{1,20}$/.test(value.trim())) throw invalidInput('installationId', 'must be the numeric installation id (github.com/settings/installations/<id>)');
  return value.trim();
}
