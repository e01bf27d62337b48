import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../lib/config.ts';
import { ensureIndexes } from '../lib/db.ts';
import { Logger } from '../lib/logging/logger.ts';
import { allFunctions, findFunction } from '../runtime/functions.ts';
import { createService } from '../runtime/service.ts';
import { syncProgressReporter } from './lib/sync-progress.ts';
import { startEmbeddedMongo, type EmbeddedMongo } from './lib/embedded-mongo.ts';

/**
 * `npm run invoke -- <function> [key=value ...] [--body JSON|@file] [--header "Name: value"]`
 *
 * Runs one handler from functions/ without starting the HTTP server: the handler alone is
 * mounted on an in-memory app (same validation, same error envelope) and given one request.
 * key=value fills the route's path parameters by name, and the query string otherwise.
 * Prints status, headers and body; exits 1 when the status is 400 or above.
 */
const usage = `usage: npm run invoke -- <function> [key=value ...] [--body JSON|@file] [--header "Name: value" ...]
functions: ${allFunctions.map((fn) => fn.name).join(', ')}
examples:
  npm run invoke -- list-repos sort=stars limit=5
  npm run invoke -- create-repo --body '{"owner":"honojs","name":"hono","tags":["web"]}'
  npm run invoke -- get-repo owner=honojs name=hono
  npm run invoke -- update-repo owner=honojs name=hono --header 'If-Match: "1"' --body '{"notes":"ok"}'
  npm run invoke -- sync                  # one sync run against UPSTREAM_URL (default GitHub): progress, then its summary
  npm run invoke -- get-sync-run id=4f0c1d2e3a4b`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { body: { type: 'string' }, header: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
});
const [name, ...pairs] = positionals;
if (values.help || !name) exit(values.help ? 0 : 2, usage);
const fn = findFunction(name!) ?? exit(2, `unknown function "${name}"\n${usage}`);

// The route's path with its {parameters} filled in; the remaining pairs become the query.
let path = fn.route.path;
const query = new URLSearchParams();
for (const pair of pairs) {
  const eq = pair.indexOf('=');
  if (eq < 1) exit(2, `expected key=value, got "${pair}"\n${usage}`);
  const key = pair.slice(0, eq);
  const value = pair.slice(eq + 1);
  if (path.includes(`{${key}}`)) path = path.replace(`{${key}}`, encodeURIComponent(value));
  else query.append(key, value);
}
const missing = /\{(\w+)\}/.exec(path);
if (missing) exit(2, `missing path parameter ${missing[1]}=...\n${usage}`);

const headers = new Headers();
for (const header of values.header ?? []) {
  const colon = header.indexOf(':');
  if (colon < 1) exit(2, `expected --header "Name: value", got "${header}"`);
  headers.append(header.slice(0, colon).trim(), header.slice(colon + 1).trim());
}
let body: string | undefined;
if (values.body !== undefined) {
  body = values.body.startsWith('@') ? readFileSync(values.body.slice(1), 'utf8') : values.body;
  if (!headers.has('content-type')) headers.set('content-type', 'application/json');
}

const embedded = await resolveDatabaseUri();
// Writes need a token over HTTP; here the caller already has the database, so the one-off app
// accepts a token made for this call alone and the request carries it.
const invokeToken = randomBytes(24).toString('base64url');
if (!headers.has('authorization')) headers.set('authorization', `Bearer ${invokeToken}`);
let config;
try {
  config = loadConfig({ ...process.env, API_TOKENS: `invoke:${invokeToken}` });
} catch (error) {
  if (error instanceof ConfigError) exit(2, error.message);
  throw error;
}
// Logs go to stderr so that stdout carries only the response.
// On a terminal a log line first clears the sync's progress bar, which is redrawn after it.
const clearBar = process.stderr.isTTY ? '\r\x1b[K' : '';
const log = new Logger({ level: config.LOG_LEVEL, write: (line) => process.stderr.write(clearBar + line) });
const service = createService({ ...config, METRICS_PORT: undefined }, { log, functions: [fn], metrics: { runtime: false } });
try {
  await ensureIndexes(service.db).catch(() => {}); // an unreachable database is reported by the handler (503) or the run
  process.exitCode = name === 'sync' ? await runSyncTask() : await invokeHandler();
} finally {
  await service.close();
  await embedded?.stop();
}

/** The handler alone, mounted on the in-memory app, given one request; 1 when the status is 400 or more. */
async function invokeHandler(): Promise<number> {
  const url = `http://invoke.local${path}${query.size ? `?${query}` : ''}`;
  const response = await service.app.request(url, { method: fn.route.method.toUpperCase(), headers, body });
  printResponse(response, await response.text());
  return response.status >= 400 ? 1 : 0;
}

/**
 * `sync` runs the sync task itself, not its HTTP trigger (which only starts a run): progress
 * on stderr while it runs (a bar on a terminal, plain lines otherwise), then the summary on
 * stdout. 0 for any run that happened (its outcome says how it went), 1 when it was skipped
 * or the database failed.
 */
async function runSyncTask(): Promise<number> {
  const progress = syncProgressReporter();
  try {
    const summary = await service.sync.run('invoke', { onProgress: progress.update });
    progress.end();
    console.log(JSON.stringify(summary, null, 2));
    return summary.outcome === 'skipped' ? 1 : 0;
  } catch (error) {
    progress.end();
    console.error(`sync failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

function printResponse(response: Response, text: string) {
  console.log(`HTTP ${response.status} ${STATUS_CODES[response.status] ?? ''}`);
  response.headers.forEach((value, key) => console.log(`${key}: ${value}`));
  console.log('');
  let pretty = text;
  try {
    if (text) pretty = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // not JSON: print as it came
  }
  if (pretty) console.log(pretty);
}

/**
 * MONGODB_URI when set; else the database of a running `npm run dev`; else the embedded
 * server started on the dev data folder for this one call.
 */
async function resolveDatabaseUri(): Promise<EmbeddedMongo | undefined> {
  if (process.env.MONGODB_URI) return undefined;
  const root = fileURLToPath(new URL('../', import.meta.url));
  const devUriFile = `${root}.data/mongodb-uri`;
  if (existsSync(devUriFile)) {
    process.env.MONGODB_URI = readFileSync(devUriFile, 'utf8').trim();
    return undefined;
  }
  const embedded = await startEmbeddedMongo({ dataDir: `${root}.data/mongo`, log: (line) => console.error(line) });
  process.env.MONGODB_URI = embedded.uri;
  return embedded;
}

function exit(code: number, message: string): never {
  (code === 0 ? console.log : console.error)(message);
  process.exit(code);
}
