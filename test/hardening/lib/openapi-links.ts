import type { Generated, Place, Values } from './generated-requests.ts';
import { parametersOf } from './generated-requests.ts';
import type { OpenApiSpec } from './openapi-spec.ts';

interface Link {
  operationId: string;
  parameters: Record<string, string>;
}

/** What an answer gave, enough to evaluate a link's runtime expressions. */
export interface LinkSource {
  status: number;
  headers: Headers;
  json: unknown;
}

/**
 * Parameter values for operations, collected from earlier answers through the document's
 * links (OpenAPI 3.1 §4.8.20): a created repository's owner and name for getRepo, its ETag
 * as updateRepo's If-Match, a page's nextCursor for the next page.
 */
export class LinkedValues {
  readonly #spec: OpenApiSpec;
  readonly #byOperation = new Map<string, Values[]>();

  constructor(spec: OpenApiSpec) {
    this.#spec = spec;
  }

  /** Evaluates the links of the answer's documented response and keeps the complete ones. */
  collect(request: Generated, sent: Values, answer: LinkSource): void {
    const operation = this.#spec.document.paths[request.template]?.[request.method.toLowerCase()];
    const response = operation?.responses[String(answer.status)] as { links?: Record<string, Link> } | undefined;
    for (const link of Object.values(response?.links ?? {})) {
      const target = this.#spec.operations().find((candidate) => candidate.operation.operationId === link.operationId);
      if (!target) throw new Error(`a link names operationId ${link.operationId}, which no operation has`);
      const values: Values = { path: {}, query: {}, header: {} };
      let complete = true;
      for (const [key, expression] of Object.entries(link.parameters)) {
        // `header.if-match` names the place; a bare name is the operation's parameter of that name.
        const [place, name] = key.includes('.')
          ? (key.split(/\.(.*)/s, 2) as [Place, string])
          : [parametersOf(target.operation).find((parameter) => parameter.name === key)?.in, key];
        if (!place) throw new Error(`a link to ${link.operationId} names parameter ${key}, which it does not have`);
        const value = evaluate(expression, sent, answer);
        if (value === undefined || value === null) complete = false;
        else values[place][name] = String(value);
      }
      if (!complete) continue;
      const list = this.#byOperation.get(link.operationId) ?? [];
      list.push(values);
      if (list.length > 40) list.shift();
      this.#byOperation.set(link.operationId, list);
    }
  }

  /** The request's values, with those of a collected link put in when it asks for one and there is one. */
  valuesFor(request: Generated): Values {
    const choices = request.operationId ? this.#byOperation.get(request.operationId) : undefined;
    if (request.link === undefined || !choices?.length || !request.kind.valid) return request.values;
    const chosen = choices[request.link % choices.length]!;
    return {
      path: { ...request.values.path, ...chosen.path },
      query: { ...request.values.query, ...chosen.query },
      header: { ...request.values.header, ...chosen.header },
    };
  }
}

/** OpenAPI runtime expressions: $response.body#/json/pointer, $response.header.x, $request.path|query|header.x. */
function evaluate(expression: string, request: Values, answer: LinkSource): unknown {
  if (expression.startsWith('$response.body#')) {
    const pointer = expression.slice('$response.body#'.length).split('/').slice(1);
    return pointer.reduce<unknown>(
      (value, part) => (value as Record<string, unknown> | undefined)?.[part.replaceAll('~1', '/').replaceAll('~0', '~')],
      answer.json,
    );
  }
  const header = /^\$response\.header\.(.+)$/.exec(expression);
  if (header) return answer.headers.get(header[1]!);
  const fromRequest = /^\$request\.(path|query|header)\.(.+)$/.exec(expression);
  if (fromRequest) return request[fromRequest[1] as Place][fromRequest[2]!];
  throw new Error(`runtime expression not understood: ${expression}`);
}
