import fc from 'fast-check';
import type { Operation, OpenApiSpec } from './openapi-spec.ts';
import { invalid, valid, type Schema, type SchemaContext } from './schema-arbitrary.ts';

/**
 * Requests for one operation of an OpenAPI document, generated from its parameter and body
 * schemas alone: valid ones, ones broken in exactly one place (with the status that earns),
 * and ones without the token.
 */
export type Place = 'path' | 'query' | 'header';
export type Values = Record<Place, Record<string, string>>;

export interface Generated {
  /** `PATCH /repos/{owner}/{name}` */
  operation: string;
  operationId: string | undefined;
  method: string;
  template: string;
  values: Values;
  body?: string;
  contentType?: string;
  auth: boolean;
  /** Which of the values the document's links gave for this operation to use instead, if any were collected. */
  link?: number;
  kind: { valid: true } | { valid: false; broke: string; expect: number[] };
}

/** How many of each per operation; an operation with nothing to vary (no parameters, no body) gets `constant`. */
export interface Runs {
  valid: number;
  invalid: number;
  withoutToken: number;
  constant: number;
}

type Parameter = NonNullable<Operation['parameters']>[number] & { in: Place; schema: Schema };

export function schemaContext(spec: OpenApiSpec): SchemaContext {
  return {
    resolve: (ref) => spec.document.components?.schemas?.[ref.replace('#/components/schemas/', '')] as Schema,
    validator: (schema) => spec.validator(schema, `generated ${JSON.stringify(schema)}`),
  };
}

export const parametersOf = (operation: Operation) =>
  (operation.parameters ?? []).filter((parameter): parameter is Parameter => ['path', 'query', 'header'].includes(parameter.in));

/** A parameter's value as it goes on the wire. */
const wire = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
/** Values a path segment cannot carry: they change the path instead (empty, dot segments). */
const segmentSafe = (value: string) => value !== '' && value !== '.' && value !== '..';
/** What fetch can put in a header: visible ASCII and inner spaces. */
const headerSafe = (value: string) => /^[!-~](?:[ -~]*[!-~])?$/.test(value);

function sendable(parameter: Parameter, values: fc.Arbitrary<string>): fc.Arbitrary<string> {
  if (parameter.in === 'path') return values.filter(segmentSafe);
  if (parameter.in === 'header') return values.filter(headerSafe);
  return values;
}

/**
 * Wire values the parameter's schema accepts; free-form header text is drawn from what a header
 * can carry, and half the time from the schema's `examples` (the values a header such as Prefer
 * is read for, which random text would hardly ever hit).
 */
function validParameter(parameter: Parameter, context: SchemaContext): fc.Arbitrary<string> {
  const schema = parameter.schema.$ref ? context.resolve(parameter.schema.$ref) : parameter.schema;
  if (parameter.in !== 'header' || schema.type !== 'string' || schema.pattern || schema.enum) return valid(schema, context).map(wire);
  const validate = context.validator(schema);
  const visible = fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code));
  const text = fc.string({ unit: visible, minLength: 1, maxLength: Math.min(schema.maxLength ?? 60, 60) }).filter((value) => validate(value));
  const examples = (schema.examples ?? []).filter((example): example is string => typeof example === 'string' && validate(example));
  return examples.length > 0 ? fc.oneof(text, fc.constantFrom(...examples)) : text;
}

/** Wire values the parameter's schema refuses, read as the server reads them (integers from digits). */
function invalidParameter(parameter: Parameter, context: SchemaContext): fc.Arbitrary<string> {
  const schema = parameter.schema.$ref ? context.resolve(parameter.schema.$ref) : parameter.schema;
  const validate = context.validator(schema);
  const accepted = (text: string) => validate(schema.type === 'integer' && /^-?\d+$/.test(text) ? Number(text) : text);
  const candidates =
    schema.type === 'integer'
      ? fc.oneof(
          fc.constantFrom('abc', '1.5', '', '1e400', '0x10', '1e1', ' 5'),
          fc.integer({ min: -1000, max: 1000 }).map(String),
          fc.integer({ min: 1_000_000, max: 2_000_000 }).map(String),
        )
      : invalid(schema, context).filter((value): value is string => typeof value === 'string');
  return candidates.filter((text) => !accepted(text));
}

/** What a request without the token carries instead: nothing, a token nobody configured, another scheme, a malformed one. */
const NOT_A_TOKEN = [undefined, 'Bearer not-a-configured-token-0123456789', 'Basic aGFyZGVuaW5nOnRva2Vu', 'Bearer', 'Bearer two words'];

/** Whether any value of the parameter is refused: one taking any text (X-Request-Id) cannot be broken. */
function refusesSomeText(parameter: Parameter, context: SchemaContext): boolean {
  const schema = parameter.schema.$ref ? context.resolve(parameter.schema.$ref) : parameter.schema;
  const constraints = ['pattern', 'minLength', 'maxLength', 'enum', 'const', 'format'] as const;
  return schema.type !== 'string' || constraints.some((keyword) => keyword in schema);
}

