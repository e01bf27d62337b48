import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase } from '../lib/db.ts';
import { startEmbeddedMongo, type EmbeddedMongo } from '../scripts/lib/embedded-mongo.ts';
import { median, processCpuSeconds } from './measure.ts';
import { hasWrk, runWrk } from './wrk.ts';

/**
 * `node bench/load.ts` (npm run bench:load): the service under a mixed CRUD load, then
 * GET /repos/:owner/:name next to a bare Hono app doing the same findOne.
 *
 * 1. The database: MONGODB_URI if set, else the embedded server on a temporary directory.
 * 2. The real service (node runtime/main.ts, ROLE=api) as a child process, logging (info: one
 *    access line per request) to a file, as under a container runtime. BENCH_SEED (default 200)
 *    repositories seeded.
 * 3. Warm-up, then the mixed load for BENCH_SECONDS (default 60) with autocannon at the
 *    highest rate it gets (BENCH_CONNECTIONS connections, default 32, no rate limit): per
 *    20 requests, 14 GETs by id, 2 list queries (filters, sort orders), 2 PATCHes with
 *    If-Match: * (so no 412 is expected), 1 POST of a new repository and 1 DELETE of it.
 *    Prints throughput, p50/p99, every unexpected answer as an error, and the service's RSS
 *    (from its /metrics) at start, after warm-up, during the run and at the end.
 * 4. GET /repos/:owner/:name against the service and against bench/bare-findone.ts (its own
 *    process, same Node, same driver and client setup, same database), interleaved over
 *    BENCH_ROUNDS rounds (default 6) of BENCH_COMPARE_SECONDS (default 10), each round's order
 *    alternating, with wrk when it is on PATH (it leaves more of a small machine to the
 *    servers), else autocannon. Prints medians of both throughputs, their ratio, each round's
 *    own ratio, and CPU time per request of each server and of the database.
 *
 * BENCH_SERVICE_NODE_OPTIONS goes to the service as NODE_OPTIONS (e.g. --max-old-space-size=64,
 * to tell a leak from a lazy garbage collector); BENCH_KEEP=1 keeps the temporary directory.
 * The service's log stays in the system's temporary directory; its path is printed.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const WARMUP_SECONDS = Math.max(2, Math.min(10, Math.round(SECONDS / 6)));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const COMPARE_SECONDS = Number(process.env.BENCH_COMPARE_SECONDS ?? 10);
// FerretDB v1 (the embedded server) answers only _id lookups from an index: a list query (a
// find and a count) reads the whole collection, about 50 ms at 200 documents and 190 ms at
// 1,000 on the 2-core machine this was written on. MongoDB uses the service's indexes.
const SEED_COUNT = Number(process.env.BENCH_SEED ?? 200);
const TOKEN = `bench-${randomBytes(12).toString('hex')}`;
const AUTH = { authorization: `Bearer ${TOKEN}` };

const root = fileURLToPath(new URL('../', import.meta.url));
const children: ChildProcess[] = [];
let embedded: EmbeddedMongo | undefined;
const work = mkdtempSync(join(tmpdir(), 'bench-load-'));

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const line = (text = '') => console.log(text);

// ------------------------------------------------------------------ processes

/** Starts `node <script>` with its stdout in a file; resolves once `ready` shows up in it (or on stderr). */
async function startNode(script: string, env: Record<string, string>, logFile: string, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const out = openSync(logFile, 'w');
  const child = spawn(process.execPath, [join(root, script)], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', out, 'pipe'] });
  closeSync(out);
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
  for (let waited = 0; waited < 60_000; waited += 100) {
    const match = ready.exec(readFileSync(logFile, 'utf8')) ?? ready.exec(stderr);
    if (match) return { child, match };
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}: ${stderr}`);
    await sleep(100);
  }
  throw new Error(`${script} did not get ready: ${stderr}`);
}

function stopAll() {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}

// ------------------------------------------------------------------ service metrics

/** GET on a connection of its own (a kept-alive one may be closed by the server in between). */
function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve(text));
    }).on('error', reject);
  });
}

interface Memory {
  rss: number;
  heap: number;
  heapTotal: number;
  external: number;
}

async function memory(base: string): Promise<Memory> {
  const text = await getText(`${base}/metrics`);
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+]+)`, 'm').exec(text)?.[1] ?? NaN);
  return {
    rss: value('process_resident_memory_bytes'),
    heap: value('nodejs_heap_size_used_bytes'),
    heapTotal: value('nodejs_heap_size_total_bytes'),
    external: value('nodejs_external_memory_bytes'),
  };
}

