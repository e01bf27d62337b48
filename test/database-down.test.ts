import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedMongo, type EmbeddedMongo } from '../scripts/lib/embedded-mongo.ts';
import { call, startService, type RunningService } from './helpers/service.ts';
import { freePort } from './helpers/free-port.ts';

/**
 * The database goes away under a running service and comes back. This file runs its own
 * database server (the embedded one; with MONGODB_URI set it is skipped, since the suite
 * cannot stop someone else's MongoDB).
 */
const external = Boolean(process.env.MONGODB_URI);

describe.skipIf(external)('database down', () => {
  let dataDir: string;
  let listen: string;
  let database: EmbeddedMongo | undefined;
  let service: RunningService;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'repo-monitor-down-'));
    listen = `127.0.0.1:${await freePort()}`;
    database = await startEmbeddedMongo({ dataDir, listen });
    service = await startService({ MONGODB_URI: database.uri, DB_TIMEOUT_MS: '1000' });
  });
  afterAll(async () => {
    await service?.stop();
    await database?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 quickly while the database is down, and recovers by itself when it returns', async () => {
    const created = await call(service.url, 'POST', '/repos', { body: { owner: 'mongodb', name: 'node-mongodb-native' } });
    expect(created.status).toBe(201);

    await database!.stop();
    database = undefined;

    for (const [method, path, body] of [
      ['GET', '/repos/mongodb/node-mongodb-native', undefined],
      ['GET', '/repos', undefined],
      ['POST', '/repos', { owner: 'a', name: 'b' }],
      ['DELETE', '/repos/mongodb/node-mongodb-native', undefined],
    ] as const) {
      const started = performance.now();
      const response = await call(service.url, method, path, { body });
      const elapsed = performance.now() - started;
      expect(response.status, `${method} ${path}`).toBe(503);
      expect(response.json.error.code).toBe('database_unavailable');
      expect(response.headers.get('retry-after')).toBe('5');
      expect(response.text).not.toMatch(/at .*\.ts:\d+|Mongo\w*Error/);
      expect(elapsed, `${method} ${path} must not hang`).toBeLessThan(5000);
    }

    const notReady = await call(service.url, 'GET', '/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.json.error.code).toBe('database_unavailable');
    expect((await call(service.url, 'GET', '/healthz')).status).toBe(200);
    await service.waitForLine(/lvl=WARN .*msg="database unavailable"/);

    database = await startEmbeddedMongo({ dataDir, listen });
    let ready = 0;
    for (let attempt = 0; attempt < 40 && ready !== 200; attempt++) {
      ready = (await call(service.url, 'GET', '/readyz')).status;
      if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(ready).toBe(200);
    const again = await call(service.url, 'GET', '/repos/mongodb/node-mongodb-native');
    expect(again.status).toBe(200);
    expect(service.process.exitCode).toBeNull();
  });
});
