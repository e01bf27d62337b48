import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStackArgs, UsageError } from '../../scripts/lib/stack/options.ts';
import { requiredVariables } from '../../scripts/lib/stack/stack-files.ts';
import { readYaml, ROOT } from '../monitoring/helpers.ts';

/**
 * `npm run stack:up` / `stack:down` (scripts/stack.ts), run as a user runs them. No Docker
 * engine is needed: --dry-run prints the exact commands a first run on a fresh engine
 * makes, and without --dry-run the script must refuse clearly when Docker is missing.
 * PATH holds only node, so no docker client is ever found or run.
 */
const NODE_ONLY = dirname(process.execPath);
const RUNBOOKS = 'https://runbooks.example.org/alerts.md';

function stack(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts/stack.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: NODE_ONLY, HOME: tmpdir(), RUNBOOK_BASE_URL: RUNBOOKS, ...env },
    timeout: 20_000,
  });
  const lines = result.stdout.split('\n');
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    commands: lines.filter((line) => line.startsWith('$ ')).map((line) => line.slice(2)),
  };
}

/** `NAME=value ...` for every variable the stack files require, as the deploy command carries them. */
const required = (files: string[], version: string) =>
  [...requiredVariables(ROOT, files).keys()].map((name) => `${name}=${name === 'VERSION' ? version : RUNBOOKS}`).join(' ');

const FORMAT_SWARM = `docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Swarm.NodeID}}'`;