export function requestsFor(
  context: SchemaContext,
  { method, path: template, operation }: { method: string; path: string; operation: Operation },
  runs: Runs,
): fc.Arbitrary<Generated[]> {
  const parameters = parametersOf(operation);
  const bodySchema = operation.requestBody?.content?.['application/json']?.schema as Schema | undefined;
  const validValues = (place: Place) => {
    const here = parameters.filter((parameter) => parameter.in === place);
    const model = Object.fromEntries(
      here.map((parameter) => [parameter.name, sendable(parameter, validParameter(parameter, context))]),
    );
    const requiredKeys = here.filter((parameter) => parameter.required).map((parameter) => parameter.name);
    return fc.record(model, { requiredKeys }) as fc.Arbitrary<Record<string, string>>;
  };
  const base = fc.record({
    values: fc.record({ path: validValues('path'), query: validValues('query'), header: validValues('header') }),
    body: bodySchema ? valid(bodySchema, context).map((value) => JSON.stringify(value)) : fc.constant(undefined),
    link: fc.option(fc.nat(), { freq: 2, nil: undefined }),
  });
  type Parts = { values: Values; body: string | undefined; link: number | undefined };
  const make = (parts: Parts, changes: Partial<Generated> = {}): Generated => ({
    operation: `${method.toUpperCase()} ${template}`,
    operationId: operation.operationId,
    method: method.toUpperCase(),
    template,
    values: parts.values,
    ...(parts.body !== undefined && { body: parts.body, contentType: 'application/json' }),
    auth: true,
    ...(parts.link !== undefined && { link: parts.link }),
    kind: { valid: true },
    ...changes,
  });

  const broken: fc.Arbitrary<Generated>[] = [];
  for (const parameter of parameters) {
    if (refusesSomeText(parameter, context)) {
      broken.push(
        fc.tuple(base, sendable(parameter, invalidParameter(parameter, context))).map(([parts, value]) =>
          make(parts, {
            values: { ...parts.values, [parameter.in]: { ...parts.values[parameter.in], [parameter.name]: value } },
            kind: { valid: false, broke: `${parameter.in} ${parameter.name}`, expect: [400] },
          }),
        ),
      );
    }
    if (parameter.required && parameter.in !== 'path') {
      // The one required header the server answers with 428 (RFC 6585) rather than 400.
      const expect = parameter.in === 'header' && parameter.name === 'if-match' ? [428] : [400];
      broken.push(
        base.map((parts) => {
          const { [parameter.name]: _, ...others } = parts.values[parameter.in];
          return make(parts, { values: { ...parts.values, [parameter.in]: others }, kind: { valid: false, broke: `no ${parameter.name}`, expect } });
        }),
      );
    }
  }
  if (bodySchema) {
    broken.push(
      fc.tuple(base, invalid(bodySchema, context)).map(([parts, value]) =>
        make(parts, { body: JSON.stringify(value) ?? 'null', kind: { valid: false, broke: 'body', expect: [400] } }),
      ),
      fc.tuple(base, fc.constantFrom('{', '', '{"a":1', '[1,]', 'nul')).map(([parts, text]) =>
        make(parts, { body: text, contentType: 'application/json', kind: { valid: false, broke: 'body not JSON', expect: [400] } }),
      ),
      fc.tuple(base, fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml')).map(([parts, type]) =>
        make(parts, { contentType: type, kind: { valid: false, broke: 'content-type', expect: [415] } }),
      ),
    );
  }

  const constant = parameters.length === 0 && !bodySchema;
  const exactly = (count: number) => ({ minLength: count, maxLength: count });
  return fc
    .tuple(
      fc.array(base.map((parts) => make(parts)), exactly(constant ? runs.constant : runs.valid)),
      broken.length > 0 ? fc.array(fc.oneof(...broken), exactly(runs.invalid)) : fc.constant([]),
      fc.array(
        fc.tuple(base, fc.constantFrom(...NOT_A_TOKEN)).map(([parts, authorization]) =>
          make(authorization === undefined ? parts : { ...parts, values: { ...parts.values, header: { ...parts.values.header, authorization } } }, {
            auth: false,
          }),
        ),
        exactly(runs.withoutToken),
      ),
    )
    .map((lists) => lists.flat());
}

/** Every operation's requests, shuffled together so creations, reads, changes and deletions interleave. */
export function requestsForDocument(spec: OpenApiSpec, runs: Runs, seed: number): Generated[] {
  const context = schemaContext(spec);
  const everything = fc.tuple(...spec.operations().map((entry) => requestsFor(context, entry, runs))).chain((lists) => {
    const all = lists.flat();
    return fc.shuffledSubarray(all, { minLength: all.length });
  });
  return fc.sample(everything, { numRuns: 1, seed })[0]!;
}
