import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const LOGGER = fileURLToPath(new URL('../lib/logging/logger.ts', import.meta.url));

it('LOG_FORMAT=pretty is tslog’s pretty output, with the call site, the bound fields and secrets masked', () => {
  const script = `import { Logger } from ${JSON.stringify(LOGGER)};
const log = new Logger({ format: 'pretty', fields: { task: 'api.1' } });
log.child({ request_id: 'pretty-1' }).warn('slow upstream', { waited_ms: 1200, authorization: 'Bearer abc.def' }); // LINE 3`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1' } });
  expect(result.status, result.stderr).toBe(0);
  const output = result.stdout + result.stderr;
  expect(output).toMatch(/WARN\s+\[eval1\]:3|WARN .*:3\s/);
  expect(output).toContain('slow upstream');
  expect(output).toMatch(/request_id: 'pretty-1'/);
  expect(output).toMatch(/task: 'api.1'/);
  expect(output).toMatch(/waited_ms: 1200/);
  expect(output).not.toContain('abc.def');
});
