// GET /metrics, in Prometheus format (prom-client): request latency by route,
// refreshes by outcome and provider, OAuth flows, proxied requests, connections by health, the
// database pool and the read connections.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ConnectionHealthStatus } from '../core/connections.js';
import type { CoreObserver } from '../core/observer.js';
import type { DatabasePool } from '../db/pool.js';
import type { ReadConnections } from '../db/read-connections.js';

export interface Metrics {
  registry: Registry;
  observer: CoreObserver;
  /** One answered request, under its route's pattern; `started` is a performance.now() reading. */
  recordRequest(method: string, route: string, status: number, started: number): void;
  /** Adds the webhook queue gauges (due deliveries, the oldest one's wait), read at each scrape. */
  countWebhookQueue(read: () => Promise<{ due: number; oldestSeconds: number }>): void;
  /** Adds the connections-by-health gauge, counted by `count` at each scrape (the core exists only after the metrics). */
  countConnectionsByHealth(count: () => Promise<Record<ConnectionHealthStatus, number>>): void;
}

/** A scrape waits this long for a gauge's database read, then goes without the gauge: Prometheus' own timeout is 10 s. */
const GAUGE_READ_WITHIN_MS = 2_000;

/** `read`, or null when it fails or is late: the database away must not take the other metrics with it. */
async function boundedRead<T>(read: () => Promise<T>): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), GAUGE_READ_WITHIN_MS);
  });
  return Promise.race([read().catch(() => null), late]).finally(() => clearTimeout(timer));
}

export function createMetrics(pool: DatabasePool, reads: ReadConnections): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Histogram({
    name: 'nango_http_request_duration_seconds',
    help: 'HTTP request latency, by route (the matched pattern, never the raw path) and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const refreshes = new Counter({
    name: 'nango_token_refreshes_total',
    help: 'Token refreshes, by outcome (success, failure, cooldown: refused without calling the provider) and provider template.',
    labelNames: ['outcome', 'provider'] as const,
    registers: [registry],
  });
  const flows = new Counter({
    name: 'nango_oauth_flows_total',
    help: 'OAuth connect flows, by event (started, completed, failed) and provider config key.',
    labelNames: ['event', 'provider_config_key'] as const,
    registers: [registry],
  });
  const webhookAttempts = new Counter({
    name: 'nango_webhook_attempts_total',
    help: 'Webhook delivery attempts, by outcome (delivered: a 2xx; retrying; failed: given up).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const proxied = new Counter({
    name: 'nango_proxy_requests_total',
    help: 'Requests sent through /proxy, by provider template, status (the provider\'s, or timeout, unreachable, refused, aborted when it gave none) and retries made (429, 503, network failures).',
    labelNames: ['provider', 'status', 'retries'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'nango_db_pool_connections',
    help: 'Database pool connections, by state.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const state = pool.state();
      this.set({ state: 'acquired' }, state.acquiredConnections);
      this.set({ state: 'idle' }, state.idleConnections);
      this.set({ state: 'waiting_clients' }, state.waitingClients);
    },
  });
  new Gauge({
    name: 'nango_db_read_connections',
    help: 'The pipelined connections the token read and the lists share, by state (open, connecting).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const state = reads.state();
      this.set({ state: 'open' }, state.open);
      this.set({ state: 'connecting' }, state.connecting);
    },
  });

  // One child per (method, route, status), looked up by a string key rather than
  // by prom-client hashing the labels on every request. Node's parser knows some
  // thirty methods and routes are patterns, so the set stays small.
  const requestSeries = new Map<string, { observe(seconds: number): void }>();
  const observeRequest = (method: string, route: string, status: number, started: number) => {
    const key = `${method} ${route} ${status}`;
    let series = requestSeries.get(key);
    if (!series) {
      series = requests.labels({ method, route, status: String(status) });
      requestSeries.set(key, series);
    }
    series.observe((performance.now() - started) / 1000);
  };

  const proxiedSeries = new Map<string, { inc(): void }>();

  return {
    registry,
    observer: {
      refreshed: (outcome, provider) => refreshes.inc({ outcome, provider }),
      // Counted by refreshed('failure'); logged by the server (start.ts).
      refreshFailed: () => undefined,
      flow: (event, providerConfigKey) => flows.inc({ event, provider_config_key: providerConfigKey }),
      webhookAttempted: (outcome) => webhookAttempts.inc({ outcome }),
      proxied: (provider, status, retries) => {
        // Looked up by a string key, as the request histogram's series are: prom-client hashes the labels on every inc().
        const key = `${provider} ${status} ${retries}`;
        let series = proxiedSeries.get(key);
        if (!series) {
          series = proxied.labels({ provider, status, retries: String(retries) });
          proxiedSeries.set(key, series);
        }
        series.inc();
      },
    },
    recordRequest: observeRequest,
    countWebhookQueue(read) {
      // One read per scrape for both gauges, bounded like the health count.
      let last: Promise<{ due: number; oldestSeconds: number } | null> | null = null;
      const current = () => {
        last ??= boundedRead(read).finally(() => setImmediate(() => (last = null)));
        return last;
      };
      new Gauge({
        name: 'nango_webhook_deliveries_due',
        help: 'Webhook deliveries due now and not yet delivered.',
        registers: [registry],
        async collect() {
          const queue = await current();
          this.reset();
          if (queue) this.set(queue.due);
        },
      });
      new Gauge({
        name: 'nango_webhook_queue_age_seconds',
        help: 'How long the oldest due webhook delivery has waited.',
        registers: [registry],
        async collect() {
          const queue = await current();
          this.reset();
          if (queue) this.set(queue.oldestSeconds);
        },
      });
    },
    countConnectionsByHealth(count) {
      new Gauge({
        name: 'nango_connections',
        help: 'Connections by health (HEALTHY, REFRESH_FAILING, NEEDS_REAUTH): the unhealthy counted exactly, the healthy estimated from the table statistics.',
        labelNames: ['health'] as const,
        registers: [registry],
        async collect() {
          const counts = await boundedRead(count);
          this.reset();
          if (counts) for (const [health, value] of Object.entries(counts)) this.set({ health }, value);
        },
      });
    },
  };
}
