import { parseArgs } from 'node:util';
import type { CommandStartedEvent, CommandSucceededEvent } from 'mongodb';
import { loadConfig } from '../lib/config.ts';
import { ensureIndexes } from '../lib/db.ts';
import { RateLimitBudget } from '../lib/github/rate-limit.ts';
import { silentLogger } from '../lib/logging/logger.ts';
import { newRepoDocument } from '../lib/repos/model.ts';
import type { SyncSummary } from '../lib/sync/summary.ts';
import type { WriteMode } from '../lib/sync/writer.ts';
import { createService } from '../runtime/service.ts';
import { databaseForScript } from '../scripts/lib/embedded-mongo.ts';
import { startFakeGitHub } from '../tools/fake-github/server.ts';

/**
 * `npm run bench:sync` (`node bench/sync.ts [--repos 10000] [--concurrency 16] [--batch 50]`)
 *
 * Syncs N tracked repositories from the fake upstream (loopback HTTP, a token, a limit far
 * above N, frozen stats, no pacing) into the database, and prints records per second and the
 * database writes, for
 *   (a) batched writes (one unordered bulkWrite per --batch records), the service's way,
 *   (b) one updateOne per record, on a second database with the same N repositories,
 *   (c) a second pass over (a)'s database with nothing changed upstream: every answer a 304.
 * Write commands are counted by the driver's command monitoring, not by the code under test.
 * The database is MONGODB_URI when set, else the embedded FerretDB on a temporary directory.
 */
const { values } = parseArgs({
  options: {
    repos: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '16' },
    batch: { type: 'string', default: '50' },
  },
});
const REPOS = Number(values.repos);
const CONCURRENCY = Number(values.concurrency);
const BATCH = Number(values.batch);

const database = await databaseForScript('bench');
const uri = database.uri;
const github = await startFakeGitHub({ changeEverySeconds: 0, authenticatedLimit: 100 * REPOS });
const config = loadConfig({
  MONGODB_URI: uri,
  UPSTREAM_URL: github.url,
  GITHUB_TOKEN: 'bench-token',
  SYNC_DEADLINE: '1h',
  SYNC_CONCURRENCY: String(CONCURRENCY),
  SYNC_BATCH_SIZE: String(BATCH),
});
const log = silentLogger();

interface Measured {
  label: string;
  summary: SyncSummary;
  seconds: number;
  writeCommands: number;
  writeSeconds: number;
  leaseCommands: number;
}

/**
 * A service on a database of its own with N never-synced repositories, whose write commands
 * are counted. Its sync client is unpaced, with a budget sized for the run, and kept across
 * passes like a process's.
 */
async function prepare(label: string, mode: WriteMode) {
  const service = createService(
    { ...config, MONGODB_DB: `bench_sync_${label}_${process.pid}`, DB_TIMEOUT_MS: 10_000 },
    { log, metrics: { runtime: false }, sync: { client: { pace: false, budget: new RateLimitBudget({ limit: 100 * REPOS }) }, options: { writeMode: mode } } },
  );
  const { db } = service;
  (db.client as unknown as { monitorCommands: boolean }).monitorCommands = true;
  await db.db.dropDatabase();
  await ensureIndexes(db);
  const now = new Date();
  for (let i = 0; i < REPOS; i += 1000) {
    const docs = [];
    for (let j = i; j < Math.min(REPOS, i + 1000); j++) docs.push(newRepoDocument({ owner: `bench${j % 97}`, name: `repo-${j}` }, now));
    await db.repos.insertMany(docs);
  }
  const counter = { repos: 0, locks: 0, repoSeconds: 0 };
  const started = new Map<number, string>();
  db.client.on('commandStarted', (event: CommandStartedEvent) => {
    if (!['update', 'insert', 'delete', 'findAndModify'].includes(event.commandName)) return;
    const collection = String(event.command[event.commandName]);
    if (collection === 'repos') counter.repos++;
    if (collection === 'locks') counter.locks++;
    started.set(event.requestId, collection);
  });
  db.client.on('commandSucceeded', (event: CommandSucceededEvent) => {
    if (started.get(event.requestId) === 'repos') counter.repoSeconds += event.duration / 1000;
    started.delete(event.requestId);
  });
  return { service, counter };
}

async function measure(label: string, { service, counter }: Awaited<ReturnType<typeof prepare>>): Promise<Measured> {
  counter.repos = 0;
  counter.locks = 0;
  counter.repoSeconds = 0;
  const started = performance.now();
  const summary = await service.sync.run('bench');
  const seconds = (performance.now() - started) / 1000;
  return { label, summary, seconds, writeCommands: counter.repos, writeSeconds: counter.repoSeconds, leaseCommands: counter.locks };
}

try {
  console.log(`bench:sync — ${REPOS} repositories, concurrency ${CONCURRENCY}, batch ${BATCH}, database ${database.embedded ? 'embedded FerretDB' : 'MONGODB_URI'}`);
  const batched = await prepare('batched', 'batched');
  const perRecord = await prepare('per_record', 'per-record');
  const results = [await measure('(a) batched bulkWrite', batched)];
  results.push(await measure('(b) one write per record', perRecord));
  results.push(await measure('(c) second pass, unchanged', batched));

  const rows = results.map((r) => {
    const records = Object.values(r.summary.counts).reduce((sum, n) => sum + n, 0);
    return {
      run: r.label,
      records,
      'records/s': Math.round(records / r.seconds),
      seconds: r.seconds.toFixed(1),
      'write commands': r.writeCommands,
      'documents written': r.summary.writes.documents,
      'write time (summed)': r.writeSeconds.toFixed(1),
      'lease commands': r.leaseCommands,
      outcome: `${r.summary.outcome} (${Object.entries(r.summary.counts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')})`,
    };
  });
  console.table(rows);
  const [a, b, c] = rows as [(typeof rows)[0], (typeof rows)[0], (typeof rows)[0]];
  console.log(`batched vs one write per record: ${(a['records/s'] / b['records/s']).toFixed(2)}x the records per second (target 5x)`);
  console.log(`second pass with nothing changed: ${c['write commands']} write commands to repository records (lease bookkeeping: ${c['lease commands']})`);
  for (const { service } of [batched, perRecord]) {
    await service.db.db.dropDatabase();
    await service.close();
  }
} finally {
  await github.stop();
  await database.close();
}
