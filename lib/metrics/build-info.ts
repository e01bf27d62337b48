import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Which build this process runs and which replica it is, as app_build_info and the start-up
 * log line show them.
 *
 * - version: APP_VERSION, which the image sets from its VERSION build argument (Dockerfile);
 *   package.json's version only outside an image (npm start, tests).
 * - instance: SERVICE_INSTANCE, the task's stable name (stack.yml sets it from Swarm's
 *   `{{.Service.Name}}.{{.Task.Slot}}`); the host name when unset.
 */
export interface BuildInfo {
  version: string;
  instance: string;
}

const packageVersion = () =>
  (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function readBuildInfo(env: NodeJS.ProcessEnv = process.env): BuildInfo {
  return {
    version: env.APP_VERSION?.trim() || packageVersion(),
    instance: env.SERVICE_INSTANCE?.trim() || hostname(),
  };
}
