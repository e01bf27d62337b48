import { readFileSync } from 'node:fs';
import { CronPattern } from 'croner';
import { z } from 'zod';
import { parseApiTokens } from './auth/tokens.ts';
import { parseTrustedProxies } from './http/client-address.ts';
import { isSecretKey, MASK, redactText } from './logging/redact.ts';

/**
 * Every setting the service reads, validated once at start-up. Each field documents its
 * variable; the README's configuration table mirrors this schema.
 */
const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const boolean = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "30m", "6h", "1d" (or "500ms") as milliseconds; null when it is not one. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return null;
  const ms = Math.round(Number(match[1]) * DURATION_UNITS[match[2]!]!);
  return Number.isSafeInteger(ms) ? ms : null;
}

/** A duration variable, read as milliseconds; `min` and `max` in milliseconds too. */
const duration = (min: number, max: number) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration such as 90s, 30m, 6h or 1d' });
      return z.NEVER;
    }
    if (ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `must be between ${min / 1000}s and ${max / 1000}s` });
      return z.NEVER;
    }
    return ms;
  });

/** Five fields (minute precision) or six (seconds first), as croner reads them. */
const cronExpression = z.string().superRefine((text, ctx) => {
  try {
    new CronPattern(text, undefined, { mode: '5-or-6-parts' });
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `not a valid cron expression: ${(error as Error).message.replace(/^CronPattern: /, '')}` });
  }
});

/** A list in one variable (empty when unset), read by `parse`, whose error message is the problem shown. */
const listOf = <T>(parse: (text: string) => T) =>
  z
    .string()
    .default('')
    .transform((text, ctx) => {
      try {
        return parse(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    });

export const configSchema = z.object({
  PORT: integer(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://'),
  MONGODB_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, 'letters, digits, _ and - only')
    .default('repo_monitor'),
  /** How long a database call may wait for a reachable server before the API answers 503. */
  DB_TIMEOUT_MS: integer(100, 60_000).default(2000),
  /** Per-command durations from the driver's command monitoring (docs/metrics.md says what it costs). */
  MONGODB_COMMAND_METRICS: boolean.default(true),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  LOG_FORMAT: z.enum(['logfmt', 'json', 'pretty']).default('logfmt'),
  /** Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For names the client; none by default. */
  TRUSTED_PROXIES: listOf(parseTrustedProxies),
  /** Serve /metrics on this port instead of PORT, so it need not be public. */
  METRICS_PORT: integer(0, 65535).optional(),
  /** Request ids as exemplars on the latency histogram (OpenMetrics scrapes only). */
  METRICS_EXEMPLARS: boolean.default(true),
  /** Most distinct label sets per request metric; beyond it, path="__overflow__". */
  METRICS_MAX_SERIES: integer(10, 100_000).default(2000),
  /** `name:token` pairs (comma or newline separated) allowed to write; none configured = no writes. */
  API_TOKENS: listOf(parseApiTokens),
  /** Reads need a token too (they are public by default). */
  READS_REQUIRE_TOKEN: boolean.default(false),
  /** How long in-flight requests may run after SIGTERM before the process exits anyway. */
  SHUTDOWN_GRACE_MS: integer(0, 120_000).default(10_000),
  /** api: the HTTP API only; scheduler: the scheduled sync only (metrics on METRICS_PORT); all: both. */
  ROLE: z.enum(['api', 'scheduler', 'all']).default('all'),
  /** When the scheduler runs the sync (cron, five fields or six with seconds). */
  SYNC_SCHEDULE: cronExpression.default('*/5 * * * *'),
  /** The longest one sync run may take (milliseconds once read); keep it under the schedule's interval. */
  SYNC_DEADLINE: duration(1000, 86_400_000).default(4 * 60_000),
  /** Upstream requests one run keeps in flight at most (the rate-limit budget paces them all). */
  SYNC_CONCURRENCY: integer(1, 64).default(4),
  /**
   * Record writes per bulkWrite. The embedded FerretDB hangs on update commands of about 100
   * statements (each holds one of its 100 SQLite connections to the end); MongoDB takes 1000.
   */
  SYNC_BATCH_SIZE: integer(1, 1000).default(50),
  /** Sync runs kept in the history (GET /sync/runs); older ones are deleted as new ones finish. */
  SYNC_HISTORY: integer(1, 10_000).default(100),
  /** A repository not confirmed against GitHub for this long is served marked stale (milliseconds once read). */
  STALE_AFTER: duration(60_000, 365 * 86_400_000).default(6 * 3_600_000),
  /** GitHub's REST API, or the fake one (npm run upstream). */
  UPSTREAM_URL: z
    .string()
    .regex(/^https?:\/\/[^\s/]+/, 'must be an http:// or https:// URL')
    .default('https://api.github.com'),
  /** Optional: 5,000 requests an hour instead of 60, and free 304s. Never logged. */
  GITHUB_TOKEN: z.string().regex(/^\S+$/, 'must not contain spaces').optional(),
  /** Per upstream request, body included. */
  UPSTREAM_TIMEOUT_MS: integer(100, 120_000).default(10_000),
});

export type Config = z.infer<typeof configSchema>;

/** Where a scheduler-only process serves /metrics and /healthz when METRICS_PORT is not set. */
export const SCHEDULER_METRICS_PORT = 9464;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Secrets may come from files (docker secrets): FOO_FILE=/run/secrets/foo instead of FOO. */
const FROM_FILE = ['MONGODB_URI', 'API_TOKENS', 'GITHUB_TOKEN'] as const;

/** Reads the configuration from an environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as in most shells' `FOO= command`.
  const present: Record<string, string> = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
  for (const name of FROM_FILE) {
    const file = present[`${name}_FILE`];
    if (file === undefined || present[name] !== undefined) continue;
    try {
      present[name] = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new ConfigError(`Invalid configuration:\n  ${name}_FILE: cannot read ${file} (${(error as Error).message})`);
    }
  }
  const parsed = configSchema.safeParse(present);
  if (parsed.success) {
    const config = parsed.data;
    // A scheduler has no API port, so its metrics need a port of their own.
    if (config.ROLE === 'scheduler' && config.METRICS_PORT === undefined) config.METRICS_PORT = SCHEDULER_METRICS_PORT;
    return config;
  }
  const problems = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '');
    const value = present[name];
    const shown = value === undefined ? 'not set' : `got ${JSON.stringify(redact(name, value))}`;
    return `  ${name}: ${issue.message} (${shown})`;
  });
  throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
}

/** Never echo a secret back: the same rules as the logs (tokens whole, credentials in URLs cut out). */
function redact(name: string, value: string): string {
  return isSecretKey(name) ? MASK : redactText(value);
}
