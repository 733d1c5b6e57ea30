// The SQL of the provider_configs table. Reads that do not need the client
// secret do not select it.
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { insertEvents } from './event-store.js';
import { SEALED, SecretBox } from './secret-box.js';

const timestamp = z.number().transform((ms) => new Date(ms));
const stringMap = z.record(z.string(), z.string());

const ProviderConfigRow = z.object({
  key: z.string(),
  provider: z.string(),
  clientId: z.string().nullable(),
  scopes: z.array(z.string()),
  authorizationUrl: z.string().nullable(),
  tokenUrl: z.string().nullable(),
  issuer: z.string().nullable(),
  baseUrl: z.string().nullable(),
  proxyAllowedHosts: z.array(z.string()),
  apiKeyPlacement: z.object({ in: z.enum(['header', 'query']), name: z.string(), format: z.string() }).nullable(),
  params: stringMap,
  authorizationParams: stringMap,
  tokenParams: stringMap,
  createdAt: timestamp,
  updatedAt: timestamp,
});

const KeyRow = z.object({ key: z.string() });

const ProviderConfigWithSecretRow = ProviderConfigRow.extend({ clientSecret: z.string().nullable() });

export type ProviderConfigRecord = z.infer<typeof ProviderConfigRow>;
export type ProviderConfigWithSecret = z.infer<typeof ProviderConfigWithSecretRow>;

export interface ProviderConfigValues {
  provider: string;
  /** Null for API key and Basic templates; a GitHub App's app id. */
  clientId: string | null;
  /** Null for API key and Basic templates; a GitHub App's private key (PEM). */
  clientSecret: string | null;
  scopes: string[];
  authorizationUrl: string | null;
  tokenUrl: string | null;
  issuer: string | null;
  baseUrl: string | null;
  /** Hosts (host[:port]) besides the base URL's that a proxied request may be sent to (Base-Url-Override). */
  proxyAllowedHosts: string[];
  /** Where a custom-api-key config's API takes the key; null: the template's. */
  apiKeyPlacement: { in: 'header' | 'query'; name: string; format: string } | null;
  /** Connection params only the secret-key holder sets (whole hosts), and extra request params. */
  params: Record<string, string>;
  authorizationParams: Record<string, string>;
  tokenParams: Record<string, string>;
}

const COLUMNS = sql.fragment`
  key,
  provider,
  client_id AS "clientId",
  scopes,
  authorization_url AS "authorizationUrl",
  token_url AS "tokenUrl",
  issuer,
  base_url AS "baseUrl",
  proxy_allowed_hosts AS "proxyAllowedHosts",
  api_key_placement AS "apiKeyPlacement",
  params,
  authorization_params AS "authorizationParams",
  token_params AS "tokenParams",
  created_at AS "createdAt",
  updated_at AS "updatedAt"
`;

export class ProviderConfigStore {
  constructor(
    private readonly pool: DatabasePool,
    private readonly box: SecretBox = SecretBox.plaintext(),
  ) {}

  list(): Promise<readonly ProviderConfigRecord[]> {
    return this.pool.any(sql.type(ProviderConfigRow)`SELECT ${COLUMNS} FROM provider_configs ORDER BY key`);
  }

  get(key: string): Promise<ProviderConfigRecord | null> {
    return this.pool.maybeOne(sql.type(ProviderConfigRow)`SELECT ${COLUMNS} FROM provider_configs WHERE key = ${key}`);
  }

  async getWithSecret(key: string): Promise<ProviderConfigWithSecret | null> {
    const row = await this.pool.maybeOne(sql.type(ProviderConfigWithSecretRow)`
      SELECT ${COLUMNS}, client_secret AS "clientSecret" FROM provider_configs WHERE key = ${key}
    `);
    return row && { ...row, clientSecret: row.clientSecret === null ? null : this.box.open(row.clientSecret, SEALED.clientSecret, key) };
  }

  /** Null when a config with this key already exists. */
  insert(key: string, values: ProviderConfigValues): Promise<ProviderConfigRecord | null> {
    return this.pool.maybeOne(sql.type(ProviderConfigRow)`
      WITH written AS (
        INSERT INTO provider_configs (key, provider, client_id, client_secret, scopes, authorization_url, token_url, issuer, base_url, proxy_allowed_hosts, api_key_placement, params, authorization_params, token_params)
        VALUES (
          ${key}, ${values.provider}, ${values.clientId}, ${this.sealed(values.clientSecret, key)},
          ${sql.array(values.scopes, 'text')}, ${values.authorizationUrl}, ${values.tokenUrl}, ${values.issuer}, ${values.baseUrl},
          ${sql.array(values.proxyAllowedHosts, 'text')}, ${values.apiKeyPlacement === null ? null : sql.jsonb(values.apiKeyPlacement)}, ${sql.jsonb(values.params)}, ${sql.jsonb(values.authorizationParams)}, ${sql.jsonb(values.tokenParams)}
        )
        ON CONFLICT (key) DO NOTHING
        RETURNING *
      ),
      event AS (${insertEvents({ type: 'provider_config.created', from: 'written', key: sql.fragment`key` })})
      SELECT ${COLUMNS} FROM written
    `);
  }

  /** Null when no config has this key. */
  update(key: string, values: ProviderConfigValues): Promise<ProviderConfigRecord | null> {
    return this.pool.maybeOne(sql.type(ProviderConfigRow)`
      WITH written AS (
        UPDATE provider_configs SET
          provider = ${values.provider},
          client_id = ${values.clientId},
          client_secret = ${this.sealed(values.clientSecret, key)},
          scopes = ${sql.array(values.scopes, 'text')},
          authorization_url = ${values.authorizationUrl},
          token_url = ${values.tokenUrl},
          issuer = ${values.issuer},
          base_url = ${values.baseUrl},
          proxy_allowed_hosts = ${sql.array(values.proxyAllowedHosts, 'text')},
          api_key_placement = ${values.apiKeyPlacement === null ? null : sql.jsonb(values.apiKeyPlacement)},
          params = ${sql.jsonb(values.params)},
          authorization_params = ${sql.jsonb(values.authorizationParams)},
          token_params = ${sql.jsonb(values.tokenParams)},
          updated_at = now()
        WHERE key = ${key}
        RETURNING *
      ),
      event AS (${insertEvents({ type: 'provider_config.updated', from: 'written', key: sql.fragment`key` })})
      SELECT ${COLUMNS} FROM written
    `);
  }

  private sealed(clientSecret: string | null, key: string): string | null {
    return clientSecret === null ? null : this.box.seal(clientSecret, SEALED.clientSecret, key);
  }

  /** False when no config has this key. */
  async delete(key: string): Promise<boolean> {
    // Its connections go with it (the foreign key cascades): deleted here first, so that each has its event.
    const deleted = await this.pool.maybeOne(sql.type(KeyRow)`
      WITH connections_gone AS (
        DELETE FROM connections WHERE provider_config_key = ${key} RETURNING provider_config_key, connection_id
      ),
      config_gone AS (DELETE FROM provider_configs WHERE key = ${key} RETURNING key),
      connection_events AS (${insertEvents({ type: 'connection.deleted', from: 'connections_gone', key: sql.fragment`provider_config_key`, connection: sql.fragment`connection_id` })}),
      config_event AS (${insertEvents({ type: 'provider_config.deleted', from: 'config_gone', key: sql.fragment`key` })})
      SELECT key FROM config_gone
    `);
    return deleted !== null;
  }
}
