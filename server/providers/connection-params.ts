// ${connectionConfig.params.name} placeholders in template URLs (a Zendesk or
// Shopify subdomain, ...). Values are limited to hostname-safe characters, so a
// param can never move a URL to another host or path.

const PLACEHOLDER = /\$\{connectionConfig\.params\.([A-Za-z][A-Za-z0-9_]*)\}/g;
const HOSTNAME_SAFE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export const PARAM_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export class ConnectionParamError extends Error {
  override name = 'ConnectionParamError';

  constructor(
    readonly kind: 'missing' | 'invalid',
    readonly param: string,
  ) {
    super(
      kind === 'missing'
        ? `The connection param "${param}" is required by this provider: pass it as params[${param}].`
        : `The connection param "${param}" may contain only letters, digits, "-" and "." (a host name label).`,
    );
  }
}

export function isHostnameSafe(value: string): boolean {
  return value.length <= 253 && HOSTNAME_SAFE.test(value);
}

/** Replaces every placeholder in `template`; throws ConnectionParamError for a missing or unsafe value. */
export function interpolateConnectionParams(template: string, params: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = params[name];
    if (value === undefined || value === '') throw new ConnectionParamError('missing', name);
    if (!isHostnameSafe(value)) throw new ConnectionParamError('invalid', name);
    return value;
  });
}
