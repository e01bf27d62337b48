import createRepo from '../functions/create-repo.ts';
import deleteRepo from '../functions/delete-repo.ts';
import getRepo from '../functions/get-repo.ts';
import getSyncRun from '../functions/get-sync-run.ts';
import healthz from '../functions/healthz.ts';
import listRepos from '../functions/list-repos.ts';
import listSyncRuns from '../functions/list-sync-runs.ts';
import readyz from '../functions/readyz.ts';
import sync from '../functions/sync.ts';
import updateRepo from '../functions/update-repo.ts';
import type { AnyServiceFunction } from '../lib/function.ts';

/**
 * Every handler in functions/, listed rather than discovered so the bundle and the types
 * see them; a test checks that this list and the folder agree.
 */
export const allFunctions: AnyServiceFunction[] = [
  healthz,
  readyz,
  listRepos,
  createRepo,
  getRepo,
  updateRepo,
  deleteRepo,
  sync,
  listSyncRuns,
  getSyncRun,
] as AnyServiceFunction[];

export function findFunction(name: string): AnyServiceFunction | undefined {
  return allFunctions.find((fn) => fn.name === name);
}
