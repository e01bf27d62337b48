import { fileURLToPath } from 'node:url';
import { VariableMissing } from './lib/stack/deploy-env.ts';
import { DockerFailed, DockerMissing, dryRunDocker, realDocker } from './lib/stack/docker.ts';
import { stackDown } from './lib/stack/down.ts';
import { EngineUnreachable } from './lib/stack/engine.ts';
import { parseStackArgs, USAGE, UsageError } from './lib/stack/options.ts';
import { SecretsRefused } from './lib/stack/secrets.ts';
import { stackUp, SwarmRefused } from './lib/stack/up.ts';
import { VersionUnknown } from './lib/stack/version.ts';
import { StackTimeout } from './lib/stack/wait.ts';

/**
 * `npm run stack:up` and `npm run stack:down`: the whole Docker Swarm deployment in one
 * command (docs/deployment.md). Exit status: 0 done, 1 refused or failed, 2 bad arguments.
 */
const root = fileURLToPath(new URL('../', import.meta.url));
const print = (line: string) => console.log(line);

let options;
try {
  options = parseStackArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`stack: ${error.message}\n\n${USAGE}`);
  process.exit(2);
}
if (options === 'help') {
  console.log(USAGE);
  process.exit(0);
}

const docker = options.dryRun ? dryRunDocker(print) : realDocker(root, print);
const run = { root, options, docker, env: process.env, print };
const EXPECTED = [DockerMissing, EngineUnreachable, DockerFailed, SwarmRefused, SecretsRefused, StackTimeout, VersionUnknown, VariableMissing];

try {
  await (options.command === 'up' ? stackUp(run) : stackDown(run));
} catch (error) {
  if (!EXPECTED.some((kind) => error instanceof kind)) throw error;
  const hint = error instanceof DockerMissing ? ' Install Docker Engine (https://docs.docker.com/engine/install/), or run with --dry-run to see the commands.' : '';
  console.error(`stack ${options.command}: ${(error as Error).message.replace(/\.$/, '')}.${hint}`);
  process.exit(1);
}
