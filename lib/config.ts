import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseApiTokens } from './auth/tokens.ts';

/**
 * Every setting the service reads, validated once at start-up. Each field documents its
 * variable; the README's configuration table mirrors this schema.
 */
const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const boolean = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

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
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  LOG_FORMAT: z.enum(['logfmt', 'json']).default('logfmt'),
  /** Serve /metrics on this port instead of PORT, so it need not be public. */
  METRICS_PORT: integer(0, 65535).optional(),
  /** Request ids as exemplars on the latency histogram (OpenMetrics scrapes only). */
  METRICS_EXEMPLARS: boolean.default(true),
  /** Most distinct label sets per request metric; beyond it, path="__overflow__". */
  METRICS_MAX_SERIES: integer(10, 100_000).default(2000),
  /** `name:token` pairs (comma or newline separated) allowed to write; none configured = no writes. */
  API_TOKENS: z
    .string()
    .default('')
    .transform((text, ctx) => {
      try {
        return parseApiTokens(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /** Reads need a token too (they are public by default). */
  READS_REQUIRE_TOKEN: boolean.default(false),
  /** How long in-flight requests may run after SIGTERM before the process exits anyway. */
  SHUTDOWN_GRACE_MS: integer(0, 120_000).default(10_000),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Secrets may come from files (docker secrets): FOO_FILE=/run/secrets/foo instead of FOO. */
const FROM_FILE = ['MONGODB_URI', 'API_TOKENS'] as const;

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
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '');
    const value = present[name];
    const shown = value === undefined ? 'not set' : `got ${JSON.stringify(redact(name, value))}`;
    return `  ${name}: ${issue.message} (${shown})`;
  });
  throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
}

/** Connection strings may carry a password; never echo it back. */
function redact(name: string, value: string): string {
  if (name === 'API_TOKENS') return '***';
  return name === 'MONGODB_URI' ? redactUri(value) : value;
}

export function redactUri(uri: string): string {
  return uri.replace(/\/\/([^@/]*)@/, '//***@');
}
