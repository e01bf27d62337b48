import { freshnessOf, type FreshnessView } from './freshness.ts';
import type { RepoDocument } from './model.ts';
import type { RepoResponse } from './schemas.ts';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export type { FreshnessView };

/**
 * The API's view of a stored repository: no internal keys, dates as ISO strings, and how
 * fresh it is at `view.now` (stale past `view.staleAfterMs`), so a client never mistakes old
 * cached stats for current ones.
 */
export function presentRepo(doc: RepoDocument, view: FreshnessView): RepoResponse {
  return {
    owner: doc.owner,
    name: doc.name,
    fullName: `${doc.owner}/${doc.name}`,
    tags: doc.tags,
    notes: doc.notes,
    stats: doc.stats ? { ...doc.stats, pushedAt: iso(doc.stats.pushedAt) } : null,
    sync: { status: doc.sync.status, lastSyncedAt: iso(doc.sync.lastSyncedAt), ...freshnessOf(doc, view) },
    version: doc.version,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}

/** The freshness view a handler has: its clock and the configured STALE_AFTER. */
export const viewOf = (deps: { clock: { now(): Date }; config: { STALE_AFTER: number } }): FreshnessView => ({
  now: deps.clock.now(),
  staleAfterMs: deps.config.STALE_AFTER,
});
