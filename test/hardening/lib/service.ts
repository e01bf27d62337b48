import { mongodbUri, uniqueDbName } from '../../helpers/database.ts';
import { parseJsonOrUndefined, startService, type RunningService } from '../../helpers/service.ts';

/**
 * The real service for the hardening tests, with a write token of their own: set in the
 * service's API_TOKENS and sent by `send`, so the tests are the same whether or not the
 * service asks for one.
 */
export const HARDENING_TOKEN = 'hardening-token-0123456789abcdef';
export const AUTH = { authorization: `Bearer ${HARDENING_TOKEN}` } as const;

export function startHardenedService(label: string, env: Record<string, string> = {}): Promise<RunningService & { dbName: string }> {
  const dbName = env.MONGODB_DB ?? uniqueDbName(label);
  return startService({ MONGODB_URI: mongodbUri(), MONGODB_DB: dbName, API_TOKENS: `hardening:${HARDENING_TOKEN}`, ...env }).then(
    (service) => Object.assign(service, { dbName }),
  );
}

export interface Sent {
  method: string;
  path: string;
  status: number;
  headers: Headers;
  contentType: string | null;
  text: string;
  json: any;
  ms: number;
}

/** One request with fetch: JSON `body` or `raw` text, the token unless `auth: false`. */
export async function send(
  base: string,
  method: string,
  target: string,
  options: { body?: unknown; raw?: string; headers?: Record<string, string>; auth?: boolean; timeoutMs?: number } = {},
): Promise<Sent> {
  const headers: Record<string, string> = { ...(options.auth !== false && AUTH), ...options.headers };
  let body = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const started = performance.now();
  const response = await fetch(`${base}${target}`, {
    method,
    headers,
    body,
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  const text = await response.text();
  const json = parseJsonOrUndefined(text);
  return {
    method,
    path: target.split('?')[0]!,
    status: response.status,
    headers: response.headers,
    contentType: response.headers.get('content-type'),
    text,
    json,
    ms: performance.now() - started,
  };
}
