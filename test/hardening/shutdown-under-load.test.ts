import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../lib/db.ts';
import { mongodbUri } from '../helpers/database.ts';
import type { RunningService } from '../helpers/service.ts';
import { AUTH, startHardenedService } from './lib/service.ts';

/**
 * SIGTERM while writers POST as fast as they can over kept-alive connections (what a load
 * balancer or any HTTP client library does). Nothing acknowledged may be lost, nothing in
 * flight may be cut, new connections are refused, and the service exits 0 as soon as the
 * requests in flight are done, well inside its grace period.
 */
const GRACE_MS = 8000;
const WRITERS = 8;

interface Attempt {
  id: string;
  key: string;
  started: number;
  ended: number;
  status?: number;
  error?: string;
}

let service: RunningService & { dbName: string };
let db: Database;

beforeAll(async () => {
  service = await startHardenedService('shutdown', { SHUTDOWN_GRACE_MS: String(GRACE_MS) });
  db = createDatabase({ uri: mongodbUri(), dbName: service.dbName, timeoutMs: 5000 });
});
afterAll(async () => {
  await service?.stop('SIGKILL');
  await db?.close();
});

const connectionRefused = (port: number) =>
  new Promise<string>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });

describe('SIGTERM under load', () => {
  it('keeps every acknowledged write, completes requests in flight, refuses new connections, exits 0 early', async () => {
    const url = service.url;

    // A request that is certainly in flight when the signal lands: its body is held back.
    let sendRest!: () => void;
    const rest = new Promise<void>((resolve) => (sendRest = resolve));
    const slowBody = new ReadableStream({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode('{"owner":"shutdown-slow",'));
        await rest;
        controller.enqueue(new TextEncoder().encode('"name":"in-flight"}'));
        controller.close();
      },
    });
    const slow = fetch(`${url}/repos`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: slowBody,
      duplex: 'half',
    } as RequestInit).then(
      (response) => response.status,
      (error: unknown) => `failed: ${String(error)}`,
    );

    // Writers on kept-alive connections (fetch's default), each POST a distinct repository.
    const attempts: Attempt[] = [];
    let signalledAt = Infinity;
    let sequence = 0;
    const writer = async (w: number) => {
      for (;;) {
        const n = sequence++;
        const attempt: Attempt = { id: `shutdown-${String(n).padStart(6, '0')}`, key: `shutdown-w${w}/r${n}`, started: performance.now(), ended: 0 };
        attempts.push(attempt);
        try {
          const response = await fetch(`${url}/repos`, {
            method: 'POST',
            headers: { ...AUTH, 'content-type': 'application/json', 'x-request-id': attempt.id },
            body: JSON.stringify({ owner: `shutdown-w${w}`, name: `r${n}` }),
          });
          await response.arrayBuffer();
          attempt.status = response.status;
        } catch (error) {
          const cause = (error as { cause?: { code?: string; message?: string } }).cause;
          attempt.error = cause?.code ?? cause?.message ?? String(error);
        }
        attempt.ended = performance.now();
        // Stop at the first failure after the signal (the listener is gone), or at a bound.
        if ((attempt.error && attempt.started >= signalledAt) || attempt.error === 'ECONNREFUSED' || sequence > 5000) return;
      }
    };
    const writers = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));

    await new Promise((resolve) => setTimeout(resolve, 700));
    signalledAt = performance.now();
    service.process.kill('SIGTERM');
    await service.waitForLine(/msg="shutting down"/);

    // The listener is closed while a request is still being served: no new connections.
    expect(await connectionRefused(service.port)).toBe('ECONNREFUSED');
    expect(service.process.exitCode).toBeNull();

    // Kept-alive writers are told to go (Connection: close) instead of being served until the
    // grace period ends: they all meet the closed listener within a moment.
    await writers;
    const writersDone = performance.now();
    expect(writersDone - signalledAt, 'writers still served long after SIGTERM').toBeLessThan(2000);

    sendRest();
    expect(await slow).toBe(201);
    const released = performance.now();
    expect(await service.exited).toBe(0);
    const exitedAt = performance.now();
    expect(exitedAt - signalledAt).toBeLessThan(GRACE_MS + 2000);
    expect(exitedAt - released, 'exit waited for something after the last request').toBeLessThan(1500);

    // Every answer was a 201: nothing failed on the server side, nothing was cut.
    const answered = attempts.filter((attempt) => attempt.status !== undefined);
    expect(answered.length).toBeGreaterThan(20);
    expect(new Set(answered.map((attempt) => attempt.status))).toEqual(new Set([201]));
    const failedBeforeSignal = attempts.filter((attempt) => attempt.error && attempt.started < signalledAt && attempt.ended < signalledAt);
    expect(failedBeforeSignal).toEqual([]);

    // Every acknowledged write is in the database.
    const acknowledged = [...answered.map((attempt) => attempt.key), 'shutdown-slow/in-flight'];
    const stored = await db.repos.find({ _id: { $in: acknowledged } }, { projection: { _id: 1 } }).toArray();
    expect(stored.map((doc) => doc._id).sort()).toEqual([...acknowledged].sort());

    // A request that got no answer never reached the app (it went to a closed listener, or to an
    // idle kept-alive connection as it was being closed): not logged, not stored.
    const access = new Map<string, string>();
    for (const line of service.lines) {
      const match = / msg=request request_id=(\S+) .* status_code=(\d+)/.exec(line);
      if (match) access.set(match[1]!, match[2]!);
    }
    const unanswered = attempts.filter((attempt) => attempt.error !== undefined);
    expect(unanswered.filter((attempt) => access.has(attempt.id))).toEqual([]);
    const storedUnanswered = await db.repos.countDocuments({ _id: { $in: unanswered.map((attempt) => attempt.key) } });
    expect(storedUnanswered).toBe(0);
    expect([...access.values()].filter((status) => status !== '201')).toEqual([]);
    await service.waitForLine(/msg=stopped/);
  }, 30_000);
});
