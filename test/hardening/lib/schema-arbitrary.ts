import fc from 'fast-check';
import type { ValidateFunction } from 'ajv';

/**
 * fast-check generators from the JSON Schemas of an OpenAPI 3.1 document: `valid` draws
 * values the schema allows, `invalid` values it refuses, each checked against the schema
 * itself (ajv), so neither can drift from the document. Covers the keywords the document
 * uses: $ref, enum/const, anyOf/oneOf, type (also as a list), string pattern and lengths,
 * integer bounds, arrays with length and uniqueItems, objects with required,
 * additionalProperties false and minProperties.
 */
export type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  minProperties?: number;
  default?: unknown;
  examples?: unknown[];
};

export interface SchemaContext {
  /** Finds `#/components/schemas/X`. */
  resolve(ref: string): Schema;
  /** The compiled schema, to keep only values it really accepts or refuses. */
  validator(schema: Schema): ValidateFunction;
}

const codePoints = (text: string) => [...text].length;

/** Values the schema accepts. */
export function valid(schema: Schema, context: SchemaContext): fc.Arbitrary<unknown> {
  const validate = context.validator(schema);
  return draft(schema, context).filter((value) => validate(value));
}

/** Values the schema refuses: of another type, out of bounds, not matching, or missing parts. */
export function invalid(schema: Schema, context: SchemaContext): fc.Arbitrary<unknown> {
  const validate = context.validator(schema);
  return fc.oneof(...violations(schema, context)).filter((value) => !validate(value));
}

function draft(schema: Schema, context: SchemaContext): fc.Arbitrary<unknown> {
  if (schema.$ref) return draft(context.resolve(schema.$ref), context);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices) return fc.oneof(...choices.map((choice) => draft(choice, context)));
  if (Array.isArray(schema.type)) return fc.oneof(...schema.type.map((type) => draft({ ...schema, type }, context)));
  switch (schema.type) {
    case 'string':
      return stringDraft(schema);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const items = draft(schema.items ?? {}, context);
      const bounds = { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 8, 8) };
      return schema.uniqueItems ? fc.uniqueArray(items, { ...bounds, selector: (item) => JSON.stringify(item) }) : fc.array(items, bounds);
    }
    case 'object':
      return objectDraft(schema, context);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function stringDraft(schema: Schema): fc.Arbitrary<string> {
  const lengths = (text: string) => codePoints(text) >= (schema.minLength ?? 0) && codePoints(text) <= (schema.maxLength ?? Infinity);
  if (schema.pattern) {
    // A long enough string now and then, up to the limit, not only short ones.
    return fc.stringMatching(new RegExp(schema.pattern, 'u'), { size: 'medium' }).filter(lengths);
  }
  // Any Unicode, astral characters included: lengths count code points, as JSON Schema does.
  const maxLength = Math.min(schema.maxLength ?? 60, 4000);
  return fc.oneof(
    fc.string({ unit: 'binary', minLength: schema.minLength ?? 0, maxLength: Math.min(maxLength, 60) }),
    fc.string({ unit: 'grapheme', minLength: Math.max(0, maxLength - 5), maxLength }),
  ).filter(lengths);
}

function objectDraft(schema: Schema, context: SchemaContext): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const model = Object.fromEntries(Object.entries(properties).map(([key, property]) => [key, draft(property, context)]));
  return fc
    .record(model, { requiredKeys: schema.required ?? [] })
    .filter((value) => Object.keys(value).length >= (schema.minProperties ?? 0));
}

function violations(schema: Schema, context: SchemaContext): fc.Arbitrary<unknown>[] {
  if (schema.$ref) return violations(context.resolve(schema.$ref), context);
  const out: fc.Arbitrary<unknown>[] = [fc.constantFrom<unknown>(null, true, 17, 1.5, 'text', '', [], {}, [1, 'a'], { $gt: '' })];
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (schema.enum) out.push(fc.string({ maxLength: 12 }));
  if (types.includes('string')) {
    if (schema.maxLength !== undefined) {
      out.push(fc.integer({ min: schema.maxLength + 1, max: schema.maxLength + 50 }).map((length) => 'a'.repeat(length)));
    }
    if (schema.pattern) out.push(fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 }));
  }
  if (types.includes('integer')) {
    if (schema.minimum !== undefined) out.push(fc.integer({ min: schema.minimum - 1000, max: schema.minimum - 1 }));
    if (schema.maximum !== undefined) out.push(fc.integer({ min: schema.maximum + 1, max: schema.maximum + 1000 }));
    out.push(fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true }));
  }
  if (types.includes('array')) {
    const item = valid(schema.items ?? {}, context);
    if (schema.maxItems !== undefined) {
      out.push(fc.array(item, { minLength: schema.maxItems + 1, maxLength: schema.maxItems + 3 }));
    }
    if (schema.uniqueItems) out.push(item.map((value) => [value, value]));
    if (schema.items) out.push(invalid(schema.items, context).map((value) => [value]));
  }
  if (types.includes('object')) out.push(...objectViolations(schema, context));
  return out;
}

function objectViolations(schema: Schema, context: SchemaContext): fc.Arbitrary<unknown>[] {
  const out: fc.Arbitrary<unknown>[] = [];
  // The object alone, when the schema also allows other types (a nullable object).
  const whole = valid({ ...schema, type: 'object' }, context) as fc.Arbitrary<Record<string, unknown>>;
  for (const key of schema.required ?? []) {
    out.push(whole.map((value) => Object.fromEntries(Object.entries(value).filter(([name]) => name !== key))));
  }
  if (schema.additionalProperties === false) {
    out.push(fc.tuple(whole, fc.string({ minLength: 1, maxLength: 10 })).map(([value, key]) => ({ ...value, [key]: 1 })));
  }
  if (schema.minProperties) out.push(fc.constant({}));
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    out.push(fc.tuple(whole, invalid(property, context)).map(([value, wrong]) => ({ ...value, [key]: wrong })));
  }
  return out;
}
