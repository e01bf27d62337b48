import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Logger } from '../../lib/logging/logger.ts';
import type { AppEnv } from '../env.ts';
import type { SharedDeps } from '../mount.ts';
import { mountApiDocs } from './api-docs.ts';
import { statusLinks } from './status-index.ts';
import { mountStatus } from './status-route.ts';

/**
 * The pages for people: the status page at / (also a JSON index) and the API docs at /docs.
 */
export interface PagesOptions {
  log: Logger;
  /** Whether /metrics is served by this app (not on METRICS_PORT). */
  metricsHere: boolean;
}

export function mountPages(app: OpenAPIHono<AppEnv>, deps: SharedDeps, options: PagesOptions): void {
  const links = statusLinks(options.metricsHere);
  mountStatus(app, deps, { links, log: options.log });
  mountApiDocs(app, links.openapi);
}
