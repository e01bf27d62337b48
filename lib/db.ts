import {
  MongoClient,
  MongoError,
  MongoNetworkError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  type Collection,
  type Db,
  type IndexDescription,
} from 'mongodb';
import type { RepoDocument } from './repos/model.ts';

export interface Database {
  client: MongoClient;
  db: Db;
  repos: Collection<RepoDocument>;
  /** Resolves when the server answers; rejects within the configured timeout otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  uri: string;
  dbName: string;
  /** Bounds how long an operation waits for a reachable server, so a dead database means a quick 503, not a hang. */
  timeoutMs: number;
  /**
   * Command started/succeeded/failed events, for per-command durations
   * (lib/metrics/mongodb-driver-metrics.ts); on unless turned off. The driver then turns
   * every reply into an object for the event, cursor batches included.
   */
  monitorCommands?: boolean;
}

/** Creates the client without waiting for the server: the service starts and reports not-ready until it answers. */
export function createDatabase({ uri, dbName, timeoutMs, monitorCommands = true }: DatabaseOptions): Database {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    appName: 'repo-monitor',
    monitorCommands,
  });
  const db = client.db(dbName);
  return {
    client,
    db,
    repos: db.collection<RepoDocument>('repos'),
    async ping() {
      await db.command({ ping: 1 });
    },
    async close() {
      await client.close();
    },
  };
}

const NAMESPACE_NOT_FOUND = 26;

const REPO_INDEXES: IndexDescription[] = [
  { key: { ownerKey: 1, _id: 1 }, name: 'owner' },
  { key: { tags: 1, _id: 1 }, name: 'tags' },
  { key: { starsSort: -1, _id: 1 }, name: 'stars' },
  { key: { updatedAt: -1, _id: 1 }, name: 'updated' },
  { key: { 'sync.lastSyncedAt': 1 }, name: 'sync_due' },
];

/**
 * Creates the indexes that are missing; safe to run at every start. Only plain and compound
 * indexes (the embedded test server has no TTL indexes), and only missing ones: FerretDB v1
 * panics on a createIndexes call that repeats several existing indexes.
 */
export async function ensureIndexes(database: Database): Promise<void> {
  const indexes = await database.repos.listIndexes().toArray().catch((error: unknown) => {
    if ((error as { code?: unknown }).code === NAMESPACE_NOT_FOUND) return []; // no collection yet
    throw error;
  });
  const existing = new Set(indexes.map((index) => index.name as string));
  const missing = REPO_INDEXES.filter((index) => !existing.has(index.name!));
  if (missing.length > 0) await database.repos.createIndexes(missing);
}

/** Driver errors without a class of their own in the public API (connection pool states). */
const UNAVAILABLE_NAMES = new Set(['MongoPoolClosedError', 'MongoWaitQueueTimeoutError', 'MongoServerClosedError', 'MongoClientClosedError']);

/** Server answers that mean "not now": shutting down, stepping down, unreachable host. */
const UNAVAILABLE_CODES = new Set([6, 7, 89, 91, 189, 9001, 10107, 11600, 11602, 13435, 13436]);

/**
 * True for errors that mean "cannot reach the database (now)", which the API answers with
 * 503 rather than 500: network failures, server selection timeouts, a closed or cleared
 * connection pool while the server is away, and a server that is shutting down.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoOperationTimeoutError
  ) {
    return true;
  }
  if (!(error instanceof MongoError)) return false;
  return UNAVAILABLE_NAMES.has(error.name) || (typeof error.code === 'number' && UNAVAILABLE_CODES.has(error.code));
}

export const isDuplicateKey = (error: unknown) =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
