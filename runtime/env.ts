import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import type { ObservedResponse } from './observe/messages.ts';
import type { RequestObservation } from './observe/request-observer.ts';

/**
 * What the node adapter hands the app with each request: Node's request and response.
 * Absent for an in-memory request (app.request, `npm run invoke`).
 */
export interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ObservedResponse;
}

export interface AppEnv {
  Bindings: NodeBindings;
}

/** The server's observation of this request (its id, logger, route), when the server observes it. */
export const observationOf = (c: Context<AppEnv>): RequestObservation | undefined => c.env?.outgoing?.observation;
