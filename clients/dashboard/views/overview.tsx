// Overview: the service at a glance (version, database, the callback URL).
import { api } from '../api.js';
import { Heading, Show, useLoad } from './common.js';

export function OverviewView(_props: { params: string[] }) {
  const [loaded] = useLoad(() => api.Service());
  return (
    <>
      <Heading>Overview</Heading>
      <Show loaded={loaded}>
        {({ service }) => (
          <dl class="facts">
            <dt>Version</dt>
            <dd>{service.version}</dd>
            <dt>Database</dt>
            <dd>Answering ({service.databaseLatencyMs} ms)</dd>
            <dt>Callback URL to register at OAuth providers</dt>
            <dd>
              <code>{service.callbackUrl}</code>
            </dd>
          </dl>
        )}
      </Show>
    </>
  );
}
