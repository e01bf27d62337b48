import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { mongodbUri, uniqueDbName } from './helpers/database.ts';
import { call, startService, TEST_TOKEN, type RunningService } from './helpers/service.ts';

const MAIN = fileURLToPath(new URL('../runtime/main.ts', import.meta.url));

function runMain(env: Record<string, string>) {
  return spawnSync(process.execPath, [MAIN], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 10_000 });
}

describe('configuration', () => {
  it('exits non-zero naming each bad variable, without echoing credentials', () => {
    const result = runMain({ PORT: 'eighty', LOG_LEVEL: 'chatty', MONGODB_URI: 'postgres://user:hunter2@db/x' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid configuration');
    expect(result.stderr).toMatch(/PORT: .*"eighty"/);
    expect(result.stderr).toMatch(/LOG_LEVEL: .*"chatty"/);
    expect(result.stderr).toMatch(/MONGODB_URI: must start with mongodb/);
    expect(result.stderr).not.toContain('hunter2');
  });

  it('says MONGODB_URI is required when it is missing', () => {
    const result = runMain({});
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/MONGODB_URI: .*\(not set\)/);
  });
});

describe('graceful shutdown', () => {
  let service: RunningService | undefined;
  afterAll(async () => {
    await service?.stop('SIGKILL');
  });

  it('on SIGTERM finishes the request in flight, refuses new connections, closes and exits 0', async () => {
    service = await startService({ MONGODB_URI: mongodbUri(), MONGODB_DB: uniqueDbName('shutdown'), SHUTDOWN_GRACE_MS: '5000' });
    const url = service.url;
    // A request whose body arrives slowly is still in flight when SIGTERM lands.
    let sendRest!: () => void;
    const rest = new Promise<void>((resolve) => (sendRest = resolve));
    const body = new ReadableStream({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode('{"owner":"slow",'));
        await rest;
        controller.enqueue(new TextEncoder().encode('"name":"client"}'));
        controller.close();
      },
    });
    const inFlight = fetch(`${url}/repos`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` },
      body,
      duplex: 'half',
    } as RequestInit);
    await service.waitForLine(/msg=listening/);
    await new Promise((resolve) => setTimeout(resolve, 200));

    service.process.kill('SIGTERM');
    await service.waitForLine(/msg="shutting down"/);
    await expect(call(url, 'GET', '/healthz')).rejects.toThrow();
    sendRest();
    const response = await inFlight;
    expect(response.status).toBe(201);
    expect(await service.exited).toBe(0);
    await service.waitForLine(/msg=stopped/);
  });
});
