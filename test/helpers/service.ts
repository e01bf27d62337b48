import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../runtime/main.ts', import.meta.url));

/** The write token every test service accepts (API_TOKENS=test:<this>); `call` sends it by default. */
export const TEST_TOKEN = 'test-token-0123456789abcdef';
/** What a generated X-Request-Id looks like: the process's random prefix and a counter (runtime/observe/request-id.ts). */
export const GENERATED_REQUEST_ID = /^[0-9a-f]{16}-[0-9a-z]+$/;

export interface RunningService {
  url: string;
  port: number;
  /** The port of the separate metrics listener (METRICS_PORT), as the service logged it; undefined without one. */
  metricsPort: number | undefined;
  process: ChildProcess;
  /** Every line the service wrote to stdout so far. */
  lines: string[];
  stderr: string[];
  /** Resolves with the first line (already written or still to come) that matches. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * Starts the real service (`node runtime/main.ts`) as a child process on a free loopback
 * port, and waits until it listens and its database is ready.
 */
export async function startService(env: Record<string, string>, options: { waitReady?: boolean } = {}) {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'debug', API_TOKENS: `test:${TEST_TOKEN}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const waiter of waiters) {
      if (waiter.pattern.test(line)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  });
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForLine = (pattern: RegExp, timeoutMs = 15_000) => {
    const seen = lines.find((line) => pattern.test(line));
    if (seen) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const waiter = { pattern, resolve };
      waiters.add(waiter);
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`no log line matching ${pattern} within ${timeoutMs} ms; stderr: ${stderr.join('\n')}`));
      }, timeoutMs);
      void exited.then(() => {
        if (!waiters.has(waiter)) return;
        clearTimeout(timer);
        reject(new Error(`service exited before a line matching ${pattern}; stderr: ${stderr.join('\n')}`));
      });
      const done = waiter.resolve;
      waiter.resolve = (line) => {
        clearTimeout(timer);
        done(line);
      };
    });
  };

  const listening = await waitForLine(/msg=listening/);
  // A scheduler-only process (ROLE=scheduler) has no API port: its metrics port is what answers.
  const metricsPortLogged = / metrics_port=(\d+)/.exec(listening)?.[1];
  const port = Number(/ port=(\d+)/.exec(listening)?.[1] ?? metricsPortLogged);
  if (options.waitReady !== false) await waitForLine(/msg="database ready"/);
  const service: RunningService = {
    url: `http://127.0.0.1:${port}`,
    port,
    metricsPort: metricsPortLogged === undefined ? undefined : Number(metricsPortLogged),
    process: child,
    lines,
    stderr,
    waitForLine,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  return service;
}

/** fetch with JSON in and out, for brevity in tests; sends TEST_TOKEN unless `token` says otherwise (null: none). */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; rawBody?: string; token?: string | null } = {},
) {
  const token = options.token === undefined ? TEST_TOKEN : options.token;
  const headers: Record<string, string> = { ...(token !== null && { authorization: `Bearer ${token}` }), ...options.headers };
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${base}${path}`, { method, headers, body });
  const text = await response.text();
  const json = parseJsonOrUndefined(text);
  return { status: response.status, headers: response.headers, text, json: json as any };
}

/** The body as JSON, or undefined when it is empty or not JSON (tests then look at the text). */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
