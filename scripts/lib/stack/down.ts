import { requireEngine } from './engine.ts';
import type { StackRun } from './up.ts';
import { waitForRemoval } from './wait.ts';

/** `npm run stack:down`: removes the stack's services, networks and configs; keeps its data and secrets. */
export async function stackDown({ options, docker, print }: StackRun): Promise<void> {
  print(`# remove ${options.stackName}${options.dryRun ? ' (dry run: nothing is changed)' : ''}`);
  requireEngine(docker);
  docker.change(['stack', 'rm', options.stackName]);
  await waitForRemoval(docker, options.stackName, options.timeoutSeconds, print);
  print('');
  print(`${options.dryRun ? 'Then' : 'Removed;'} the volumes and the secrets are kept for the next stack:up:`);
  print(`  docker volume ls --filter label=com.docker.stack.namespace=${options.stackName}    docker secret ls`);
  print('Delete them by hand to start afresh (docs/deployment.md, "Removing").');
}
