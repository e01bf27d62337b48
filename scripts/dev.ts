import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startEmbeddedMongo, type EmbeddedMongo } from './lib/embedded-mongo.ts';

/**
 * `npm run dev`: the service with embedded defaults. Without MONGODB_URI it starts the
 * embedded MongoDB-compatible server with its data under .data/ (ignored by git), runs the
 * service against it, and stops it when the service stops.
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

const service = spawn(process.execPath, [`${root}runtime/main.ts`], { env, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => service.kill(signal));
}
service.on('exit', async (code, signal) => {
  if (embedded) {
    rmSync(URI_FILE, { force: true });
    await embedded.stop();
  }
  process.exit(code ?? (signal ? 0 : 1));
});
