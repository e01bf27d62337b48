import type { Collection, Filter } from 'mongodb';
import type { RepoDocument } from './model.ts';

/**
 * How fresh the cached data is, so the API serves it honestly: a record is stale when it was
 * never synced or not confirmed against GitHub for STALE_AFTER. The same definitions feed the
 * API (per record and per list) and the cache gauges, so both always agree.
 */
export interface FreshnessView {
  now: Date;
  staleAfterMs: number;
}

export interface Freshness {
  stale: boolean;
  /** Whole seconds since the last sync; null when never synced. */
  ageSeconds: number | null;
}

export function freshnessOf(doc: Pick<RepoDocument, 'sync'>, view: FreshnessView): Freshness {
  const synced = doc.sync.lastSyncedAt;
  if (synced === null) return { stale: true, ageSeconds: null };
  const ageMs = Math.max(0, view.now.getTime() - synced.getTime());
  return { stale: ageMs > view.staleAfterMs, ageSeconds: Math.floor(ageMs / 1000) };
}

export interface CacheAges {
  /** Matching records that are stale (never synced included). */
  staleCount: number;
  /**
   * Seconds since the least recently synced matching record was synced; a record never
   * synced counts from when it was tracked (it has waited that long). Null when none match.
   */
  oldestAgeSeconds: number | null;
}

/**
 * Three queries: a count of stale records, the longest-waiting never-synced one and the least
 * recently synced one (the older of those two is the answer: a record tracked a minute ago
 * must not hide one synced a day ago).
 */
export async function cacheAges(repos: Collection<RepoDocument>, filter: Filter<RepoDocument>, view: FreshnessView): Promise<CacheAges> {
  const threshold = new Date(view.now.getTime() - view.staleAfterMs);
  const staleFilter: Filter<RepoDocument> = { $or: [{ 'sync.lastSyncedAt': null }, { 'sync.lastSyncedAt': { $lt: threshold } }] };
  const [staleCount, neverSynced, leastRecentlySynced] = await Promise.all([
    repos.countDocuments({ $and: [filter, staleFilter] }),
    repos.find({ $and: [filter, { 'sync.lastSyncedAt': null }] }, { projection: { createdAt: 1 } }).sort({ createdAt: 1 }).limit(1).next(),
    repos
      .find({ $and: [filter, { 'sync.lastSyncedAt': { $ne: null } }] }, { projection: { sync: 1 } })
      .sort({ 'sync.lastSyncedAt': 1 })
      .limit(1)
      .next(),
  ]);
  const since = [neverSynced?.createdAt, leastRecentlySynced?.sync.lastSyncedAt].filter((date): date is Date => date instanceof Date);
  if (since.length === 0) return { staleCount, oldestAgeSeconds: null };
  const oldest = Math.min(...since.map((date) => date.getTime()));
  return { staleCount, oldestAgeSeconds: Math.max(0, Math.floor((view.now.getTime() - oldest) / 1000)) };
}
