import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';
import { serviceEnvironment } from '../../scripts/lib/stack/stack-env.ts';
import { ROOT } from '../monitoring/helpers.ts';

/**
 * Every secret stack.yml hands the service as a file (FOO_FILE=/run/secrets/foo) must be
 * read by the service: a file it ignores is a credential silently not used.
 */
const SAMPLE: Record<string, string> = {
  MONGODB_URI: 'mongodb://admin:secret@mongo:27017/?authSource=admin',
  GITHUB_TOKEN: 'ghp_0123456789abcdefghijklmnopqrstuvwxyz',
  API_TOKENS: '0123456789abcdef0123456789abcdef',
};
const dir = mkdtempSync(join(tmpdir(), 'secret-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(['api', 'scheduler'])('the %s service', (service) => {
  const environment = serviceEnvironment(ROOT, service, {});
  const fileSettings = Object.keys(environment).filter((name) => name.endsWith('_FILE'));

  it('reads every *_FILE setting the stack gives it', () => {
    expect(fileSettings.length).toBeGreaterThan(0);
    const env = { ...environment };
    for (const setting of fileSettings) {
      const name = setting.slice(0, -'_FILE'.length);
      expect(SAMPLE[name], `a sample value for ${name}`).toBeDefined();
      env[setting] = join(dir, `${service}-${name}`);
      writeFileSync(env[setting], `${SAMPLE[name]}\n`);
    }
    const config = loadConfig(env) as unknown as Record<string, unknown>;
    for (const setting of fileSettings) {
      const name = setting.slice(0, -'_FILE'.length);
      if (name === 'API_TOKENS') expect(config.API_TOKENS, name).toHaveLength(1);
      else expect(config[name], name).toBe(SAMPLE[name]);
    }
  });
});

it('never echoes a GitHub token read from a file, even a malformed one', () => {
  const file = join(dir, 'bad-token');
  writeFileSync(file, 'ghp_secret with spaces\n');
  expect(() => loadConfig({ GITHUB_TOKEN_FILE: file, MONGODB_URI: SAMPLE.MONGODB_URI })).toThrow(/GITHUB_TOKEN/);
  try {
    loadConfig({ GITHUB_TOKEN_FILE: file, MONGODB_URI: SAMPLE.MONGODB_URI });
  } catch (error) {
    expect((error as Error).message).not.toContain('ghp_secret');
  }
});
