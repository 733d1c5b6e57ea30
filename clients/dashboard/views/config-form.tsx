// A provider config's form: from the catalog (search by name, filter by
// category and auth mode, then the fields the chosen template needs, its docs
// and the callback URL to register), or an existing config's, to edit. Which
// fields a template needs follows the API's rules (CreateProviderConfigInput).
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import type { AuthMode, ProviderCategory, ProvidersQuery, ProviderConfigsWithCountsQuery } from '../generated/sdk.js';
import { Link, navigate } from '../router.js';
import { asApiError, Heading, Show, useLoad } from './common.js';
import { DeleteConfig } from './config-delete.js';
import { CopyValue, Field, fieldError, OutcomeMessage, Select, useDebounced, type Outcome } from './forms.js';

type Template = ProvidersQuery['providers'][number];
type Config = ProviderConfigsWithCountsQuery['providerConfigs'][number];

const AUTH_MODES = ['OAUTH2', 'OAUTH1', 'OAUTH2_CC', 'API_KEY', 'BASIC', 'APP'] as const satisfies readonly AuthMode[];
const CATEGORIES = [
  'ACCOUNTING', 'ANALYTICS', 'COMMUNICATION', 'CRM', 'DESIGN', 'DEV_TOOLS', 'EDUCATION', 'ERP', 'E_COMMERCE', 'HR', 'LEGAL',
  'MARKETING', 'OTHER', 'PAYMENTS', 'PRODUCTIVITY', 'PROJECT_MANAGEMENT', 'SCHEDULING', 'SECURITY', 'SOCIAL', 'STORAGE', 'SUPPORT', 'VIDEO',
] as const satisfies readonly ProviderCategory[];
/** The catalog holds hundreds: a page shows this many matches, and says how many more there are. */
const SHOWN = 40;

const words = (value: string) => value.toLowerCase().replace(/_/g, ' ');

export function ConfigForm({ configKey }: { configKey?: string }) {
  const [template, setTemplate] = useState<Template | null>(null);
  const [deletion, setDeletion] = useState<Outcome>(null);
  const [loaded] = useLoad(async () => {
    const { service } = await api.Service();
    if (configKey === undefined) return { service, config: null, template: null };
    const providerConfig = (await api.ProviderConfigsWithCounts()).providerConfigs.find((each) => each.key === configKey);
    if (!providerConfig) throw new ApiError('unknown_provider_config', `There is no provider config "${configKey}".`);
    const { providers } = await api.Providers({ search: providerConfig.provider });
    return { service, config: providerConfig, template: providers.find((each) => each.name === providerConfig.provider) ?? null };
  }, [configKey]);
  return (
    <>
      <Heading>{configKey === undefined ? 'Add a provider config' : `Provider config ${configKey}`}</Heading>
      <p>
        <Link href="/dashboard/configs">Back to provider configs</Link>
      </p>
      <Show loaded={loaded}>
        {({ service, config, template: configTemplate }) =>
          config ? (
            <>
              <TemplateForm template={configTemplate} config={config} callbackUrl={service.callbackUrl} />
              <section aria-labelledby="config-delete-heading">
                <h2 id="config-delete-heading">Delete</h2>
                <OutcomeMessage outcome={deletion} />
                <DeleteConfig
                  configKey={config.key}
                  connectionCount={config.connectionCount}
                  onDeleted={() => navigate('/dashboard/configs')}
                  onFailed={(error) => setDeletion({ kind: 'failed', error })}
                />
              </section>
            </>
          ) : template ? (
            <>
              <button type="button" class="quiet" onClick={() => setTemplate(null)}>
                Choose another template
              </button>
              <TemplateForm template={template} config={null} callbackUrl={service.callbackUrl} />
            </>
          ) : (
            <Catalog onChoose={setTemplate} />
          )
        }
      </Show>
    </>
  );
}

