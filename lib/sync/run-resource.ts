import { z } from '@hono/zod-openapi';
import { errorSchemaFor } from '../errors.ts';
import { runStates, type RunProgress, type SyncRunDocument } from './run-store.ts';
import { syncSummarySchema } from './summary.ts';

/**
 * A sync run as the API shows it (GET /sync/runs/{id}, POST /sync, GET /sync/runs): the
 * stored record, with live progress when this process is running it.
 */
const count = z.number().int().min(0);
const timestamp = z.string().openapi({ format: 'date-time' });

export const RUN_ID_PATTERN = /^[0-9a-f]{12}$/;

export const runHref = (id: string) => `/sync/runs/${id}`;

/** The longest `Prefer: wait` honoured. */
export const MAX_WAIT_SECONDS = 60;

/**
 * The Prefer request header (RFC 7240), as lib/prefer.ts reads it: only `wait` is acted on;
 * anything else, an unreadable wait included, is ignored as the RFC asks, never refused.
 */
export const preferHeader = z
  .string()
  .max(1000)
  .optional()
  .openapi({
    description:
      `RFC 7240. wait=N (N: 1 to 9 decimal digits, quoted or not): wait up to N seconds (at most ${MAX_WAIT_SECONDS}; ` +
      'more is cut to that) for the run to finish before answering; Preference-Applied says the wait that was honoured. ' +
      'Only the first wait counts. Any other preference, and a wait that is not such a number, is ignored (RFC 7240 §2), ' +
      'never refused; only a header over 1,000 characters is a 400.',
    examples: ['wait=1', 'respond-async, wait=2', 'wait="1"', `wait=${MAX_WAIT_SECONDS + 30}`, 'wait=soon', 'handling=lenient'],
  });

/** The Preference-Applied answer header: the wait honoured, at most MAX_WAIT_SECONDS. */
export const preferenceAppliedHeader = {
  description: `wait=N: the wait that was honoured (at most ${MAX_WAIT_SECONDS}), when the request's Prefer had a readable one.`,
  required: false,
  schema: { type: 'string' as const, pattern: '^wait=\\d{1,2}$' },
};

const progressSchema = z
  .object({
    done: count.openapi({ description: 'Repositories visited so far.' }),
    due: count.nullable().openapi({ description: 'Repositories this run has to visit (tracked when it started); null until counted.' }),
    requestsSpent: count.openapi({ description: 'Requests sent upstream by this run so far, retries included.' }),
    budgetLeft: count.nullable().openapi({
      description: "Requests the upstream's rate limit still allows in its window; null until an answer has said so.",
    }),
    expectedFinishAt: timestamp.nullable().openapi({
      description:
        'When the run should end at its pace so far (or the rate limit\'s, if slower), never after SYNC_DEADLINE; ' +
        'null before the first repository is done.',
    }),
    updatedAt: timestamp,
  })
  .openapi('SyncRunProgress');

export const syncRunSchema = z
  .object({
    id: z.string().openapi({ description: 'The run id; also run_id in its log lines.' }),
    href: z.string().openapi({ description: 'This resource: /sync/runs/{id}.' }),
    state: z.enum(runStates).openapi({
      description:
        'queued: recorded, not yet holding the lease; running; then succeeded, partial, failed (see summary.outcome) ' +
        'or skipped (another run held the lease: heldBy).',
    }),
    trigger: z.string().openapi({ description: 'schedule, http or invoke.' }),
    queuedAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    progress: progressSchema.nullable().openapi({ description: 'How far the run is (while running) or got (once finished).' }),
    summary: syncSummarySchema.nullable().openapi({ description: 'The final summary, once the run has finished.' }),
    heldBy: z.string().nullable().openapi({ description: 'For a skipped run: the id of the run that held the lease.' }),
  })
  .openapi('SyncRun');

export type SyncRun = z.infer<typeof syncRunSchema>;

export const syncRunListSchema = z
  .object({
    items: z.array(syncRunSchema),
    total: count.openapi({ description: 'Runs in the history (at most SYNC_HISTORY finished ones, plus any going).' }),
    limit: count,
    nextCursor: z.string().nullable().openapi({ description: 'Pass as ?cursor= for the next page; null on the last.' }),
  })
  .openapi('SyncRunList');

/** 409 from POST /sync: the error envelope, plus the run that holds the lease. */
export const syncConflictSchema = errorSchemaFor(409, ['sync_in_progress'])
  .extend({
    run: z
      .object({ id: z.string().nullable(), href: z.string().nullable() })
      .openapi({ description: 'The run holding the lease (id and href null when its holder is not a known run).' }),
  })
  .openapi('SyncConflict');

const iso = (date: Date | null) => (date ? date.toISOString() : null);

const presentProgress = (progress: RunProgress | null) =>
  progress && { ...progress, expectedFinishAt: iso(progress.expectedFinishAt), updatedAt: progress.updatedAt.toISOString() };

/** The API view of a stored run; `live` replaces the stored progress when this process runs it. */
export function presentRun(run: SyncRunDocument, live?: RunProgress): SyncRun {
  return {
    id: run._id,
    href: runHref(run._id),
    state: run.state,
    trigger: run.trigger,
    queuedAt: run.queuedAt.toISOString(),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    progress: presentProgress(live ?? run.progress),
    summary: run.summary,
    heldBy: run.heldBy,
  };
}
