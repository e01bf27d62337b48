import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { mongodbUri, uniqueDbName } from '../helpers/database.ts';
import { parseLogfmt } from '../helpers/logs.ts';
import { GENERATED_REQUEST_ID } from '../helpers/service.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/fetch-entry.ts', import.meta.url));

it('the fetch-style entry answers with the observation: request ids and one access line per request', () => {
  const result = spawnSync(process.execPath, [FIXTURE], {
    env: { PATH: process.env.PATH, MONGODB_URI: mongodbUri(), MONGODB_DB: uniqueDbName('fetchentry') },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(result.status, result.stderr).toBe(0);
  const answers = JSON.parse(result.stderr) as { status: number; requestId: string; body: string }[];
  expect(answers.map((a) => a.status)).toEqual([200, 404]);
  expect(answers[0]!.requestId).toBe('fetch-entry-0001');
  expect(answers[1]!.requestId).toMatch(GENERATED_REQUEST_ID);
  const access = parseLogfmt(result.stdout.trim().split('\n').filter((line) => line.includes('msg=request ')));
  expect(access.map((r) => [r.request_id, r.path, r.status_code, r.res_bytes])).toEqual([
    ['fetch-entry-0001', '/healthz', '200', String(Buffer.byteLength(answers[0]!.body))],
    [answers[1]!.requestId, '/repos/:owner/:name', '404', String(Buffer.byteLength(answers[1]!.body))],
  ]);
});
