import { z } from '@hono/zod-openapi';

/**
 * What one sync run reports: the body of POST /sync, what `npm run invoke -- sync` prints,
 * the fields of the run's log line and what the sync metrics count. One schema, so the
 * OpenAPI document describes exactly what the handler returns.
 */
export const recordResults = ['updated', 'unchanged', 'not_modified', 'gone', 'failed'] as const;
export type RecordResult = (typeof recordResults)[number];

export const syncOutcomes = ['success', 'partial', 'failed', 'skipped'] as const;
export type SyncOutcome = (typeof syncOutcomes)[number];

export const stopReasons = [
  'done',
  'deadline',
  'budget',
  'rate_limited',
  'upstream_down',
  'upstream_unreachable',
  'aborted',
  'lease_lost',
  'lease_held',
  'error',
] as const;
export type StopReason = (typeof stopReasons)[number];

const count = z.number().int().min(0);

export const syncSummarySchema = z
  .object({
    runId: z.string(),
    outcome: z.enum(syncOutcomes).openapi({
      description:
        'success: nothing failed (a run the budget or deadline cut short still succeeds: the rest waits for the next run); ' +
        'partial: some records refreshed, some failed or the upstream broke off; failed: nothing refreshed; ' +
        'skipped: another run holds the lease.',
    }),
    stoppedBy: z.enum(stopReasons).openapi({
      description:
        'done: every tracked repository was visited; deadline: SYNC_DEADLINE; budget: the rate-limit budget allows no more ' +
        'now; rate_limited: GitHub refused (403/429); upstream_down: network or 5xx after retries; ' +
        'upstream_unreachable: the upstream host does not resolve or refuses connections (not retried); aborted: shutdown; ' +
        'lease_lost: another process took the lease; lease_held: see skipped; error: the database failed.',
    }),
    trigger: z.string().openapi({ description: 'schedule, http or invoke (bench in benchmarks).' }),
    startedAt: z.string(),
    durationMs: count,
    tracked: count.nullable().openapi({ description: 'Repositories tracked when the run started.' }),
    counts: z
      .object({ updated: count, unchanged: count, not_modified: count, gone: count, failed: count })
      .openapi({
        description:
          'updated: new content stored; unchanged: 200 with the content already stored; not_modified: 304; ' +
          'gone: 404/410 upstream (kept, flagged); failed: the cached data was left as it was.',
      }),
    requestsSpent: count.openapi({ description: 'Requests sent upstream by this run, retries included.' }),
    rateLimit: z
      .object({ limit: count, remaining: count, reset: z.string() })
      .nullable()
      .openapi({ description: "The upstream's rate limit as this process knows it after the run." }),
    writes: z
      .object({
        commands: count.openapi({ description: 'Write commands sent for repository records (a bulkWrite is one).' }),
        documents: count.openapi({ description: 'Repository documents changed.' }),
        refused: count.openapi({ description: 'Writes that matched nothing: changed meanwhile, deleted, or fenced off.' }),
      })
      .openapi({ description: 'Writes to repository records; the lease adds a constant few per run.' }),
    nextRunHint: z.string().nullable().openapi({
      description: 'When a next run can make progress (the budget reset, a retry-after); null when nothing holds it back.',
    }),
    error: z.string().optional(),
  })
  .openapi('SyncSummary');

export type SyncSummary = z.infer<typeof syncSummarySchema>;
export type RecordCounts = SyncSummary['counts'];

export const emptyCounts = (): RecordCounts => ({ updated: 0, unchanged: 0, not_modified: 0, gone: 0, failed: 0 });

/**
 * The run's outcome from what it did. A run cut short by the budget or its deadline is a
 * success: spreading the watch list over several runs is the plan, not a failure.
 */
export function outcomeOf(counts: RecordCounts, stoppedBy: StopReason): SyncOutcome {
  if (stoppedBy === 'lease_held') return 'skipped';
  const refreshed = counts.updated + counts.unchanged + counts.not_modified + counts.gone;
  const cleanStop = stoppedBy === 'done' || stoppedBy === 'deadline' || stoppedBy === 'budget';
  if (cleanStop && counts.failed === 0) return 'success';
  return refreshed > 0 ? 'partial' : 'failed';
}

export interface SummaryInput {
  runId: string;
  trigger: string;
  startedAt: Date;
  finishedAt: Date;
  stoppedBy: StopReason;
  /** What the run's body did, if it got that far. */
  body?: { tracked: number; counts: RecordCounts; writes: SyncSummary['writes']; nextRunAt: number | null };
  /** The error that ended it (the database failed). */
  failure?: unknown;
  requestsSpent?: number;
}

/** A run's summary from what it did and the rate limit as the process knows it after the run. */
export function summarize(input: SummaryInput, budget: { limit: number; remaining: number; resetAt: number; confirmed: boolean }): SyncSummary {
  const { body, failure } = input;
  const counts = body?.counts ?? emptyCounts();
  return {
    runId: input.runId,
    outcome: failure === undefined ? outcomeOf(counts, input.stoppedBy) : 'failed',
    stoppedBy: input.stoppedBy,
    trigger: input.trigger,
    startedAt: input.startedAt.toISOString(),
    durationMs: Math.max(0, input.finishedAt.getTime() - input.startedAt.getTime()),
    tracked: body?.tracked ?? null,
    counts,
    requestsSpent: input.requestsSpent ?? 0,
    rateLimit: budget.confirmed ? { limit: budget.limit, remaining: budget.remaining, reset: new Date(budget.resetAt).toISOString() } : null,
    writes: body?.writes ?? { commands: 0, documents: 0, refused: 0 },
    nextRunHint: body?.nextRunAt == null ? null : new Date(body.nextRunAt).toISOString(),
    ...(failure !== undefined && { error: failure instanceof Error ? failure.message : String(failure) }),
  };
}
