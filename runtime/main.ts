import { ConfigError, loadConfig } from '../lib/config.ts';
import { redactText } from '../lib/logging/redact.ts';
import { createMetricsApp } from './metrics-app.ts';
import { startServer } from './server.ts';
import { createService } from './service.ts';

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
const service = createService(config);
const { log, metrics } = service;

process.on('uncaughtException', (error) => {
  log.error('uncaught exception; exiting', { err: error, stack: error.stack });
  process.exit(1);
});
process.on('unhandledRejection', (reason) => {
  log.error('unhandled promise rejection; exiting', { err: reason instanceof Error ? reason : String(reason) });
  process.exit(1);
});

void service.prepareDatabase();

const servesApi = config.ROLE !== 'scheduler';
const metricsOnOwnPort = config.METRICS_PORT !== undefined;

const server = servesApi ? await startServer(service.app, { port: config.PORT, host: config.HOST }) : undefined;
const metricsServer = metricsOnOwnPort
  ? await startServer(createMetricsApp(metrics), { port: config.METRICS_PORT!, host: config.HOST })
  : undefined;
log.info('listening', {
  role: config.ROLE,
  port: server?.port,
  metrics_port: metricsServer?.port ?? server?.port,
  host: config.HOST,
  version: service.version,
  mongodb: redactText(config.MONGODB_URI),
  db: config.MONGODB_DB,
  upstream: config.UPSTREAM_URL,
  upstream_authenticated: config.GITHUB_TOKEN !== undefined, // whether, never what: a key with "token" would be masked anyway
});

if (config.ROLE !== 'api') service.startScheduler();

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
  await Promise.all([service.stopSync(config.SHUTDOWN_GRACE_MS), server?.close(config.SHUTDOWN_GRACE_MS)]);
  await metricsServer?.close(0);
  await service.close();
  log.info('stopped', { signal });
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
