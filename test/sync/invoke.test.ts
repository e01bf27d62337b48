import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../lib/db.ts';
import { newRepoDocument } from '../../lib/repos/model.ts';
import { startFakeGitHub, type FakeGitHub } from '../../tools/fake-github/server.ts';
import { mongodbUri, uniqueDbName } from '../helpers/database.ts';
import { parseLogfmt } from '../helpers/logs.ts';

/** `npm run invoke -- sync`: one run from the command line, against the fake upstream (UPSTREAM_URL). */
const INVOKE = fileURLToPath(new URL('../../scripts/invoke.ts', import.meta.url));
const dbName = uniqueDbName('invoke_sync');
let github: FakeGitHub;
let db: Database;

beforeAll(async () => {
  github = await startFakeGitHub({ changeEverySeconds: 0 });
  db = createDatabase({ uri: mongodbUri(), dbName, timeoutMs: 5000 });
  await db.repos.insertMany([newRepoDocument({ owner: 'cli', name: 'one' }, new Date()), newRepoDocument({ owner: 'cli', name: 'two' }, new Date())]);
});
afterAll(async () => {
  await db?.close();
  await github?.stop();
});

/** Runs the CLI without blocking this process, which serves the fake upstream it calls. */
async function invokeSync(env: Record<string, string> = {}) {
  const result = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      [INVOKE, 'sync'],
      { env: { PATH: process.env.PATH, MONGODB_URI: mongodbUri(), MONGODB_DB: dbName, UPSTREAM_URL: github.url, LOG_LEVEL: 'info', ...env }, timeout: 20_000 },
      (_error, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
    );
  });
  return { ...result, body: result.stdout.trim() ? JSON.parse(result.stdout) : undefined };
}

describe('npm run invoke -- sync', () => {
  it('runs one sync and prints its summary; the run line goes to stderr; the token never shows', async () => {
    const result = await invokeSync({ GITHUB_TOKEN: 'secret-upstream-token-123' });
    expect(result.status).toBe(0);
    expect(result.body).toMatchObject({ outcome: 'success', trigger: 'invoke', tracked: 2, counts: { updated: 2 }, requestsSpent: 2 });
    const [line] = parseLogfmt(result.stderr.split('\n').filter((entry) => entry.includes('msg="sync run finished"')));
    expect(line).toMatchObject({ run_id: result.body.runId, outcome: 'success', updated: '2' });
    expect(result.stdout + result.stderr).not.toContain('secret-upstream-token-123');
    // Not a terminal: plain progress lines, the last one complete.
    expect(result.stderr).toMatch(/^sync progress: 2\/2 repositories, 2 requests, \d+ left in the rate limit/m);
    expect(github.control.stats().byStatus[200]).toBe(2);
  });

  it('exits 0 for a run that failed upstream: the run happened, and its outcome says how it went', async () => {
    github.control.forceChange();
    github.control.addFault({ type: 'malformed', mode: 'html' }); // answered at once, never retried
    const result = await invokeSync({ GITHUB_TOKEN: 'secret-upstream-token-123' });
    github.control.clearFaults();
    expect(result.status).toBe(0);
    expect(result.body).toMatchObject({ outcome: 'failed', stoppedBy: 'done', counts: { failed: 2 } });
  });
});
