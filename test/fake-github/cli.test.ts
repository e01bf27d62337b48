import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../tools/fake-github/main.ts', import.meta.url));

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const firstLine = new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, firstLine, exited, stderr: () => stderr };
}

describe('npm run upstream (tools/fake-github/main.ts)', () => {
  it('listens where told, with the limits and repositories given, and stops on SIGTERM', async () => {
    const fake = run(['--port', '0', '--limit', '2', '--window', '600', '--gone', 'old/repo', '--missing', 'no/repo', '--time-scale', '600'], {
      FAKE_GITHUB_HOST: '127.0.0.1',
    });
    const line = await fake.firstLine;
    expect(line).toMatch(/^fake-github listening on http:\/\/127\.0\.0\.1:\d+ \(limit 2\/5000 per 600 s.*time x600\)$/);
    const url = /(http:\/\/\S+)/.exec(line)![1]!;
    const ok = await fetch(`${url}/repos/a/b`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-ratelimit-limit')).toBe('2');
    expect((await fetch(`${url}/repos/old/repo`)).status).toBe(410);
    expect((await fetch(`${url}/repos/a/b`)).status).toBe(403);
    expect((await fetch(`${url}/repos/no/repo`, { headers: { authorization: 'token x' } })).status).toBe(404);
    // Time runs 600 times faster: the 600 s window is over in about 1 s of real time.
    await expect
      .poll(async () => (await fetch(`${url}/repos/a/b`)).status, { timeout: 5000, interval: 250 })
      .toBe(200);
    fake.child.kill('SIGTERM');
    expect(await fake.exited).toBe(0);
  });

  it('exits 2 with the usage on a bad flag, 0 with --help', async () => {
    const bad = run(['--limit', 'lots']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toMatch(/--limit must be a number[\s\S]*Usage: npm run upstream/);
    const unknown = run(['--nope']);
    expect(await unknown.exited).toBe(2);
    const help = run(['--help']);
    expect(await help.firstLine).toMatch(/^Usage/);
    expect(await help.exited).toBe(0);
  });
});
