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
 * The external secrets the deployed files use, in the order they declare them: each must
 * exist before deploying. A later file overrides an earlier one's definition, as in
 * `docker stack deploy` (the demo overlay turns some into file-based secrets).
 */
export function externalSecrets(root: string, files: readonly string[]): string[] {
  const merged = new Map<string, { external?: boolean }>();
  for (const file of files) {
    for (const [name, secret] of Object.entries(read(root, file).secrets ?? {})) merged.set(name, secret ?? {});
  }
  return [...merged].filter(([, secret]) => secret.external === true).map(([name]) => name);
}

/** Variables the files demand (`${NAME:?message}`), with the message they give when one is missing. */
export function requiredVariables(root: string, files: readonly string[]): Map<string, string> {
  const required = new Map<string, string>();
  for (const file of files) {
    for (const [, name, message] of readFileSync(join(root, file), 'utf8').matchAll(/\$\{(\w+):\?([^}]*)\}/g)) {
      if (!required.has(name!)) required.set(name!, message!.trim());
    }
  }
  return required;
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
