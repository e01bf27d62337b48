import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

/**
 * One service's environment in stack.yml with `${VAR}` and `${VAR:-default}` filled in as
 * `docker stack deploy` fills them, so the script prints the URLs and logins the deployed
 * stack really has, from the one place that defines them.
 */
export function serviceEnvironment(root: string, service: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const stack = parseYaml(readFileSync(join(root, 'stack.yml'), 'utf8'), { merge: true });
  const environment: Record<string, unknown> = stack?.services?.[service]?.environment ?? {};
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, interpolate(String(value), env)]));
}

export function interpolate(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/\$\{(\w+)(?::-([^}]*))?\}/g, (_, name: string, fallback: string | undefined) => env[name] || fallback || '');
}
