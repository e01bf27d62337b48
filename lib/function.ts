import type { RouteConfig, z } from '@hono/zod-openapi';
import type { Config } from './config.ts';
import type { Database } from './db.ts';
import type { KeyedLock } from './keyed-lock.ts';
import type { Logger } from './logging/logger.ts';
import type { SyncDeps } from './sync/deps.ts';

/**
 * The contract between a handler in functions/ and whatever runs it: the Hono runtime,
 * the invoke CLI, or later a FaaS adapter. A handler declares its route and input schemas,
 * gets validated input plus its dependencies, and returns a plain result; it never reads
 * module globals, so it can be mounted, tested or wrapped on its own.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface FunctionDeps {
  config: Config;
  db: Database;
  log: Logger;
  clock: Clock;
  /** Serialises writes to one document inside this process (see KeyedLock). */
  locks: KeyedLock;
  /**
   * The upstream client and what the sync keeps between runs (lib/sync/deps.ts), one per
   * process. Only the sync handler reads it; a runtime that cannot sync leaves it out.
   */
  sync?: SyncDeps;
}

export interface FunctionResult {
  status: number;
  /** Sent as JSON; a ReadableStream is streamed as it is. */
  body?: unknown;
  headers?: Record<string, string>;
}

type Request<R extends RouteConfig> = R['request'] extends object ? R['request'] : Record<string, never>;
type Output<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;
type JsonBody<R extends RouteConfig> =
  Request<R> extends { body: { content: { 'application/json': { schema: infer S } } } } ? Output<S> : undefined;

/** Validated input, typed from the route's schemas. */
export interface FunctionInput<R extends RouteConfig> {
  params: Output<Request<R>['params']>;
  query: Output<Request<R>['query']>;
  headers: Output<Request<R>['headers']>;
  body: JsonBody<R>;
}

export interface ServiceFunction<R extends RouteConfig = RouteConfig> {
  /** The name `npm run invoke -- <name>` takes; the file's name in functions/. */
  name: string;
  route: R;
  /** Never needs a token, even when reads do (health probes). */
  public?: boolean;
  handler(input: FunctionInput<R>, deps: FunctionDeps): Promise<FunctionResult>;
}

export function defineFunction<R extends RouteConfig>(fn: ServiceFunction<R>): ServiceFunction<R> {
  return fn;
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): FunctionResult =>
  headers ? { status, body, headers } : { status, body };
