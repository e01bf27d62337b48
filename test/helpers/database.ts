import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createDatabase, ensureIndexes, type Database } from '../../lib/db.ts';

export const mongodbUri = () => inject('mongodbUri');

/** A database name no other test file uses. */
export const uniqueDbName = (label: string) => `test_${label.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`;

/** A connection to a fresh database of this test file's own, with the service's indexes. */
export async function openTestDatabase(label: string): Promise<Database & { name: string }> {
  const name = uniqueDbName(label);
  const database = createDatabase({ uri: mongodbUri(), dbName: name, timeoutMs: 5000 });
  await ensureIndexes(database);
  return Object.assign(database, { name });
}
