import type { AnyServiceFunction } from '../../lib/function.ts';
import { ensureIndexes } from '../../lib/db.ts';
import { Logger } from '../../lib/logging/logger.ts';
import { loadConfig } from '../../lib/config.ts';
import type { MetricsOptions } from '../../lib/metrics/registry.ts';
import { createService } from '../../runtime/service.ts';
import { startServer } from '../../runtime/server.ts';
import { mongodbUri, uniqueDbName } from './database.ts';
import { TEST_TOKEN } from './service.ts';

/**
 * The real app and middleware on a real loopback HTTP server inside the test process, for
 * tests that mount handlers of their own (one that throws, one that streams, a slow one).
 */
export async function startInProcess(functions: AnyServiceFunction[], metricsOptions: Partial<MetricsOptions> = {}) {
  const lines: string[] = [];
  const log = new Logger({ level: 'debug', write: (line) => lines.push(line) });
  const config = loadConfig({ MONGODB_URI: mongodbUri(), MONGODB_DB: uniqueDbName('inproc'), DB_TIMEOUT_MS: '5000', API_TOKENS: `test:${TEST_TOKEN}` });
  const service = createService(config, {
    log,
    functions,
    version: 'test',
    metrics: { exemplars: true, maxSeries: 2000, runtime: false, ...metricsOptions },
  });
  await ensureIndexes(service.db);
  const server = await startServer(service.app, { port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${server.port}`,
    metrics: service.metrics,
    lines,
    async stop() {
      await server.close(0);
      await service.close();
    },
  };
}