// ------------------------------------------------------------------ load generators

interface Run {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  errors: number;
}

const seededPaths = Array.from({ length: SEED_COUNT }, (_, i) => `/repos/bench-o${i % 50}/repo-${i}`);
const pick = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)]!;
const listQueries = ['?limit=20', '?sort=stars&limit=20', '?sort=updated&limit=50', '?tag=t3', '?owner=bench-o7&sort=name'];

/** Names of created repositories, unique over every run of the process. */
let sequence = 0;

interface Tally {
  byKind: Map<string, Map<number, number>>;
  unexpected: number;
}

/** The mixed CRUD load: one autocannon run whose connections each cycle through 20 requests. */
async function mixedLoad(base: string, seconds: number, tally: Tally): Promise<Run & { errorsDetail: string }> {
  const count = (kind: string, status: number, expected: number) => {
    const kinds = tally.byKind.get(kind) ?? new Map<number, number>();
    kinds.set(status, (kinds.get(status) ?? 0) + 1);
    tally.byKind.set(kind, kinds);
    if (status !== expected) tally.unexpected++;
  };
  const get = {
    method: 'GET' as const,
    setupRequest: (request: autocannon.Request) => ({ ...request, path: pick(seededPaths) }),
    onResponse: (status: number) => count('GET one', status, 200),
  };
  const list = {
    method: 'GET' as const,
    setupRequest: (request: autocannon.Request) => ({ ...request, path: `/repos${pick(listQueries)}` }),
    onResponse: (status: number) => count('GET list', status, 200),
  };
  const patch = {
    method: 'PATCH' as const,
    setupRequest: (request: autocannon.Request) => ({
      ...request,
      path: pick(seededPaths),
      headers: { ...AUTH, 'content-type': 'application/json', 'if-match': '*' },
      body: JSON.stringify({ notes: `load ${Math.random()}` }),
    }),
    onResponse: (status: number) => count('PATCH', status, 200),
  };
  const post = {
    method: 'POST' as const,
    setupRequest: (request: autocannon.Request, context: { created?: string }) => {
      const name = `new-${process.pid}-${sequence++}`;
      context.created = `/repos/bench-load/${name}`;
      return { ...request, path: '/repos', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ owner: 'bench-load', name, tags: ['load'] }) };
    },
    onResponse: (status: number) => count('POST', status, 201),
  };
  const remove = {
    method: 'DELETE' as const,
    setupRequest: (request: autocannon.Request, context: { created?: string }) => ({ ...request, path: context.created ?? '/repos/bench-load/none', headers: AUTH }),
    onResponse: (status: number) => count('DELETE', status, 204),
  };
  const cycle = [get, list, get, patch, get, get, get, post, get, get, get, get, list, patch, get, get, get, get, remove, get];
  const result = await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: seconds,
    requests: cycle as autocannon.Request[],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    errors: result.errors + result.timeouts + tally.unexpected,
    errorsDetail: `${result.errors} socket errors, ${result.timeouts} timeouts, ${tally.unexpected} unexpected statuses`,
  };
}

