// Provider configs: the registered ones, with the callback URL to register at providers.
import { api } from '../api.js';
import { Link } from '../router.js';
import { formatDate, Heading, Show, useLoad } from './common.js';

export function ConfigsView(_props: { params: string[] }) {
  const [loaded] = useLoad(async () => ({ ...(await api.ProviderConfigs()), ...(await api.Service()) }));
  return (
    <>
      <Heading>Provider configs</Heading>
      <Show loaded={loaded}>
        {({ providerConfigs, service }) => (
          <>
            <p>
              OAuth providers call back to <code>{service.callbackUrl}</code>: register it in each OAuth app.
            </p>
            {providerConfigs.length === 0 ? (
              <p>No provider configs yet.</p>
            ) : (
              <table>
                <caption class="visually-hidden">Provider configs</caption>
                <thead>
                  <tr>
                    <th scope="col">Key</th>
                    <th scope="col">Template</th>
                    <th scope="col">Auth mode</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {providerConfigs.map((config) => (
                    <tr key={config.key}>
                      <th scope="row">
                        <Link href={`/dashboard/connections?config=${encodeURIComponent(config.key)}`}>{config.key}</Link>
                      </th>
                      <td>{config.provider}</td>
                      <td>{config.authMode}</td>
                      <td>{formatDate(config.createdAt)}</td>
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