function Catalog({ onChoose }: { onChoose: (template: Template) => void }) {
  const [search, setSearch] = useState('');
  const [category, setCategory] = useState('');
  const [authMode, setAuthMode] = useState('');
  const settled = useDebounced(search.trim());
  const [loaded] = useLoad(
    () =>
      api.Providers({
        ...(settled ? { search: settled } : {}),
        ...(category ? { category: category as ProviderCategory } : {}),
        ...(authMode ? { authMode: authMode as AuthMode } : {}),
      }),
    [settled, category, authMode],
  );
  return (
    <section aria-labelledby="catalog-heading">
      <h2 id="catalog-heading">Choose a template from the catalog</h2>
      <div class="filters" role="search" aria-label="Templates">
        <Field id="catalog-search" label="Search templates by name" type="search" value={search} onInput={setSearch} />
        <Select id="catalog-category" label="Category" value={category} onChange={setCategory} options={[{ value: '', label: 'Any category' }, ...CATEGORIES.map((value) => ({ value, label: words(value) }))]} />
        <Select id="catalog-auth-mode" label="Auth mode" value={authMode} onChange={setAuthMode} options={[{ value: '', label: 'Any auth mode' }, ...AUTH_MODES.map((value) => ({ value, label: value }))]} />
      </div>
      <Show loaded={loaded}>
        {({ providers }) => (
          <>
            <p role="status">
              {providers.length === 0 ? 'No template matches.' : providers.length > SHOWN ? `${providers.length} templates match; the first ${SHOWN} are shown.` : `${providers.length} ${providers.length === 1 ? 'template matches' : 'templates match'}.`}
            </p>
            <ul class="catalog">
              {providers.slice(0, SHOWN).map((template) => (
                <li key={template.name}>
                  <button type="button" class="quiet" onClick={() => onChoose(template)}>
                    {template.displayName}
                  </button>
                  <span class="hint">
                    {' '}
                    {template.name} · {template.authMode} · {words(template.category)}
                  </span>
                </li>
              ))}
            </ul>
          </>
        )}
      </Show>
    </section>
  );
}

/** What the template asks of a config, by the API's rules. */
function needs(template: Template | null, config: Config | null) {
  const mode = template?.authMode ?? config?.authMode ?? 'OAUTH2';
  const name = template?.name ?? config?.provider ?? '';
  return {
    client: mode === 'OAUTH2' || mode === 'OAUTH1' || mode === 'OAUTH2_CC',
    scopes: mode === 'OAUTH2' || mode === 'OAUTH1' || mode === 'OAUTH2_CC',
    app: mode === 'APP',
    issuer: name === 'oidc',
    authorizationUrl: name === 'custom',
    tokenUrl: name === 'custom' || name === 'custom-oauth2-cc',
    /** Where credentials are checked and the proxy calls: required where no template names it. */
    baseUrlRequired: name === 'custom-api-key' || name === 'custom-basic',
    apiKeyPlacement: name === 'custom-api-key',
    /** The end user's browser comes back to the callback URL: it must be registered at the provider. */
    callback: mode === 'OAUTH2' || mode === 'OAUTH1',
    configParams: template?.configParams ?? Object.keys(config?.params ?? {}),
  };
}

