import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { openSync, closeSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMetrics } from '../lib/metrics/registry.ts';
import { median, processCpuSeconds } from './measure.ts';
import { observationMilliseconds } from './profile-share.ts';

/**
 * `npm run bench`: what the project's request middleware costs.
 *
 * Each variant serves the same trivial route in its own process (bench/server.ts says what
 * each one is); autocannon, in this process, drives them one at a time, interleaved over
 * several rounds, each starting with a different variant; the summary gives medians over the
 * rounds, the comparisons also round by round (runs close in time share the machine's load)
 * and best to best. Each server's CPU time per request is read from /proc: on a saturated core
 * it is what sets throughput, and it is what the observation's own cost is measured by (the
 * project over Hono with one empty middleware). Each server's heap allocation per request is
 * printed too: it does not move with the machine's load.
 *
 * Env: BENCH_ROUNDS, BENCH_SECONDS, BENCH_VARIANTS (a subset, comma-separated), BENCH_LOG=file.
 *
 * Then: how long a /metrics scrape with about 1,000 series takes, and how big it is.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 32;
const defaultVariants = ['bare', 'hono-noop-middleware', 'server-noop-middleware', 'hono-prometheus', 'hono-prometheus-logger', 'project', 'project-tslog-access', 'project-metrics-only'] as const;
const knownVariants = [...defaultVariants, 'noop-middleware-spin-1us'] as const;
type Variant = (typeof knownVariants)[number];
/** BENCH_VARIANTS=bare,project runs only those (the comparisons that need others are left out). */
const variants = (process.env.BENCH_VARIANTS?.split(',') ?? defaultVariants) as readonly Variant[];
const unknown = variants.filter((variant) => !knownVariants.includes(variant));
if (unknown.length > 0) throw new Error(`unknown variants ${unknown.join(', ')}; known: ${knownVariants.join(', ')}`);

const serverScript = fileURLToPath(new URL('./server.ts', import.meta.url));

/**
 * Where the servers' standard output goes: by default a pipe this process reads and discards,
 * as a container runtime reads a container's output; BENCH_LOG=file writes it to a file in
 * the temporary directory instead (on a virtual machine, filling fresh page-cache pages can
 * cost more than the line itself).
 */
const LOG_TO_FILE = process.env.BENCH_LOG === 'file';

