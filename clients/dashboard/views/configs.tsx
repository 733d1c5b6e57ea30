// Provider configs: the registered ones with what deleting each would delete,
// the callback URL to register at providers, and the ways to a config's form
// (/dashboard/configs/new from the catalog, /dashboard/configs/<key> to edit).
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { Link } from '../router.js';
import { formatDate, Heading, Show, useLoad } from './common.js';
import { DeleteConfig, plural } from './config-delete.js';
import { ConfigForm } from './config-form.js';
import { OutcomeMessage, type Outcome } from './forms.js';

export function ConfigsView({ params }: { params: string[] }) {
  const [first] = params;
  if (first === 'new') return <ConfigForm key="new" />;
  if (first !== undefined) return <ConfigForm key={first} configKey={first} />;
  return <ConfigList />;
}

function ConfigList() {
  const [loaded, reload] = useLoad(async () => ({ ...(await api.ProviderConfigsWithCounts()), ...(await api.Service()) }));
  const [outcome, setOutcome] = useState<Outcome>(null);
  return (
    <>
      <Heading>Provider configs</Heading>
      <p>
        <Link href="/dashboard/configs/new">Add a provider config from the catalog</Link>
      </p>
      <OutcomeMessage outcome={outcome} />
      <Show loaded={loaded}>
        {({ providerConfigs, service }) => (
          <>
            <p>
              OAuth providers call back to <code>{service.callbackUrl}</code>: register it in each OAuth app.
            </p>
            {providerConfigs.length === 0 ? (
              <p>No provider configs yet.</p>
            ) : (
              <table class="configs">
                <caption class="visually-hidden">Provider configs</caption>
                <thead>
                  <tr>
                    <th scope="col">Key</th>
                    <th scope="col">Template</th>
                    <th scope="col">Auth mode</th>
                    <th scope="col">Connections</th>
                    <th scope="col">Created</th>
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {providerConfigs.map((config) => (
                    <tr key={config.key}>
                      <th scope="row">
                        <Link href={`/dashboard/configs/${encodeURIComponent(config.key)}`}>{config.key}</Link>
                      </th>
                      <td>{config.provider}</td>
                      <td>{config.authMode}</td>
                      <td>
                        <Link href={`/dashboard/connections?config=${encodeURIComponent(config.key)}`}>
                          {config.connectionCount}
                          <span class="visually-hidden"> connections of {config.key}</span>
                        </Link>
                      </td>
                      <td>{formatDate(config.createdAt)}</td>
                      <td>
                        <DeleteConfig
                          configKey={config.key}
                          connectionCount={config.connectionCount}
                          onDeleted={() => {
                            setOutcome({ kind: 'done', message: `Deleted the provider config ${config.key} and its ${plural(config.connectionCount, 'connection')}.` });
                            reload();
                          }}
                          onFailed={(error) => setOutcome({ kind: 'failed', error })}
                        />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </Show>
    </>
  );
}
