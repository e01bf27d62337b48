import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../lib/db.ts';
import { mongodbUri, uniqueDbName } from '../helpers/database.ts';
import type { RunningService } from '../helpers/service.ts';
import { send, startHardenedService, type Sent } from './lib/service.ts';

/**
 * Optimistic concurrency under contention: PATCHes that carry the same If-Match race, exactly
 * one wins, every other one gets 412 with the winner's ETag, and no update is lost.
 *
 * MongoDB applies the conditional findOneAndUpdate atomically. The embedded test server
 * (FerretDB v1) reads then writes without a re-check, so there the service serialises writes
 * to one document within its process (lib/keyed-lock.ts): the guarantee then holds for one
 * process. Two processes sharing a database need MongoDB: that case runs when the database is
 * not FerretDB (MONGODB_URI set to a real MongoDB) and is skipped on the embedded server,
 * where it fails (two winners: the lost update FerretDB's non-atomic update allows).
 */
let service: RunningService;

beforeAll(async () => {
  service = await startHardenedService('patchrace');
});
afterAll(async () => {
  await service?.stop();
});

const patch = (base: string, path: string, ifMatch: string, notes: string) =>
  send(base, 'PATCH', path, { headers: { 'if-match': ifMatch }, body: { notes } });

/** One round: `writers` PATCHes with the same ETag at once, spread over `bases`. */
async function race(bases: string[], path: string, writers: number) {
  const current = await send(bases[0]!, 'GET', path);
  const etag = current.headers.get('etag')!;
  const attempts = await Promise.all(
    Array.from({ length: writers }, (_, i) => patch(bases[i % bases.length]!, path, etag, `${path} writer ${i} of ${etag}`)),
  );
  return { etag, version: current.json.version as number, attempts };
}

function expectOneWinner({ version, attempts }: { version: number; attempts: Sent[] }) {
  const winners = attempts.filter((attempt) => attempt.status === 200);
  const losers = attempts.filter((attempt) => attempt.status === 412);
  expect(winners, 'exactly one 200').toHaveLength(1);
  expect(losers).toHaveLength(attempts.length - 1);
  const winner = winners[0]!;
  expect(winner.json.version).toBe(version + 1);
  expect(winner.headers.get('etag')).toBe(`"${version + 1}"`);
  for (const loser of losers) {
    expect(loser.json.error.code).toBe('precondition_failed');
    expect(loser.headers.get('etag')).toBe(`"${version + 1}"`);
  }
  return winner;
}

describe('concurrent PATCHes with the same If-Match', () => {
  it('let exactly one of 25 win, round after round, and keep the winner', async () => {
    expect((await send(service.url, 'POST', '/repos', { body: { owner: 'race', name: 'one' } })).status).toBe(201);
    for (let round = 0; round < 5; round++) {
      const result = await race([service.url], '/repos/race/one', 25);
      expect(result.version).toBe(round + 1);
      const winner = expectOneWinner(result);
      const stored = await send(service.url, 'GET', '/repos/race/one');
      expect(stored.json).toMatchObject({ notes: winner.json.notes, version: round + 2 });
    }
  });

  it('decide each repository on its own when several are contended at once', async () => {
    const paths = ['a', 'b', 'c', 'd'].map((name) => `/repos/race/many-${name}`);
    for (const path of paths) {
      const [, , owner, name] = path.split('/');
      expect((await send(service.url, 'POST', '/repos', { body: { owner, name } })).status).toBe(201);
    }
    const results = await Promise.all(paths.map((path) => race([service.url], path, 12)));
    for (const result of results) expectOneWinner(result);
  });

  it('apply every one of many If-Match: * PATCHes, none lost', async () => {
    expect((await send(service.url, 'POST', '/repos', { body: { owner: 'race', name: 'star', tags: [] } })).status).toBe(201);
    const attempts = await Promise.all(
      Array.from({ length: 20 }, (_, i) => send(service.url, 'PATCH', '/repos/race/star', { headers: { 'if-match': '*' }, body: { notes: `w${i}` } })),
    );
    expect(attempts.map((attempt) => attempt.status)).toEqual(Array(20).fill(200));
    // Each applied on top of the previous one: versions 2..21, each once.
    expect(attempts.map((attempt) => attempt.json.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect((await send(service.url, 'GET', '/repos/race/star')).json.version).toBe(21);
  });
});

async function isFerretDb(): Promise<boolean> {
  const database = createDatabase({ uri: mongodbUri(), dbName: 'admin', timeoutMs: 5000 });
  try {
    return 'ferretdbVersion' in (await database.db.command({ buildInfo: 1 }));
  } finally {
    await database.close();
  }
}

describe('two service processes sharing one database', () => {
  it('still let exactly one PATCH win on MongoDB: the conditional update is atomic there', async ({ skip }) => {
    if (await isFerretDb()) skip('FerretDB v1 updates are not atomic; only MongoDB guarantees this across processes');
    const dbName = uniqueDbName('patchrace2');
    const [first, second] = await Promise.all([startHardenedService('patchrace2', { MONGODB_DB: dbName }), startHardenedService('patchrace2', { MONGODB_DB: dbName })]);
    try {
      expect((await send(first.url, 'POST', '/repos', { body: { owner: 'race', name: 'two' } })).status).toBe(201);
      for (let round = 0; round < 5; round++) expectOneWinner(await race([first.url, second.url], '/repos/race/two', 20));
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});