async function startVariant(variant: Variant, nodeArgs: string[] = []) {
  const logFile = join(tmpdir(), `bench-${variant}-${process.pid}.log`);
  const out = LOG_TO_FILE ? openSync(logFile, 'w') : 'pipe';
  const child = spawn(process.execPath, [...nodeArgs, serverScript, variant], { stdio: ['ignore', out, 'pipe', 'ipc'] });
  if (typeof out === 'number') closeSync(out);
  let pipedBytes = 0;
  child.stdout?.on('data', (chunk: Buffer) => (pipedBytes += chunk.length));
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr!.on('data', (data: Buffer) => {
      const match = /PORT=(\d+)/.exec(data.toString());
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${variant} exited with ${code}`)));
  });
  return {
    port,
    logBytes: () => (LOG_TO_FILE ? statSync(logFile).size : pipedBytes),
    cpuSeconds: () => processCpuSeconds(child.pid) ?? NaN,
    /** Bytes the server's JavaScript heap has allocated so far (garbage included). */
    allocatedBytes: () =>
      new Promise<number>((resolve) => {
        child.once('message', (bytes) => resolve(Number(bytes)));
        child.send('allocated');
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        child.kill('SIGTERM');
        child.once('exit', () => (LOG_TO_FILE && rmSync(logFile, { force: true }), resolve()));
      }),
  };
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Requests answered in the run, to put the server's CPU time per request. */
  total: number;
  /** The server process's CPU time (user + system, all threads) per request; NaN off Linux. */
  cpuUs?: number;
  /** Bytes allocated on the server's heap per request: unlike time, the same on a busy machine. */
  allocated?: number;
}

async function load(port: number, seconds: number): Promise<Run> {
  const result = await autocannon({ url: `http://127.0.0.1:${port}/hello`, connections: CONNECTIONS, duration: seconds });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
    total: result.requests.total,
  };
}

async function benchmarkMiddleware() {
  const runs = new Map<Variant, Run[]>(variants.map((variant) => [variant, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    // Each round starts with a different variant, so none always follows the same one.
    const order = variants.map((_, i) => variants[(i + round - 1) % variants.length]!);
    for (const variant of order) {
      const server = await startVariant(variant);
      await load(server.port, 1); // warm-up: JIT, connection pool
      const cpuBefore = server.cpuSeconds();
      const allocatedBefore = await server.allocatedBytes();
      const run = await load(server.port, SECONDS);
      run.cpuUs = ((server.cpuSeconds() - cpuBefore) / run.total) * 1e6;
      run.allocated = ((await server.allocatedBytes()) - allocatedBefore) / run.total;
      const logBytes = server.logBytes();
      await server.stop();
      runs.get(variant)!.push(run);
      console.log(
        `round ${round} ${variant.padEnd(22)} ${run.rps.toFixed(0).padStart(6)} req/s  p50 ${run.p50.toFixed(2)} ms  p99 ${run.p99.toFixed(2)} ms  ${run.cpuUs!.toFixed(1)} µs CPU/req  ${(run.allocated! / 1024).toFixed(1)} KiB/req  errors ${run.errors}` +
          (logBytes ? `  log ${(logBytes / 1e6).toFixed(1)} MB` : ''),
      );
    }
  }
  summarize(runs);
}

function summarize(runs: Map<Variant, Run[]>) {
  const medianOf = (variant: Variant, pick: (run: Run) => number) => median(runs.get(variant)!.map(pick));
  const rpsOf = (variant: Variant) => medianOf(variant, (run) => run.rps);
  const cpuOf = (variant: Variant) => medianOf(variant, (run) => run.cpuUs!);
  // The least CPU per request over the rounds: another process's work only ever adds to it.
  const bestCpuOf = (variant: Variant) => Math.min(...runs.get(variant)!.map((run) => run.cpuUs!));
  const baseline = variants.includes('bare') ? 'bare' : variants[0]!;
  console.log(`\nmedian of ${ROUNDS} rounds, ${SECONDS} s each, ${CONNECTIONS} connections; baseline ${baseline}:`);
  console.log('variant                  req/s  p50 ms p99 ms  vs baseline   server CPU µs/req (best)  vs baseline   KiB allocated/req');
  for (const variant of variants) {
    const rps = rpsOf(variant);
    const cpu = cpuOf(variant);
    console.log(
      `${variant.padEnd(22)} ${rps.toFixed(0).padStart(7)} ${medianOf(variant, (run) => run.p50).toFixed(2).padStart(6)} ` +
        `${medianOf(variant, (run) => run.p99).toFixed(2).padStart(6)}   ${((rps / rpsOf(baseline)) * 100).toFixed(0).padStart(3)} %        ` +
        `${cpu.toFixed(1).padStart(6)} (${bestCpuOf(variant).toFixed(1).padStart(4)})         ${((cpuOf(baseline) / cpu) * 100).toFixed(0).padStart(3)} %       ` +
        `${(medianOf(variant, (run) => run.allocated!) / 1024).toFixed(2).padStart(6)}`,
    );
  }
  console.log('(CPU "vs baseline": its CPU per request over this variant\'s, i.e. the share of throughput left on a saturated core)');
  // The same comparisons round by round: the runs of one round are minutes apart at most,
  // so their ratios and differences move less with the machine's load than the medians do.
  const perRound = (compute: (round: number) => number) => median(Array.from({ length: ROUNDS }, (_, round) => compute(round)));
  const rpsIn = (variant: Variant, round: number) => runs.get(variant)![round]!.rps;
  const cpuIn = (variant: Variant, round: number) => runs.get(variant)![round]!.cpuUs!;
  const ran = (...needed: Variant[]) => needed.every((variant) => variants.includes(variant));
  const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
  const cpuOver = (variant: Variant, base: Variant) =>
    `${signed(cpuOf(variant) - cpuOf(base))} µs (${signed(perRound((r) => cpuIn(variant, r) - cpuIn(base, r)))} by round, ${signed(bestCpuOf(variant) - bestCpuOf(base))} best to best)`;
  console.log('');
  if (ran('project', 'bare')) {
    console.log(
      `observation vs bare Hono:          ${(rpsOf('project') / rpsOf('bare')).toFixed(2)}x requests/s, ${perRound((r) => rpsIn('project', r) / rpsIn('bare', r)).toFixed(2)}x by round; ` +
        `${(bestCpuOf('bare') / bestCpuOf('project')).toFixed(2)}x by best CPU per request (target >= 0.75x)`,
    );
  }
  if (ran('project', 'hono-prometheus')) {
    console.log(
      `observation vs @hono/prometheus:   ${(rpsOf('project') / rpsOf('hono-prometheus')).toFixed(2)}x requests/s, ` +
        `${perRound((r) => rpsIn('project', r) / rpsIn('hono-prometheus', r)).toFixed(2)}x by round; CPU per request ${cpuOver('project', 'hono-prometheus')} (target: ahead)`,
    );
  }
  if (ran('project', 'hono-prometheus-logger')) {
    console.log(
      `observation vs @hono/prometheus + hono/logger: ${(rpsOf('project') / rpsOf('hono-prometheus-logger')).toFixed(2)}x requests/s, ` +
        `CPU per request ${cpuOver('project', 'hono-prometheus-logger')}`,
    );
  }
  if (ran('project', 'hono-noop-middleware')) console.log(`observation's CPU over one empty middleware on serve():    ${cpuOver('project', 'hono-noop-middleware')} (target <= 3 µs)`);
  if (ran('project', 'server-noop-middleware')) console.log(`observation's CPU over one empty middleware, same server:  ${cpuOver('project', 'server-noop-middleware')}`);
  if (ran('server-noop-middleware', 'hono-noop-middleware')) console.log(`the service's server over serve(), both one empty middleware: ${cpuOver('server-noop-middleware', 'hono-noop-middleware')}`);
  if (ran('noop-middleware-spin-1us', 'hono-noop-middleware')) {
    console.log(`1 µs of JavaScript per request costs the whole process: ${cpuOver('noop-middleware-spin-1us', 'hono-noop-middleware')}`);
  }
  if (ran('project', 'project-metrics-only')) console.log(`the access line (fast path):  ${cpuOver('project', 'project-metrics-only')}`);
  if (ran('project-tslog-access', 'project-metrics-only')) console.log(`the access line through tslog: ${cpuOver('project-tslog-access', 'project-metrics-only')}`);
}

/**
 * The observation's own code, from a CPU profile of the project variant under the same load
 * (bench/profile-share.ts): microseconds per request, whatever the socket writes cost.
 */
async function profileObservation() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
  const server = await startVariant('project', ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  const warm = await load(server.port, 1);
  const run = await load(server.port, SECONDS);
  await server.stop();
  const perRequest = (observationMilliseconds(dir) * 1000) / (warm.total + run.total);
  rmSync(dir, { recursive: true, force: true });
  console.log(`observation's own code by CPU profile: ${perRequest.toFixed(2)} µs per request (${warm.total + run.total} requests; target <= 3 µs)`);
}

async function benchmarkScrape() {
  const metrics = createMetrics({ version: 'bench', exemplars: true, maxSeries: 100_000, runtime: true });
  // Each (method, path, status) label set makes 1 + 14 + 12 + 12 series across the four metrics.
  const methods = ['GET', 'POST', 'PATCH', 'DELETE'];
  let labelSets = 0;
  for (let i = 0; labelSets * 39 < 1000; i++, labelSets++) {
    metrics.http.started();
    metrics.http.record({
      method: methods[i % 4]!,
      path: `/route/${i}`,
      status: 200,
      seconds: 0.01 * (i % 50),
      requestBytes: i * 10,
      responseBytes: i * 100,
      requestId: `req-${i}`,
    });
  }
  for (const [label, accept] of [
    ['classic', undefined],
    ['OpenMetrics', 'application/openmetrics-text'],
  ] as const) {
    const { body } = await metrics.render(accept);
    const series = body.split('\n').filter((line) => line && !line.startsWith('#')).length;
    const iterations = 200;
    const started = performance.now();
    for (let i = 0; i < iterations; i++) await metrics.render(accept);
    const ms = (performance.now() - started) / iterations;
    console.log(`/metrics ${label.padEnd(11)} ${series} series, ${(body.length / 1024).toFixed(0)} KiB, ${ms.toFixed(2)} ms per scrape`);
  }
}

console.log(`node ${process.version}, load from autocannon, ${ROUNDS} rounds x ${SECONDS} s per variant\n`);
await benchmarkMiddleware();
if (variants.includes('project')) await profileObservation();
console.log('');
await benchmarkScrape();
