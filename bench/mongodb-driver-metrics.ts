import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { Registry } from 'prom-client';
import { registerMongoDriverMetrics } from '../lib/metrics/mongodb-driver-metrics.ts';
import { databaseForScript } from '../scripts/lib/embedded-mongo.ts';

/**
 * `npm run bench:driver-metrics` (`node bench/mongodb-driver-metrics.ts [--ops 2000] [--rounds 5]`)
 *
 * What the driver metrics cost per database command: the same operations, one at a time, on
 * two clients side by side, rounds interleaved so both see the same machine:
 *   off: monitorCommands off, no listeners (the driver's CMAP events are emitted anyway);
 *   on:  the service's way, monitorCommands on and the metrics' listeners attached.
 * For each operation it prints this process's CPU time per command (the server runs in
 * another process, so this is the client's own cost) and wall time per command, the median
 * over rounds, and the difference on - off. With command monitoring on, the driver turns
 * every reply into a plain object for the event, also the cursor batches it would otherwise
 * read lazily: `find 100` shows that part.
 * Last, the metrics' listeners alone, fed events on an unconnected client: their own share.
 * The database is MONGODB_URI when set, else the embedded FerretDB on a temporary directory.
 */
const { values } = parseArgs({ options: { ops: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '5' } } });
const OPS = Number(values.ops);
const ROUNDS = Number(values.rounds);

const database = await databaseForScript('bench');
const uri = database.uri;
const dbName = `bench_driver_metrics_${process.pid}`;

const off = new MongoClient(uri, { monitorCommands: false });
const on = new MongoClient(uri, { monitorCommands: true });
registerMongoDriverMetrics(new Registry(), on);
const clients = { off, on };

const setup = off.db(dbName).collection('repos');
await setup.deleteMany({});
await setup.insertMany(
  Array.from({ length: 100 }, (_, i) => ({ _id: `owner/repo-${i}` as never, owner: 'owner', name: `repo-${i}`, stars: i, description: 'x'.repeat(200), tags: ['a', 'b'] })),
);

const operations: Record<string, (client: MongoClient, i: number) => Promise<unknown>> = {
  'findOne by _id': (client, i) => client.db(dbName).collection('repos').findOne({ _id: `owner/repo-${i % 100}` as never }),
  'find 100': (client) => client.db(dbName).collection('repos').find({}).limit(100).toArray(),
  'updateOne $inc': (client, i) => client.db(dbName).collection('repos').updateOne({ _id: `owner/repo-${i % 100}` as never }, { $inc: { stars: 1 } }),
};

interface Figures {
  cpuUs: number;
  wallUs: number;
}

async function measure(client: MongoClient, operation: (client: MongoClient, i: number) => Promise<unknown>, ops: number): Promise<Figures> {
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  for (let i = 0; i < ops; i++) await operation(client, i);
  const cpu = process.cpuUsage(cpuBefore);
  return { cpuUs: (cpu.user + cpu.system) / ops, wallUs: ((performance.now() - wallBefore) * 1000) / ops };
}

const median = (numbers: number[]) => numbers.toSorted((a, b) => a - b)[Math.floor(numbers.length / 2)]!;
const fixed = (n: number) => n.toFixed(1).padStart(8);

try {
  for (const client of Object.values(clients)) {
    await client.connect();
    for (const operation of Object.values(operations)) await measure(client, operation, 200); // warm-up
  }
  console.log(`${OPS} commands per round, ${ROUNDS} rounds, medians; µs per command (client process CPU, wall)`);
  console.log(`${'operation'.padEnd(16)} ${'cpu off'.padStart(8)} ${'cpu on'.padStart(8)} ${'cpu +'.padStart(8)} ${'wall off'.padStart(8)} ${'wall on'.padStart(8)} ${'wall +'.padStart(8)}`);
  for (const [name, operation] of Object.entries(operations)) {
    const rounds: Record<keyof typeof clients, Figures[]> = { off: [], on: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which goes first, so neither always runs on a warmer machine.
      const order = round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
      for (const variant of order) rounds[variant].push(await measure(clients[variant], operation, OPS));
    }
    const cpu = (variant: keyof typeof clients) => median(rounds[variant].map((figures) => figures.cpuUs));
    const wall = (variant: keyof typeof clients) => median(rounds[variant].map((figures) => figures.wallUs));
    console.log(
      `${name.padEnd(16)} ${fixed(cpu('off'))} ${fixed(cpu('on'))} ${fixed(cpu('on') - cpu('off'))} ${fixed(wall('off'))} ${fixed(wall('on'))} ${fixed(wall('on') - wall('off'))}`,
    );
  }
  // The listeners alone: events emitted on an unconnected client, no driver work around them.
  const bare = new MongoClient('mongodb://127.0.0.1:1/');
  registerMongoDriverMetrics(new Registry(), bare);
  const emitCommand = (requestId: number) => {
    bare.emit('commandStarted', { requestId, commandName: 'find' } as never);
    bare.emit('commandSucceeded', { requestId, commandName: 'find', duration: 0 } as never);
  };
  const EMITS = 200_000;
  for (let i = 0; i < EMITS; i++) emitCommand(i); // warm-up
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < EMITS; i++) emitCommand(i);
  const cpu = process.cpuUsage(cpuBefore);
  console.log(`listeners alone (started + succeeded, emitted ${EMITS} times): ${(((cpu.user + cpu.system) * 1000) / EMITS).toFixed(0)} ns CPU per command`);
} finally {
  await off.db(dbName).dropDatabase().catch(() => {});
  await Promise.all([off.close(), on.close()]);
  await database.close();
}
