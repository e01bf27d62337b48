import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedMongo } from '../../scripts/lib/embedded-mongo.ts';
import { buildSuiteTools } from '../../scripts/lib/suite-tools.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    mongodbUri: string;
  }
}

/**
 * One database server for the whole run: MONGODB_URI when it is set (so the same suite runs
 * against real MongoDB), otherwise the embedded server on a fresh temporary directory.
 * Each test file works in a database of its own (see helpers/database.ts).
 */
export default async function setup(project: TestProject) {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  // Every Go helper, built here once per run (each build holds a lock), so test files only
  // look them up; the first run on a machine compiles them and says so.
  buildSuiteTools(log);
  if (process.env.MONGODB_URI) {
    project.provide('mongodbUri', process.env.MONGODB_URI);
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'repo-monitor-test-'));
  const server = await startEmbeddedMongo({ dataDir, log });
  project.provide('mongodbUri', server.uri);
  return async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
