import { threadId } from 'node:worker_threads';
import { encodeFields, encodeText, jsonFields } from './encode-fields.ts';
import { encodeValue, type Fields } from './logfmt.ts';
import { redactText } from './redact.ts';

/**
 * The project's two line formats, from the parts of one log event: logfmt
 * (`tsp lvl proc file line msg`, then the bound fields, then the call's fields) and the same
 * fields as one JSON object. tslog's transport (lib/logging/tslog-setup.ts) writes through these,
 * and the access line's fast path (Logger.logFrom) uses the same head and JSON record, so every
 * line has one shape.
 */
export type LineFormat = 'logfmt' | 'json';

export interface LineParts {
  tsp: string;
  /** INFO, WARN... */
  lvl: string;
  file: string;
  line: number;
  msg: string;
  bound?: Fields;
  fields?: Fields;
}

/** The design's process and thread: the pid and Node's worker thread id (0 on the main thread). */
export const PROC = `${process.pid}:${threadId}`;

/** ` lvl=.. proc=.. file=.. line=.. msg=..`: everything between the timestamp and the custom fields. */
export function lineHead(lvl: string, file: string, line: number, msg: string): string {
  return ` lvl=${lvl} proc=${PROC} file=${encodeValue(file)} line=${line} msg=${encodeText(msg)}`;
}

export function logfmtLine(parts: LineParts): string {
  let out = `tsp=${parts.tsp}${lineHead(parts.lvl, parts.file, parts.line, parts.msg)}`;
  if (parts.bound) out += encodeFields(parts.bound);
  if (parts.fields) out += encodeFields(parts.fields);
  return `${out}\n`;
}

export function jsonLine(parts: LineParts): string {
  const record: Record<string, unknown> = {
    tsp: parts.tsp,
    lvl: parts.lvl,
    proc: PROC,
    file: parts.file,
    line: parts.line,
    msg: redactText(parts.msg),
  };
  if (parts.bound) jsonFields(parts.bound, record);
  if (parts.fields) jsonFields(parts.fields, record);
  return `${JSON.stringify(record)}\n`;
}

/** The current time in ISO form, formatted once per millisecond however many lines share it. */
export function cachedTimestamp(): (date?: Date) => string {
  let lastMs = -1;
  let last = '';
  return (date) => {
    const ms = date ? date.getTime() : Date.now();
    if (ms !== lastMs) {
      lastMs = ms;
      last = new Date(ms).toISOString();
    }
    return last;
  };
}
