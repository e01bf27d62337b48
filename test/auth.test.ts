import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchToken, parseApiTokens } from '../lib/auth/tokens.ts';
import { mongodbUri, uniqueDbName } from './helpers/database.ts';
import { call, startService, TEST_TOKEN, type RunningService } from './helpers/service.ts';

const REALM = 'Bearer realm="repo-monitor"';

describe('bearer tokens for writes', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ MONGODB_URI: mongodbUri(), MONGODB_DB: uniqueDbName('auth') });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it.each([
    ['POST', '/repos', { owner: 'auth', name: 'nope' }],
    ['PATCH', '/repos/auth/nope', { notes: 'x' }],
    ['DELETE', '/repos/auth/nope', undefined],
  ])('refuses %s %s without a token: 401, WWW-Authenticate, JSON', async (method, path, body) => {
    const response = await call(service.url, method, path, { body, token: null, headers: { 'if-match': '*' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(REALM);
    expect(response.json).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
  });

  it('refuses a wrong token with error="invalid_token" and stores nothing', async () => {
    for (const token of ['wrong-token-0123456789', TEST_TOKEN.slice(0, -1), `${TEST_TOKEN}x`]) {
      const response = await call(service.url, 'POST', '/repos', { body: { owner: 'auth', name: 'wrong' }, token });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(`${REALM}, error="invalid_token"`);
    }
    const basic = await call(service.url, 'POST', '/repos', {
      body: { owner: 'auth', name: 'wrong' },
      token: null,
      headers: { authorization: `Basic ${Buffer.from(`x:${TEST_TOKEN}`).toString('base64')}` },
    });
    expect(basic.status).toBe(401);
    expect((await call(service.url, 'GET', '/repos/auth/wrong')).status).toBe(404);
  });

  it('accepts a configured token, logs the client name, and keeps reads public', async () => {
    const created = await call(service.url, 'POST', '/repos', {
      body: { owner: 'auth', name: 'ok' },
      headers: { 'x-request-id': 'auth-write-0001' },
    });
    expect(created.status).toBe(201);
    const access = await service.waitForLine(/msg=request .*request_id=auth-write-0001/);
    expect(access).toContain('client=test');
    expect(access).not.toContain(TEST_TOKEN);
    expect((await call(service.url, 'GET', '/repos/auth/ok', { token: null })).status).toBe(200);
    expect((await call(service.url, 'GET', '/repos', { token: null })).status).toBe(200);
  });
});

describe('token configuration', () => {
  it('reads tokens from API_TOKENS_FILE, and READS_REQUIRE_TOKEN closes reads but not probes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'repo-monitor-tokens-'));
    const file = join(dir, 'api_tokens');
    writeFileSync(file, 'ci:ci-token-abcdefghijklmnop\nalice:alice-token-abcdefghijkl\n');
    const service = await startService({
      MONGODB_URI: mongodbUri(),
      MONGODB_DB: uniqueDbName('authfile'),
      API_TOKENS: '',
      API_TOKENS_FILE: file,
      READS_REQUIRE_TOKEN: 'true',
    });
    try {
      const write = await call(service.url, 'POST', '/repos', { body: { owner: 'a', name: 'b' }, token: 'alice-token-abcdefghijkl' });
      expect(write.status).toBe(201);
      expect((await call(service.url, 'GET', '/repos', { token: null })).status).toBe(401);
      expect((await call(service.url, 'GET', '/repos', { token: 'ci-token-abcdefghijklmnop' })).status).toBe(200);
      expect((await call(service.url, 'GET', '/healthz', { token: null })).status).toBe(200);
      expect((await call(service.url, 'GET', '/readyz', { token: null })).status).toBe(200);
    } finally {
      await service.stop();
    }
  });

  it('with no token configured refuses every write rather than leaving them open', async () => {
    const service = await startService({ MONGODB_URI: mongodbUri(), MONGODB_DB: uniqueDbName('notokens'), API_TOKENS: '' });
    try {
      expect((await call(service.url, 'POST', '/repos', { body: { owner: 'a', name: 'b' } })).status).toBe(401);
    } finally {
      await service.stop();
    }
  });

  it('stops at start-up on a weak token, naming the variable but not the token', () => {
    const main = fileURLToPath(new URL('../runtime/main.ts', import.meta.url));
    const result = spawnSync(process.execPath, [main], {
      env: { PATH: process.env.PATH, MONGODB_URI: mongodbUri(), API_TOKENS: 'ci:short-secret' },
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/API_TOKENS: entry 1 \(ci\): a token needs at least 16 characters/);
    expect(result.stderr).not.toContain('short-secret');
  });

  it('matches exactly one configured token, whichever position it has', () => {
    const tokens = parseApiTokens('a:aaaaaaaaaaaaaaaaaaaa, b:bbbbbbbbbbbbbbbbbbbb\nbare-token-cccccccccccc');
    expect(tokens.map((token) => token.name)).toEqual(['a', 'b', 'token3']);
    expect(matchToken(tokens, 'bbbbbbbbbbbbbbbbbbbb')?.name).toBe('b');
    expect(matchToken(tokens, 'bare-token-cccccccccccc')?.name).toBe('token3');
    expect(matchToken(tokens, 'bbbbbbbbbbbbbbbbbbb')).toBeUndefined();
    expect(matchToken([], 'anything-at-all-here')).toBeUndefined();
  });
});
