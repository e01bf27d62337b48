import type { Context } from 'hono';
import { handle, type LambdaContext, type LambdaEvent } from 'hono/aws-lambda';
import type { AppEnv } from '../env.ts';
import type { Service } from '../service.ts';
import { createFunctionService } from './function-app.ts';

/**
 * AWS Lambda entry (API Gateway HTTP API payload 2.0, REST API, ALB, function URLs) through
 * Hono's own adapter: `handler` in the function's settings points here. The app, with its
 * request observation, is built on the first invocation and kept for the sandbox's life.
 * Each invocation's access line (and any other waiting line) is written before the
 * invocation returns: a frozen sandbox runs no timer and no exit handler.
 */
let built: Service | undefined;
let handleEvent: ReturnType<typeof handle> | undefined;

/** API Gateway's view of the client's address (the event's source IP). */
const sourceIp = (c: Context<AppEnv>): string | undefined => {
  const context = (c.env as { requestContext?: { http?: { sourceIp?: string }; identity?: { sourceIp?: string } } }).requestContext;
  return context?.http?.sourceIp ?? context?.identity?.sourceIp;
};

export async function handler(event: LambdaEvent, context: LambdaContext) {
  built ??= createFunctionService({ peerAddress: sourceIp });
  handleEvent ??= handle(built.app);
  try {
    return await handleEvent(event, context);
  } finally {
    built.log.flush();
  }
}
