import { parseArgs } from 'node:util';

/** What `npm run stack:up` / `stack:down` were asked to do. */
export interface StackOptions {
  command: 'up' | 'down';
  /** Add stack.demo.yml: a fake GitHub you can break and a load generator. */
  demo: boolean;
  /** Print the docker commands instead of running them; needs no Docker at all. */
  dryRun: boolean;
  stackName: string;
  /** The image tag and the suffix of the swarm configs' names; derived from git when absent. */
  version: string | undefined;
  /** How long `up` waits for every service to be healthy (and `down` for its networks to go). */
  timeoutSeconds: number;
  /** For `docker swarm init` on a host with several addresses. */
  advertiseAddr: string | undefined;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `Usage: node scripts/stack.ts <up|down> [options]
       npm run stack:up -- [options]      npm run stack:down -- [options]

  up      initialise a single-node swarm if there is none, label the node, build the image,
          create missing secrets, deploy the stack and wait until it is healthy
  down    remove the stack; volumes and secrets are kept

Options:
  --demo                 up: add stack.demo.yml (a fake GitHub you can break, a load generator)
  --dry-run              print the docker commands instead of running them (no Docker needed)
  --stack-name <name>    default: repo-monitor
  --version <tag>        image tag and config suffix (default: VERSION, else <package version>-<git commit>)
  --timeout <seconds>    how long to wait for the services (default: 300)
  --advertise-addr <ip>  up: passed to docker swarm init on a host with several addresses
  -h, --help             this text

Environment: EDGE_DOMAIN (default localhost: api.localhost, grafana.localhost, ...), EDGE_TLS
(internal, or an e-mail address for ACME certificates), IMAGE (default repo-monitor),
GITHUB_TOKEN (stored as the github_token secret when that secret is created; required then,
except with --demo). See docs/deployment.md.`;

// Docker's own rule for stack (and so service) names.
const STACK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
// Docker image tags; the same string names swarm configs.
const VERSION = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Reads the command line; 'help' when help was asked for; throws UsageError on anything else unexpected. */
export function parseStackArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): StackOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        demo: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        'stack-name': { type: 'string', default: 'repo-monitor' },
        version: { type: 'string' },
        timeout: { type: 'string', default: '300' },
        'advertise-addr': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';

  const [command, ...extra] = positionals;
  if (command === undefined) throw new UsageError('say what to do: up or down');
  if (command !== 'up' && command !== 'down') throw new UsageError(`unknown command "${command}": use up or down`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (command === 'down' && values.demo) throw new UsageError('--demo only applies to up (down removes the whole stack)');
  if (command === 'down' && values['advertise-addr'] !== undefined) throw new UsageError('--advertise-addr only applies to up');

  const stackName = values['stack-name'];
  if (!STACK_NAME.test(stackName)) throw new UsageError(`--stack-name "${stackName}": letters, digits, "_", "." and "-", starting with a letter or digit`);

  const version = values.version ?? (env.VERSION || undefined);
  if (version !== undefined && !VERSION.test(version)) {
    throw new UsageError(`version "${version}": a docker tag (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")`);
  }

  const timeoutSeconds = Number(values.timeout);
  if (!/^\d+$/.test(values.timeout) || timeoutSeconds < 1 || timeoutSeconds > 3600) {
    throw new UsageError(`--timeout "${values.timeout}": whole seconds from 1 to 3600`);
  }

  return {
    command,
    demo: values.demo,
    dryRun: values['dry-run'],
    stackName,
    version,
    timeoutSeconds,
    advertiseAddr: values['advertise-addr'],
  };
}
