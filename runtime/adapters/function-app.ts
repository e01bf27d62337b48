import { loadConfig } from '../../lib/config.ts';
import { createDatabase, ensureIndexes } from '../../lib/db.ts';
import { systemClock } from '../../lib/function.ts';
import { KeyedLock } from '../../lib/keyed-lock.ts';
import type { Logger } from '../../lib/logging/logger.ts';
import { createServiceLogger } from '../../lib/logging/service-logger.ts';
import { createApp, type AppOptions, type ObservedApp } from '../app.ts';

/**
 * The app as a function platform runs it, built once per sandbox (or isolate) from the same
 * environment variables as the service (MONGODB_URI, API_TOKENS, LOG_LEVEL, ...) and reused
 * by every invocation that sandbox serves, its database client and connections included.
 * No scheduler, no sync lease and no /metrics here: those stay with the Node service
 * (docs/adapters.md); POST /sync answers 503.
 */
export interface FunctionApp {
  app: ObservedApp;
  log: Logger;
}

export function createFunctionApp(options: Pick<AppOptions, 'peerAddress'> = {}, env: NodeJS.ProcessEnv = process.env): FunctionApp {
  const config = loadConfig(env);
  const log = createServiceLogger(config);
  const db = createDatabase({ uri: config.MONGODB_URI, dbName: config.MONGODB_DB, timeoutMs: config.DB_TIMEOUT_MS });
  // Not awaited: a cold start should not wait on it, and an unreachable database is answered 503 anyway.
  ensureIndexes(db).catch((error: unknown) => log.warn('creating indexes failed', { err: error as Error }));
  const app = createApp({ deps: { config, db, clock: systemClock, locks: new KeyedLock() }, log, ...options });
  return { app, log };
}
