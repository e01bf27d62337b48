import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { join } from 'node:path';
import { toolPath } from '../monitoring/helpers.ts';
import { freePort } from '../helpers/free-port.ts';

/** Prometheus, Alertmanager and a webhook receiver on loopback, for the live tests. */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something other than undefined, or fails after timeoutMs. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve(probe()).catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

export interface MonitoringProcess {
  url: string;
  address: string;
  process: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

/** A free loopback address, to know a process's address before it starts (configs name it). */
export const freeAddress = async () => `127.0.0.1:${await freePort()}`;

async function startProcess(name: 'prometheus' | 'alertmanager', address: string, args: string[], env: Record<string, string> = {}): Promise<MonitoringProcess> {
  const child = spawn(toolPath(name), args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const readyPath = '/-/ready';
  const output: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://${address}`;
  await waitFor(
    `${name} ready at ${url}${readyPath}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}): ${output.join('')}`);
      return (await fetch(url + readyPath)).ok || undefined;
    },
    20_000,
    100,
  ).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${error.message}\n${output.join('')}`);
  });
  return {
    url,
    address,
    process: child,
    output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Prometheus on `address` with `dir/prometheus.yml` (written from `config`), storing in dir/; `flags` are added to its command line. */
export function startPrometheus(dir: string, address: string, config: string, env: Record<string, string> = {}, flags: string[] = []): Promise<MonitoringProcess> {
  writeFileSync(join(dir, 'prometheus.yml'), config);
  return startProcess(
    'prometheus',
    address,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
      `--web.listen-address=${address}`,
      '--enable-feature=exemplar-storage',
      ...flags,
    ],
    env,
  );
}

/** An instant query's series, from the Prometheus at `url`. */
export async function instantQuery(url: string, expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const body = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as any;
  return body.data.result;
}

/** The alerts the Prometheus at `url` has firing now (pending ones left out). */
export async function firingAlerts(url: string): Promise<Array<{ labels: Record<string, string> }>> {
  const body = (await (await fetch(`${url}/api/v1/alerts`)).json()) as any;
  return (body.data.alerts as Array<{ labels: Record<string, string>; state: string }>).filter((alert) => alert.state === 'firing');
}

/** Alertmanager on `address` with `dir/alertmanager.yml` (written from `config`), alone (no cluster). */
export function startAlertmanager(dir: string, address: string, config: string): Promise<MonitoringProcess> {
  writeFileSync(join(dir, 'alertmanager.yml'), config);
  return startProcess(
    'alertmanager',
    address,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'alertmanager-data')}`,
      `--web.listen-address=${address}`,
      '--cluster.listen-address=',
    ],
  );
}

export interface Notification {
  /** When the webhook received it (ms since epoch). */
  at: number;
  /** The receiver the route tree chose (the path the webhook was posted to). */
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: Array<{ status: 'firing' | 'resolved'; labels: Record<string, string>; startsAt: string; endsAt: string }>;
}

/** An HTTP server recording every Alertmanager webhook notification it receives. */
export async function startWebhook() {
  const notifications: Notification[] = [];
  const server = createHttpServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const payload = JSON.parse(body) as Omit<Notification, 'at' | 'receiver'>;
      notifications.push({ at: Date.now(), receiver: decodeURIComponent(request.url!.slice(1)), status: payload.status, alerts: payload.alerts });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    notifications,
    /** Every alert delivered so far with its notification's time and receiver. */
    delivered: () => notifications.flatMap((notification) => notification.alerts.map((alert) => ({ ...alert, at: notification.at, receiver: notification.receiver }))),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
