/**
 * logfmt encoding that Loki's `| logfmt` and Promtail's logfmt stage read back exactly:
 * a value is written bare when it holds nothing special, otherwise as a JSON string, whose
 * escaping (\" \\ \n \t \u0000) keeps one event on one line.
 */
export type FieldValue = string | number | boolean | bigint | null | undefined | Date | Error | object;
export type Fields = Record<string, FieldValue>;

/** A value needs quotes when it is empty or holds a space, '"', '=', '\\' or a control character. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be quoted
const NEEDS_QUOTES = /[\s"=\\\x00-\x1f\x7f]/;
const UNSAFE_KEY_CHARS = /[^A-Za-z0-9_.-]/g;

/** Keys are restricted to letters, digits, '_', '.', '-'; anything else becomes '_'. */
export function safeKey(key: string): string {
  const cleaned = key.replace(UNSAFE_KEY_CHARS, '_');
  return cleaned === '' ? '_' : cleaned;
}

export function stringifyValue(value: FieldValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '[unserializable]';
  }
}

export function encodeValue(text: string): string {
  return text !== '' && !NEEDS_QUOTES.test(text) ? text : JSON.stringify(text);
}
