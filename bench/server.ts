import { prometheus } from '@hono/prometheus';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { logger } from 'hono/logger';
import type { AddressInfo } from 'node:net';
import { getHeapStatistics } from 'node:v8';
import { Logger } from '../lib/logging/logger.ts';
import { createMetrics } from '../lib/metrics/registry.ts';
import type { AppEnv } from '../runtime/env.ts';
import { observeRequests } from '../runtime/observe/middleware.ts';
import { RequestObserver } from '../runtime/observe/request-observer.ts';
import { startServer } from '../runtime/server.ts';

/**
 * One benchmark variant per process: `node bench/server.ts <variant>` serves GET /hello on a
 * free loopback port and prints the port. The project's variants log to stdout, which the
 * benchmark redirects to a file, as a container runtime would.
 *
 * - bare: Hono as its users run it (serve), no middleware.
 * - hono-noop-middleware: one empty async middleware (what any middleware layer costs).
 * - hono-prometheus: @hono/prometheus (2 metrics, no log line).
 * - hono-prometheus-logger: the same and hono/logger, Hono's own request log (two lines per
 *   request through console.log): what a Hono user would reach for to get metrics and a log.
 * - project: the service's observation middleware on the service's server (runtime/server.ts):
 *   request id, 4 metrics + in-flight, exemplars off, the access line with its call site.
 * - project-tslog-access: the same, with the access line written through tslog like every other line.
 * - project-metrics-only: the same with the access line filtered out by level.
 * - server-noop-middleware: the service's server with one empty middleware and no observation
 *   (what the server around the observation costs over serve()).
 */
const variant = process.argv[2] ?? '';
const app = new Hono<AppEnv>();
const project = variant.startsWith('project');
const ownServer = project || variant === 'server-noop-middleware';
const observer = project ? projectObserver() : undefined;
if (variant === 'hono-prometheus') app.use('*', prometheus().registerMetrics);
else if (variant === 'hono-prometheus-logger') app.use('*', prometheus().registerMetrics, logger());
else if (variant === 'hono-noop-middleware' || variant === 'server-noop-middleware') app.use(async (_c, next) => await next());
else if (observer) app.use(observeRequests({ observer }));
else if (variant !== 'bare') {
  process.stderr.write(`unknown variant ${variant}\n`);
  process.exit(2);
}
app.get('/hello', (c) => c.json({ hello: 'world' }));

const server = ownServer
  ? (await startServer(Object.assign(app, { observer }), { port: 0, host: '127.0.0.1' })).server
  : await new Promise<ReturnType<typeof serve>>((resolve) => {
      const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
    });
process.stderr.write(`PORT=${(server.address() as AddressInfo).port}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// The benchmark asks over IPC how much this process has allocated so far.
process.on('message', () => process.send!(getHeapStatistics().total_allocated_bytes));

function projectObserver() {
  const level = variant === 'project-metrics-only' ? 'error' : 'info';
  const log = new Logger({ level });
  const metrics = createMetrics({ version: 'bench', exemplars: false, maxSeries: 2000 });
  return new RequestObserver({ log, metrics, accessLine: variant === 'project-tslog-access' ? 'tslog' : 'fast' });
}