/** GET /repos/:owner/:name on random seeded repositories, with wrk if present, else autocannon. */
async function getByIdLoad(port: number, seconds: number): Promise<Run> {
  const paths = seededPaths.slice(0, 200);
  if (hasWrk) {
    const script = join(work, 'get-by-id.lua');
    writeFileSync(
      script,
      `local paths = {${paths.map((path) => `"${path}"`).join(',')}}\nrequest = function() return wrk.format("GET", paths[math.random(#paths)]) end\n`,
    );
    return runWrk(`http://127.0.0.1:${port}`, { connections: CONNECTIONS, seconds, args: ['-s', script] });
  }
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [{ method: 'GET', setupRequest: (request: autocannon.Request) => ({ ...request, path: pick(paths) }) }],
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, total: result.requests.total, errors: result.errors + result.timeouts + result.non2xx };
}

/** Each kind of request alone on the idle service: what the database makes each one cost. */
async function idleProfile(base: string): Promise<string[]> {
  const json = { ...AUTH, 'content-type': 'application/json' };
  const kinds: [string, (i: number) => Promise<Response>][] = [
    ['GET one', (i) => fetch(`${base}${seededPaths[i % SEED_COUNT]}`)],
    ['GET list', () => fetch(`${base}/repos?limit=20`)],
    ['POST', (i) => fetch(`${base}/repos`, { method: 'POST', headers: json, body: JSON.stringify({ owner: 'bench-idle', name: `r${i}` }) })],
    ['PATCH', (i) => fetch(`${base}${seededPaths[i % SEED_COUNT]}`, { method: 'PATCH', headers: { ...json, 'if-match': '*' }, body: '{"notes":"idle"}' })],
    ['DELETE', (i) => fetch(`${base}/repos/bench-idle/r${i}`, { method: 'DELETE', headers: AUTH })],
  ];
  const out: string[] = [];
  for (const [kind, send] of kinds) {
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const started = performance.now();
      await (await send(i)).arrayBuffer();
      times.push(performance.now() - started);
    }
    out.push(`${kind} ${times.sort((a, b) => a - b)[7]!.toFixed(1)} ms`);
  }
  return out;
}

// ------------------------------------------------------------------ the run

