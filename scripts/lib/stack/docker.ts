import { spawnSync } from 'node:child_process';

/**
 * The docker command line, as the stack script uses it. `query` only reads the engine's
 * state; `change` alters it. The real one runs the commands; the dry run prints every
 * command instead and answers queries as a fresh engine would (no swarm, no secrets), so
 * both walk the same steps and the dry run shows exactly what a first run does.
 */
export interface Docker {
  readonly dryRun: boolean;
  query(args: readonly string[]): string;
  change(args: readonly string[], options?: ChangeOptions): void;
}

export interface ChangeOptions {
  /** Written to the command's stdin (secret values); never printed. */
  input?: string;
  /** What the dry run shows in place of the input. */
  inputLabel?: string;
  /** Variables the command needs besides the script's own environment (stack interpolation). */
  env?: Record<string, string>;
}

export class DockerMissing extends Error {
  override name = 'DockerMissing';
}

export class DockerFailed extends Error {
  override name = 'DockerFailed';
  readonly stderr: string;
  constructor(args: readonly string[], status: number | null, stderr: string) {
    super(`docker ${args.join(' ')} failed (exit ${status}): ${stderr.trim() || 'no message'}`);
    this.stderr = stderr;
  }
}

/** A word as a POSIX shell reads it, quoted only when it needs to be. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export function commandLine(args: readonly string[], env: Record<string, string> = {}): string {
  const assignments = Object.entries(env).map(([name, value]) => `${name}=${shellWord(value)}`);
  return [...assignments, 'docker', ...args.map(shellWord)].join(' ');
}

/** Runs docker in `cwd` (the repository: stack files and the Dockerfile are relative to it). */
export function realDocker(cwd: string, print: (line: string) => void): Docker {
  const exec = (args: readonly string[], options: ChangeOptions, onTerminal: boolean) => {
    const result = spawnSync('docker', args, {
      cwd,
      input: options.input,
      env: { ...process.env, ...options.env },
      encoding: 'utf8',
      // A change shows its own progress and errors (a build takes minutes); a query is read.
      stdio: [options.input === undefined ? 'ignore' : 'pipe', onTerminal ? 'inherit' : 'pipe', onTerminal ? 'inherit' : 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    const error = result.error as NodeJS.ErrnoException | undefined;
    if (error?.code === 'ENOENT') throw new DockerMissing('Docker is not installed: there is no docker command on PATH');
    if (error) throw error;
    if (result.status !== 0) throw new DockerFailed(args, result.status, onTerminal ? 'its output is above' : (result.stderr ?? ''));
    return result.stdout ?? '';
  };
  return {
    dryRun: false,
    query: (args) => exec(args, {}, false).trim(),
    change: (args, options = {}) => {
      print(`$ ${commandLine(args, options.env)}`);
      exec(args, options, true);
    },
  };
}

/** Prints every command; answers as an engine that has never run a swarm. */
export function dryRunDocker(print: (line: string) => void): Docker {
  let swarmActive = false;
  const answer = (args: readonly string[]): string => {
    const [command, ...rest] = args;
    if (command === 'version') return 'dry-run';
    if (command === 'info') return swarmActive ? 'active true <node-id>' : 'inactive false ';
    if (command === 'secret' && rest[0] === 'ls') return '';
    if (command === 'ps') return '<caddy-container>';
    return '';
  };
  return {
    dryRun: true,
    query: (args) => {
      const reply = answer(args);
      print(`$ ${commandLine(args)}`);
      return reply;
    },
    change: (args, options = {}) => {
      const stdin = options.input === undefined ? '' : `  # stdin: ${options.inputLabel ?? 'hidden'}`;
      print(`$ ${commandLine(args, options.env)}${stdin}`);
      if (args[0] === 'swarm' && args[1] === 'init') swarmActive = true;
    },
  };
}
