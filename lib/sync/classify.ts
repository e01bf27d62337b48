import type { AnyBulkWriteOperation, Filter, UpdateFilter } from 'mongodb';
import type { FetchRepoResult } from '../github/client.ts';
import type { RepoDocument, RepoStats } from '../repos/model.ts';
import type { RecordResult, StopReason } from './summary.ts';

/**
 * What one upstream answer means for one stored repository: its result, the write it needs
 * (if any), and whether the run must stop.
 *
 *   200, new content      updated: stats, spelling, status ok, ETag, lastSyncedAt; version+1
 *   200, same content     unchanged: only the new ETag and lastSyncedAt (so the next check is a
 *                         304); no write at all when even the ETag is the same
 *   304                   not_modified: no write (see "check marker" below); a record that
 *                         was flagged gone is back: status ok, version+1
 *   404/410/451           gone: status gone, stats kept, version+1; no write if already gone
 *   network/5xx/timeout   failed, nothing written, and the run stops: the upstream is down
 *   unreachable           failed, nothing written, the run stops at once: the host does not
 *                         resolve or refuses connections, which no retry within the run fixes
 *   403/429 after retries failed, nothing written, the run stops: rate limited
 *   other failures        failed, nothing written, the run goes on
 *   budget exhausted      nothing sent, nothing counted; the run stops and leaves the rest
 *
 * Check marker: a confirmation with nothing new writes nothing while the stored
 * lastSyncedAt is younger than `markerIntervalMs` (a quarter of STALE_AFTER), so a second
 * pass over unchanged data costs zero writes; past that age it writes lastSyncedAt alone,
 * so the API's age never lags the truth by more than that interval.
 *
 * Every write is keyed by _id and idempotent: content writes set `version` to the value
 * read plus one and only match that version, so a replay (or a PATCH in between) matches
 * nothing instead of counting twice; and no write matches a record a newer run (higher
 * fencing token) already wrote.
 */
export type RepoWrite = AnyBulkWriteOperation<RepoDocument>;

export interface Classified {
  /** null: no request was answered (budget, abort); the record is not counted. */
  result: RecordResult | null;
  write: RepoWrite | null;
  /** Confirmed unchanged without a write: remember it in CheckMemory. */
  confirmed: boolean;
  stop: StopReason | null;
}

export interface ClassifyContext {
  now: Date;
  /** The run's fencing token. */
  token: number;
  markerIntervalMs: number;
}

export function classify(doc: RepoDocument, answer: FetchRepoResult, context: ClassifyContext): Classified {
  switch (answer.kind) {
    case 'ok': {
      const owner = sameRepo(doc, answer.owner, answer.name) ? answer.owner : doc.owner;
      const name = sameRepo(doc, answer.owner, answer.name) ? answer.name : doc.name;
      const changed = doc.sync.status !== 'ok' || owner !== doc.owner || name !== doc.name || !sameStats(doc.stats, answer.stats);
      if (changed) {
        return {
          result: 'updated',
          write: contentWrite(doc, context, {
            stats: answer.stats,
            starsSort: answer.stats.stars,
            owner,
            name,
            'sync.status': 'ok',
            'sync.etag': answer.etag,
          }),
          confirmed: false,
          stop: null,
        };
      }
      if (answer.etag !== doc.sync.etag) {
        return { result: 'unchanged', write: syncWrite(doc, context, { 'sync.etag': answer.etag }), confirmed: false, stop: null };
      }
      return confirmation('unchanged', doc, context);
    }
    case 'not_modified':
      if (doc.sync.status !== 'ok') {
        return { result: 'not_modified', write: contentWrite(doc, context, { 'sync.status': 'ok' }), confirmed: false, stop: null };
      }
      return confirmation('not_modified', doc, context);
    case 'gone':
      if (doc.sync.status !== 'gone') {
        return { result: 'gone', write: contentWrite(doc, context, { 'sync.status': 'gone' }), confirmed: false, stop: null };
      }
      return confirmation('gone', doc, context);
    case 'failed':
      switch (answer.reason) {
        case 'budget_exhausted':
          return { result: null, write: null, confirmed: false, stop: 'budget' };
        case 'aborted':
          return { result: null, write: null, confirmed: false, stop: 'aborted' };
        case 'network':
        case 'server_error':
        case 'timeout':
          return { result: 'failed', write: null, confirmed: false, stop: 'upstream_down' };
        case 'rate_limited':
          return { result: 'failed', write: null, confirmed: false, stop: 'rate_limited' };
        case 'unreachable':
          return { result: 'failed', write: null, confirmed: false, stop: 'upstream_unreachable' };
        case 'invalid_response':
        case 'http_error':
          return { result: 'failed', write: null, confirmed: false, stop: null };
      }
  }
}

/** Nothing new upstream: write the check marker only when the stored one is getting old. */
function confirmation(result: RecordResult, doc: RepoDocument, context: ClassifyContext): Classified {
  const stored = doc.sync.lastSyncedAt;
  if (stored !== null && context.now.getTime() - stored.getTime() < context.markerIntervalMs) {
    return { result, write: null, confirmed: true, stop: null };
  }
  return { result, write: syncWrite(doc, context, {}), confirmed: false, stop: null };
}

/** A write the API sees (stats, status, spelling): new version and updatedAt, only over the version read. */
function contentWrite(doc: RepoDocument, context: ClassifyContext, fields: Record<string, unknown>): RepoWrite {
  return update({ _id: doc._id, version: doc.version, ...fenced(context) }, {
    $set: {
      ...fields,
      'sync.lastSyncedAt': context.now,
      'sync.fence': context.token,
      version: doc.version + 1,
      updatedAt: context.now,
    },
  });
}

/** Bookkeeping only (lastSyncedAt, ETag): the version and updatedAt stay. */
function syncWrite(doc: RepoDocument, context: ClassifyContext, fields: Record<string, unknown>): RepoWrite {
  return update({ _id: doc._id, ...fenced(context) }, { $set: { ...fields, 'sync.lastSyncedAt': context.now, 'sync.fence': context.token } });
}

/** Matches only records no newer run (higher token) has written. */
const fenced = (context: ClassifyContext) => ({ 'sync.fence': { $not: { $gt: context.token } } });

const update = (filter: Record<string, unknown>, change: Record<string, unknown>): RepoWrite => ({
  updateOne: { filter: filter as Filter<RepoDocument>, update: change as UpdateFilter<RepoDocument> },
});

/** GitHub's spelling is adopted when it names the same repository (a case change); a rename keeps ours. */
const sameRepo = (doc: RepoDocument, owner: string, name: string) => `${owner}/${name}`.toLowerCase() === doc._id;

export function sameStats(a: RepoStats | null, b: RepoStats): boolean {
  if (a === null) return false;
  return (
    a.stars === b.stars &&
    a.forks === b.forks &&
    a.openIssues === b.openIssues &&
    a.watchers === b.watchers &&
    a.language === b.language &&
    a.description === b.description &&
    a.defaultBranch === b.defaultBranch &&
    a.archived === b.archived &&
    (a.pushedAt?.getTime() ?? null) === (b.pushedAt?.getTime() ?? null) &&
    a.htmlUrl === b.htmlUrl
  );
}
