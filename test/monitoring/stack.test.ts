import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEPLOY_ENV, resolveStack, ROOT, ruleFiles, run } from './helpers.ts';

/**
 * The swarm stack files, as Docker resolves them: tools/stack-config (compose-go, the loader
 * behind `docker compose`, instead of the docker client) validates each file and overlay
 * against the Compose schema, interpolates variables, merges overlays and prints the result
 * as JSON, which the assertions below read. It writes sizes in bytes and CPUs as numbers.
 */

describe('stack.yml', () => {
  it('is a valid swarm stack, alone and with each overlay', () => {
    for (const files of [['stack.yml'], ['stack.yml', 'stack.demo.yml'], ['stack.yml', 'stack.alloy.yml']]) {
      expect(resolveStack(files).services, files.join(' + ')).toBeDefined();
    }
  });

  it('refuses to deploy without VERSION, which names the image and the configs', () => {
    const result = run('stack-config', ['-c', 'stack.yml'], { env: { ...DEPLOY_ENV, VERSION: '' } });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('required variable VERSION is missing a value');
    expect(resolveStack(['stack.yml']).services.api.image).toBe('repo-monitor:test');
  });

  it('runs api replicated with rolling start-first updates that roll back, and one stop-first scheduler', () => {
    const { api, scheduler } = resolveStack(['stack.yml']).services;
    expect(api.environment).toMatchObject({ ROLE: 'api', PORT: '3000', METRICS_PORT: '9464' });
    expect(api.deploy.replicas).toBeGreaterThan(1);
    expect(api.deploy.update_config).toMatchObject({ order: 'start-first', failure_action: 'rollback' });
    expect(Number(api.deploy.resources.limits.cpus)).toBeGreaterThan(0);
    expect(Number(api.deploy.resources.limits.memory)).toBeGreaterThan(0);
    expect(api.healthcheck).toBeDefined();
    expect(scheduler.environment).toMatchObject({ ROLE: 'scheduler', METRICS_PORT: '9464' });
    expect(scheduler.deploy.replicas).toBe(1);
    expect(scheduler.deploy.update_config).toMatchObject({ order: 'stop-first' });
    expect(scheduler.image).toBe(api.image);
  });

  it('gives the app its credentials only as secret files, and every secret is external', () => {
    const stack = resolveStack(['stack.yml']);
    for (const [name, secret] of Object.entries(stack.secrets as Record<string, any>)) expect(secret.external, name).toBe(true);
    for (const role of ['api', 'scheduler']) {
      const { environment, secrets } = stack.services[role];
      expect(environment.MONGODB_URI_FILE, role).toBe('/run/secrets/mongodb_uri');
      for (const key of Object.keys(environment)) expect(key, `${role} must read ${key} from a file`).not.toMatch(/^(MONGODB_URI|GITHUB_TOKEN|API_TOKENS)$/);
      for (const value of Object.values(environment) as string[]) {
        const file = /^\/run\/secrets\/(\w+)$/.exec(value)?.[1];
        if (file) expect(secrets.map((secret: any) => secret.source), `${role} reads ${value}`).toContain(file);
      }
    }
    expect(stack.services.api.environment.API_TOKENS_FILE).toBe('/run/secrets/api_tokens');
  });

  it('runs the official MongoDB image on a named volume, root credentials from secrets, with a ping healthcheck', () => {
    const { mongo } = resolveStack(['stack.yml']).services;
    expect(mongo.image).toMatch(/^mongo:8(\.|$)/);
    expect(mongo.environment).toEqual({
      MONGO_INITDB_ROOT_USERNAME_FILE: '/run/secrets/mongo_root_username',
      MONGO_INITDB_ROOT_PASSWORD_FILE: '/run/secrets/mongo_root_password',
    });
    expect(mongo.volumes).toEqual([expect.objectContaining({ type: 'volume', source: 'mongo-data', target: '/data/db' })]);
    expect(mongo.healthcheck.test.join(' ')).toContain('mongosh');
    expect(mongo.healthcheck.test.join(' ')).toContain('ping');
  });

  it('configures Prometheus from swarm configs, every rule file included, with exemplar storage and retention', () => {
    const stack = resolveStack(['stack.yml']);
    const { prometheus } = stack.services;
    expect(prometheus.command).toEqual(expect.arrayContaining(['--enable-feature=exemplar-storage', expect.stringMatching(/^--storage\.tsdb\.retention\.time=/)]));
    const mounted = Object.fromEntries(prometheus.configs.map((config: any) => [config.target, stack.configs[config.source].file]));
    expect(mounted['/etc/prometheus/prometheus.yml']).toBe(join(ROOT, 'monitoring/prometheus/prometheus.yml'));
    for (const file of ruleFiles()) expect(mounted[`/etc/prometheus/rules/${file}`], file).toBe(join(ROOT, 'monitoring/prometheus/rules', file));
  });

  it('refuses to deploy without RUNBOOK_BASE_URL, which every alert\'s runbook link starts with', () => {
    const result = run('stack-config', ['-c', 'stack.yml'], { env: { ...DEPLOY_ENV, RUNBOOK_BASE_URL: '' } });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('RUNBOOK_BASE_URL');
    expect(resolveStack(['stack.yml']).services.prometheus.environment.RUNBOOK_BASE_URL).toBe(DEPLOY_ENV.RUNBOOK_BASE_URL);
  });

  it('runs Promtail on every node with the docker socket, pinned to its last release', () => {
    const { promtail } = resolveStack(['stack.yml']).services;
    expect(promtail.deploy.mode).toBe('global');
    expect(promtail.image).toBe('grafana/promtail:3.6.11');
    expect(promtail.volumes).toContainEqual(expect.objectContaining({ type: 'bind', source: '/var/run/docker.sock', read_only: true }));
  });

  it('points every config at a file that exists', () => {
    for (const files of [['stack.yml', 'stack.demo.yml'], ['stack.yml', 'stack.alloy.yml']]) {
      for (const [name, config] of Object.entries(resolveStack(files).configs as Record<string, { file: string }>)) {
        expect(existsSync(config.file), `${name}: ${config.file}`).toBe(true);
      }
    }
  });
});

describe('overlays', () => {
  it('the demo points api and scheduler at the fake GitHub and adds a bounded load generator', () => {
    const stack = resolveStack(['stack.yml', 'stack.demo.yml']);
    for (const role of ['api', 'scheduler']) expect(stack.services[role].environment.UPSTREAM_URL, role).toBe('http://fake-github:8080');
    const fake = stack.services['fake-github'];
    expect(fake.image).toBe(stack.services.api.image);
    expect(fake.command).toEqual(['node', 'tools/fake-github/main.ts']);
    expect(fake.environment.FAKE_GITHUB_PORT).toBe('8080');
    expect(existsSync(join(ROOT, 'tools/fake-github/main.ts'))).toBe(true);
    expect(stack.services.load.deploy.restart_policy.condition).toBe('none');
  });

  it('the Alloy switch starts Alloy on every node and leaves Promtail without a node to run on', () => {
    const { promtail, alloy } = resolveStack(['stack.yml', 'stack.alloy.yml']).services;
    expect(alloy.deploy.mode).toBe('global');
    expect(alloy.command).toContain('/etc/alloy/config.alloy');
    expect(promtail.deploy.placement.constraints).toEqual(['node.labels.repo-monitor.promtail == enabled']);
  });
});
