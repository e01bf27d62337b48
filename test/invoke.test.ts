import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allFunctions } from '../runtime/functions.ts';
import { mongodbUri, uniqueDbName } from './helpers/database.ts';

const INVOKE = fileURLToPath(new URL('../scripts/invoke.ts', import.meta.url));
const dbName = uniqueDbName('invoke');

/** Runs `npm run invoke -- ...args` the way the README shows (npm adds nothing but PATH). */
function invoke(...args: string[]) {
  const result = spawnSync(process.execPath, [INVOKE, ...args], {
    env: { PATH: process.env.PATH, MONGODB_URI: mongodbUri(), MONGODB_DB: dbName, LOG_LEVEL: 'info' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  const [head = '', body = ''] = result.stdout.split(/\n\n/, 2);
  return { ...result, head, body: body.trim() ? JSON.parse(body) : undefined };
}

describe('npm run invoke', () => {
  it('runs one handler without an HTTP server and prints status, headers and body', () => {
    const created = invoke('create-repo', '--body', '{"owner":"unjs","name":"nitro","tags":["server"]}');
    expect(created.status).toBe(0);
    expect(created.head).toMatch(/^HTTP 201 Created\n/);
    expect(created.head).toContain('location: /repos/unjs/nitro');
    expect(created.body).toMatchObject({ fullName: 'unjs/nitro', stats: null });
    // Its log line goes to stderr, leaving stdout to the response; no server was started.
    expect(created.stderr).toMatch(/msg="repository tracked"/);
    expect(created.stderr + created.stdout).not.toContain('msg=listening');

    const fetched = invoke('get-repo', 'owner=unjs', 'name=nitro');
    expect(fetched.status).toBe(0);
    expect(fetched.head).toContain('etag: "1"');
    expect(fetched.body).toMatchObject({ owner: 'unjs', name: 'nitro', tags: ['server'] });

    const listed = invoke('list-repos', 'tag=server', 'limit=5');
    expect(listed.body).toMatchObject({ total: 1, limit: 5 });
  });

  it('validates input exactly as the HTTP runtime does and exits 1 on an error status', () => {
    const invalid = invoke('list-repos', 'limit=1000');
    expect(invalid.status).toBe(1);
    expect(invalid.head).toMatch(/^HTTP 400/);
    expect(invalid.body.error.code).toBe('validation_failed');

    const missing = invoke('get-repo', 'owner=unjs', 'name=absent');
    expect(missing.status).toBe(1);
    expect(missing.body.error.code).toBe('not_found');
  });

  it('explains its usage for an unknown function or a missing path parameter', () => {
    const unknown = invoke('no-such-function');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown function "no-such-function"');
    expect(unknown.stderr).toContain('list-repos');
    const missing = invoke('get-repo', 'owner=unjs');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('missing path parameter name=');
  });
});

describe('functions/', () => {
  it('every handler file is mounted under its own name, and names are unique', () => {
    const files = readdirSync(fileURLToPath(new URL('../functions/', import.meta.url)))
      .filter((file) => file.endsWith('.ts'))
      .map((file) => file.replace(/\.ts$/, ''))
      .sort();
    expect(allFunctions.map((fn) => fn.name).sort()).toEqual(files);
  });
});
