import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { databaseForScript } from '../scripts/lib/embedded-mongo.ts';

/**
 * `npm run bench:metrics-size`
 *
 * How big one scrape of /metrics is once a process has served every kind of request: starts
 * the service (ROLE=all) on the embedded database (or MONGODB_URI), sends a fixed mix of
 * requests (create, read, list, missing, invalid, unknown route), then prints the body size
 * in both exposition formats and the series per metric family group, as Prometheus stores
 * them (each histogram bucket, _sum and _count is one series).
 */
const database = await databaseForScript('bench');
const uri = database.uri;
const TOKEN = 'bench-token-0123456789abcdef';
const child = spawn(process.execPath, [join(import.meta.dirname, '../runtime/main.ts')], {
  env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', MONGODB_URI: uri, MONGODB_DB: `bench_metrics_${process.pid}`, API_TOKENS: `bench:${TOKEN}`, UPSTREAM_URL: 'http://127.0.0.1:9' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
try {
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /msg=listening .*\bport=(\d+)/.exec(line);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the service exited with ${code}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  const send = (method: string, path: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then((response) => response.arrayBuffer());
  for (let i = 0; i < 20; i++) await send('POST', '/repos', { owner: 'bench', name: `repo-${i}` });
  for (let i = 0; i < 20; i++) {
    await send('GET', `/repos/bench/repo-${i}`);
    await send('GET', '/repos?limit=10');
    await send('GET', '/repos/bench/missing');
    await send('POST', '/repos', { owner: '' });
    await send('GET', '/no-such-route');
    await send('PATCH', `/repos/bench/repo-${i}`, { tags: ['x'] });
  }
  await send('DELETE', '/repos/bench/repo-0');

  const classic = await (await fetch(`${base}/metrics`)).text();
  const openMetrics = await (await fetch(`${base}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } })).text();
  const groups = new Map<string, number>();
  for (const line of classic.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0];
    const group = name.startsWith('mongodb_driver_') ? 'mongodb_driver_*' : name.replace(/_.*/, '_*');
    groups.set(group, (groups.get(group) ?? 0) + 1);
  }
  console.log(`/metrics, classic text format: ${classic.length} bytes; OpenMetrics (exemplars): ${openMetrics.length} bytes`);
  console.log(`series: ${[...groups.values()].reduce((a, b) => a + b, 0)}`);
  for (const [group, count] of [...groups].sort((a, b) => b[1] - a[1])) console.log(`  ${group.padEnd(20)} ${String(count).padStart(5)}`);
} finally {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  await database.close();
}
