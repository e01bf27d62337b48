import type { CommandFailedEvent, CommandStartedEvent, CommandSucceededEvent } from 'mongodb';
import type { Clock } from '../../lib/clock.ts';
import { loadConfig, type Config } from '../../lib/config.ts';
import { ensureIndexes, type Database } from '../../lib/db.ts';
import type { GitHubClientOptions } from '../../lib/github/client.ts';
import { Logger } from '../../lib/logging/logger.ts';
import type { Metrics } from '../../lib/metrics/registry.ts';
import { newRepoDocument } from '../../lib/repos/model.ts';
import type { SyncDeps, SyncOptions } from '../../lib/sync/deps.ts';
import type { SyncSummary } from '../../lib/sync/summary.ts';
import { startServer, type RunningServer } from '../../runtime/server.ts';
import { createService, type Service } from '../../runtime/service.ts';
import { startFakeGitHub, type FakeGitHub, type StartOptions } from '../../tools/fake-github/server.ts';
import { virtualTime } from '../github/virtual-time.ts';
import { mongodbUri, uniqueDbName } from '../helpers/database.ts';
import { parseLogfmt } from '../helpers/logs.ts';
import { parseMetrics, type Family } from '../helpers/metrics.ts';
import { call, TEST_TOKEN } from '../helpers/service.ts';

/**
 * One "process" of the service inside the test: the real app on a loopback port, the real
 * sync with its own GitHub client, budget and metrics, against the real database and the
 * real fake upstream over HTTP. The clock is simulated by default (shared by the fake, the
 * client's sleeps and the handlers), so an hour of pacing or STALE_AFTER passes in
 * milliseconds. Two harnesses on one database and one fake play two processes.
 */
export type VirtualTime = ReturnType<typeof virtualTime>;

export interface HarnessOptions {
  /** Configuration variables on top of the defaults (UPSTREAM_URL points at the fake). */
  env?: Record<string, string>;
  /** Start a fake with these options, or share `github`. */
  fake?: StartOptions;
  github?: FakeGitHub;
  /** Share another harness's database (name) and clock. */
  dbName?: string;
  time?: VirtualTime;
  /** Real time instead of a simulated clock (for timing across processes). */
  realTime?: boolean;
  syncOptions?: Partial<SyncOptions>;
  client?: Partial<GitHubClientOptions>;
}

export interface Harness {
  url: string;
  github: FakeGitHub;
  time: VirtualTime;
  clock: Clock;
  config: Config;
  db: Database;
  dbName: string;
  sync: SyncDeps;
  service: Service;
  metrics: Metrics;
  logs: string[];
  /** Write commands sent to the database since the last reset, by collection, and the most ever in flight at once. */
  writes: { count(collection: string): number; maxInFlight(collection: string): number; reset(): void };
  /** Tracks repositories (inserted as the API would, never synced). */
  track(fullNames: string[]): Promise<void>;
  /** One sync run through the task, as the scheduler does. */
  run(): Promise<SyncSummary>;
  /** POST /sync with Prefer: wait, as a client that waits for the finished run does; its summary. */
  syncOverHttp(): Promise<{ status: number; run: any; summary: SyncSummary }>;
  api(method: string, path: string, options?: Parameters<typeof call>[3]): ReturnType<typeof call>;
  scrape(): Promise<Map<string, Family>>;
  parsedLogs(): Record<string, string>[];
  stop(): Promise<void>;
}

const WRITE_COMMANDS = new Set(['insert', 'update', 'delete', 'findAndModify']);

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const time = options.time ?? virtualTime();
  const clock: Clock = options.realTime ? { now: () => new Date() } : { now: () => new Date(time.now()) };
  const ownFake = !options.github;
  const github = options.github ?? (await startFakeGitHub({ now: options.realTime ? Date.now : time.now, ...options.fake }));
  const dbName = options.dbName ?? uniqueDbName('sync');
  const logs: string[] = [];
  const log = new Logger({ level: 'debug', write: (line) => logs.push(line.trimEnd()), callSite: false, now: () => clock.now() });
  const config = loadConfig({
    MONGODB_URI: mongodbUri(),
    MONGODB_DB: dbName,
    DB_TIMEOUT_MS: '5000',
    API_TOKENS: `test:${TEST_TOKEN}`,
    UPSTREAM_URL: github.url,
    SYNC_CONCURRENCY: '1',
    METRICS_EXEMPLARS: 'false',
    ...options.env,
  });
  const service = createService(config, {
    log,
    clock,
    version: 'test',
    metrics: { runtime: false },
    sync: { client: options.realTime ? options.client : { sleep: time.sleep, ...options.client }, options: options.syncOptions },
  });
  const { db, metrics } = service;
  // A real count of write commands, from the driver's command monitoring (a setter the typings omit).
  (db.client as unknown as { monitorCommands: boolean }).monitorCommands = true;
  const writeCounts = new Map<string, number>();
  const inFlight = new Map<number, string>();
  const maxInFlight = new Map<string, number>();
  db.client.on('commandStarted', (event: CommandStartedEvent) => {
    if (!WRITE_COMMANDS.has(event.commandName)) return;
    const collection = String(event.command[event.commandName]);
    writeCounts.set(collection, (writeCounts.get(collection) ?? 0) + 1);
    inFlight.set(event.requestId, collection);
    const now = [...inFlight.values()].filter((name) => name === collection).length;
    maxInFlight.set(collection, Math.max(maxInFlight.get(collection) ?? 0, now));
  });
  const ended = (event: CommandSucceededEvent | CommandFailedEvent) => inFlight.delete(event.requestId);
  db.client.on('commandSucceeded', ended);
  db.client.on('commandFailed', ended);
  await ensureIndexes(db);

  const server: RunningServer = await startServer(service.app, { port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${server.port}`;

  return {
    url,
    github,
    time,
    clock,
    config,
    db,
    dbName,
    sync: service.sync.deps,
    service,
    metrics,
    logs,
    writes: {
      count: (collection) => writeCounts.get(collection) ?? 0,
      maxInFlight: (collection) => maxInFlight.get(collection) ?? 0,
      reset: () => {
        writeCounts.clear();
        maxInFlight.clear();
      },
    },
    async track(fullNames) {
      const docs = fullNames.map((fullName) => {
        const [owner, name] = fullName.split('/') as [string, string];
        return newRepoDocument({ owner, name }, clock.now());
      });
      for (let i = 0; i < docs.length; i += 1000) await db.repos.insertMany(docs.slice(i, i + 1000));
    },
    run: () => service.sync.run('schedule'),
    async syncOverHttp() {
      const response = await call(url, 'POST', '/sync', { headers: { prefer: 'wait=60' } });
      return { status: response.status, run: response.json, summary: response.json?.summary };
    },
    api: (method, path, callOptions) => call(url, method, path, callOptions),
    async scrape() {
      const { body } = await metrics.render(undefined);
      return parseMetrics(body);
    },
    parsedLogs: () => parseLogfmt(logs),
    async stop() {
      await server.close(0);
      await service.close();
      if (ownFake) await github.stop();
    },
  };
}

/** `count` repositories named acme/repo-000... */
export const repoNames = (count: number, owner = 'acme') =>
  Array.from({ length: count }, (_, i) => `${owner}/repo-${String(i).padStart(3, '0')}`);
