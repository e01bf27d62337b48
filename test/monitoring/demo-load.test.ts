import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.ts';

/**
 * The demo's load generator (monitoring/demo/load.ts, run by stack.demo.yml in the app
 * image) driven against a local HTTP server that records what it receives, for one second.
 */
describe('monitoring/demo/load.ts', () => {
  const requests: Array<{ method: string; url: string; authorization?: string; body: string }> = [];
  let server: Server;
  let port: number;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'load-'));
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        requests.push({ method: request.method!, url: request.url!, authorization: request.headers.authorization, body });
        response.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('tracks the demo repositories with the first API token, then reads for LOAD_SECONDS and stops', async () => {
    const tokens = join(dir, 'api_tokens');
    writeFileSync(tokens, 'first-token,second-token\n');
    const started = Date.now();
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'monitoring/demo/load.ts')], {
      env: { PATH: process.env.PATH, API: `http://127.0.0.1:${port}`, LOAD_SECONDS: '1', PAUSE: '0.1', API_TOKENS_FILE: tokens },
      timeout: 15_000,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(stdout).toMatch(/^load: \d+ requests in 1 s$/m);

    const posts = requests.filter((request) => request.method === 'POST');
    expect(posts.map((post) => JSON.parse(post.body).owner + '/' + JSON.parse(post.body).name)).toEqual([
      'honojs/hono',
      'nodejs/node',
      'grafana/loki',
      'prometheus/prometheus',
      'mongodb/mongo',
    ]);
    for (const post of posts) expect(post.authorization).toBe('Bearer first-token');
    const reads = new Set(requests.filter((request) => request.method === 'GET').map((request) => request.url));
    expect(reads).toEqual(new Set(['/repos?tag=demo&sort=stars&limit=10', '/repos/honojs/hono', '/repos/nodejs/node', '/repos/nobody/nothing', '/no-such-route']));
  });
});
