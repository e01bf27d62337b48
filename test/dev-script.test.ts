import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { mongodbUri, uniqueDbName } from './helpers/database.ts';
import { freePort } from './helpers/free-port.ts';

/**
 * `npm run dev` (scripts/dev.ts) stops the service when the process that started it goes
 * away: a SIGTERM sent to npm alone (not to the process group, as Ctrl-C is) ends npm, and
 * the service must not go on serving with nobody left to stop it. Processes are read from
 * /proc (Linux), the only way to see what a killed parent left behind.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
// The project's Node first, as `npm run` puts it.
const PATH = [`${ROOT}node_modules/.bin`, process.env.PATH ?? ''].join(delimiter);
const npmWorks = spawnSync('npm', ['--version'], { env: { ...process.env, PATH }, timeout: 20_000 }).status === 0;

const started: ChildProcess[] = [];
afterEach(() => {
  // Whatever a failed run left behind: the group each test started, and only that.
  for (const child of started.splice(0)) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Pids of the live processes below `pid` (zombies count as gone: they serve nothing). */
function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat || stat.state === 'Z') continue;
    parents.set(stat.ppid, [...(parents.get(stat.ppid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  for (const queue = [pid]; queue.length > 0; ) {
    for (const child of parents.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

function readStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: state!, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

const alive = (pid: number) => {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z';
};

async function answers(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) })).status === 200;
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
    if (await condition()) return true;
  }
  return condition();
}

/** Starts the command in a process group of its own, waits for the service to answer, then SIGTERMs the command's process alone. */
async function killParentOf(command: string, args: string[]) {
  const port = await freePort();
  const parent = spawn(command, args, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      ROLE: 'api',
      MONGODB_URI: mongodbUri(),
      MONGODB_DB: uniqueDbName('dev_script'),
      API_TOKENS: 'dev:dev-script-token-0123456789',
    },
  });
  started.push(parent);
  let stderr = '';
  parent.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  expect(await waitUntil(() => answers(port), 30_000), `the service never answered on ${port}: ${stderr}`).toBe(true);
  const below = descendantsOf(parent.pid!);
  expect(below.length).toBeGreaterThanOrEqual(2); // dev.ts and the service, at least

  process.kill(parent.pid!, 'SIGTERM');
  const portClosed = await waitUntil(async () => !(await answers(port)), 5_000);
  await waitUntil(() => below.every((pid) => !alive(pid)), 5_000);
  return { portClosed, left: below.filter(alive), stderr };
}

describe('npm run dev when only its parent is told to stop', () => {
  it('stops the service when the shell that started it is killed with SIGTERM', async () => {
    // `; true` keeps sh as the parent (a lone command would be exec'd in its place), as npm's shell is.
    const { portClosed, left, stderr } = await killParentOf('sh', ['-c', 'node scripts/dev.ts; true']);
    expect(portClosed, stderr).toBe(true);
    expect(left).toEqual([]);
    expect(stderr).toContain('parent process');
  }, 60_000);

  it.runIf(npmWorks)('stops the service when `npm run dev` itself is killed with SIGTERM', async () => {
    const { portClosed, left, stderr } = await killParentOf('npm', ['run', 'dev']);
    expect(portClosed, stderr).toBe(true);
    expect(left).toEqual([]);
  }, 60_000);
});
