import { performance } from 'node:perf_hooks';
import type {
  CommandFailedEvent,
  CommandStartedEvent,
  CommandSucceededEvent,
  ConnectionCheckOutFailedEvent,
  ConnectionCheckedOutEvent,
  ConnectionPoolMonitoringEvent,
  MongoClient,
} from 'mongodb';
import type { Registry, RegistryContentType } from 'prom-client';
import { BucketCounts, type Sample } from './bucket-counts.ts';
import { registerScraped } from './scraped-metric.ts';

/**
 * What the MongoDB driver does for this process, from its own monitoring events: command
 * durations by command (command monitoring, `monitorCommands` in lib/db.ts) and the state of
 * each server's connection pool (CMAP events, always emitted). Each event only moves plain
 * numbers; the samples are built when scraped, as for the request metrics.
 *
 * Label values are bounded: `command` is one of COMMANDS or "other", `outcome` success or
 * failure, `server` a host:port of the topology, `reason` one of the driver's three
 * check-out failure reasons.
 */
const COMMAND_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];
const WAIT_SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

/** The commands the driver sends for the operations this service (and its tools) use. */
const COMMANDS = new Set([
  'aggregate', 'buildInfo', 'count', 'create', 'createIndexes', 'delete', 'distinct', 'drop', 'dropDatabase', 'dropIndexes',
  'endSessions', 'find', 'findAndModify', 'getMore', 'hello', 'insert', 'isMaster', 'killCursors', 'listCollections',
  'listDatabases', 'listIndexes', 'ping', 'update', 'bulkWrite',
]);
export const OTHER_COMMAND = 'other';
const MAX_PENDING_COMMANDS = 10_000;
const CHECKOUT_FAILURE_REASONS = ['timeout', 'connectionError', 'poolClosed'] as const;

interface CommandSeries {
  labels: { command: string; outcome: 'success' | 'failure' };
  duration: BucketCounts;
}

/** One server's pool, from its CMAP events. */
interface PoolState {
  labels: { server: string };
  /** Open connections, establishing ones included (created minus closed). */
  connections: number;
  checkedOut: number;
  /** Check-outs started and not yet answered with a connection or a failure. */
  waiting: number;
  cleared: number;
  checkoutFailures: Record<(typeof CHECKOUT_FAILURE_REASONS)[number], number>;
  wait: BucketCounts;
}

export function registerMongoDriverMetrics(registry: Registry<RegistryContentType>, client: MongoClient): void {
  const commands = new Map<string, CommandSeries>();
  /** requestId -> performance.now() at commandStarted: the driver's own duration is whole milliseconds. */
  const started = new Map<number, number>();
  const pools = new Map<string, PoolState>();

  const commandSeries = (name: string, outcome: 'success' | 'failure') => {
    const command = COMMANDS.has(name) ? name : OTHER_COMMAND;
    const key = outcome === 'success' ? command : `${command}\u0000failure`;
    let series = commands.get(key);
    if (!series) commands.set(key, (series = { labels: { command, outcome }, duration: new BucketCounts(COMMAND_SECONDS) }));
    return series;
  };
  const finished = (event: CommandSucceededEvent | CommandFailedEvent, outcome: 'success' | 'failure') => {
    const start = started.get(event.requestId);
    started.delete(event.requestId);
    const seconds = start === undefined ? event.duration / 1000 : (performance.now() - start) / 1000;
    commandSeries(event.commandName, outcome).duration.observe(seconds);
  };
  client.on('commandStarted', (event: CommandStartedEvent) => {
    // A start whose end never came (a connection torn down mid-command) must not pile up.
    if (started.size >= MAX_PENDING_COMMANDS) started.clear();
    started.set(event.requestId, performance.now());
  });
  client.on('commandSucceeded', (event) => finished(event, 'success'));
  client.on('commandFailed', (event) => finished(event, 'failure'));

  const pool = ({ address }: ConnectionPoolMonitoringEvent) => {
    let state = pools.get(address);
    if (!state) {
      state = {
        labels: { server: address },
        connections: 0,
        checkedOut: 0,
        waiting: 0,
        cleared: 0,
        checkoutFailures: { timeout: 0, connectionError: 0, poolClosed: 0 },
        wait: new BucketCounts(WAIT_SECONDS),
      };
      pools.set(address, state);
    }
    return state;
  };
  client.on('connectionCreated', (event) => pool(event).connections++);
  client.on('connectionClosed', (event) => pool(event).connections--);
  client.on('connectionCheckOutStarted', (event) => pool(event).waiting++);
  client.on('connectionCheckedOut', (event: ConnectionCheckedOutEvent) => {
    const state = pool(event);
    state.waiting--;
    state.checkedOut++;
    state.wait.observe(event.durationMS / 1000);
  });
  client.on('connectionCheckOutFailed', (event: ConnectionCheckOutFailedEvent) => {
    const state = pool(event);
    state.waiting--;
    const reason = event.reason as keyof PoolState['checkoutFailures'];
    if (reason in state.checkoutFailures) state.checkoutFailures[reason]++;
    state.wait.observe(event.durationMS / 1000);
  });
  client.on('connectionCheckedIn', (event) => pool(event).checkedOut--);
  client.on('connectionPoolCleared', (event) => pool(event).cleared++);
  // A server that left the topology: its series go with it.
  client.on('connectionPoolClosed', (event) => pools.delete(event.address));

  const perPool = (value: (state: PoolState) => number) => (into: Sample[]) => {
    for (const state of pools.values()) into.push({ labels: {}, sharedLabels: state.labels, value: value(state) });
  };
  registerScraped(registry, 'mongodb_driver_command_duration_seconds', 'histogram',
    'Database commands this process sent, by command and outcome, from send to reply.',
    (into) => commands.forEach((series) => series.duration.samples('mongodb_driver_command_duration_seconds', series.labels, into)),
  );
  registerScraped(registry, 'mongodb_driver_pool_connections', 'gauge',
    'Open connections in the pool to this server, idle, in use or being established.', perPool((state) => state.connections));
  registerScraped(registry, 'mongodb_driver_pool_checked_out_connections', 'gauge',
    'Connections checked out of the pool: an operation is using them.', perPool((state) => state.checkedOut));
  registerScraped(registry, 'mongodb_driver_pool_wait_queue_size', 'gauge',
    'Operations waiting for a connection from the pool.', perPool((state) => state.waiting));
  registerScraped(registry, 'mongodb_driver_pool_max_connections', 'gauge',
    'The pool\'s size limit (maxPoolSize).', perPool(() => client.options.maxPoolSize));
  registerScraped(registry, 'mongodb_driver_pool_cleared_total', 'counter',
    'Times the pool was cleared (its connections dropped after a network error or a server change).', perPool((state) => state.cleared));
  registerScraped(registry, 'mongodb_driver_pool_checkout_failures_total', 'counter',
    'Check-outs that got no connection, by reason: timeout, connectionError, poolClosed.',
    (into) => {
      for (const state of pools.values()) {
        for (const reason of CHECKOUT_FAILURE_REASONS) {
          into.push({ labels: { reason }, sharedLabels: state.labels, value: state.checkoutFailures[reason] });
        }
      }
    },
  );
  registerScraped(registry, 'mongodb_driver_pool_checkout_duration_seconds', 'histogram',
    'Time from asking the pool for a connection to getting one (or failing), in whole milliseconds as the driver reports it.',
    (into) => pools.forEach((state) => state.wait.samples('mongodb_driver_pool_checkout_duration_seconds', state.labels, into)),
  );
}
