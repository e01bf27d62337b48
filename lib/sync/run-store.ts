import type { Collection, Filter } from 'mongodb';
import type { Database } from '../db.ts';
import type { SyncOutcome, SyncSummary } from './summary.ts';

/**
 * The history of sync runs, in MongoDB (collection `sync_runs`) so every replica sees the
 * same runs: one document per run, written when the run is recorded (queued), when it takes
 * the lease (running), every few seconds while it goes (progress) and when it ends (final
 * state and summary). The history is bounded by count (`trimRuns`): the embedded FerretDB
 * has no TTL indexes, and a count is what a reader of the history cares about anyway.
 *
 * `latestRuns(db, n)` is the one-call view of recent runs for pages and dashboards.
 */
export const runStates = ['queued', 'running', 'succeeded', 'partial', 'failed', 'skipped'] as const;
export type RunState = (typeof runStates)[number];

const FINAL: ReadonlySet<RunState> = new Set(['succeeded', 'partial', 'failed', 'skipped']);
export const isFinal = (state: RunState) => FINAL.has(state);

export interface RunProgress {
  /** Repositories visited so far. */
  done: number;
  /** Repositories this run has to visit (tracked when it started); null until counted. */
  due: number | null;
  requestsSpent: number;
  /** Requests the rate-limit budget still allows in its window, as this process knows it. */
  budgetLeft: number | null;
  /** When the run should end at its current pace, never past its deadline; null until there is a pace. */
  expectedFinishAt: Date | null;
  updatedAt: Date;
}

export interface SyncRunDocument {
  /** The run id, as in the run's log lines (run_id) and its lease owner. */
  _id: string;
  state: RunState;
  /** schedule, http, invoke. */
  trigger: string;
  /** Host and process id of the process that ran it. */
  process: string;
  queuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  progress: RunProgress | null;
  summary: SyncSummary | null;
  /** For a skipped run: the id of the run that held the lease. */
  heldBy: string | null;
}

const STATE_OF: Record<SyncOutcome, RunState> = { success: 'succeeded', partial: 'partial', failed: 'failed', skipped: 'skipped' };
export const stateOf = (outcome: SyncOutcome): RunState => STATE_OF[outcome];

export const syncRuns = (db: Database): Collection<SyncRunDocument> => db.db.collection<SyncRunDocument>('sync_runs');

export async function insertRun(db: Database, run: SyncRunDocument): Promise<void> {
  await syncRuns(db).insertOne(run);
}

export async function updateRun(db: Database, id: string, changes: Partial<Omit<SyncRunDocument, '_id'>>): Promise<void> {
  await syncRuns(db).updateOne({ _id: id }, { $set: changes });
}

export async function deleteRun(db: Database, id: string): Promise<void> {
  await syncRuns(db).deleteOne({ _id: id });
}

export function findRun(db: Database, id: string): Promise<SyncRunDocument | null> {
  return syncRuns(db).findOne({ _id: id });
}

/** The newest `count` runs, newest first. */
export function latestRuns(db: Database, count: number): Promise<SyncRunDocument[]> {
  return syncRuns(db).find({}).sort(NEWEST_FIRST).limit(count).toArray();
}

const NEWEST_FIRST = { queuedAt: -1, _id: -1 } as const;

/** One page of the history, newest first, by keyset on (queuedAt, _id) like GET /repos. */
export async function listRuns(db: Database, page: { limit: number; cursor?: string }) {
  const filter = page.cursor ? afterRunCursor(decodeRunCursor(page.cursor)) : {};
  const [docs, total] = await Promise.all([
    syncRuns(db).find(filter).sort(NEWEST_FIRST).limit(page.limit + 1).toArray(),
    syncRuns(db).countDocuments({}),
  ]);
  const hasMore = docs.length > page.limit;
  const items = hasMore ? docs.slice(0, page.limit) : docs;
  const last = items.at(-1);
  return { items, total, nextCursor: hasMore && last ? encodeRunCursor(last) : null };
}

/**
 * A history cursor: `<queuedAt, epoch ms>~<run id>` of the last run served. The query schema
 * (RUN_CURSOR) refuses anything else, so every cursor that gets here is one to continue from.
 */
export const RUN_CURSOR = /^(\d{1,15})~([0-9a-f]{12})$/;

interface RunCursor {
  at: Date;
  id: string;
}

export const encodeRunCursor = (run: Pick<SyncRunDocument, '_id' | 'queuedAt'>): string => `${run.queuedAt.getTime()}~${run._id}`;

/** A cursor the schema has already checked against RUN_CURSOR. */
export function decodeRunCursor(raw: string): RunCursor {
  const [, at, id] = RUN_CURSOR.exec(raw)!;
  return { at: new Date(Number(at)), id: id! };
}

/** Runs after the cursor in newest-first order. */
export function afterRunCursor(cursor: RunCursor): Filter<SyncRunDocument> {
  return { $or: [{ queuedAt: { $lt: cursor.at } }, { queuedAt: cursor.at, _id: { $lt: cursor.id } }] };
}

/** Deletes finished runs beyond the newest `keep`; resolves with how many went. */
export async function trimRuns(db: Database, keep: number): Promise<number> {
  const finished = { state: { $in: [...FINAL] } };
  const excess = await syncRuns(db).find(finished, { projection: { _id: 1 } }).sort(NEWEST_FIRST).skip(keep).toArray();
  if (excess.length === 0) return 0;
  const { deletedCount } = await syncRuns(db).deleteMany({ _id: { $in: excess.map((run) => run._id) } });
  return deletedCount;
}

/**
 * Runs recorded as running by a process that stopped without finishing them. Called by the
 * run that has just taken the lease: no other run can be going, so any other still marked
 * running was abandoned.
 */
export async function closeAbandonedRuns(db: Database, except: string, now: Date): Promise<number> {
  const { modifiedCount } = await syncRuns(db).updateMany(
    { state: 'running', _id: { $ne: except } },
    { $set: { state: 'failed', finishedAt: now } },
  );
  return modifiedCount;
}
