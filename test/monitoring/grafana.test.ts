import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dashboardFiles, dashboardQueries, readDashboard, readYaml, ROOT, variablesUsed } from './helpers.ts';

/**
 * Grafana cannot run here, so these check what it would trip over: provisioning that
 * points at missing datasources or files, panels on unknown datasources, undefined
 * variables, and committed JSON that no longer matches its TypeScript source.
 */
const datasources = () => readYaml('monitoring/grafana/provisioning/datasources/datasources.yml').datasources as any[];
const provider = () => readYaml('monitoring/grafana/provisioning/dashboards/dashboards.yml').providers[0];
const grafanaService = () => readYaml('stack.yml').services.grafana;
const stackConfigs = () => readYaml('stack.yml').configs as Record<string, { file: string }>;

describe('datasource provisioning', () => {
  it('provisions Prometheus (uid prometheus, default) and Loki (uid loki) at their stack addresses', () => {
    expect(datasources().map(({ uid, type, url, isDefault }) => ({ uid, type, url, isDefault: isDefault ?? false }))).toEqual([
      { uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090', isDefault: true },
      { uid: 'loki', type: 'loki', url: 'http://loki:3100', isDefault: false },
    ]);
  });

  it('links request_id exemplars to Loki, and Loki\'s request_id and run_id to their lines', () => {
    const uids = new Set(datasources().map((source) => source.uid));
    const [exemplar] = datasources()[0].jsonData.exemplarTraceIdDestinations;
    expect(exemplar.name).toBe('request_id');
    const pane = Object.values(JSON.parse(new URL(exemplar.url, 'http://grafana').searchParams.get('panes')!))[0] as any;
    expect(uids).toContain(pane.queries[0].datasource.uid);
    expect(pane.queries[0].expr).toContain('request_id="$${__value.raw}"');
    const derived = datasources()[1].jsonData.derivedFields;
    expect(derived.map((field: any) => field.name)).toEqual(['request_id', 'run_id']);
    for (const field of derived) expect(uids, field.name).toContain(field.datasourceUid);
  });
});

describe('dashboard provisioning', () => {
  it('the provider reads the folder where stack.yml mounts exactly the generated dashboards', () => {
    const mounted = (grafanaService().configs as Array<{ source: string; target: string }>)
      .filter((config) => posix.dirname(config.target) === provider().options.path)
      .map((config) => ({ file: posix.basename(config.target), source: stackConfigs()[config.source]!.file }));
    expect(mounted.map((entry) => entry.file).sort()).toEqual(dashboardFiles().sort());
    for (const { file, source } of mounted) expect(source, file).toBe(`./monitoring/grafana/dashboards/${file}`);
  });

  it('stack.yml mounts both provisioning files where Grafana looks for them', () => {
    const targets = Object.fromEntries((grafanaService().configs as any[]).map((config) => [config.target, stackConfigs()[config.source]!.file]));
    expect(targets['/etc/grafana/provisioning/datasources/datasources.yml']).toBe('./monitoring/grafana/provisioning/datasources/datasources.yml');
    expect(targets['/etc/grafana/provisioning/dashboards/dashboards.yml']).toBe('./monitoring/grafana/provisioning/dashboards/dashboards.yml');
  });

  it('the admin password comes from a docker secret, never from the file', () => {
    const environment = grafanaService().environment;
    expect(environment).not.toHaveProperty('GF_SECURITY_ADMIN_PASSWORD');
    expect(environment.GF_SECURITY_ADMIN_PASSWORD__FILE).toBe('/run/secrets/grafana_admin_password');
    expect(grafanaService().secrets).toContain('grafana_admin_password');
  });
});

describe('dashboards', () => {
  it('query only provisioned datasources, in panels and in variables', () => {
    const uids = new Set(datasources().map((source) => source.uid));
    for (const query of dashboardQueries()) expect(uids, `${query.dashboard} "${query.panel}"`).toContain(query.datasource);
    for (const file of dashboardFiles()) {
      for (const variable of readDashboard(file).templating?.list ?? []) {
        if (variable.datasource) expect(uids, `${file} $${variable.name}`).toContain(variable.datasource.uid);
      }
    }
  });

  it('use only variables they define', () => {
    for (const file of dashboardFiles()) {
      const dashboard = readDashboard(file);
      const defined = new Set((dashboard.templating?.list ?? []).map((variable: any) => variable.name));
      const queries = [
        ...dashboardQueries().filter((query) => query.dashboard === dashboard.uid).map((query) => query.expr),
        ...(dashboard.templating?.list ?? []).map((variable: any) => variable.query ?? ''),
      ];
      for (const name of queries.flatMap(variablesUsed)) expect(defined, `${file} uses $${name}`).toContain(name);
    }
  });

  it('have unique uids, the repo-monitor tag, and the latency exemplars', () => {
    const dashboards = dashboardFiles().map(readDashboard);
    expect(new Set(dashboards.map((dashboard) => dashboard.uid)).size).toBe(dashboards.length);
    for (const dashboard of dashboards) expect(dashboard.tags, dashboard.uid).toContain('repo-monitor');
    const exemplars = dashboardQueries().filter((query) => query.exemplar);
    expect(exemplars.map((query) => query.expr).join('\n')).toContain('http_request_duration_seconds_bucket');
  });
});

describe('dashboards as code', () => {
  const generator = join(ROOT, 'monitoring/grafana/build-dashboards.ts');
  const generate = (...args: string[]) => {
    try {
      return { status: 0, output: execFileSync(process.execPath, [generator, ...args], { encoding: 'utf8', stdio: 'pipe' }) };
    } catch (error) {
      const failed = error as { status: number; stdout: string; stderr: string };
      return { status: failed.status, output: failed.stdout + failed.stderr };
    }
  };

  it('the committed JSON is what the TypeScript sources generate (npm run dashboards)', () => {
    const result = generate('--check');
    expect(result.status, result.output).toBe(0);
  });

  it('--check fails on a hand-edited file and on a file without a source', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboards-'));
    try {
      expect(generate('--out', dir).status).toBe(0);
      expect(generate('--check', '--out', dir).status).toBe(0);
      writeFileSync(join(dir, 'repo-monitor-service.json'), '{}\n');
      writeFileSync(join(dir, 'hand-made.json'), '{}\n');
      const result = generate('--check', '--out', dir);
      expect(result.status).toBe(1);
      expect(result.output).toContain('repo-monitor-service.json: differs from its source');
      expect(result.output).toContain('hand-made.json: no source');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
