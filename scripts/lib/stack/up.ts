import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployEnvironment } from './deploy-env.ts';
import type { Docker } from './docker.ts';
import { listSecrets, requireEngine, swarmState } from './engine.ts';
import type { StackOptions } from './options.ts';
import { EDGE_PASSWORD_FILE, newSecrets, type NewSecret } from './secrets.ts';
import { serviceEnvironment } from './stack-env.ts';
import { externalSecrets, requiredNodeLabels, stackFiles } from './stack-files.ts';
import { stackVersion } from './version.ts';
import { waitForServices } from './wait.ts';

export class SwarmRefused extends Error {
  override name = 'SwarmRefused';
}

export interface StackRun {
  /** The repository: stack files, Dockerfile, package.json. Docker runs there. */
  root: string;
  options: StackOptions;
  docker: Docker;
  env: NodeJS.ProcessEnv;
  print: (line: string) => void;
}

/** Where generated logins are kept for a person to read, relative to the repository (.data/ is not committed). */
export const secretsDir = (stackName: string) => join('.data', 'stack', stackName);

/**
 * `npm run stack:up`: from a Docker engine (with or without a swarm) to a healthy stack.
 * Everything that can refuse (a worker node, a secret that cannot be invented) refuses
 * before the first change.
 */
export async function stackUp({ root, options, docker, env, print }: StackRun): Promise<void> {
  const files = stackFiles(options.demo);
  const version = options.version ?? stackVersion(root);
  const image = `${env.IMAGE || 'repo-monitor'}:${version}`;
  const keepDir = secretsDir(options.stackName);
  print(`# ${options.stackName} ${version} from ${files.join(' + ')}${options.dryRun ? ' (dry run: nothing is changed)' : ''}`);

  requireEngine(docker);
  const swarm = swarmState(docker);
  if (swarm.state === 'active' && !swarm.manager) {
    throw new SwarmRefused('this node is a swarm worker: run stack:up on a manager node (docker node ls there lists the managers)');
  }
  if (swarm.state !== 'active' && swarm.state !== 'inactive') {
    throw new SwarmRefused(`the swarm is "${swarm.state}" on this node: fix it first (docker info shows why), then run again`);
  }
  const existing = swarm.state === 'active' ? listSecrets(docker) : [];
  const missing = externalSecrets(root, files).filter((name) => !existing.includes(name));
  const secrets = newSecrets(missing, { demo: options.demo, env });
  const deployEnv = deployEnvironment(root, files, version, env);

  let nodeId = swarm.nodeId;
  if (swarm.state === 'inactive') {
    const advertise = options.advertiseAddr === undefined ? [] : ['--advertise-addr', options.advertiseAddr];
    docker.change(['swarm', 'init', ...advertise]);
    nodeId = swarmState(docker).nodeId;
  }

  const labels = requiredNodeLabels(root, files);
  if (labels.length > 0) {
    docker.change(['node', 'update', ...labels.flatMap(({ key, value }) => ['--label-add', `${key}=${value}`]), nodeId]);
  }

  docker.change(['build', '--build-arg', `VERSION=${version}`, '--tag', image, '.']);

  for (const secret of secrets) createSecret(docker, secret, join(root, keepDir));

  docker.change(['stack', 'deploy', ...files.flatMap((file) => ['--compose-file', file]), options.stackName], { env: deployEnv });

  await waitForServices(docker, options.stackName, options.timeoutSeconds, print);

  const edge = serviceEnvironment(root, 'caddy', env);
  const internalCa = edge.EDGE_TLS === 'internal';
  if (internalCa) copyRootCertificate(docker, options.stackName, root, keepDir);

  printSummary({ root, options, env, print, edge, internalCa, keepDir, created: secrets });
}

function createSecret(docker: Docker, secret: NewSecret, keepDir: string): void {
  if (secret.keep && !docker.dryRun) {
    mkdirSync(keepDir, { recursive: true, mode: 0o700 });
    const file = join(keepDir, secret.keep.file);
    writeFileSync(file, `${secret.keep.text}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  docker.change(['secret', 'create', secret.name, '-'], { input: secret.value, inputLabel: secret.label });
}

/** Caddy's internal CA signs the certificates: its root is what browsers and curl must trust. */
function copyRootCertificate(docker: Docker, stackName: string, root: string, keepDir: string): void {
  const container = docker
    .query(['ps', '--quiet', '--filter', `label=com.docker.swarm.service.name=${stackName}_caddy`])
    .split('\n')[0];
  if (!container) return;
  if (!docker.dryRun) mkdirSync(join(root, keepDir), { recursive: true, mode: 0o700 });
  docker.change(['cp', `${container}:/data/caddy/pki/authorities/local/root.crt`, join(keepDir, 'caddy-root.crt')]);
}

interface Summary {
  root: string;
  options: StackOptions;
  env: NodeJS.ProcessEnv;
  print: (line: string) => void;
  edge: Record<string, string>;
  internalCa: boolean;
  keepDir: string;
  created: NewSecret[];
}

function printSummary({ root, options, env, print, edge, internalCa, keepDir, created }: Summary): void {
  const grafanaUser = serviceEnvironment(root, 'grafana', env).GF_SECURITY_ADMIN_USER ?? 'admin';
  const passwordIn = (file: string, secret: string) =>
    existsSync(join(root, keepDir, file)) || created.some((one) => one.keep?.file === file)
      ? `password in ${join(keepDir, file)}`
      : `the password given when the secret ${secret} was created`;

  print('');
  print(options.dryRun ? 'When it is up:' : `${options.stackName} is up:`);
  print(`  API           https://${edge.EDGE_API_HOST}/repos   (writes: Authorization: Bearer <token in ${join(keepDir, 'api_tokens')}>)`);
  print(`  Grafana       https://${edge.EDGE_GRAFANA_HOST}/   user ${grafanaUser}, ${passwordIn('grafana_admin_password', 'grafana_admin_password')}`);
  const operators = `user ${edge.EDGE_AUTH_USER}, ${passwordIn(EDGE_PASSWORD_FILE, 'edge_auth_hash')}`;
  print(`  Prometheus    https://${edge.EDGE_PROMETHEUS_HOST}/   ${operators}`);
  print(`  Alertmanager  https://${edge.EDGE_ALERTMANAGER_HOST}/   ${operators}`);
  if (options.demo) print('  fake GitHub   http://localhost:8080/_control   (demo: faults to inject, docs/deployment.md)');
  if (internalCa) {
    const certificate = join(keepDir, 'caddy-root.crt');
    print(`Certificates come from Caddy's internal CA: trust ${certificate} (curl --cacert ${certificate}), or set EDGE_TLS (docs/deployment.md, "TLS").`);
  }
  const kept = created.filter((secret) => secret.keep);
  if (kept.length > 0) {
    print(`New secrets: ${kept.map((secret) => secret.name).join(', ')}. Docker never shows a secret again; the values`);
    print(`you need are in ${keepDir}/ (readable by you only): read them once, keep them somewhere safe, delete the files.`);
  }
  for (const secret of created.filter((one) => one.placeholder)) {
    print(`The secret ${secret.name} holds a random placeholder: replace it, or give ${secret.name.toUpperCase()} on a first stack:up (docs/deployment.md, "Secrets").`);
  }
}
