// GET /metrics: the registry (metrics.ts) in Prometheus' text format.
import type { Reply, RouteRequest, Services } from '../route.js';

export async function metricsPage(_request: RouteRequest, { metrics }: Services): Promise<Reply> {
  return { status: 200, headers: { 'content-type': metrics.registry.contentType }, body: await metrics.registry.metrics() };
}
