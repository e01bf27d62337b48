import type { Logger } from '../logging/logger.ts';
import type { SyncDeps } from './deps.ts';
import { runSync, type RunSyncDeps } from './run.ts';
import type { SyncSummary } from './summary.ts';

/**
 * The sync as a task of its own, apart from HTTP: the scheduler (runtime/scheduler.ts) and
 * `npm run invoke -- sync` call it directly, and functions/sync.ts triggers it over HTTP.
 * One per process, built by the composition root (runtime/service.ts) around the process's
 * SyncDeps, so every run shares one rate-limit budget.
 */
export type SyncTrigger = 'schedule' | 'http' | 'invoke' | 'bench';

export interface SyncTaskDeps extends Omit<RunSyncDeps, 'sync'> {
  sync: SyncDeps;
}

export interface RunOptions {
  /** The logger of whoever asked (a request's, with its request_id); the task's own otherwise. */
  log?: Logger;
}

export interface SyncTask {
  /** The process's client, budget and check memory. */
  readonly deps: SyncDeps;
  /** One run now, to its end. */
  run(trigger: SyncTrigger, options?: RunOptions): Promise<SyncSummary>;
  /** Shutdown: refuses new runs, lets those going finish within `graceMs`, aborts the rest; resolves with how many it aborted. */
  drain(graceMs: number): Promise<number>;
}

export function createSyncTask(deps: SyncTaskDeps): SyncTask {
  return {
    deps: deps.sync,
    run: (trigger, options = {}) => runSync({ ...deps, log: options.log ?? deps.log }, trigger),
    drain: (graceMs) => deps.sync.runs.drain(graceMs),
  };
}
