import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { accepts } from 'hono/accepts';
import { isDatabaseUnavailable } from '../../lib/db.ts';
import { databaseUnavailable } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logging/logger.ts';
import { errorResponses } from '../../lib/openapi.ts';
import { observationOf, type AppEnv } from '../env.ts';
import type { SharedDeps } from '../mount.ts';
import { PAGE_CSP } from './page-style.ts';
import { statusIndex, statusIndexSchema, type StatusLinks } from './status-index.ts';
import { statusReport } from './status-report.ts';
import { statusPage, unavailablePage } from './status-view.ts';

/**
 * GET /: the status page for people, or with `Accept: application/json` the JSON index.
 * Public whatever READS_REQUIRE_TOKEN says, like the health probes and the OpenAPI document:
 * it shows counts and the sync's state, never a secret, and lists repositories only when
 * reads are public.
 */
export const statusRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'Service status',
  description:
    'A status page for people (HTML, the default), or with `Accept: application/json` a small index: how many ' +
    'repositories are tracked and how fresh they are, the sync schedule and rate-limit budget, and links. Never needs ' +
    'a token; the page lists repositories only when reads need none (READS_REQUIRE_TOKEN=false).',
  responses: {
    200: {
      description: 'The status',
      content: {
        'text/html': { schema: z.string().openapi({ description: 'The status page.' }) },
        'application/json': { schema: statusIndexSchema },
      },
    },
    ...errorResponses(),
  },
});

export function mountStatus(app: OpenAPIHono<AppEnv>, deps: SharedDeps, options: { links: StatusLinks; log: Logger }): void {
  const { links } = options;
  app.openAPIRegistry.registerPath(statusRoute);
  app.get(statusRoute.path, async (c) => {
    const wantsJson = accepts(c, { header: 'Accept', supports: ['text/html', 'application/json'], default: 'text/html' }) === 'application/json';
    c.header('vary', 'Accept');
    c.header('cache-control', 'no-cache');
    try {
      const report = await statusReport(deps);
      return wantsJson ? c.json(statusIndex(report, links)) : html(c, statusPage(report, links));
    } catch (error) {
      if (wantsJson || !isDatabaseUnavailable(error)) throw error;
      (observationOf(c)?.log ?? options.log).warn('database unavailable', { err: error as Error });
      return html(c, unavailablePage(links, deps.clock.now()), 503, databaseUnavailable().headers);
    }
  });
}

function html(c: Context<AppEnv>, body: ReturnType<typeof statusPage>, status: 200 | 503 = 200, headers: Record<string, string> = {}) {
  return c.html(body, status, { ...headers, 'content-security-policy': PAGE_CSP });
}
