import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * The service's own /openapi.json, turned into checks: which operation a request hit, whether
 * the status it got is documented there, and whether the body matches the documented schema
 * (OpenAPI 3.1 schemas are JSON Schema 2020-12, validated by ajv's 2020 draft).
 */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown>; headers?: Record<string, unknown>; parameters?: Record<string, unknown> };
}

/** A documented response header: whether every answer carries it, and the schema its value matches. */
export interface ResponseHeader {
  required?: boolean;
  schema?: unknown;
}

export interface Operation {
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  operationId?: string;
  responses: Record<
    string,
    { description?: string; headers?: Record<string, ResponseHeader>; content?: Record<string, { schema?: unknown }> }
  >;
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** What one request got back, as the tests record it. */
export interface Observed {
  method: string;
  /** Path without the query string, as sent. */
  path: string;
  status: number;
  contentType: string | null;
  text: string;
  /** The response headers, when the caller has them: documented required ones and Allow are checked. */
  headers?: Headers | Record<string, string>;
}

export interface Verdict {
  /** `GET /repos/{owner}/{name}`, or null when no documented operation matches. */
  operation: string | null;
  problems: string[];
}

export class OpenApiSpec {
  readonly document: OpenApiDocument;
  readonly ajv: Ajv2020;
  readonly #routes: { template: string; pattern: RegExp }[];
  readonly #validators = new Map<string, ValidateFunction>();

  constructor(document: OpenApiDocument) {
    // Parameters and headers given by reference are read in place: the checks need their names and schemas.
    this.document = { ...document, paths: inlineComponents(document.paths, document.components ?? {}) as OpenApiDocument['paths'] };
    // strict: unknown keywords are errors, except the ones OpenAPI adds to JSON Schema.
    this.ajv = new Ajv2020({ strict: true, allErrors: true, strictTypes: false });
    addFormats.default(this.ajv);
    this.ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs']);
    for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
      this.ajv.addSchema({ ...(rebase(schema) as object), $id: `openapi:schemas/${name}` });
    }
    this.#routes = Object.keys(document.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replaceAll(/\{\w+\}/g, '[^/]+').replaceAll('.', '\\.')}$`),
    }));
  }

  /** Every `METHOD /path` the document describes. */
  operations(): { method: string; path: string; operation: Operation }[] {
    return Object.entries(this.document.paths).flatMap(([path, item]) =>
      HTTP_METHODS.filter((method) => item[method]).map((method) => ({ method, path, operation: item[method]! })),
    );
  }

  /** The documented path template a concrete path falls under, if any. */
  templateOf(path: string): string | undefined {
    return this.#routes.find((route) => route.pattern.test(path))?.template;
  }

  /** A validator for a schema found in the document (refs resolve against its components). */
  validator(schema: unknown, key: string): ValidateFunction {
    let validate = this.#validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(rebase(schema) as object);
      this.#validators.set(key, validate);
    }
    return validate;
  }

  /**
   * What a documented path answers to a method it does not document: the methods of its
   * operations (HEAD with GET) and OPTIONS, in the order the server lists them in Allow.
   */
  allowedMethods(template: string): string[] {
    const item = this.document.paths[template] ?? {};
    const documented = ALLOW_ORDER.filter((method) => item[method.toLowerCase()] || (method === 'HEAD' && item.get));
    return [...documented, 'OPTIONS'];
  }

  /**
   * The error envelope of a status (`Error<status>`: its code one of those the status carries),
   * for answers that no operation describes (unknown routes, 405); undefined when the document has none.
   */
  errorValidator(status: number): ValidateFunction | undefined {
    const name = `Error${status}`;
    return this.document.components?.schemas?.[name] ? this.validator({ $ref: `#/components/schemas/${name}` }, `components/${name}`) : undefined;
  }

  /**
   * Checks one observed answer: the status must be documented for its operation, a documented
   * JSON body must come as JSON and match the schema, and a response without documented content
   * must have no body. Answers to undocumented routes must be the JSON error envelope.
   */
  check(observed: Observed): Verdict {
    const problems: string[] = [];
    const template = this.templateOf(observed.path);
    const method = observed.method.toLowerCase();
    const operation = template ? this.document.paths[template]?.[method] : undefined;
    const name = template && operation ? `${observed.method.toUpperCase()} ${template}` : null;
    const where = `${observed.method} ${observed.path} -> ${observed.status}`;

    if (!name || !operation) this.#checkHeaders(observed, this.everyResponseHeaders(), 'every response', where, problems);
    if (template && !operation) {
      this.#checkUndocumentedMethod(observed, template, where, problems);
      return { operation: null, problems };
    }
    if (!name || !operation) {
      this.#checkError(observed, where, problems);
      return { operation: null, problems };
    }
    const response = operation.responses[String(observed.status)] ?? operation.responses.default;
    if (!response) {
      problems.push(`${where}: status ${observed.status} is not documented for ${name}`);
      return { operation: name, problems };
    }
    this.#checkHeaders(observed, response.headers ?? {}, `${name} ${observed.status}`, where, problems);
    // A documented representation other than JSON (GET /'s HTML page) is taken as it is.
    const mediaType = observed.contentType?.split(';')[0]!.trim().toLowerCase();
    if (mediaType && mediaType !== 'application/json' && response.content?.[mediaType]) return { operation: name, problems };
    const schema = response.content?.['application/json']?.schema;
    if (schema === undefined) {
      if (response.content && Object.keys(response.content).length > 0) {
        problems.push(`${where}: documented content is not application/json`);
      } else if (observed.text !== '') {
        problems.push(`${where}: documented without a body, but one came: ${observed.text.slice(0, 200)}`);
      }
      return { operation: name, problems };
    }
    this.#checkJson(observed, this.validator(schema, `${name} ${observed.status}`), where, problems);
    return { operation: name, problems };
  }

  /** 405 with Allow in the error envelope; OPTIONS 204 with Allow; HEAD as its GET without a body. */
  #checkUndocumentedMethod(observed: Observed, template: string, where: string, problems: string[]) {
    const method = observed.method.toUpperCase();
    const get = this.document.paths[template]?.get;
    if (method === 'HEAD' && get) {
      if (!get.responses[String(observed.status)]) problems.push(`${where}: status ${observed.status} is not documented for GET ${template}`);
      if (observed.text !== '') problems.push(`${where}: a HEAD answer has no body`);
      return;
    }
    // A declared body over the limit is refused before routing, whatever the method.
    if (observed.status === 413) {
      if (method !== 'HEAD') this.#checkError(observed, where, problems);
      return;
    }
    const expected = method === 'OPTIONS' ? 204 : 405;
    if (observed.status !== expected) problems.push(`${where}: expected ${expected}, as ${method} is no operation of ${template}`);
    const allow = observed.headers && headerOf(observed.headers, 'allow');
    const allowed = this.allowedMethods(template).join(', ');
    if (observed.headers && allow !== allowed) problems.push(`${where}: Allow is ${allow}, not ${allowed}`);
    if (expected === 204) {
      if (observed.text !== '') problems.push(`${where}: a 204 has no body`);
    } else if (method !== 'HEAD') {
      this.#checkError(observed, where, problems);
    }
  }

  /** Each documented header the answer must carry is there, and each documented one that came matches its schema. */
  #checkHeaders(observed: Observed, headers: Record<string, ResponseHeader>, key: string, where: string, problems: string[]) {
    if (!observed.headers) return;
    for (const [header, { required, schema }] of Object.entries(headers)) {
      const value = headerOf(observed.headers, header);
      if (value == null) {
        if (required) problems.push(`${where}: documented header ${header} is missing`);
      } else if (schema !== undefined && !this.validator(schema, `${key} header ${header}`)(value)) {
        problems.push(`${where}: header ${header}: ${JSON.stringify(value)} does not match its schema ${JSON.stringify(schema)}`);
      }
    }
  }

  /**
   * The headers the document declares on every response of every operation (X-Request-Id):
   * answers no operation describes (405, OPTIONS, unknown routes) carry them too.
   */
  everyResponseHeaders(): Record<string, ResponseHeader> {
    const perResponse = this.operations().flatMap(({ operation }) => Object.values(operation.responses).map((response) => response.headers ?? {}));
    const [first = {}, ...rest] = perResponse;
    return Object.fromEntries(Object.entries(first).filter(([name]) => rest.every((headers) => name in headers)));
  }

  #checkError(observed: Observed, where: string, problems: string[]) {
    const validate = this.errorValidator(observed.status);
    if (validate) this.#checkJson(observed, validate, where, problems);
    else problems.push(`${where}: the document has no error envelope for ${observed.status} (components.schemas.Error${observed.status})`);
  }

  #checkJson(observed: Observed, validate: ValidateFunction, where: string, problems: string[]) {
    if (!/^application\/json\b/i.test(observed.contentType ?? '')) {
      problems.push(`${where}: content-type ${observed.contentType} is not application/json`);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(observed.text);
    } catch {
      problems.push(`${where}: body is not JSON: ${observed.text.slice(0, 200)}`);
      return;
    }
    if (!validate(body)) {
      problems.push(`${where}: body does not match the schema: ${this.ajv.errorsText(validate.errors)}; body ${observed.text.slice(0, 300)}`);
    }
  }
}

