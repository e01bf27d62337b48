import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createDatabase } from '../lib/db.ts';
import { repoKey } from '../lib/repos/model.ts';

/**
 * The baseline for bench/load.ts: a bare Hono app (no middleware, validation, metrics or
 * logging) whose GET /repos/:owner/:name does the same findOne as the service, through the
 * same client setup (lib/db.ts) and driver, on the same database. Prints PORT=<port> on
 * stderr once listening. Env: MONGODB_URI, MONGODB_DB, DB_TIMEOUT_MS (as the service).
 */
const uri = process.env.MONGODB_URI;
const dbName = process.env.MONGODB_DB;
if (!uri || !dbName) {
  process.stderr.write('MONGODB_URI and MONGODB_DB are required\n');
  process.exit(2);
}
const db = createDatabase({ uri, dbName, timeoutMs: Number(process.env.DB_TIMEOUT_MS ?? 2000) });

const app = new Hono();
app.get('/repos/:owner/:name', async (c) => {
  const doc = await db.repos.findOne({ _id: repoKey(c.req.param('owner'), c.req.param('name')) });
  return doc ? c.json(doc) : c.json({ error: { code: 'not_found', message: 'not found' } }, 404);
});

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
  process.stderr.write(`PORT=${info.port}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  void db.close().finally(() => process.exit(0));
});
