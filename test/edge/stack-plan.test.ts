import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deployEnvironment } from '../../scripts/lib/stack/deploy-env.ts';
import { newSecrets, SecretsRefused } from '../../scripts/lib/stack/secrets.ts';
import { externalSecrets, requiredNodeLabels } from '../../scripts/lib/stack/stack-files.ts';

/**
 * How stack:up reads stack files it has never seen: a small repository of its own with a
 * stack file, an overlay and a git remote, so the rules are checked apart from today's stack.
 */
const root = mkdtempSync(join(tmpdir(), 'stack-plan-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

writeFileSync(
  join(root, 'stack.yml'),
  `x-image: &image app:\${VERSION:?set VERSION}
services:
  web:
    image: *image
    environment:
      RUNBOOKS: \${RUNBOOK_BASE_URL:?set RUNBOOK_BASE_URL to the runbooks}
      REGION: \${REGION:?say which region}
    deploy:
      placement:
        constraints: [node.labels.app.disk == ssd, node.role == manager]
secrets:
  db_password: { external: true }
  webhook_url: { external: true }
`,
);
writeFileSync(
  join(root, 'overlay.yml'),
  `services:
  edge:
    image: proxy
    deploy: { placement: { constraints: ["node.labels.app.public==yes"] } }
secrets:
  webhook_url: { file: ./sink.url }
`,
);
// git is optional for stack:up (the runbook link falls back to RUNBOOK_BASE_URL): both paths are tested.
const hasGit = spawnSync('git', ['--version']).error === undefined;
const git = (...args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? '';
git('init', '-q');
git('-c', 'user.name=t', '-c', 'user.email=t@example.org', 'commit', '-q', '--allow-empty', '-m', 'start');
git('remote', 'add', 'origin', 'git@github.com:acme/app.git');

describe('the stack files', () => {
  it('lists external secrets, an overlay turning one into a file-based secret', () => {
    expect(externalSecrets(root, ['stack.yml'])).toEqual(['db_password', 'webhook_url']);
    expect(externalSecrets(root, ['stack.yml', 'overlay.yml'])).toEqual(['db_password']);
  });

  it('finds every node label a placement constraint asks for, and no other kind of constraint', () => {
    expect(requiredNodeLabels(root, ['stack.yml', 'overlay.yml'])).toEqual([
      { key: 'app.disk', value: 'ssd' },
      { key: 'app.public', value: 'yes' },
    ]);
  });
});

describe('the deploy environment', () => {
  it('refuses a required variable nobody set, with the stack file\'s own words', () => {
    expect(() => deployEnvironment(root, ['stack.yml'], 'v1', { RUNBOOK_BASE_URL: 'https://wiki.example.org/runbooks' })).toThrow('REGION is not set: say which region');
  });

  it.skipIf(hasGit)('without git, asks for RUNBOOK_BASE_URL in the stack file\'s own words', () => {
    expect(() => deployEnvironment(root, ['stack.yml'], 'v1', { REGION: 'eu' })).toThrow('RUNBOOK_BASE_URL is not set: set RUNBOOK_BASE_URL to the runbooks');
  });

  it.runIf(hasGit)('takes VERSION from the script, the others from the environment, RUNBOOK_BASE_URL from the remote at this commit', () => {
    const commit = git('rev-parse', 'HEAD');
    expect(deployEnvironment(root, ['stack.yml'], 'v1', { REGION: 'eu' })).toEqual({
      VERSION: 'v1',
      RUNBOOK_BASE_URL: `https://github.com/acme/app/blob/${commit}/docs/alerts.md`,
      REGION: 'eu',
    });
    expect(deployEnvironment(root, ['stack.yml'], 'v1', { REGION: 'eu', RUNBOOK_BASE_URL: 'https://wiki.example.org/runbooks', IMAGE: 'reg/app' })).toEqual({
      VERSION: 'v1',
      IMAGE: 'reg/app',
      RUNBOOK_BASE_URL: 'https://wiki.example.org/runbooks',
      REGION: 'eu',
    });
  });
});

describe('new secrets', () => {
  it('takes a value from the variable of the secret\'s name in capitals, else a placeholder it names', () => {
    const [given] = newSecrets(['webhook_url'], { demo: false, env: { WEBHOOK_URL: 'https://hooks.example.org/x' } });
    expect(given).toMatchObject({ name: 'webhook_url', value: 'https://hooks.example.org/x', label: 'WEBHOOK_URL from the environment' });
    const [made] = newSecrets(['webhook_url'], { demo: false, env: {} });
    expect(made).toMatchObject({ name: 'webhook_url', placeholder: true });
    expect(made!.keep, 'a random placeholder is nothing a person needs to read').toBeUndefined();
    expect(made!.value).toMatch(/^[0-9a-f]{48}$/);
  });

  it('makes the MongoDB trio agree, and refuses to complete a trio it did not make', () => {
    const trio = newSecrets(['mongo_root_username', 'mongo_root_password', 'mongodb_uri'], { demo: true, env: {} });
    const value = (name: string) => trio.find((secret) => secret.name === name)!.value;
    expect(value('mongodb_uri')).toBe(`mongodb://admin:${value('mongo_root_password')}@mongo:27017/?authSource=admin`);
    expect(() => newSecrets(['mongodb_uri'], { demo: true, env: {} })).toThrow(SecretsRefused);
  });

  it('keeps logins for a person and stores only the hash of the edge password', () => {
    const [grafana, edge] = newSecrets(['grafana_admin_password', 'edge_auth_hash'], { demo: true, env: {} });
    expect(grafana!.keep).toEqual({ file: 'grafana_admin_password', text: grafana!.value });
    expect(edge!.value).toMatch(/^\$argon2id\$v=19\$m=47104,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(edge!.keep!.file).toBe('edge_auth_password');
    expect(edge!.value).not.toContain(edge!.keep!.text);
  });
});
