import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** What the stack script needs to know from the stack files, read from the files themselves. */

export const stackFiles = (demo: boolean) => (demo ? ['stack.yml', 'stack.demo.yml'] : ['stack.yml']);

interface StackFile {
  services?: Record<string, { deploy?: { placement?: { constraints?: string[] } } }>;
  secrets?: Record<string, { external?: boolean }>;
}

const read = (root: string, file: string): StackFile => parseYaml(readFileSync(join(root, file), 'utf8'), { merge: true }) ?? {};

/**
 * The external secrets the files use, in the order they declare them: each must exist before
 * deploying. A later file's definition replaces an earlier one's, as docker merges them (the
 * demo overlay turns the alert receivers' secrets into files).
 */
export function externalSecrets(root: string, files: readonly string[]): string[] {
  const merged: StackFile['secrets'] = Object.assign({}, ...files.map((file) => read(root, file).secrets ?? {}));
  return Object.entries(merged ?? {})
    .filter(([, secret]) => secret?.external === true)
    .map(([name]) => name);
}

export interface NodeLabel {
  key: string;
  value: string;
}

/**
 * The node labels the services' placement constraints ask for (`node.labels.K == V`): on a
 * single node, every one of them must be on that node or the service's tasks stay pending.
 */
export function requiredNodeLabels(root: string, files: readonly string[]): NodeLabel[] {
  const labels = new Map<string, string>();
  for (const file of files) {
    for (const service of Object.values(read(root, file).services ?? {})) {
      for (const constraint of service?.deploy?.placement?.constraints ?? []) {
        const match = /^node\.labels\.([\w.-]+)\s*==\s*(\S+)$/.exec(constraint.trim());
        if (match) labels.set(match[1]!, match[2]!);
      }
    }
  }
  return [...labels].map(([key, value]) => ({ key, value }));
}
