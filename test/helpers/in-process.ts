import type { ServiceFunction } from '../../lib/function.ts';
import { systemClock } from '../../lib/function.ts';
import { KeyedLock } from '../../lib/keyed-lock.ts';
import { Logger } from '../../lib/logging/logger.ts';
import { loadConfig } from '../../lib/config.ts';
import { createSyncDeps } from '../../lib/sync/deps.ts';
import { createMetrics, type MetricsOptions } from '../../lib/metrics/registry.ts';
import { createApp } from '../../runtime/app.ts';
import { startServer } from '../../runtime/server.ts';
import { openTestDatabase } from './database.ts';
import { TEST_TOKEN } from './service.ts';

/**
 * The real app and middleware on a real loopback HTTP server inside the test process, for
 * tests that mount handlers of their own (one that throws, one that streams, a slow one).
 */
export async function startInProcess(functions: ServiceFunction[], metricsOptions: Partial<MetricsOptions> = {}) {
  const db = await openTestDatabase('inproc');
  const lines: string[] = [];
  const log = new Logger({ level: 'debug', write: (line) => lines.push(line) });
  const config = loadConfig({ MONGODB_URI: 'mongodb://unused', API_TOKENS: `test:${TEST_TOKEN}` });
  const metrics = createMetrics({ version: 'test', exemplars: true, maxSeries: 2000, runtime: false, ...metricsOptions });
  const sync = createSyncDeps(config, { log });
  const app = createApp({ deps: { config, db, clock: systemClock, locks: new KeyedLock(), sync }, log, metrics, functions });
  const server = await startServer(app, { port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${server.port}`,
    metrics,
    lines,
    async stop() {
      await server.close(0);
      await db.close();
    },
  };
}
