import type { OpenAPIHono } from '@hono/zod-openapi';
import { allErrorSchemas, errorSchema } from '../lib/errors.ts';
import type { AppEnv } from './env.ts';
import { WELL_FORMED_ID } from './observe/request-observer.ts';

/**
 * GET /openapi.json: the document generated from the routes, with what the request
 * observation (runtime/observe) adds to every operation declared once, as components every
 * operation refers to: the X-Request-Id on every answer, and the one a client may send. The
 * error envelope of every status is among the components too.
 */
type Document = ReturnType<OpenAPIHono['getOpenAPI31Document']>;
type DocumentConfig = Parameters<OpenAPIHono['getOpenAPI31Document']>[0];

const REQUEST_ID = 'RequestId';

const requestIdHeader = {
  description:
    `The request's id, also in its log lines and metric exemplars: the client's own X-Request-Id when it sent a ` +
    `well-formed one (matching ${WELL_FORMED_ID.source}), otherwise a new one.`,
  required: true,
  schema: { type: 'string' as const, pattern: WELL_FORMED_ID.source },
};

const requestIdParameter = {
  name: 'x-request-id',
  in: 'header' as const,
  required: false,
  description:
    `An id of the client's choosing for this request, answered back in X-Request-Id and logged with it. Used when it ` +
    `matches ${WELL_FORMED_ID.source}; any other value is replaced with a new id, never refused.`,
  schema: { type: 'string' as const },
};

export function serveOpenApiDocument(app: OpenAPIHono<AppEnv>, path: string, config: DocumentConfig): void {
  // Every error envelope, also those of answers no operation lists (405, 408, 417, 431).
  app.openAPIRegistry.register('Error', errorSchema);
  for (const [status, schema] of allErrorSchemas()) app.openAPIRegistry.register(`Error${status}`, schema);
  app.openAPIRegistry.registerComponent('headers', REQUEST_ID, requestIdHeader);
  app.openAPIRegistry.registerComponent('parameters', REQUEST_ID, requestIdParameter);
  app.get(path, (c) => c.json(withRequestId(app.getOpenAPI31Document(config))));
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Every operation takes the X-Request-Id parameter and every answer carries the header, by reference. */
function withRequestId(document: Document): Document {
  for (const item of Object.values(document.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      operation.parameters = [...(operation.parameters ?? []), { $ref: `#/components/parameters/${REQUEST_ID}` }];
      for (const response of Object.values(operation.responses ?? {})) {
        if ('$ref' in response) continue;
        response.headers = { ...response.headers, 'X-Request-Id': { $ref: `#/components/headers/${REQUEST_ID}` } };
      }
    }
  }
  return document;
}
