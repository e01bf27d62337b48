import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * The embedded MongoDB-compatible server for development and tests: FerretDB v1 (MongoDB
 * wire protocol over SQLite) in a tiny Go program under tools/ferretdb-embedded, built on
 * first use from the Go module proxy. Production and `MONGODB_URI` never touch it.
 */
const HELPER_DIR = fileURLToPath(new URL('../../tools/ferretdb-embedded/', import.meta.url));
export const HELPER_BINARY = `${HELPER_DIR}bin/ferretdb-embedded`;

export interface EmbeddedMongo {
  uri: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const mtime = (path: string) => statSync(path).mtimeMs;

/** Builds the helper unless the binary is newer than its sources. Go caches modules and objects between builds. */
export function buildEmbeddedMongo(log: (line: string) => void = () => {}): string {
  const sources = ['main.go', 'go.mod', 'go.sum'].map((file) => HELPER_DIR + file);
  const upToDate = existsSync(HELPER_BINARY) && sources.every((file) => mtime(file) <= mtime(HELPER_BINARY));
  if (upToDate) return HELPER_BINARY;
  log('building the embedded MongoDB-compatible server (FerretDB); the first build takes a minute or two...');
  const result = spawnSync('go', ['build', '-o', HELPER_BINARY, '.'], {
    cwd: HELPER_DIR,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CGO_ENABLED: '0' },
  });
  if (result.error) throw new Error(`cannot run go to build ${HELPER_BINARY}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`building ${HELPER_BINARY} failed (exit ${result.status})`);
  return HELPER_BINARY;
}

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
