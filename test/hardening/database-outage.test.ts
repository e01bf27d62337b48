import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../lib/db.ts';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../scripts/lib/embedded-mongo.ts';
import type { RunningService } from '../helpers/service.ts';
import { problemsWith } from './lib/invariants.ts';
import { fetchSpec, type OpenApiSpec } from './lib/openapi-spec.ts';
import { send, startHardenedService } from './lib/service.ts';
import { freePort } from '../helpers/free-port.ts';

/**
 * The database dies (killed: no goodbye to its clients) while reads and writes flow, stays
 * down a few seconds, and comes back on the same address. Every request answers within the bound, with success or a 503 in the
 * envelope (never a hang, another 5xx or a dropped connection); /readyz says 503 meanwhile;
 * the process never exits; traffic succeeds again by itself; every acknowledged write is
 * there afterwards. Needs a database of its own to stop: skipped with MONGODB_URI.
 */
const external = Boolean(process.env.MONGODB_URI);
const WORKERS = 6;
const BOUND_MS = 5000;

interface Outcome {
  at: number;
  phase: 'up' | 'down' | 'back';
  op: string;
  method: string;
  path: string;
  status?: number;
  ms: number;
  problems: string[];
  created?: string;
}

describe.skipIf(external)('database outage under traffic', () => {
  let dataDir: string;
  let listen: string;
  let database: EmbeddedMongo | undefined;
  let service: RunningService & { dbName: string };
  let spec: OpenApiSpec;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'repo-monitor-outage-'));
    listen = `127.0.0.1:${await freePort()}`;
    database = await startEmbeddedMongo({ dataDir, listen });
    service = await startHardenedService('outage', { MONGODB_URI: database.uri, MONGODB_DB: 'outage', DB_TIMEOUT_MS: '1000' });
    spec = await fetchSpec(service.url);
    for (let i = 0; i < 10; i++) {
      expect((await send(service.url, 'POST', '/repos', { body: { owner: 'outage', name: `seed-${i}` } })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await service?.stop();
    await database?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 2xx or 503 within the bound while the database is gone, and recovers by itself', async () => {
    const outcomes: Outcome[] = [];
    const started = performance.now();
    let phase: Outcome['phase'] = 'up';
    let running = true;
    let sequence = 0;

    const operation = (worker: number) => {
      const n = sequence++;
      const seed = `/repos/outage/seed-${n % 10}`;
      const roll = n % 20;
      if (roll < 8) return { op: 'get', method: 'GET', path: seed };
      if (roll < 12) return { op: 'list', method: 'GET', path: `/repos?limit=5&sort=${['name', 'stars', 'updated'][n % 3]}` };
      if (roll < 15) return { op: 'create', method: 'POST', path: '/repos', body: { owner: `outage-w${worker}`, name: `r${n}` } };
      if (roll < 18) return { op: 'patch', method: 'PATCH', path: seed, body: { notes: `n${n}` }, headers: { 'if-match': '*' } };
      if (roll < 19) return { op: 'ready', method: 'GET', path: '/readyz' };
      return { op: 'delete', method: 'DELETE', path: `/repos/outage-w${worker}/nothing-${n}` };
    };

    const worker = async (w: number) => {
      while (running) {
        const { op, method, path, body, headers } = operation(w);
        const at = performance.now() - started;
        const outcome: Outcome = { at, phase, op, method, path, ms: 0, problems: [] };
        try {
          const response = await send(service.url, method, path, { body, headers, timeoutMs: 15_000 });
          outcome.status = response.status;
          outcome.ms = response.ms;
          outcome.problems.push(...problemsWith(response, { allow503: true }), ...spec.check(response).problems);
          if (response.status === 503) {
            if (response.json?.error?.code !== 'database_unavailable') outcome.problems.push(`503 code ${response.json?.error?.code}`);
            if (op !== 'ready' && response.headers.get('retry-after') !== '5') outcome.problems.push('503 without Retry-After');
          } else if (!(response.status < 300 || (response.status === 404 && op === 'delete'))) {
            outcome.problems.push(`unexpected ${response.status}: ${response.text.slice(0, 200)}`);
          }
          if (op === 'create' && response.status === 201) outcome.created = `${(body as { owner: string }).owner}/${(body as { name: string }).name}`;
        } catch (error) {
          outcome.ms = performance.now() - started - at;
          outcome.problems.push(`no answer: ${String((error as Error).cause ?? error)}`);
        }
        if (outcome.ms > BOUND_MS) outcome.problems.push(`took ${Math.round(outcome.ms)} ms`);
        outcomes.push(outcome);
      }
    };
    const workers = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    await sleep(1500);
    phase = 'down';
    const dying = database!;
    const gone = new Promise((resolve) => dying.process.once('exit', resolve));
    dying.process.kill('SIGKILL');
    await gone;
    database = undefined;
    // From here on the server process is gone (stopping it may take a moment).
    const stoppedAt = performance.now() - started;
    await sleep(1500);
    // Down for a while: the probes say so, the process lives.
    const ready = await send(service.url, 'GET', '/readyz', { timeoutMs: BOUND_MS });
    expect(ready.status).toBe(503);
    expect(ready.json.error.code).toBe('database_unavailable');
    expect((await send(service.url, 'GET', '/healthz')).status).toBe(200);
    await sleep(1500);

    database = await startEmbeddedMongo({ dataDir, listen });
    phase = 'back';
    const restartedAt = performance.now() - started;
    // Recovered by itself: everything succeeds for a full second, within 20 s of the restart.
    let cleanSince = Infinity;
    while (performance.now() - started - restartedAt < 20_000) {
      await sleep(200);
      const last503 = outcomes.filter((outcome) => outcome.status === 503 || outcome.problems.length > 0).at(-1)?.at ?? 0;
      cleanSince = Math.max(last503, restartedAt);
      if (performance.now() - started - cleanSince > 1000 && outcomes.filter((o) => o.at > cleanSince).length > 20) break;
    }
    running = false;
    await workers;
    const firstSuccess = Math.min(...outcomes.filter((o) => o.at >= restartedAt && o.status !== undefined && o.status < 300).map((o) => o.at + o.ms));
    process.stderr.write(
      `database outage: down ${Math.round(restartedAt - stoppedAt)} ms; first success ${Math.round(firstSuccess - restartedAt)} ms after the restart; ` +
        `${outcomes.length} requests, ${outcomes.filter((o) => o.status === 503).length} answered 503, slowest ${Math.round(Math.max(...outcomes.map((o) => o.ms)))} ms\n`,
    );
    expect(firstSuccess - restartedAt).toBeLessThan(10_000);

    const recovered = outcomes.filter((outcome) => outcome.at > cleanSince);
    expect(recovered.length, 'no clean second of traffic after the restart').toBeGreaterThan(20);
    expect(recovered.filter((outcome) => outcome.status !== undefined && outcome.status >= 300 && outcome.op !== 'delete')).toEqual([]);

    // Every answer, in every phase, was within the bound, 2xx or a proper 503.
    expect(outcomes.filter((outcome) => outcome.problems.length > 0)).toEqual([]);
    const during = outcomes.filter((outcome) => outcome.at > stoppedAt && outcome.at < restartedAt);
    expect(during.length).toBeGreaterThan(10);
    expect(during.filter((outcome) => outcome.status === 503).length, 'the outage was not seen').toBeGreaterThan(during.length / 2);

    expect(service.process.exitCode).toBeNull();
    // Access lines of 503s are logged at ERROR by design; nothing else may be.
    const errors = service.lines.filter((line) => /lvl=(ERROR|FATAL)/.test(line) && !/ msg=request .* status_code=503 /.test(line));
    expect(errors).toEqual([]);

    // Every create that was acknowledged is stored.
    const acknowledged = outcomes.flatMap((outcome) => (outcome.created ? [outcome.created.toLowerCase()] : []));
    expect(acknowledged.length).toBeGreaterThan(5);
    const db = createDatabase({ uri: database.uri, dbName: 'outage', timeoutMs: 5000 });
    try {
      const stored = await db.repos.countDocuments({ _id: { $in: acknowledged } });
      expect(stored).toBe(acknowledged.length);
    } finally {
      await db.close();
    }
  }, 60_000);
});
