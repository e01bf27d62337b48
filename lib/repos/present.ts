import type { RepoDocument } from './model.ts';
import type { RepoResponse } from './schemas.ts';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** The API's view of a stored repository: no internal keys, dates as ISO strings. */
export function presentRepo(doc: RepoDocument): RepoResponse {
  return {
    owner: doc.owner,
    name: doc.name,
    fullName: `${doc.owner}/${doc.name}`,
    tags: doc.tags,
    notes: doc.notes,
    stats: doc.stats ? { ...doc.stats, pushedAt: iso(doc.stats.pushedAt) } : null,
    sync: { status: doc.sync.status, lastSyncedAt: iso(doc.sync.lastSyncedAt) },
    version: doc.version,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}
