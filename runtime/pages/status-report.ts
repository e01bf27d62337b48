import { Cron } from 'croner';
import { cacheAges } from '../../lib/repos/freshness.ts';
import { presentRepo, viewOf } from '../../lib/repos/present.ts';
import type { RepoResponse } from '../../lib/repos/schemas.ts';
import { leaseHolder } from '../../lib/sync/lease.ts';
import { locksCollection, SYNC_LEASE } from '../../lib/sync/run.ts';
import type { SharedDeps } from '../mount.ts';

/**
 * What the status page shows, gathered in one go from the database and the configuration:
 * the tracked repositories and how fresh they are, and the sync's state. The JSON index at
 * GET / is this report without the repository list (that is GET /repos).
 */
export const MAX_LISTED = 100;

export interface RateLimitState {
  limit: number;
  remaining: number;
  resetAt: string;
}

export interface SyncState {
  /** SYNC_SCHEDULE, and the next time it fires (every scheduler process shares the schedule). */
  schedule: string;
  nextRunAt: string | null;
  /** When the run holding the sync lease started; null when none runs. */
  runningSince: string | null;
  /** The most recent time any repository was confirmed against GitHub. */
  lastRefreshAt: string | null;
  /** The upstream's rate limit as last reported; null before any answer. */
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

export async function statusReport(deps: SharedDeps): Promise<StatusReport> {
  const { db, config } = deps;
  const view = viewOf(deps);
  const listRepos = !config.READS_REQUIRE_TOKEN;
  const [tracked, ages, listed, lastRefreshed, holder] = await Promise.all([
    db.repos.countDocuments({}),
    cacheAges(db.repos, {}, view),
    listRepos ? db.repos.find({}).sort({ _id: 1 }).limit(MAX_LISTED).toArray() : null,
    db.repos.find({ 'sync.lastSyncedAt': { $ne: null } }, { projection: { sync: 1 } }).sort({ 'sync.lastSyncedAt': -1 }).limit(1).next(),
    leaseHolder(locksCollection(db), SYNC_LEASE, view.now),
  ]);
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
      runningSince: holder ? holder.acquiredAt.toISOString() : null,
      lastRefreshAt: lastRefreshed?.sync.lastSyncedAt?.toISOString() ?? null,
      rateLimit: budgetOf(deps, view.now),
    },
  };
}

/** When the schedule fires next after `now`, as the scheduler's croner job computes it. */
function nextRun(schedule: string, now: Date): Date | null {
  const cron = new Cron(schedule, { mode: '5-or-6-parts', paused: true });
  return cron.nextRun(now);
}

/** The budget this process's sync client knows, once an upstream answer has confirmed it. */
function budgetOf(deps: SharedDeps, now: Date): RateLimitState | null {
  const state = deps.services.sync.deps.github.budget.state(now.getTime());
  if (!state.confirmed) return null;
  return { limit: state.limit, remaining: state.remaining, resetAt: new Date(state.resetAt).toISOString() };
}
