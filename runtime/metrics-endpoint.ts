import type { Handler } from 'hono';
import type { Metrics } from '../lib/metrics/registry.ts';

/** GET /metrics: the exposition format the scraper asks for (OpenMetrics carries exemplars). */
export function metricsHandler(metrics: Metrics): Handler {
  return async (c) => {
    const { contentType, body } = await metrics.render(c.req.header('accept'));
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  };
}
