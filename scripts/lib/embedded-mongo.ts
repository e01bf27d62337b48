import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildGoTool } from './go-tool.ts';

/**
 * The embedded MongoDB-compatible server for development and tests: FerretDB v1 (MongoDB
 * wire protocol over SQLite) in a tiny Go program under tools/ferretdb-embedded, built on
 * first use from the Go module proxy. Production and `MONGODB_URI` never touch it.
 */
export interface EmbeddedMongo {
  uri: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Builds the helper if needed (see buildGoTool). */
export const buildEmbeddedMongo = (log?: (line: string) => void) => buildGoTool('ferretdb-embedded', log);

export interface StartOptions {
  dataDir: string;
  /** host:port; port 0 picks a free one. */
  listen?: string;
  /** Where the server's own log lines go; dropped by default. */
  onLog?: (line: string) => void;
  log?: (line: string) => void;
}

/** Starts the server and resolves with its URI once it listens. */
export async function startEmbeddedMongo(options: StartOptions): Promise<EmbeddedMongo> {
  const binary = buildEmbeddedMongo(options.log);
  mkdirSync(options.dataDir, { recursive: true });
  // -watch-stdin: the server exits when our end of its stdin closes, so it never outlives us.
  const child = spawn(binary, ['-data', options.dataDir, '-listen', options.listen ?? '127.0.0.1:0', '-watch-stdin'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const onLog = options.onLog ?? (() => {});
  createInterface({ input: child.stderr! }).on('line', onLog);
  const lines = createInterface({ input: child.stdout! });

  const uri = await new Promise<string>((resolve, reject) => {
    const fail = (why: string) => reject(new Error(`embedded MongoDB server did not start: ${why}`));
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(`exited with ${signal ?? code}`));
    lines.once('line', (line) => resolve(line.trim()));
  });
  lines.on('line', onLog);

  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    uri,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** A database for a script: MONGODB_URI when set, else an embedded server on a temporary directory. */
export interface ScriptDatabase {
  uri: string;
  /** Whether it is the embedded server (for the script's report). */
  embedded: boolean;
  /** Stops the embedded server and removes its directory; nothing for MONGODB_URI. */
  close(): Promise<void>;
}

export async function databaseForScript(name: string): Promise<ScriptDatabase> {
  const given = process.env.MONGODB_URI;
  if (given) return { uri: given, embedded: false, close: async () => {} };
  const dataDir = mkdtempSync(join(tmpdir(), `repo-monitor-${name}-`));
  const server = await startEmbeddedMongo({ dataDir, log: (line) => console.error(line) });
  return {
    uri: server.uri,
    embedded: true,
    async close() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
