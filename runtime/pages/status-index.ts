import { z } from '@hono/zod-openapi';
import type { StatusReport } from './status-report.ts';

/**
 * GET / with `Accept: application/json`: where things are and how the cache and the sync
 * stand, in a few fields. The repositories themselves are at `links.repos`.
 */
export interface StatusLinks {
  docs: string;
  openapi: string;
  repos: string;
  syncRuns: string;
  /** Null when /metrics is served on METRICS_PORT instead of here. */
  metrics: string | null;
  health: string;
  ready: string;
}

export const statusLinks = (metricsHere: boolean): StatusLinks => ({
  docs: '/docs',
  openapi: '/openapi.json',
  repos: '/repos',
  syncRuns: '/sync/runs',
  metrics: metricsHere ? '/metrics' : null,
  health: '/healthz',
  ready: '/readyz',
});

const seconds = z.number().int().min(0);
const time = z.string().openapi({ format: 'date-time' });

export const statusIndexSchema = z
  .object({
    service: z.literal('repo-monitor'),
    generatedAt: time,
    repositories: z.object({
      tracked: seconds.openapi({ description: 'Repositories tracked.' }),
      stale: seconds.openapi({ description: 'Tracked repositories never synced or not confirmed for staleAfterSeconds.' }),
      oldestSyncAgeSeconds: seconds.nullable().openapi({
        description: 'Seconds since the least recently synced repository was synced; null when none is tracked.',
      }),
      staleAfterSeconds: seconds.openapi({ description: 'STALE_AFTER.' }),
    }),
    sync: z.object({
      schedule: z.string().openapi({ description: 'SYNC_SCHEDULE (cron).' }),
      nextRunAt: time.nullable().openapi({ description: 'When the schedule fires next.' }),
      running: z
        .object({
          id: z.string(),
          href: z.string(),
          startedAt: time,
          done: seconds.openapi({ description: 'Repositories visited so far.' }),
          due: seconds.nullable().openapi({ description: 'Repositories the run has to visit; null until counted.' }),
          expectedFinishAt: time.nullable(),
        })
        .nullable()
        .openapi({ description: 'The run holding the sync lease, in whichever process; null when none runs.' }),
      lastRun: z
        .object({
          id: z.string(),
          href: z.string(),
          state: z.enum(['succeeded', 'partial', 'failed']),
          trigger: z.string(),
          finishedAt: time,
          durationMs: seconds,
          refreshed: seconds.openapi({ description: 'Repositories confirmed or updated (gone ones included).' }),
          failed: seconds,
          requestsSpent: seconds,
          stoppedBy: z.string().openapi({ description: 'As in the SyncSummary.' }),
        })
        .nullable()
        .openapi({ description: 'The newest finished run that was not skipped; null before the first.' }),
      lastRefreshAt: time.nullable().openapi({ description: 'The most recent time any repository was confirmed against GitHub.' }),
      rateLimit: z
        .object({ limit: seconds, remaining: seconds, resetAt: time, reportedAt: time })
        .nullable()
        .openapi({ description: "GitHub's rate limit as the newest run that saw it reported, at reportedAt; null before any answer." }),
    }),
    links: z.object({
      docs: z.string(),
      openapi: z.string(),
      repos: z.string(),
      syncRuns: z.string(),
      metrics: z.string().nullable().openapi({ description: 'Null when metrics are served on METRICS_PORT instead.' }),
      health: z.string(),
      ready: z.string(),
    }),
  })
  .openapi('StatusIndex');

export type StatusIndex = z.infer<typeof statusIndexSchema>;

export function statusIndex(report: StatusReport, links: StatusLinks): StatusIndex {
  const { listed: _listed, ...repositories } = report.repositories;
  return { service: 'repo-monitor', generatedAt: report.generatedAt, repositories, sync: report.sync, links };
}
