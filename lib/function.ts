import type { RouteConfig, z } from '@hono/zod-openapi';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { Database } from './db.ts';
import type { KeyedLock } from './keyed-lock.ts';
import type { Logger } from './logging/logger.ts';
import type { SyncTask } from './sync/task.ts';

/**
 * The contract between a handler in functions/ and whatever runs it: the Hono runtime,
 * the invoke CLI, or later a FaaS adapter. A handler declares its route and input schemas,
 * gets validated input plus its dependencies, and returns a plain result; it never reads
 * module globals, so it can be mounted, tested or wrapped on its own.
 */
export interface FunctionDeps {
  config: Config;
  db: Database;
  log: Logger;
  clock: Clock;
}

/**
 * What one process keeps for its whole life and only some handlers use; a handler names the
 * ones it needs in `uses` and gets those alone (runtime/service.ts builds them once).
 */
export interface ProcessServices {
  /** Serialises writes to one document inside this process (see KeyedLock). */
  locks: KeyedLock;
  /** Starts sync runs and waits for them (lib/sync/task.ts). */
  sync: SyncTask;
}

export type ServiceName = keyof ProcessServices;

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

export interface ServiceFunction<R extends RouteConfig = RouteConfig, U extends ServiceName = never> {
  /** The name `npm run invoke -- <name>` takes; the file's name in functions/. */
  name: string;
  route: R;
  /** Never needs a token, even when reads do (health probes). */
  public?: boolean;
  /** The process services this handler needs besides FunctionDeps. */
  uses?: readonly U[];
  handler(input: FunctionInput<R>, deps: FunctionDeps & Pick<ProcessServices, U>): Promise<FunctionResult>;
}

/** Any handler, whatever services it uses: what the runtime mounts. */
export type AnyServiceFunction = ServiceFunction<RouteConfig, ServiceName>;

export function defineFunction<R extends RouteConfig, U extends ServiceName = never>(fn: ServiceFunction<R, U>): ServiceFunction<R, U> {
  return fn;
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): FunctionResult =>
  headers ? { status, body, headers } : { status, body };
