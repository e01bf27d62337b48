import type { Docker } from './docker.ts';

export class StackTimeout extends Error {
  override name = 'StackTimeout';
}

const POLL_MS = 5000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Services whose running tasks fall short of the desired count, from `docker stack services`. */
export function pendingServices(listing: string): string[] {
  return listing
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .filter((line) => {
      // "repo-monitor_api 2/3", or "repo-monitor_promtail 1/1 (max 1 per node)" and the like.
      const match = /\s(\d+)\/(\d+)/.exec(line);
      return !match || Number(match[1]) < Number(match[2]);
    });
}

/**
 * Waits until every service of the stack runs all its tasks. A swarm task with a health
 * check counts as running only once the check passes, so this is "healthy", not "started".
 */
export async function waitForServices(docker: Docker, stackName: string, timeoutSeconds: number, print: (line: string) => void): Promise<void> {
  const args = ['stack', 'services', stackName, '--format', '{{.Name}} {{.Replicas}}'];
  if (docker.dryRun) {
    docker.query(args);
    print(`# repeated every ${POLL_MS / 1000} s until every service runs all its replicas, healthy (at most ${timeoutSeconds} s)`);
    return;
  }
  const deadline = Date.now() + timeoutSeconds * 1000;
  let shown = '';
  for (;;) {
    const listing = docker.query(args);
    const pending = pendingServices(listing);
    if (listing !== '' && pending.length === 0) return;
    const status = pending.join(', ') || 'no services yet';
    if (status !== shown) print(`waiting for: ${status}`);
    shown = status;
    if (Date.now() >= deadline) {
      throw new StackTimeout(
        `not healthy after ${timeoutSeconds} s: ${status}. ` +
          `See why with: docker service ps --no-trunc <service> (a task "pending" usually lacks a node label or a secret; docs/deployment.md, "Troubleshooting")`,
      );
    }
    await sleep(POLL_MS);
  }
}

/** Waits until the stack's networks are gone, so that a new `up` can create them again. */
export async function waitForRemoval(docker: Docker, stackName: string, timeoutSeconds: number, print: (line: string) => void): Promise<void> {
  const args = ['network', 'ls', '--filter', `label=com.docker.stack.namespace=${stackName}`, '--quiet'];
  if (docker.dryRun) {
    docker.query(args);
    print(`# repeated every ${POLL_MS / 1000} s until the stack's networks are gone (at most ${timeoutSeconds} s)`);
    return;
  }
  const deadline = Date.now() + timeoutSeconds * 1000;
  while (docker.query(args) !== '') {
    if (Date.now() >= deadline) throw new StackTimeout(`the networks of ${stackName} still exist after ${timeoutSeconds} s: docker network ls`);
    await sleep(POLL_MS);
  }
}
