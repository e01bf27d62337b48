/**
 * How a tracked repository is stored. `_id` is the lower-cased "owner/name", which makes
 * tracking unique case-insensitively without a second index, while `owner` and `name` keep
 * the spelling the user gave (or GitHub reported).
 */
export interface RepoStats {
  stars: number;
  forks: number;
  openIssues: number;
  watchers: number;
  language: string | null;
  description: string | null;
  defaultBranch: string;
  archived: boolean;
  pushedAt: Date | null;
  htmlUrl: string;
}

export type SyncStatus = 'pending' | 'ok' | 'gone';

export interface RepoSyncState {
  status: SyncStatus;
  /**
   * Last time GitHub's answer was stored (200) or confirmed unchanged (304). A confirmation
   * that changes nothing rewrites it only once it is a quarter of STALE_AFTER old (see
   * lib/sync/classify.ts), so it can lag the true last check by that much.
   */
  lastSyncedAt: Date | null;
  /** The upstream's ETag for a conditional request next time. */
  etag: string | null;
  /** Fencing token of the sync run that last wrote this record; older runs' writes are refused. */
  fence?: number;
}

export interface RepoDocument {
  _id: string;
  owner: string;
  name: string;
  ownerKey: string;
  tags: string[];
  notes: string | null;
  stats: RepoStats | null;
  /** stats.stars, or -1 before the first sync: a plain number keeps the stars sort and its cursor simple. */
  starsSort: number;
  sync: RepoSyncState;
  /** Increments on every change; the ETag is derived from it. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export const repoKey = (owner: string, name: string) => `${owner}/${name}`.toLowerCase();

export function newRepoDocument(
  input: { owner: string; name: string; tags?: string[] | undefined; notes?: string | null | undefined },
  now: Date,
): RepoDocument {
  return {
    _id: repoKey(input.owner, input.name),
    owner: input.owner,
    name: input.name,
    ownerKey: input.owner.toLowerCase(),
    tags: input.tags ?? [],
    notes: input.notes ?? null,
    stats: null,
    starsSort: -1,
    sync: { status: 'pending', lastSyncedAt: null, etag: null },
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
}

export const etagOf = (doc: Pick<RepoDocument, 'version'>) => `"${doc.version}"`;
