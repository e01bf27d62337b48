import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config.ts';
import { createDatabase, type Database } from '../lib/db.ts';
import { registerDatabaseMetrics } from '../lib/metrics/database-metrics.ts';
import { registerMongoDriverMetrics } from '../lib/metrics/mongodb-driver-metrics.ts';
import { createMetrics, type Metrics } from '../lib/metrics/registry.ts';
import { mongodbUri, uniqueDbName } from './helpers/database.ts';
import { parseMetrics, sampleOf, type Family } from './helpers/metrics.ts';

/**
 * The driver's command and pool metrics, against the test database server. Pool states
 * (checked out, waiting, check-out timeouts) are made to last by a loopback TCP relay that
 * holds the server's answers back while `slow` is set.
 */
interface SlowRelay {
  uri: string;
  slow: { delayMs: number };
  close(): Promise<void>;
}

async function startSlowRelay(target: URL): Promise<SlowRelay> {
  const slow = { delayMs: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (slow.delayMs === 0) client.write(chunk);
      else setTimeout(() => client.write(chunk), slow.delayMs);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    uri: `mongodb://127.0.0.1:${port}/?directConnection=true`,
    slow,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const scrape = async (metrics: Metrics) => parseMetrics((await metrics.render(undefined)).body);
const commandCount = (families: Map<string, Family>, command: string, outcome = 'success') =>
  sampleOf(families, 'mongodb_driver_command_duration_seconds', { command, outcome })?.count ?? 0;

describe('command durations', () => {
  let db: Database;
  let metrics: Metrics;
  beforeAll(() => {
    db = createDatabase({ uri: mongodbUri(), dbName: uniqueDbName('driver_metrics'), timeoutMs: 5000 });
    metrics = createMetrics({ version: 'test', exemplars: false, maxSeries: 100, runtime: false });
    registerDatabaseMetrics(metrics.registry, db);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('counts each command by name and outcome, with its time in the histogram', async () => {
    await db.repos.insertMany([{ _id: 'a/b' }, { _id: 'c/d' }] as never);
    for (let i = 0; i < 3; i++) await db.repos.findOne({ _id: 'a/b' });
    await db.repos.countDocuments({});
    const families = await scrape(metrics);
    expect(commandCount(families, 'insert')).toBe(1);
    expect(commandCount(families, 'find')).toBe(3);
    expect(commandCount(families, 'aggregate')).toBe(1); // countDocuments is an aggregation
    const find = sampleOf(families, 'mongodb_driver_command_duration_seconds', { command: 'find', outcome: 'success' })!;
    expect(find.sum).toBeGreaterThan(0);
    expect(find.sum).toBeLessThan(5);
    // Timed finer than the driver's own duration, which is whole milliseconds.
    expect(Math.round(find.sum! * 1e6) % 1000).not.toBe(0);
  });

  it('records a failed command as failure, and an unknown command name as "other"', async () => {
    await expect(db.db.command({ noSuchCommandHere: 1 })).rejects.toThrow();
    await expect(db.db.command({ anotherMadeUpCommand: 1 })).rejects.toThrow();
    const families = await scrape(metrics);
    expect(commandCount(families, 'other', 'failure')).toBe(2);
    const commands = new Set(families.get('mongodb_driver_command_duration_seconds')!.samples.map((sample) => sample.labels.command));
    expect(commands).not.toContain('noSuchCommandHere');
  });

  it('shows the pool: its connections, none checked out or waiting when idle, and its size limit', async () => {
    const families = await scrape(metrics);
    const server = new URL(mongodbUri()).host;
    expect(sampleOf(families, 'mongodb_driver_pool_connections', { server })?.value).toBeGreaterThanOrEqual(1);
    expect(sampleOf(families, 'mongodb_driver_pool_checked_out_connections', { server })?.value).toBe(0);
    expect(sampleOf(families, 'mongodb_driver_pool_wait_queue_size', { server })?.value).toBe(0);
    expect(sampleOf(families, 'mongodb_driver_pool_max_connections', { server })?.value).toBe(100); // the driver's default
    expect(sampleOf(families, 'mongodb_driver_pool_checkout_failures_total', { server, reason: 'timeout' })?.value).toBe(0);
  });
});

describe('a busy pool', () => {
  let relay: SlowRelay;
  let db: Database;
  let metrics: Metrics;
  beforeAll(async () => {
    relay = await startSlowRelay(new URL(mongodbUri()));
    const uri = `${relay.uri}&maxPoolSize=1&waitQueueTimeoutMS=300`;
    db = createDatabase({ uri, dbName: uniqueDbName('driver_pool'), timeoutMs: 5000 });
    metrics = createMetrics({ version: 'test', exemplars: false, maxSeries: 100, runtime: false });
    // Without mongodb_up: its ping at scrape time would queue for the one connection too.
    registerMongoDriverMetrics(metrics.registry, db.client);
    await db.ping();
  });
  afterAll(async () => {
    await db?.close();
    await relay?.close();
  });

  it('shows the connection in use, the operations waiting for it, and the check-outs that timed out', async () => {
    const server = new URL(relay.uri).host;
    relay.slow.delayMs = 500;
    const operations = [1, 2, 3].map((n) => db.repos.findOne({ _id: `op/${n}` } as never).then(() => 'done', (error: Error) => error.name));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const busy = await scrape(metrics);
    expect(sampleOf(busy, 'mongodb_driver_pool_max_connections', { server })?.value).toBe(1);
    expect(sampleOf(busy, 'mongodb_driver_pool_checked_out_connections', { server })?.value).toBe(1);
    expect(sampleOf(busy, 'mongodb_driver_pool_wait_queue_size', { server })?.value).toBe(2);

    // The first answer takes 500 ms; the two waiting gave up after 300.
    expect((await Promise.all(operations)).sort()).toEqual(['MongoWaitQueueTimeoutError', 'MongoWaitQueueTimeoutError', 'done']);
    relay.slow.delayMs = 0;
    const after = await scrape(metrics);
    expect(sampleOf(after, 'mongodb_driver_pool_checkout_failures_total', { server, reason: 'timeout' })?.value).toBe(2);
    expect(sampleOf(after, 'mongodb_driver_pool_checked_out_connections', { server })?.value).toBe(0);
    expect(sampleOf(after, 'mongodb_driver_pool_wait_queue_size', { server })?.value).toBe(0);
    const waits = sampleOf(after, 'mongodb_driver_pool_checkout_duration_seconds', { server })!;
    expect(waits.buckets!.find((bucket) => bucket.le === '0.1')!.count).toBeLessThan(waits.count!);
  });
});

describe('with MONGODB_COMMAND_METRICS=false', () => {
  let db: Database;
  let metrics: Metrics;
  beforeAll(() => {
    const config = loadConfig({ MONGODB_URI: mongodbUri(), MONGODB_COMMAND_METRICS: 'false' });
    db = createDatabase({ uri: config.MONGODB_URI, dbName: uniqueDbName('driver_off'), timeoutMs: 5000, monitorCommands: config.MONGODB_COMMAND_METRICS });
    metrics = createMetrics({ version: 'test', exemplars: false, maxSeries: 100, runtime: false });
    registerDatabaseMetrics(metrics.registry, db);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('times no commands (the driver builds no command events), and still shows the pool', async () => {
    await db.repos.findOne({ _id: 'a/b' });
    const families = await scrape(metrics);
    expect(families.get('mongodb_driver_command_duration_seconds')?.samples ?? []).toEqual([]);
    expect(sampleOf(families, 'mongodb_driver_pool_connections', { server: new URL(mongodbUri()).host })?.value).toBeGreaterThanOrEqual(1);
  });
});
