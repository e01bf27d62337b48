import { systemClock, type Clock } from '../lib/clock.ts';
import type { Config } from '../lib/config.ts';
import { createDatabase, ensureIndexes, type Database } from '../lib/db.ts';
import type { AnyServiceFunction, ProcessServices } from '../lib/function.ts';
import { KeyedLock } from '../lib/keyed-lock.ts';
import type { Logger } from '../lib/logging/logger.ts';
import { createServiceLogger } from '../lib/logging/service-logger.ts';
import { readBuildInfo } from '../lib/metrics/build-info.ts';
import { registerCacheMetrics } from '../lib/metrics/cache-metrics.ts';
import { registerDatabaseMetrics } from '../lib/metrics/database-metrics.ts';
import { createMetrics, type Metrics, type MetricsOptions } from '../lib/metrics/registry.ts';
import { registerSyncHistoryMetrics } from '../lib/metrics/sync-history-metrics.ts';
import { registerSyncMetrics } from '../lib/metrics/sync-metrics.ts';
import { createSyncDeps, type CreateSyncDepsOptions } from '../lib/sync/deps.ts';
import { createSyncTask, type SyncTask } from '../lib/sync/task.ts';
import { createApp, type AppOptions, type ObservedApp } from './app.ts';
import { startScheduler, type Scheduler } from './scheduler.ts';

/**
 * The composition root: the one place that builds the service's parts, each once, from the
 * configuration: database, logger, clock, metrics, the sync (its GitHub client, budget and
 * task) and the HTTP app. main.ts, `npm run invoke`, the test helpers and the benchmarks
 * all start here and override only what they must (a simulated clock, a log sink, the
 * handlers to mount, the sync client's sleep).
 */
export interface ServiceOverrides {
  /** Where log lines go, and how; by default standard output in LOG_FORMAT at LOG_LEVEL. */
  log?: Logger;
  clock?: Clock;
  /** Metrics settings on top of the configuration's (tests: no runtime metrics, a series cap). */
  metrics?: Partial<MetricsOptions>;
  /** The sync client's and runs' settings (tests: a simulated sleep, a shared budget, pacing off). */
  sync?: Pick<CreateSyncDepsOptions, 'client' | 'options'>;
  /** Which handlers the app mounts; all of them by default. */
  functions?: AnyServiceFunction[];
  /** app_build_info's version; APP_VERSION (the image's VERSION build argument), else package.json's, by default. */
  version?: string;
  /** Where the app does not run on the Node server: how it finds the client's address (runtime/adapters/). */
  peerAddress?: AppOptions['peerAddress'];
}

export interface Service {
  config: Config;
  /** What app_build_info reports. */
  version: string;
  db: Database;
  log: Logger;
  clock: Clock;
  metrics: Metrics;
  /** The sync as a task: what the scheduler, invoke and POST /sync start. */
  sync: SyncTask;
  services: ProcessServices;
  /** The HTTP API; /metrics is served here too unless METRICS_PORT is set. */
  app: ObservedApp;
  /** Creates the missing indexes, retrying while the database is unreachable (the API answers 503 meanwhile). */
  prepareDatabase(): Promise<void>;
  /** Runs the sync on SYNC_SCHEDULE until the service closes. */
  startScheduler(): Scheduler;
  /** Stops the scheduler and refuses new runs; a running sync may finish within `graceMs`, then it is aborted. */
  stopSync(graceMs: number): Promise<void>;
  /** Stops the sync (at once, if stopSync has not) and closes the database. */
  close(): Promise<void>;
}

export function createService(config: Config, overrides: ServiceOverrides = {}): Service {
  // The image's VERSION build argument and the task's SERVICE_INSTANCE (lib/metrics/build-info.ts).
  const build = readBuildInfo();
  const log = overrides.log ?? createServiceLogger(config, build.instance);
  const clock = overrides.clock ?? systemClock;
  const db = createDatabase({
    uri: config.MONGODB_URI,
    dbName: config.MONGODB_DB,
    timeoutMs: config.DB_TIMEOUT_MS,
    monitorCommands: config.MONGODB_COMMAND_METRICS,
  });

  const version = overrides.version ?? build.version;
  const metrics = createMetrics({
    version,
    instance: build.instance,
    exemplars: config.METRICS_EXEMPLARS,
    maxSeries: config.METRICS_MAX_SERIES,
    ...overrides.metrics,
  });
  registerDatabaseMetrics(metrics.registry, db);
  registerCacheMetrics(metrics.registry, { db, staleAfterMs: config.STALE_AFTER, clock });
  registerSyncHistoryMetrics(metrics.registry, db);

  // One client, budget and check memory for the process's life: pacing carries over between runs.
  const syncDeps = createSyncDeps(config, { log, clock, observer: registerSyncMetrics(metrics.registry), ...overrides.sync });
  const sync = createSyncTask({ config, db, clock, log, sync: syncDeps });
  const services: ProcessServices = { locks: new KeyedLock(), sync };
  const app = createApp({
    deps: { config, db, clock, services },
    log,
    metrics,
    metricsOnOwnPort: config.METRICS_PORT !== undefined,
    functions: overrides.functions,
    peerAddress: overrides.peerAddress,
  });

  let closing = false;
  let scheduler: Scheduler | undefined;
  return {
    config,
    version,
    db,
    log,
    clock,
    metrics,
    sync,
    services,
    app,
    async prepareDatabase() {
      for (let attempt = 1; !closing; attempt++) {
        try {
          // Explicitly: after a first connection that failed, the driver's client stays
          // closed ("Topology is closed") until connect() is called again.
          await db.client.connect();
          await ensureIndexes(db);
          log.info('database ready', { attempt });
          return;
        } catch (error) {
          const waitMs = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
          log.warn('database not ready; retrying', { attempt, wait_ms: waitMs, err: error as Error });
          await new Promise((resolve) => setTimeout(resolve, waitMs));
        }
      }
    },
    startScheduler() {
      scheduler ??= startScheduler({ schedule: config.SYNC_SCHEDULE, deadlineMs: config.SYNC_DEADLINE, log, run: () => sync.run('schedule') });
      const { nextRun } = scheduler;
      sync.setNextRun(() => nextRun());
      return scheduler;
    },
    async stopSync(graceMs) {
      closing = true;
      scheduler?.stop();
      const aborted = await sync.drain(graceMs);
      if (aborted > 0) log.warn('sync runs still going after the grace period were aborted', { aborted });
    },
    async close() {
      await this.stopSync(0);
      await db.close().catch((error: unknown) => log.warn('closing the database failed', { err: error as Error }));
    },
  };
}
