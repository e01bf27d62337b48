import { encodeValue, safeKey, stringifyValue, type FieldValue, type Fields } from './logfmt.ts';
import { isSecretKey, MASK, redactText } from './redact.ts';

/**
 * Custom fields as they go into a line, secrets masked. Written for the access line, which
 * every request pays for: keys repeat endlessly, so each key's ` key=` is worked out once;
 * numbers are written as they are; a string is checked with one regular expression, and only
 * one that holds a space, quote, '=', '\', control character or '@' goes the slow way. The
 * masking patterns (credentials in URLs, bearer/basic tokens) need '@' or a space, so every
 * other string has nothing to mask and nothing to quote.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be quoted
const PLAIN_OR_NOT = /[\s"=\\\x00-\x1f\x7f@]/;

interface KeyInfo {
  /** ` key=` ready to prepend. */
  prefix: string;
  safe: string;
  secret: boolean;
}

const keys = new Map<string, KeyInfo>();
const MAX_CACHED_KEYS = 1000;

function keyInfo(key: string): KeyInfo {
  let info = keys.get(key);
  if (info === undefined) {
    const safe = safeKey(key);
    info = { prefix: ` ${safe}=`, safe, secret: isSecretKey(key) };
    if (keys.size < MAX_CACHED_KEYS) keys.set(key, info);
  }
  return info;
}

/** A text value (message or field) masked and quoted as logfmt needs. */
export function encodeText(text: string): string {
  if (text !== '' && !PLAIN_OR_NOT.test(text)) return text;
  return encodeValue(redactText(text));
}

function encodeFieldValue(value: FieldValue): string {
  if (typeof value === 'number') return String(value);
  return encodeText(typeof value === 'string' ? value : stringifyValue(value));
}

/** ` key=value key=value`, undefined values left out. */
export function encodeFields(fields: Fields): string {
  let out = '';
  for (const key in fields) {
    const value = fields[key];
    if (value === undefined) continue;
    const info = keyInfo(key);
    out += info.prefix + (info.secret ? MASK : encodeFieldValue(value));
  }
  return out;
}

/** The same fields for a JSON line: safe keys, secrets masked, errors as text. */
export function jsonFields(fields: Fields, into: Record<string, unknown>): Record<string, unknown> {
  for (const key in fields) {
    const value = fields[key];
    if (value === undefined) continue;
    const info = keyInfo(key);
    if (info.secret) into[info.safe] = MASK;
    else if (typeof value === 'string') into[info.safe] = redactText(value);
    else if (value instanceof Error) into[info.safe] = redactText(stringifyValue(value));
    else into[info.safe] = value;
  }
  return into;
}
