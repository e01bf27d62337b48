import { prometheus } from '@hono/prometheus';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { Logger } from '../lib/logging/logger.ts';
import { createMetrics } from '../lib/metrics/registry.ts';
import type { AppEnv } from '../runtime/env.ts';
import { errorBoundary } from '../runtime/middleware/error-boundary.ts';
import { observeRequests } from '../runtime/middleware/observe-request.ts';

/**
 * One benchmark variant per process: `node bench/server.ts <variant>` serves GET /hello on a
 * free loopback port and prints the port. The project's variants log to stdout, which the
 * benchmark redirects to a file, as a container runtime would.
 */
const variant = process.argv[2];
const app = new Hono<AppEnv>();

if (variant === 'hono-prometheus') {
  app.use('*', prometheus().registerMetrics);
} else if (variant?.startsWith('project')) {
  // project-metrics-only: the same middleware with the access line filtered out by level.
  const level = variant === 'project-metrics-only' ? 'error' : 'info';
  const log = new Logger({ level, callSite: variant === 'project' });
  const metrics = createMetrics({ version: 'bench', exemplars: false, maxSeries: 2000 });
  app.use(observeRequests({ log, metrics, routes: new Set(['/hello']) }));
  app.use(errorBoundary);
} else if (variant !== 'bare') {
  process.stderr.write(`unknown variant ${variant}\n`);
  process.exit(2);
}
app.get('/hello', (c) => c.json({ hello: 'world' }));

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
  process.stderr.write(`PORT=${info.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