describe('stack:up --dry-run', () => {
  it('prints every command of a first demo deploy, in order, without running docker', () => {
    const run = stack(['up', '--dry-run', '--demo', '--version', '1.2.3-test']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.commands).toEqual([
      `docker version --format '{{.Server.Version}}'`,
      FORMAT_SWARM,
      'docker swarm init',
      FORMAT_SWARM,
      `docker node update --label-add repo-monitor.storage=true --label-add repo-monitor.edge=true '<node-id>'`,
      'docker build --build-arg VERSION=1.2.3-test --tag repo-monitor:1.2.3-test .',
      'docker secret create mongo_root_username -  # stdin: admin',
      'docker secret create mongo_root_password -  # stdin: random, 48 hex characters',
      'docker secret create mongodb_uri -  # stdin: mongodb://admin:<mongo_root_password>@mongo:27017/?authSource=admin',
      "docker secret create github_token -  # stdin: random (the demo's fake GitHub accepts any token)",
      'docker secret create api_tokens -  # stdin: random bearer token for writes',
      'docker secret create grafana_admin_password -  # stdin: random password',
      'docker secret create edge_auth_hash -  # stdin: argon2id hash of a random password',
      `${required(['stack.yml', 'stack.demo.yml'], '1.2.3-test')} docker stack deploy --compose-file stack.yml --compose-file stack.demo.yml repo-monitor`,
      `docker stack services repo-monitor --format '{{.Name}} {{.Replicas}}'`,
      'docker ps --quiet --filter label=com.docker.swarm.service.name=repo-monitor_caddy',
      `docker cp '<caddy-container>:/data/caddy/pki/authorities/local/root.crt' .data/stack/repo-monitor/caddy-root.crt`,
    ]);
    expect(run.stdout).toContain('dry run: nothing is changed');
  });

  it('prints the URLs, the Grafana login and where each generated password is, never a value', () => {
    const run = stack(['up', '--dry-run', '--demo', '--version', 'v1']);
    expect(run.stdout).toMatch(/Grafana +https:\/\/grafana\.localhost\/ +user admin, password in \.data\/stack\/repo-monitor\/grafana_admin_password/);
    expect(run.stdout).toMatch(/Prometheus +https:\/\/prometheus\.localhost\/ +user admin, password in \.data\/stack\/repo-monitor\/edge_auth_password/);
    expect(run.stdout).toMatch(/Alertmanager +https:\/\/alertmanager\.localhost\/ +user admin/);
    expect(run.stdout).toMatch(/API +https:\/\/api\.localhost\/repos/);
    expect(run.stdout).toContain('trust .data/stack/repo-monitor/caddy-root.crt');
    // Secret values are random hex, base64url or argon2id strings: none may reach the terminal.
    expect(run.stdout).not.toMatch(/[0-9a-f]{40}|\$argon2id\$/);
  });

  it('without --demo deploys stack.yml alone and takes the GitHub token from GITHUB_TOKEN, unprinted', () => {
    const token = 'ghp_0123456789abcdefghijklmnopqrstuvwxyz';
    const run = stack(['up', '--dry-run', '--version', 'v1'], { GITHUB_TOKEN: token });
    expect(run.status, run.stderr).toBe(0);
    expect(run.commands).toContain('docker secret create github_token -  # stdin: GITHUB_TOKEN from the environment');
    expect(run.commands).toContain(`${required(['stack.yml'], 'v1')} docker stack deploy --compose-file stack.yml repo-monitor`);
    expect(run.stdout).not.toContain(token);
    expect(run.stdout).not.toContain('fake GitHub');
  });

  it('refuses before any change when the GitHub token cannot be made up (no GITHUB_TOKEN, no --demo)', () => {
    const run = stack(['up', '--dry-run', '--version', 'v1']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('set GITHUB_TOKEN');
    expect(run.stderr).toContain('--demo');
    expect(run.commands.filter((command) => !command.startsWith('docker version') && !command.startsWith('docker info'))).toEqual([]);
  });

  it('serves a real domain from ACME when EDGE_TLS is an e-mail address: its URLs, no internal CA to trust', () => {
    const run = stack(['up', '--dry-run', '--demo', '--version', 'v1', '--stack-name', 'rm2'], {
      EDGE_DOMAIN: 'monitor.example.org',
      EDGE_TLS: 'ops@example.org',
      IMAGE: 'registry.example.org/repo-monitor',
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/API +https:\/\/api\.monitor\.example\.org\/repos/);
    expect(run.stdout).toMatch(/Grafana +https:\/\/grafana\.monitor\.example\.org\//);
    expect(run.stdout).not.toContain('caddy-root.crt');
    expect(run.commands).toContain('docker build --build-arg VERSION=v1 --tag registry.example.org/repo-monitor:v1 .');
    const withImage = required(['stack.yml', 'stack.demo.yml'], 'v1').replace('VERSION=v1', 'VERSION=v1 IMAGE=registry.example.org/repo-monitor');
    expect(run.commands).toContain(`${withImage} docker stack deploy --compose-file stack.yml --compose-file stack.demo.yml rm2`);
  });

  it('derives the version from package.json and the git commit when none is given (or asks for one without git)', () => {
    // The version comes from git: this test alone runs with the caller's PATH.
    const withGit = { PATH: process.env.PATH ?? '' };
    const run = stack(['up', '--dry-run', '--demo'], withGit);
    if (spawnSync('git', ['--version']).error !== undefined) {
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('pass --version or set VERSION');
      return;
    }
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.split('\n')[0]).toMatch(/^# repo-monitor 0\.\d+\.\d+-[0-9a-f]{7,}(-dirty\.\d{14})? from stack\.yml \+ stack\.demo\.yml/);
    expect(stack(['up', '--dry-run', '--demo'], { ...withGit, VERSION: 'from-env' }).commands).toContain(
      'docker build --build-arg VERSION=from-env --tag repo-monitor:from-env .',
    );
  });
});

describe('stack:down --dry-run', () => {
  it('removes the stack and waits for its networks, keeping volumes and secrets', () => {
    const run = stack(['down', '--dry-run']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.commands).toEqual([
      `docker version --format '{{.Server.Version}}'`,
      'docker stack rm repo-monitor',
      'docker network ls --filter label=com.docker.stack.namespace=repo-monitor --quiet',
    ]);
    expect(run.stdout).toContain('volumes and the secrets are kept');
  });
});

describe('arguments', () => {
  it.each([
    [[], 'say what to do: up or down'],
    [['sideways'], 'unknown command "sideways"'],
    [['up', 'now'], 'unexpected argument "now"'],
    [['up', '--bogus'], "Unknown option '--bogus'"],
    [['down', '--demo'], '--demo only applies to up'],
    [['down', '--advertise-addr', '10.0.0.1'], '--advertise-addr only applies to up'],
    [['up', '--timeout', '0'], '--timeout "0": whole seconds from 1 to 3600'],
    [['up', '--timeout', '5m'], '--timeout "5m"'],
    [['up', '--stack-name=-x'], '--stack-name "-x"'],
    [['up', '--version', 'no spaces'], 'version "no spaces": a docker tag'],
  ])('%j is refused', (args, message) => {
    expect(() => parseStackArgs([...args, '--dry-run'], {})).toThrow(new UsageError(message).message);
  });

  it('reads the options, VERSION standing in for --version', () => {
    expect(parseStackArgs(['up', '--demo', '--timeout', '60', '--advertise-addr', '192.0.2.1'], { VERSION: 'abc' })).toEqual({
      command: 'up',
      demo: true,
      dryRun: false,
      stackName: 'repo-monitor',
      version: 'abc',
      timeoutSeconds: 60,
      advertiseAddr: '192.0.2.1',
    });
  });

  it('answers a bad command line with the message and the usage, exit 2, and runs nothing', () => {
    const run = stack(['up', '--bogus', '--dry-run']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("stack: Unknown option '--bogus'");
    expect(run.stderr).toContain('Usage: node scripts/stack.ts <up|down>');
    expect(run.commands).toEqual([]);
  });

  it('--help prints the usage and exits 0', () => {
    const run = stack(['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('npm run stack:up -- [options]');
  });
});

describe('without Docker', () => {
  it('refuses clearly when there is no docker command, before doing anything', () => {
    for (const command of ['up', 'down']) {
      const run = stack([command, '--demo', '--version', 'v1'].filter((arg) => command === 'up' || arg !== '--demo'));
      expect(run.status, command).toBe(1);
      expect(run.stderr, command).toContain(`stack ${command}: Docker is not installed: there is no docker command on PATH. Install Docker Engine`);
      expect(run.commands, command).toEqual([]);
    }
  });
});

describe('stack:up and the stack files', () => {
  const plan = () => stack(['up', '--dry-run', '--demo', '--version', 'v1']).stdout;
  const files = [readYaml('stack.yml'), readYaml('stack.demo.yml')];

  it('creates every external secret the stack and its demo overlay use', () => {
    // The demo overlay redefines some of stack.yml's secrets as files: the later file wins, as in docker.
    const declared = Object.assign({}, ...files.map((file) => file.secrets ?? {}));
    const external = Object.entries<any>(declared).filter(([, secret]) => secret.external).map(([name]) => name);
    expect(external.length).toBeGreaterThan(0);
    const commands = plan();
    for (const name of external) expect(commands, name).toContain(`docker secret create ${name} -`);
  });

  it('puts every label a placement constraint asks for on the node', () => {
    const constraints = files.flatMap((file) => Object.values<any>(file.services).flatMap((service) => service.deploy?.placement?.constraints ?? []));
    const labels = constraints.map((constraint: string) => /^node\.labels\.(\S+) == (\S+)$/.exec(constraint)).filter((match) => match !== null);
    expect(labels.length).toBeGreaterThan(0);
    const commands = plan();
    for (const [, key, value] of labels) expect(commands).toContain(`--label-add ${key}=${value}`);
  });
});