async function main() {
  line(`bench/load.ts on Node ${process.version}, ${CONNECTIONS} connections; mixed load ${SECONDS} s after ${WARMUP_SECONDS} s warm-up`);

  let uri = process.env.MONGODB_URI;
  if (!uri) {
    embedded = await startEmbeddedMongo({ dataDir: join(work, 'db'), log: (text) => process.stderr.write(`${text}\n`) });
    uri = embedded.uri;
    line(`database: embedded FerretDB (${uri})`);
  } else {
    line('database: MONGODB_URI');
  }
  const dbName = `bench_${randomBytes(4).toString('hex')}`;
  const env = { MONGODB_URI: uri, MONGODB_DB: dbName, DB_TIMEOUT_MS: '2000' };

  // Outside the working directory, so it outlives the run.
  const serviceLog = join(tmpdir(), `bench-load-service-${process.pid}.log`);
  const { child: service, match } = await startNode(
    'runtime/main.ts',
    // ROLE=api: the HTTP API alone, as its replicas run in production (no scheduled sync).
    {
      ...env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      API_TOKENS: `bench:${TOKEN}`,
      ROLE: 'api',
      // e.g. --max-old-space-size=64, to see whether memory growth is a leak or a lazy GC.
      ...(process.env.BENCH_SERVICE_NODE_OPTIONS && { NODE_OPTIONS: process.env.BENCH_SERVICE_NODE_OPTIONS }),
    },
    serviceLog,
    / msg=listening .*?\bport=(\d+)/,
  );
  const port = Number(match[1]);
  const base = `http://127.0.0.1:${port}`;
  for (let waited = 0; !/msg="database ready"/.test(readFileSync(serviceLog, 'utf8')); waited += 100) {
    if (waited > 30_000) throw new Error('the service did not reach the database');
    await sleep(100);
  }
  const rssAtStart = await memory(base);
  line(`service: pid ${service.pid}, port ${port}, log ${serviceLog}`);

  // Seed.
  for (let i = 0; i < SEED_COUNT; i += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, SEED_COUNT - i) }, async (_, j) => {
        const n = i + j;
        const response = await fetch(`${base}/repos`, {
          method: 'POST',
          headers: { ...AUTH, 'content-type': 'application/json' },
          body: JSON.stringify({ owner: `bench-o${n % 50}`, name: `repo-${n}`, tags: [`t${n % 10}`, 'bench'], notes: `seeded ${n}` }),
        });
        if (response.status !== 201) throw new Error(`seeding ${n}: ${response.status} ${await response.text()}`);
      }),
    );
  }
  line(`seeded ${SEED_COUNT} repositories`);
  line(`one request at a time, median of 15: ${(await idleProfile(base)).join(', ')}`);

  // Warm-up (not counted), then the measured mixed load with RSS samples along the way.
  await mixedLoad(base, WARMUP_SECONDS, { byKind: new Map(), unexpected: 0 });
  const rssAfterWarmup = await memory(base);
  const samples: ({ at: number } & Memory)[] = [];
  const started = performance.now();
  const sampler = setInterval(() => {
    void memory(base).then((m) => samples.push({ at: Math.round((performance.now() - started) / 1000), ...m }));
  }, 10_000);
  const tally: Tally = { byKind: new Map(), unexpected: 0 };
  const cpuBefore = processCpuSeconds(service.pid);
  const mixed = await mixedLoad(base, SECONDS, tally);
  const cpuAfter = processCpuSeconds(service.pid);
  clearInterval(sampler);
  const rssAtEnd = await memory(base);

  line();
  line(`== mixed CRUD load: ${SECONDS} s, ${CONNECTIONS} connections, autocannon`);
  line(`throughput   ${mixed.rps.toFixed(0)} requests/s (${mixed.total} requests)`);
  line(`latency      p50 ${mixed.p50} ms, p99 ${mixed.p99} ms`);
  line(`errors       ${mixed.errors} (${mixed.errorsDetail})`);
  for (const [kind, statuses] of tally.byKind) {
    line(`  ${kind.padEnd(9)} ${[...statuses].map(([status, n]) => `${status}: ${n}`).join(', ')}`);
  }
  if (cpuBefore !== undefined && cpuAfter !== undefined) {
    line(`service CPU  ${(((cpuAfter - cpuBefore) / SECONDS) * 100).toFixed(0)} % of one core, ${(((cpuAfter - cpuBefore) * 1000) / mixed.total).toFixed(3)} ms per request`);
  }
  line(`service RSS  start ${mib(rssAtStart.rss)}, after warm-up ${mib(rssAfterWarmup.rss)}, end ${mib(rssAtEnd.rss)} (${rssAtEnd.rss >= rssAfterWarmup.rss ? '+' : ''}${mib(rssAtEnd.rss - rssAfterWarmup.rss)} since warm-up)`);
  line(`during run   RSS / V8 heap total / heap used / external, every 10 s:`);
  for (const m of [{ at: 0, ...rssAfterWarmup }, ...samples]) {
    line(`  ${String(m.at).padStart(4)} s  ${mib(m.rss)} / ${mib(m.heapTotal)} / ${mib(m.heap)} / ${mib(m.external)}`);
  }
  line(`service log  ${(statSync(serviceLog).size / 1024 / 1024).toFixed(1)} MiB`);

  // The same findOne, with and without the service's runtime around it.
  const { child: bare, match: bareMatch } = await startNode('bench/bare-findone.ts', env, join(work, 'bare.log'), /PORT=(\d+)/);
  const barePort = Number(bareMatch[1]);
  const probe = await fetch(`http://127.0.0.1:${barePort}${seededPaths[0]}`);
  if (probe.status !== 200) throw new Error(`bare app: ${probe.status}`);
  // Both apps warmed up alike (the service already ran the mixed load; the bare app is fresh).
  await getByIdLoad(barePort, WARMUP_SECONDS);
  await getByIdLoad(port, WARMUP_SECONDS);
  type AppName = 'service' | 'bare';
  const apps = { service: { port, pid: service.pid }, bare: { port: barePort, pid: bare.pid } };
  const runs = { service: [] as Run[], bare: [] as Run[] };
  const cpu = { service: [] as number[], bare: [] as number[] };
  const databaseCpu = { service: [] as number[], bare: [] as number[] };
  const dbPid = embedded?.process.pid;
  for (let round = 0; round < ROUNDS; round++) {
    // Alternating which app goes first (ABBA...), so a drift in the machine's load or the
    // database's state favours neither.
    const order: AppName[] = round % 2 === 0 ? ['service', 'bare'] : ['bare', 'service'];
    for (const name of order) {
      const { port: target, pid } = apps[name];
      const [before, dbBefore] = [processCpuSeconds(pid), processCpuSeconds(dbPid)];
      const run = await getByIdLoad(target, COMPARE_SECONDS);
      const [after, dbAfter] = [processCpuSeconds(pid), processCpuSeconds(dbPid)];
      runs[name].push(run);
      if (before !== undefined && after !== undefined) cpu[name].push(((after - before) * 1000) / run.total);
      if (dbBefore !== undefined && dbAfter !== undefined) databaseCpu[name].push(((dbAfter - dbBefore) * 1000) / run.total);
    }
  }
  const fixed = (values: number[], digits: number) => values.map((value) => value.toFixed(digits)).join(' / ');
  line();
  line(`== GET /repos/:owner/:name: service vs bare Hono + the same findOne (${hasWrk ? 'wrk -t1' : 'autocannon'}, ${CONNECTIONS} connections, ${ROUNDS} rounds x ${COMPARE_SECONDS} s each, interleaved, medians)`);
  for (const name of ['service', 'bare'] as const) {
    const rps = runs[name].map((run) => run.rps);
    const errors = runs[name].reduce((sum, run) => sum + run.errors, 0);
    line(
      `${name.padEnd(8)} ${median(rps).toFixed(0).padStart(6)} requests/s (rounds ${fixed(rps, 0)}), p50 ${median(runs[name].map((run) => run.p50))} ms, ` +
        `p99 ${median(runs[name].map((run) => run.p99))} ms, errors ${errors}`,
    );
    if (cpu[name].length > 0) line(`         CPU ${median(cpu[name]).toFixed(3)} ms/request (rounds ${fixed(cpu[name], 3)})`);
  }
  if (databaseCpu.service.length > 0) line(`database CPU ${median(databaseCpu.service).toFixed(3)} ms per request of the service, ${median(databaseCpu.bare).toFixed(3)} ms of the bare app`);
  // Each round's two runs are next to each other in time: their ratio is steadier than the ratio of the medians.
  const pairedRatios = runs.service.map((run, round) => run.rps / runs.bare[round]!.rps);
  const cpuRatio = cpu.service.length > 0 ? median(cpu.bare) / median(cpu.service) : NaN;
  line(`ratio    ${((median(runs.service.map((run) => run.rps)) / median(runs.bare.map((run) => run.rps))) * 100).toFixed(1)} % of the bare app's requests/s (medians; target: 95 % or better)`);
  line(`         ${(median(pairedRatios) * 100).toFixed(1)} % median of the rounds' own ratios (${fixed(pairedRatios.map((ratio) => ratio * 100), 0)} %)`);
  if (!Number.isNaN(cpuRatio)) line(`         ${(cpuRatio * 100).toFixed(1)} % by the apps' own CPU per request (bare over service)`);
  line(`service RSS after everything: ${mib((await memory(base)).rss)}`);

  if (process.env.MONGODB_URI) {
    const db = createDatabase({ uri, dbName, timeoutMs: 5000 });
    await db.db.dropDatabase();
    await db.close();
  }
}

try {
  await main();
} finally {
  stopAll();
  await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined)));
  await embedded?.stop();
  if (!process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true });
}