function TemplateForm({ template, config, callbackUrl }: { template: Template | null; config: Config | null; callbackUrl: string }) {
  const need = needs(template, config);
  const editing = config !== null;
  const [values, setValues] = useState<Record<string, string>>(() => ({
    key: config?.key ?? template?.name ?? '',
    clientId: config?.clientId ?? '',
    clientSecret: '',
    scopes: (config?.scopes ?? template?.defaultScopes ?? []).join(' '),
    appId: config?.appId ?? '',
    privateKey: '',
    issuer: config?.issuer ?? '',
    authorizationUrl: need.authorizationUrl ? (config?.authorizationUrl ?? '') : '',
    tokenUrl: need.tokenUrl ? (config?.tokenUrl ?? '') : '',
    // An edit shows the config's own base URL only: the effective one may be the template's.
    baseUrl: config?.baseUrl && config.baseUrl !== template?.baseUrl ? config.baseUrl : '',
    proxyAllowedHosts: (config?.proxyAllowedHosts ?? []).join(' '),
    apiKeyHeader: config?.apiKeyPlacement?.in === 'header' && config.apiKeyPlacement.name.toLowerCase() !== 'authorization' ? config.apiKeyPlacement.name : '',
    ...Object.fromEntries(need.configParams.map((param) => [`param:${param}`, config?.params[param] ?? ''])),
  }));
  const [error, setError] = useState<ApiError | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);
  const set = (name: string) => (value: string) => setValues((current) => ({ ...current, [name]: value }));
  const field = (name: string, label: string, extra: Partial<Parameters<typeof Field>[0]> = {}) => (
    <Field id={`config-${name}`} label={label} value={values[name] ?? ''} onInput={set(name)} error={fieldError(error, name)} {...extra} />
  );
  const provider = template?.name ?? config?.provider ?? '';

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setOutcome(null);
    // Left blank on an edit: keep (the secret and key are never shown, so blank cannot mean "clear").
    const given = (name: string) => (values[name]?.trim() ? values[name]!.trim() : undefined);
    const params = Object.fromEntries(need.configParams.map((param) => [param, values[`param:${param}`]?.trim() ?? '']).filter(([, value]) => value !== ''));
    const input = {
      ...(need.client ? { clientId: given('clientId'), clientSecret: given('clientSecret') } : {}),
      ...(need.scopes ? { scopes: (values.scopes ?? '').split(/[\s,]+/).filter(Boolean) } : {}),
      ...(need.app ? { appId: given('appId'), privateKey: values.privateKey?.trim() ? values.privateKey : undefined } : {}),
      ...(need.issuer ? { issuer: given('issuer') } : {}),
      ...(need.authorizationUrl ? { authorizationUrl: given('authorizationUrl') } : {}),
      ...(need.tokenUrl ? { tokenUrl: given('tokenUrl') } : {}),
      baseUrl: given('baseUrl'),
      // Shown as they are, so blank clears them.
      proxyAllowedHosts: (values.proxyAllowedHosts ?? '').split(/[\s,]+/).filter(Boolean),
      ...(need.apiKeyPlacement && given('apiKeyHeader') ? { apiKeyPlacement: { in: 'header', name: given('apiKeyHeader')! } } : {}),
      ...(need.configParams.length > 0 ? { params } : {}),
    };
    const defined = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
    try {
      if (editing) {
        await api.UpdateProviderConfig({ input: { key: config.key, ...defined } });
        setValues((current) => ({ ...current, clientSecret: '', privateKey: '' }));
        setOutcome({ kind: 'done', message: 'Saved.' });
      } else {
        const { createProviderConfig } = await api.CreateProviderConfig({ input: { key: values.key?.trim() ?? '', provider, ...defined } });
        navigate(`/dashboard/configs/${encodeURIComponent(createProviderConfig.key)}`);
      }
    } catch (failure) {
      const apiError = asApiError(failure);
      setError(apiError);
      // A field's error is shown at the field; any other at the top of the form.
      if (!apiError.field || !(apiError.field in values)) setOutcome({ kind: 'failed', error: apiError });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="config-form" onSubmit={submit} aria-labelledby="config-form-heading" noValidate>
      <h2 id="config-form-heading">{template?.displayName ?? provider}</h2>
      <p>
        Template <code>{provider}</code>, auth mode {template?.authMode ?? config?.authMode}.{' '}
        {template?.docsUrl && (
          <a href={template.docsUrl} target="_blank" rel="noopener noreferrer">
            The provider's documentation<span class="visually-hidden"> (opens in a new tab)</span>
          </a>
        )}
      </p>
      {need.callback && <CopyValue id="config-callback-url" label="Callback URL to register at the provider (redirect URI)" value={callbackUrl} />}
      <OutcomeMessage outcome={outcome} id="config-form-outcome" />
      {!editing && field('key', 'Key', { required: true, hint: 'Your name for this config, used in connection calls (e.g. github).' })}
      {need.client && field('clientId', 'Client id', { required: !editing })}
      {need.client && field('clientSecret', 'Client secret', { type: 'password', required: !editing, autocomplete: 'new-password', hint: editing ? 'Stored sealed and never shown; leave blank to keep the current one.' : 'Stored sealed and never shown again.' })}
      {need.scopes && field('scopes', 'Scopes', { hint: `Separated by spaces or commas.${template && template.defaultScopes.length > 0 ? ` The template's default: ${template.defaultScopes.join(' ')}.` : ''}` })}
      {need.app && field('appId', 'GitHub App id', { required: !editing })}
      {need.app && field('privateKey', 'Private key (PEM)', { multiline: true, required: !editing, hint: editing ? 'Never shown; leave blank to keep the current one.' : 'As GitHub downloads it; stored sealed, never shown again.' })}
      {need.issuer && field('issuer', 'Issuer URL', { type: 'url', required: true, hint: 'Endpoints come from its OpenID discovery document.' })}
      {need.authorizationUrl && field('authorizationUrl', 'Authorization URL', { type: 'url', required: true })}
      {need.tokenUrl && field('tokenUrl', 'Token URL', { type: 'url', required: true })}
      {field('baseUrl', 'Base URL of the API', {
        type: 'url',
        required: need.baseUrlRequired,
        hint: need.baseUrlRequired
          ? 'Where credentials are checked and the proxy calls the API.'
          : `Where the proxy calls the API${template?.baseUrl ? `; leave blank for the template's ${template.baseUrl}` : ' (required for the proxy: the template names none)'}.`,
      })}
      {need.apiKeyPlacement && field('apiKeyHeader', 'Header the API takes its key in', { hint: 'Leave blank for Authorization: Bearer <key>; e.g. X-API-Key sends the key as it is.' })}
      {field('proxyAllowedHosts', 'Other hosts the proxy may call', { hint: "Host names (host or host:port), separated by spaces, that a proxied call may name with Base-Url-Override; credentials are sent there." })}
      {need.configParams.map((param) => (
        <Field
          key={param}
          id={`config-param-${param}`}
          label={`Connection param: ${param}`}
          value={values[`param:${param}`] ?? ''}
          onInput={set(`param:${param}`)}
          error={error?.field === 'params' ? error.message : null}
          hint="Set by the config for every connection (end users cannot change it)."
        />
      ))}
      <button type="submit" disabled={busy}>
        {editing ? 'Save changes' : 'Create provider config'}
      </button>
    </form>
  );
}
