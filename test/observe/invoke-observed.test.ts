import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { mongodbUri, uniqueDbName } from '../helpers/database.ts';
import { parseLogfmt } from '../helpers/logs.ts';
import { GENERATED_REQUEST_ID } from '../helpers/service.ts';

const INVOKE = fileURLToPath(new URL('../../scripts/invoke.ts', import.meta.url));

it('npm run invoke goes through the request observation: X-Request-Id in the answer, an access line in the log', () => {
  const result = spawnSync(process.execPath, [INVOKE, 'get-repo', 'owner=nobody', 'name=nothing'], {
    env: { PATH: process.env.PATH, MONGODB_URI: mongodbUri(), MONGODB_DB: uniqueDbName('invokeobs'), LOG_LEVEL: 'info' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(result.status).toBe(1); // 404
  const requestId = /^x-request-id: (\S+)$/m.exec(result.stdout)?.[1];
  expect(requestId).toMatch(GENERATED_REQUEST_ID);
  const access = parseLogfmt(result.stderr.trim().split('\n').filter((line) => line.includes('msg=request ')));
  expect(access).toHaveLength(1);
  expect(access[0]).toMatchObject({ request_id: requestId, method: 'GET', path: '/repos/:owner/:name', status_code: '404' });
});
