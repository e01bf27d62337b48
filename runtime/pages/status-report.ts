import { Cron } from 'croner';
import { cacheAges } from '../../lib/repos/freshness.ts';
import { presentRepo, viewOf } from '../../lib/repos/present.ts';
import type { RepoResponse } from '../../lib/repos/schemas.ts';
import { leaseHolder } from '../../lib/sync/lease.ts';
import { runHref } from '../../lib/sync/run-resource.ts';
import { isFinal, latestRuns, type RunProgress, type RunState, type SyncRunDocument } from '../../lib/sync/run-store.ts';
import { locksCollection, runIdOfOwner, SYNC_LEASE } from '../../lib/sync/task.ts';
import type { SharedDeps } from '../mount.ts';

/**
 * What the status page shows, gathered in one go from the database and the configuration:
 * the tracked repositories and how fresh they are, and the sync's state from the lease and
 * the run history that every replica shares. The JSON index at GET / is this report without
 * the repository list (that is GET /repos).
 */
export const MAX_LISTED = 100;

export interface RateLimitState {
  limit: number;
  remaining: number;
  resetAt: string;
  /** When a sync run reported it (the end of the run). */
  reportedAt: string;
}

export interface RunningRun {
  id: string;
  href: string;
  startedAt: string;
  /** Repositories visited so far, of `due`. */
  done: number;
  due: number | null;
  expectedFinishAt: string | null;
}

export interface FinishedRun {
  id: string;
  href: string;
  state: Extract<RunState, 'succeeded' | 'partial' | 'failed'>;
  trigger: string;
  finishedAt: string;
  durationMs: number;
  refreshed: number;
  failed: number;
  requestsSpent: number;
  stoppedBy: string;
}

export interface SyncState {
  /** SYNC_SCHEDULE, and the next time it fires (every scheduler process shares the schedule). */
  schedule: string;
  nextRunAt: string | null;
  /** The run holding the sync lease, whichever process runs it; null when none runs. */
  running: RunningRun | null;
  /** The newest run that finished, other than one skipped because another held the lease. */
  lastRun: FinishedRun | null;
  /** The most recent time any repository was confirmed against GitHub. */
  lastRefreshAt: string | null;
  /** The upstream's rate limit as the newest run that saw it reported; null before any answer. */
  rateLimit: RateLimitState | null;
}

export interface StatusReport {
  generatedAt: string;
  repositories: {
    tracked: number;
    stale: number;
    /** Seconds since the least recently synced repository was synced; null when none is tracked. */
    oldestSyncAgeSeconds: number | null;
    staleAfterSeconds: number;
    /** The first MAX_LISTED by name; null when reads need a token (READS_REQUIRE_TOKEN). */
    listed: RepoResponse[] | null;
  };
  sync: SyncState;
}

/** Recent runs read to find the last finished one and the last rate limit seen. */
const RECENT_RUNS = 20;

export async function statusReport(deps: SharedDeps): Promise<StatusReport> {
  const { db, config } = deps;
  const view = viewOf(deps);
  const listRepos = !config.READS_REQUIRE_TOKEN;
  const [tracked, ages, listed, lastRefreshed, holder, runs] = await Promise.all([
    db.repos.countDocuments({}),
    cacheAges(db.repos, {}, view),
    listRepos ? db.repos.find({}).sort({ _id: 1 }).limit(MAX_LISTED).toArray() : null,
    db.repos.find({ 'sync.lastSyncedAt': { $ne: null } }, { projection: { sync: 1 } }).sort({ 'sync.lastSyncedAt': -1 }).limit(1).next(),
    leaseHolder(locksCollection(db), SYNC_LEASE, view.now),
    latestRuns(db, RECENT_RUNS),
  ]);
  const runningId = holder ? runIdOfOwner(holder.owner) : null;
  const running = runs.find((run) => run._id === runningId && run.state === 'running');
  return {
    generatedAt: view.now.toISOString(),
    repositories: {
      tracked,
      stale: ages.staleCount,
      oldestSyncAgeSeconds: ages.oldestAgeSeconds,
      staleAfterSeconds: Math.round(config.STALE_AFTER / 1000),
      listed: listed && listed.map((doc) => presentRepo(doc, view)),
    },
    sync: {
      schedule: config.SYNC_SCHEDULE,
      nextRunAt: nextRun(config.SYNC_SCHEDULE, view.now)?.toISOString() ?? null,
      running: running ? runningRun(running, deps.services.sync.liveProgress(running._id) ?? running.progress) : null,
      lastRun: lastFinished(runs),
      lastRefreshAt: lastRefreshed?.sync.lastSyncedAt?.toISOString() ?? null,
      rateLimit: lastRateLimit(runs),
    },
  };
}

/** When the schedule fires next after `now`, as the scheduler's croner job computes it. */
function nextRun(schedule: string, now: Date): Date | null {
  const cron = new Cron(schedule, { mode: '5-or-6-parts', paused: true });
  return cron.nextRun(now);
}

function runningRun(run: SyncRunDocument, progress: RunProgress | null): RunningRun {
  return {
    id: run._id,
    href: runHref(run._id),
    startedAt: (run.startedAt ?? run.queuedAt).toISOString(),
    done: progress?.done ?? 0,
    due: progress?.due ?? null,
    expectedFinishAt: progress?.expectedFinishAt?.toISOString() ?? null,
  };
}

function lastFinished(runs: SyncRunDocument[]): FinishedRun | null {
  const run = runs.find((candidate) => isFinal(candidate.state) && candidate.state !== 'skipped' && candidate.summary && candidate.finishedAt);
  if (!run?.summary || !run.finishedAt) return null;
  const { counts } = run.summary;
  return {
    id: run._id,
    href: runHref(run._id),
    state: run.state as FinishedRun['state'],
    trigger: run.trigger,
    finishedAt: run.finishedAt.toISOString(),
    durationMs: run.summary.durationMs,
    refreshed: counts.updated + counts.unchanged + counts.not_modified + counts.gone,
    failed: counts.failed,
    requestsSpent: run.summary.requestsSpent,
    stoppedBy: run.summary.stoppedBy,
  };
}

function lastRateLimit(runs: SyncRunDocument[]): RateLimitState | null {
  const run = runs.find((candidate) => candidate.summary?.rateLimit && candidate.finishedAt);
  const limit = run?.summary?.rateLimit;
  if (!run?.finishedAt || !limit) return null;
  return { limit: limit.limit, remaining: limit.remaining, resetAt: limit.reset, reportedAt: run.finishedAt.toISOString() };
}
