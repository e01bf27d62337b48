import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startEmbeddedMongo, type EmbeddedMongo } from './lib/embedded-mongo.ts';

/**
 * `npm run dev`: the service with embedded defaults. Without MONGODB_URI it starts the
 * embedded MongoDB-compatible server with its data under .data/ (ignored by git), runs the
 * service against it, and stops it when the service stops. The service stops on SIGINT or
 * SIGTERM, or when the process that started this one (npm) goes away.
 */
const root = fileURLToPath(new URL('../', import.meta.url));
const env = { ...process.env };
let embedded: EmbeddedMongo | undefined;
const URI_FILE = `${root}.data/mongodb-uri`;

if (!env.MONGODB_URI) {
  mkdirSync(`${root}.data`, { recursive: true });
  const serverLog = createWriteStream(`${root}.data/ferretdb.log`, { flags: 'a' });
  embedded = await startEmbeddedMongo({
    dataDir: `${root}.data/mongo`,
    log: (line) => console.error(line),
    onLog: (line) => serverLog.write(`${line}\n`),
  });
  env.MONGODB_URI = embedded.uri;
  // `npm run invoke` finds the running dev database here instead of starting a second one.
  writeFileSync(URI_FILE, `${embedded.uri}\n`);
  console.error(`embedded MongoDB-compatible server (FerretDB) at ${embedded.uri}, data in .data/mongo, its log in .data/ferretdb.log`);
}

// Writes need a bearer token. Rather than switch the check off for development, make a
// token once, keep it in .data/dev-token, and say how to use it.
if (!env.API_TOKENS && !env.API_TOKENS_FILE) {
  const tokenFile = `${root}.data/dev-token`;
  mkdirSync(`${root}.data`, { recursive: true });
  if (!existsSync(tokenFile)) writeFileSync(tokenFile, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  const token = readFileSync(tokenFile, 'utf8').trim();
  env.API_TOKENS = `dev:${token}`;
  console.error(
    `writes need a bearer token; yours is in .data/dev-token:\n` +
      `  export TOKEN=$(cat .data/dev-token)\n` +
      `  curl -X POST localhost:${env.PORT ?? 3000}/repos -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"owner":"honojs","name":"hono"}'`,
  );
}

// People at a terminal read tslog's pretty output; piped or redirected, the log stays logfmt.
if (!env.LOG_FORMAT && process.stdout.isTTY) env.LOG_FORMAT = 'pretty';

const service = spawn(process.execPath, [`${root}runtime/main.ts`], { env, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => service.kill(signal));
}

// Ctrl-C signals the whole process group, but a SIGTERM sent to `npm` alone ends npm without
// passing it on, and this process would go on serving with nobody to stop it. Its parent
// going away is noticed (the process is handed to another parent) and taken as that SIGTERM.
const parent = process.ppid;
const parentWatch = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(parentWatch);
  console.error(`the parent process (${parent}) is gone; stopping the service`);
  service.kill('SIGTERM');
}, 250);
parentWatch.unref();

service.on('exit', async (code, signal) => {
  if (embedded) {
    rmSync(URI_FILE, { force: true });
    await embedded.stop();
  }
  process.exit(code ?? (signal ? 0 : 1));
});
