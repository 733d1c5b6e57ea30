// Overview: the service at a glance: connections by health, refreshes and
// failures over the last hour (refresh_minutes, summed over every instance),
// the database's round trip, the version and the callback URL. Read again
// every 30 seconds.
import { useEffect } from 'preact/hooks';
import { api } from '../api.js';
import type { ConnectionHealthStatus } from '../generated/sdk.js';
import { Link } from '../router.js';
import { Failure, Heading, Show, useLoad } from './common.js';
import { MinuteChart } from './minute-chart.js';

const REFRESH_EVERY_MS = 30_000;

const HEALTH_WORDS: Record<ConnectionHealthStatus, { label: string; help: string }> = {
  HEALTHY: { label: 'Healthy', help: 'keep their tokens fresh' },
  REFRESH_FAILING: { label: 'Refresh failing', help: 'retried with a backoff' },
  NEEDS_REAUTH: { label: 'Needs reauthorization', help: 'their end user must connect again' },
};

export function OverviewView(_props: { params: string[] }) {
  const [service, reloadService] = useLoad(() => api.Service());
  const [counts, reloadCounts] = useLoad(() => api.ConnectionCounts());
  const [activity, reloadActivity] = useLoad(() => api.RefreshActivity({ minutes: 60 }));
  useEffect(() => {
    const timer = setInterval(() => {
      reloadService();
      reloadCounts();
      reloadActivity();
    }, REFRESH_EVERY_MS);
    return () => clearInterval(timer);
  }, []);

  return (
    <>
      <Heading>Overview</Heading>
      <section aria-labelledby="health-heading">
        <h2 id="health-heading">Connections by health</h2>
        <Show loaded={counts}>
          {({ connectionCounts }) => (
            <ul class="counts">
              {connectionCounts.map(({ health, count }) => (
                <li key={health} class={`count${health !== 'HEALTHY' && count > 0 ? ' count-alert' : ''}`}>
                  <Link href={`/dashboard/connections?health=${health}`}>
                    <span class="count-value" data-health={health}>
                      {count}
                    </span>
                    <span class="count-label">{HEALTH_WORDS[health].label}</span>
                  </Link>
                  <span class="muted">{HEALTH_WORDS[health].help}</span>
                </li>
              ))}
            </ul>
          )}
        </Show>
      </section>
      <section aria-labelledby="refresh-heading">
        <h2 id="refresh-heading">Refreshes, last hour</h2>
        <Show loaded={activity}>
          {({ refreshActivity }) => (
            <div class="charts">
              <MinuteChart id="chart-succeeded" title="Refreshes" unit="refreshes" tone="ok" counts={refreshActivity.map((entry) => ({ minute: entry.minute, count: entry.succeeded }))} />
              <MinuteChart id="chart-failed" title="Failures" unit="failed refreshes" tone="bad" counts={refreshActivity.map((entry) => ({ minute: entry.minute, count: entry.failed }))} />
            </div>
          )}
        </Show>
      </section>
      <section aria-labelledby="service-heading">
        <h2 id="service-heading">Service</h2>
        {service.state === 'failed' ? (
          <>
            <p>
              <strong>Database: not answering.</strong>
            </p>
            <Failure error={service.error} />
          </>
        ) : (
          <Show loaded={service}>
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
        )}
      </section>
    </>
  );
}
