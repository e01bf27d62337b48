import { hostname } from 'node:os';
import type { Config } from '../config.ts';
import { systemClock, type Clock } from '../clock.ts';
import { createGitHubClient, type GitHubClient, type GitHubClientHooks, type GitHubClientOptions } from '../github/client.ts';
import type { Logger } from '../logging/logger.ts';
import { CheckMemory } from './check-memory.ts';
import { SyncRuns } from './runs.ts';
import type { RunProgress } from './run-store.ts';
import type { RecordResult, SyncSummary } from './summary.ts';
import type { WriteMode } from './writer.ts';

/**
 * What the sync handler needs besides the database, clock and logger every handler gets.
 * Create it once per process and keep it: the GitHub client's rate-limit budget, its pacing
 * and the check memory carry over from one run to the next, which is what keeps a process
 * inside the upstream's limit however often it runs the sync.
 */
export interface SyncObserver {
  leaseHeld(held: boolean): void;
  runFinished(summary: SyncSummary): void;
  /** One repository visited, as it happens (sync_records_total). */
  recordVisited?(result: RecordResult): void;
  /** The running run's progress; null when it ended. */
  progress?(progress: RunProgress | null): void;
  /** Upstream request metrics. */
  clientHooks?: GitHubClientHooks;
}

export interface SyncOptions {
  /** Record writes per bulkWrite (SYNC_BATCH_SIZE). */
  batchSize: number;
  /** Repositories read per query while choosing what to refresh. */
  pageSize: number;
  /** The lease's time to live; it is renewed every third of it while the run goes on. */
  leaseTtlMs: number;
  writeMode: WriteMode;
}

export const DEFAULT_SYNC_OPTIONS: Omit<SyncOptions, 'batchSize'> = { pageSize: 500, leaseTtlMs: 60_000, writeMode: 'batched' };

export interface SyncDeps {
  github: GitHubClient;
  checks: CheckMemory;
  runs: SyncRuns;
  observer: SyncObserver;
  /** Host and process id, the first part of every lease owner this process writes. */
  processId: string;
  options: SyncOptions;
}

export interface CreateSyncDepsOptions {
  log: Logger;
  clock?: Clock;
  observer?: SyncObserver;
  /** Overrides for the client (tests: a virtual sleep, a shared budget, pacing off). */
  client?: Partial<GitHubClientOptions>;
  options?: Partial<SyncOptions>;
}

const quietObserver: SyncObserver = { leaseHeld: () => {}, runFinished: () => {} };

export function createSyncDeps(config: Config, options: CreateSyncDepsOptions): SyncDeps {
  const clock = options.clock ?? systemClock;
  const observer = options.observer ?? quietObserver;
  const runs = new SyncRuns();
  const logFor = () => runs.currentLog ?? options.log;
  const metricsHooks = observer.clientHooks ?? {};
  const hooks: GitHubClientHooks = {
    onResponse: (event) => metricsHooks.onResponse?.(event),
    onRequestError: (event) => metricsHooks.onRequestError?.(event),
    onRetry(event) {
      metricsHooks.onRetry?.(event);
      // One line per failed attempt that will be retried; the final failure is logged by the run.
      logFor().warn('upstream request failed; retrying', {
        repo: `${event.owner}/${event.name}`,
        attempt: event.attempt,
        reason: event.reason,
        status: event.status,
        retry: true,
        wait_ms: event.waitMs,
      });
    },
  };
  const github = createGitHubClient({
    baseUrl: config.UPSTREAM_URL,
    token: config.GITHUB_TOKEN,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    now: () => clock.now().getTime(),
    ...options.client,
    hooks,
  });
  return {
    github,
    checks: new CheckMemory(),
    runs,
    observer,
    processId: `${hostname()}:${process.pid}`,
    options: { ...DEFAULT_SYNC_OPTIONS, batchSize: config.SYNC_BATCH_SIZE, ...options.options },
  };
}
