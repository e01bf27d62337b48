import { prometheus } from '@hono/prometheus';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { Logger } from '../lib/logging/logger.ts';
import { createMetrics } from '../lib/metrics/registry.ts';
import type { AppEnv } from '../runtime/env.ts';
import { instrumentApp } from '../runtime/app-entry.ts';
import { startServer } from '../runtime/server.ts';

/**
 * One benchmark variant per process: `node bench/server.ts <variant>` serves GET /hello on a
 * free loopback port and prints the port. The project's variants log to stdout, which the
 * benchmark redirects to a file, as a container runtime would.
 */
const variant = process.argv[2] ?? '';
const app = new Hono<AppEnv>();
if (variant === 'hono-prometheus') app.use('*', prometheus().registerMetrics);
else if (variant === 'hono-noop-middleware') app.use(async (_c, next) => await next());
else if (variant !== 'bare' && !variant.startsWith('project')) {
  process.stderr.write(`unknown variant ${variant}\n`);
  process.exit(2);
}
app.get('/hello', (c) => c.json({ hello: 'world' }));

// Bare Hono and the others as their users run them (serve); the project as the service runs:
// the same instrumentation (runtime/app-entry.ts) on the same server (runtime/server.ts).
// project-metrics-only: the access line filtered out by level.
const server = variant.startsWith('project')
  ? (await startServer(instrumentProject(app), { port: 0, host: '127.0.0.1' })).server
  : await new Promise<ReturnType<typeof serve>>((resolve) => {
      const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
    });
process.stderr.write(`PORT=${(server.address() as AddressInfo).port}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));

function instrumentProject(hono: Hono<AppEnv>) {
  const level = variant === 'project-metrics-only' ? 'error' : 'info';
  const log = new Logger({ level, callSite: variant !== 'project-no-call-site' });
  const metrics = createMetrics({ version: 'bench', exemplars: false, maxSeries: 2000 });
  return instrumentApp(hono, { log, metrics, routes: new Set(['/hello']), maxBodyBytes: 64 * 1024 });
}
