import { parseArgs } from 'node:util';
import { scaledClock } from './clock.ts';
import { startFakeGitHub } from './server.ts';

/**
 * `npm run upstream [-- flags]`: the fake GitHub on its own port, for offline demos and for
 * pointing the service at (UPSTREAM_URL=http://127.0.0.1:8080). Break it with the control
 * API, e.g.
 *   curl -X POST localhost:8080/_control/faults -d '{"type":"status","status":502,"count":5}'
 *   curl localhost:8080/_control/stats
 */
const HELP = `Usage: npm run upstream -- [options]

  --port N              port (env FAKE_GITHUB_PORT, default 8080; 0 picks a free one)
  --host ADDR           interface (env FAKE_GITHUB_HOST, default 127.0.0.1; 0.0.0.0 in containers)
  --limit N             requests per window without a token (default 60)
  --auth-limit N        requests per window with "Authorization: Bearer <anything>" (default 5000)
  --window S            rate-limit window in simulated seconds (default 3600)
  --change-every S      stats drift one step every S simulated seconds (default 60; 0 freezes them)
  --time-scale X        simulated seconds per real second (default 1; 60 = an hour per minute)
  --exhausted-status N  403 (default) or 429 when the limit is spent
  --missing owner/name  answer 404 for this repository (repeatable)
  --gone owner/name     answer 410 for this repository (repeatable)
  --seed N              seed for the random draws of "fraction" faults (default 1)
  --help

Control API (JSON): GET /_control, GET /_control/stats, POST|DELETE /_control/faults,
PATCH /_control/settings, POST /_control/exhaust, PUT /_control/repos/:owner/:repo,
POST /_control/changes, POST /_control/reset. Fault shapes: tools/fake-github/faults.ts.
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${HELP}`);
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        limit: { type: 'string' },
        'auth-limit': { type: 'string' },
        window: { type: 'string' },
        'change-every': { type: 'string' },
        'time-scale': { type: 'string' },
        'exhausted-status': { type: 'string' },
        missing: { type: 'string', multiple: true },
        gone: { type: 'string', multiple: true },
        seed: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (error) {
    fail((error as Error).message);
  }
}

const args = parse();
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const number = (flag: string, value: string | undefined) => {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) fail(`--${flag} must be a number, got ${JSON.stringify(value)}`);
  return parsed;
};

const repos: Record<string, 404 | 410> = {};
for (const name of args.missing ?? []) repos[name] = 404;
for (const name of args.gone ?? []) repos[name] = 410;
const timeScale = number('time-scale', args['time-scale']) ?? 1;
const exhaustedStatus = number('exhausted-status', args['exhausted-status']);

try {
  const github = await startFakeGitHub({
    port: number('port', args.port ?? process.env.FAKE_GITHUB_PORT) ?? 8080,
    host: args.host ?? process.env.FAKE_GITHUB_HOST ?? '127.0.0.1',
    limit: number('limit', args.limit),
    authenticatedLimit: number('auth-limit', args['auth-limit']),
    windowSeconds: number('window', args.window),
    changeEverySeconds: number('change-every', args['change-every']),
    exhaustedStatus: exhaustedStatus as 403 | 429 | undefined,
    seed: number('seed', args.seed),
    now: scaledClock(timeScale),
    repos,
  });
  const settings = github.control.settings();
  process.stdout.write(
    `fake-github listening on ${github.url} (limit ${settings.limit}/${settings.authenticatedLimit} per ${settings.windowSeconds} s, ` +
      `stats change every ${settings.changeEverySeconds} s, time x${timeScale})\n`,
  );
  const shutdown = () => void github.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (error) {
  fail((error as Error).message);
}
