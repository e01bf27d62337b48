import syncFunction from '../functions/sync.ts';
import { ConfigError, loadConfig, redactUri } from '../lib/config.ts';
import { createDatabase, ensureIndexes, type Database } from '../lib/db.ts';
import { systemClock } from '../lib/function.ts';
import { KeyedLock } from '../lib/keyed-lock.ts';
import { Logger } from '../lib/logging/logger.ts';
import { readBuildInfo } from '../lib/metrics/build-info.ts';
import { registerCacheMetrics } from '../lib/metrics/cache-metrics.ts';
import { registerDatabaseMetrics } from '../lib/metrics/database-metrics.ts';
import { createMetrics } from '../lib/metrics/registry.ts';
import { registerSyncMetrics } from '../lib/metrics/sync-metrics.ts';
import { createSyncDeps } from '../lib/sync/deps.ts';
import { createApp } from './app.ts';
import { createMetricsApp } from './metrics-app.ts';
import type { SharedDeps } from './mount.ts';
import { startScheduler } from './scheduler.ts';
import { startServer } from './server.ts';

/**
 * The service's entry point: validate configuration, connect, then by ROLE serve the HTTP
 * API (api), run the sync on its schedule (scheduler: no API, only /metrics and /healthz on
 * METRICS_PORT), or both (all); shut down gracefully on SIGTERM/SIGINT (stop accepting and
 * scheduling, let in-flight requests and a running sync finish within SHUTDOWN_GRACE_MS,
 * release the sync lease, close the database, exit 0).
 */
function readConfig() {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

const config = readConfig();
const log = new Logger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
const { version, instance } = readBuildInfo();

process.on('uncaughtException', (error) => {
  log.error('uncaught exception; exiting', { err: error, stack: error.stack });
  process.exit(1);
});
process.on('unhandledRejection', (reason) => {
  log.error('unhandled promise rejection; exiting', { err: reason instanceof Error ? reason : String(reason) });
  process.exit(1);
});

const db = createDatabase({ uri: config.MONGODB_URI, dbName: config.MONGODB_DB, timeoutMs: config.DB_TIMEOUT_MS });
void prepareDatabase(db);

const metrics = createMetrics({ version, instance, exemplars: config.METRICS_EXEMPLARS, maxSeries: config.METRICS_MAX_SERIES });
registerDatabaseMetrics(metrics.registry, db);
registerCacheMetrics(metrics.registry, { db, staleAfterMs: config.STALE_AFTER, clock: systemClock });
// One client, budget and check memory for the process's life: pacing carries over between runs.
const sync = createSyncDeps(config, { log, clock: systemClock, observer: registerSyncMetrics(metrics.registry) });
const deps: SharedDeps = { config, db, clock: systemClock, locks: new KeyedLock(), sync };
const servesApi = config.ROLE !== 'scheduler';
const metricsOnOwnPort = config.METRICS_PORT !== undefined;

const server = servesApi
  ? await startServer(createApp({ deps, log, metrics, metricsOnOwnPort }), { port: config.PORT, host: config.HOST })
  : undefined;
const metricsServer = metricsOnOwnPort
  ? await startServer(createMetricsApp(metrics), { port: config.METRICS_PORT!, host: config.HOST })
  : undefined;
log.info('listening', {
  role: config.ROLE,
  port: server?.port,
  metrics_port: metricsServer?.port ?? server?.port,
  host: config.HOST,
  version,
  mongodb: redactUri(config.MONGODB_URI),
  db: config.MONGODB_DB,
  upstream: config.UPSTREAM_URL,
  upstream_authenticated: config.GITHUB_TOKEN !== undefined, // whether, never what: a key with "token" would be masked anyway
});

const scheduledSync = { ...sync, trigger: 'schedule' };
const scheduler =
  config.ROLE === 'api'
    ? undefined
    : startScheduler({
        schedule: config.SYNC_SCHEDULE,
        deadlineMs: config.SYNC_DEADLINE,
        log,
        run: () => syncFunction.handler({ params: {}, query: {}, headers: {}, body: undefined } as never, { ...deps, log, sync: scheduledSync }),
      });

const HARD_EXIT_AFTER_GRACE_MS = 5_000;
let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info('shutting down', { signal, grace_ms: config.SHUTDOWN_GRACE_MS });
  // Should closing ever stall (a connection or the database client that never finishes),
  // leave anyway, saying so, rather than wait for the orchestrator's SIGKILL.
  setTimeout(() => {
    log.error('shutdown did not finish in time; exiting', { signal, waited_ms: config.SHUTDOWN_GRACE_MS + HARD_EXIT_AFTER_GRACE_MS });
    process.exit(1);
  }, config.SHUTDOWN_GRACE_MS + HARD_EXIT_AFTER_GRACE_MS).unref();
  scheduler?.stop();
  const [aborted] = await Promise.all([sync.runs.drain(config.SHUTDOWN_GRACE_MS), server?.close(config.SHUTDOWN_GRACE_MS)]);
  if (aborted > 0) log.warn('sync runs still going after the grace period were aborted', { aborted });
  await metricsServer?.close(0);
  await db.close().catch((error: unknown) => log.warn('closing the database failed', { err: error as Error }));
  log.info('stopped', { signal });
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

/** Creates indexes, retrying while the database is unreachable; the API answers 503 meanwhile. */
async function prepareDatabase(database: Database) {
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureIndexes(database);
      log.info('database ready', { attempt });
      return;
    } catch (error) {
      const waitMs = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
      log.warn('database not ready; retrying', { attempt, wait_ms: waitMs, err: error as Error });
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      if (stopping) return;
    }
  }
}
