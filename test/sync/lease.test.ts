import type { Collection } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../lib/db.ts';
import { manualClock } from '../../tools/fake-github/clock.ts';
import { classify } from '../../lib/sync/classify.ts';
import { acquireLease, type Lease, type LockDocument } from '../../lib/sync/lease.ts';
import { RecordWriter } from '../../lib/sync/writer.ts';
import { newRepoDocument } from '../../lib/repos/model.ts';
import { openTestDatabase } from '../helpers/database.ts';

/**
 * The lease against the real database. Sequential behaviour is what both servers share;
 * the concurrent tests record what the embedded server (FerretDB) does with true races.
 */
let db: Database;
const clock = manualClock();
const now = () => new Date(clock.now());
const TTL = 60_000;
let locks: Collection<LockDocument>;

beforeAll(async () => {
  db = await openTestDatabase('lease');
  locks = db.db.collection<LockDocument>('locks');
});
afterAll(() => db?.close());

const acquire = (owner: string, name = 'sync') => acquireLease(locks, { name, owner, ttlMs: TTL, now });
const held = async (owner: string, name?: string): Promise<Lease> => {
  const got = await acquire(owner, name);
  if (!got.acquired) throw new Error(`${owner} did not get the lease`);
  return got.lease;
};

describe('the lease, one step at a time', () => {
  it('refuses a second acquirer while held, and names the holder', async () => {
    const a = await held('a', 'seq-1');
    expect(a.token).toBeGreaterThan(0);
    const b = await acquire('b', 'seq-1');
    expect(b).toEqual({ acquired: false, holder: { owner: 'a', token: a.token, expiresAt: a.expiresAt } });
    expect(await a.verify()).toBe(true);
  });

  it('stays held while renewed, and is taken over only once it expired', async () => {
    const a = await held('a', 'seq-2');
    clock.advance(TTL - 1000);
    expect(await a.renew()).toBe(true);
    clock.advance(TTL - 1000);
    expect((await acquire('b', 'seq-2')).acquired).toBe(false); // renewed: not expired yet
    clock.advance(2000);
    const b = await held('b', 'seq-2');
    expect(b.token).toBeGreaterThan(a.token);
  });

  it('lets the old holder neither renew, verify, nor release the new holder’s lease', async () => {
    const a = await held('a', 'seq-3');
    clock.advance(TTL + 1);
    const b = await held('b', 'seq-3');
    expect(await a.renew()).toBe(false);
    expect(await a.verify()).toBe(false);
    expect(await a.release()).toBe(false);
    expect(await b.verify()).toBe(true);
    expect(await locks.findOne({ _id: 'seq-3' })).toMatchObject({ owner: 'b', token: b.token });
    expect(await b.release()).toBe(true);
    expect(await locks.findOne({ _id: 'seq-3' })).toBeNull();
    // Free again: the next one gets it at once, with a higher token still.
    expect((await held('c', 'seq-3')).token).toBeGreaterThan(b.token);
  });

  it('draws strictly increasing fencing tokens, holder after holder', async () => {
    const tokens: number[] = [];
    for (let i = 0; i < 5; i++) {
      const lease = await held(`holder-${i}`, 'seq-4');
      tokens.push(lease.token);
      await lease.release();
    }
    expect(tokens).toEqual([...tokens].sort((x, y) => x - y));
    expect(new Set(tokens).size).toBe(5);
  });
});

describe('fencing', () => {
  it('refuses a record write from a run whose token is older than the last writer’s', async () => {
    const doc = newRepoDocument({ owner: 'fence', name: 'repo' }, now());
    await db.repos.insertOne(doc);
    const answer = {
      kind: 'ok' as const,
      owner: 'fence',
      name: 'repo',
      etag: '"e1"',
      attempts: 1,
      stats: { stars: 1, forks: 0, openIssues: 0, watchers: 1, language: null, description: null, defaultBranch: 'main', archived: false, pushedAt: null, htmlUrl: 'x' },
    };
    const write = async (token: number, stars: number) => {
      const current = (await db.repos.findOne({ _id: doc._id }))!;
      const outcome = classify(current, { ...answer, stats: { ...answer.stats, stars } }, { now: now(), token, markerIntervalMs: 1000 });
      const writer = new RecordWriter(db.repos, { mode: 'batched', batchSize: 10, beforeWrite: async () => {} });
      await writer.add(outcome.write!);
      await writer.flush();
      return writer.stats;
    };
    expect(await write(7, 10)).toEqual({ commands: 1, documents: 1, refused: 0 });
    // A stale holder (token 6) that still believes it holds the lease.
    expect(await write(6, 99)).toEqual({ commands: 1, documents: 0, refused: 1 });
    expect(await write(8, 11)).toEqual({ commands: 1, documents: 1, refused: 0 });
    expect((await db.repos.findOne({ _id: doc._id }))!.stats!.stars).toBe(11);
  });
});

describe('concurrent acquirers (what the embedded server does with real races)', () => {
  it('lets exactly one of 20 parallel acquirers take a free lease', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => acquire(`racer-${i}`, 'race-free')));
    const winners = results.filter((result) => result.acquired);
    expect(winners).toHaveLength(1);
    const stored = await locks.findOne({ _id: 'race-free' });
    expect(stored).toMatchObject({ owner: (winners[0] as { lease: Lease }).lease.owner });
  });

  it('lets exactly one of 20 parallel acquirers take over an expired lease', async () => {
    const crashed = await held('crashed', 'race-expired');
    clock.advance(TTL + 1);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => acquire(`racer-${i}`, 'race-expired')));
    const winners = results.flatMap((result) => (result.acquired ? [result.lease] : []));
    // One takeover claim per expired holder: without it FerretDB, which deletes by _id after
    // its own read, let several racers delete each other's fresh leases (up to 10 of 20 won).
    expect(winners).toHaveLength(1);
    expect(await winners[0]!.verify()).toBe(true);
    expect(winners[0]!.token).toBeGreaterThan(crashed.token);
    expect(await crashed.renew()).toBe(false);
  });
});
