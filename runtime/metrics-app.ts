import { Hono } from 'hono';
import { errorBody } from '../lib/errors.ts';
import type { Metrics } from '../lib/metrics/registry.ts';
import { metricsHandler } from './metrics-endpoint.ts';

/**
 * The app behind METRICS_PORT: /metrics and /healthz only, so the metrics need not be
 * public and a scheduler process (no API) still has something to scrape and probe.
 */
export function createMetricsApp(metrics: Metrics): Hono {
  const app = new Hono();
  app.get('/metrics', metricsHandler(metrics));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.notFound((c) => c.json(errorBody('not_found', 'Only /metrics and /healthz here'), 404));
  return app;
}
