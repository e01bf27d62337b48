import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import type { NodeExchange } from './observe/node-exchange.ts';
import type { RequestObservation } from './observe/request-observer.ts';

/**
 * What a runtime hands the app with each request. On the Node server: Node's request (the
 * node adapter's `incoming`) and the server's exchange (runtime/observe/node-exchange.ts).
 * Other runtimes (a FaaS adapter, an in-memory request) bring their own or nothing.
 */
export interface AppBindings {
  incoming?: IncomingMessage;
  exchange?: NodeExchange;
}

export interface AppEnv {
  Bindings: AppBindings;
  Variables: { observation: RequestObservation };
}

/** This request's observation (its id, logger, route), set by the observation middleware. */
export const observationOf = (c: Context<AppEnv>): RequestObservation | undefined => c.get('observation');
