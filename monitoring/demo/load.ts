/**
 * Demo traffic for the stack (stack.demo.yml runs it in the app image): tracks a few
 * repositories, then reads them for LOAD_SECONDS with a PAUSE between rounds, with some
 * 404s and unmatched routes so every status shows up on the dashboards. Bounded in time
 * and rate; it exits when done (restart_policy: none). Plain Node, no dependencies: the
 * stack mounts this one file.
 */
import { readFileSync } from 'node:fs';

const API = process.env.API ?? 'http://api:3000';
const LOAD_SECONDS = Number(process.env.LOAD_SECONDS ?? 3600);
const PAUSE_MS = Number(process.env.PAUSE ?? 0.2) * 1000;
// The first token of the api_tokens secret (one per line or comma-separated).
const TOKEN = readFileSync(process.env.API_TOKENS_FILE ?? '/run/secrets/api_tokens', 'utf8').split(/[,\n]/)[0]!.trim();

const REPOS = ['honojs/hono', 'nodejs/node', 'grafana/loki', 'prometheus/prometheus', 'mongodb/mongo'];
const READS = [
  '/repos?tag=demo&sort=stars&limit=10',
  '/repos/honojs/hono',
  '/repos/nodejs/node',
  '/repos/nobody/nothing', // 404
  '/no-such-route', // path="__unmatched__"
];

/** One request; a failure (API restarting, timeout) is a status like any other, never a stop. */
async function call(path: string, init: RequestInit = {}): Promise<number> {
  try {
    const response = await fetch(API + path, { ...init, signal: AbortSignal.timeout(5000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

for (const repo of REPOS) {
  const [owner, name] = repo.split('/');
  // 201 the first time, 409 once tracked: both are fine.
  await call('/repos', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ owner, name, tags: ['demo'] }),
  });
}

const end = Date.now() + LOAD_SECONDS * 1000;
let requests = 0;
while (Date.now() < end) {
  for (const path of READS) await call(path);
  requests += READS.length;
  await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
}
process.stdout.write(`load: ${requests} requests in ${LOAD_SECONDS} s\n`);