const ALLOW_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

const headerOf = (headers: Headers | Record<string, string>, name: string): string | null | undefined =>
  headers instanceof Headers ? headers.get(name) : headers[name.toLowerCase()];

/** The document's paths with `#/components/parameters/X` and `#/components/headers/X` refs replaced by what they name. */
function inlineComponents(paths: unknown, components: NonNullable<OpenApiDocument['components']>): unknown {
  if (Array.isArray(paths)) return paths.map((item) => inlineComponents(item, components));
  if (paths === null || typeof paths !== 'object') return paths;
  const ref = (paths as { $ref?: unknown }).$ref;
  const named = typeof ref === 'string' && /^#\/components\/(parameters|headers)\/(.+)$/.exec(ref);
  if (named) {
    const target = components[named[1] as 'parameters' | 'headers']?.[named[2]!];
    if (target === undefined) throw new Error(`${ref} names no component`);
    return target;
  }
  return Object.fromEntries(Object.entries(paths).map(([key, value]) => [key, inlineComponents(value, components)]));
}

/** `#/components/schemas/X` refs, taken out of the document, point at the schemas registered as `openapi:schemas/X`. */
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' ? value.replace(/^#\/components\/schemas\//, 'openapi:schemas/') : rebase(value),
    ]),
  );
}

export async function fetchSpec(baseUrl: string): Promise<OpenApiSpec> {
  const response = await fetch(`${baseUrl}/openapi.json`);
  if (response.status !== 200) throw new Error(`/openapi.json answered ${response.status}`);
  return new OpenApiSpec((await response.json()) as OpenApiDocument);
}
