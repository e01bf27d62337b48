import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../scripts/lib/embedded-mongo.ts';
import { call, startService, type RunningService } from '../helpers/service.ts';
import { freePort } from '../helpers/free-port.ts';

/**
 * The database is not there when the service starts (a stack whose database comes up
 * last): the service answers 503 meanwhile, and serves as soon as the database arrives.
 * Runs its own database server, so it is skipped against an external MONGODB_URI.
 */
const external = Boolean(process.env.MONGODB_URI);

describe.skipIf(external)('a database that comes up after the service', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'repo-monitor-late-'));
  let database: EmbeddedMongo | undefined;
  let service: RunningService | undefined;
  afterAll(async () => {
    await service?.stop();
    await database?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is waited for: 503 with a reason until it answers, then ready without a restart', async () => {
    const listen = `127.0.0.1:${await freePort()}`;
    service = await startService({ MONGODB_URI: `mongodb://${listen}/?directConnection=true`, DB_TIMEOUT_MS: '300' }, { waitReady: false });
    await service.waitForLine(/msg="database not ready; retrying"/);
    const down = await call(service.url, 'GET', '/readyz');
    expect(down.status).toBe(503);
    expect(down.json.error.details).toEqual([{ path: 'database', message: expect.stringMatching(/^(connection_refused|disconnected)$/) }]);

    database = await startEmbeddedMongo({ dataDir, listen });
    await service.waitForLine(/msg="database ready"/, 30_000);
    expect((await call(service.url, 'GET', '/readyz')).status).toBe(200);
    expect((await call(service.url, 'POST', '/repos', { body: { owner: 'late', name: 'db' } })).status).toBe(201);
  });
});
