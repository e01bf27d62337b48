import { threadId } from 'node:worker_threads';
import { callSiteOf, type CallSite } from './call-site.ts';
import { encodePair, encodeValue, safeKey, stringifyValue, type FieldValue, type Fields } from './logfmt.ts';
import { isSecretKey, MASK, redactText } from './redact.ts';
import { createStdoutWriter } from './stdout-writer.ts';

/**
 * The service's logger. Every line starts with the design's keys in the design's order,
 * `tsp lvl proc file line msg`, then custom key=value fields: those bound to a child logger
 * (request_id, run_id...) and those given with the call. `LOG_FORMAT=json` writes the same
 * fields as one JSON object per line.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'logfmt' | 'json';
export type { CallSite, Fields, FieldValue };

const NO_SITE: CallSite = { file: '', line: 0 };
const SEVERITY: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const LEVEL_NAME: Record<Level, string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };

export interface LoggerOptions {
  level?: Level;
  format?: LogFormat;
  /** Where finished lines go (each ends with "\n"); standard output, batched, by default. */
  write?: (line: string) => void;
  /** File and line of the caller; on by default. */
  callSite?: boolean;
  now?: () => Date;
}

interface Core {
  minSeverity: number;
  format: LogFormat;
  write: (line: string) => void;
  callSite: boolean;
  now: () => Date;
  proc: string;
}

let stdoutWriter: ((line: string) => void) | undefined;
const writeStdout = (line: string) => (stdoutWriter ??= createStdoutWriter())(line);

export class Logger {
  readonly #core: Core;
  /** Bound fields, already masked; pre-encoded once for logfmt so each line only concatenates. */
  readonly #bound: Fields;
  readonly #boundLogfmt: string;

  constructor(options: LoggerOptions = {}, bound: Fields = {}, core?: Core) {
    this.#core = core ?? {
      minSeverity: SEVERITY[options.level ?? 'info'],
      format: options.format ?? 'logfmt',
      write: options.write ?? writeStdout,
      callSite: options.callSite ?? true,
      now: options.now ?? (() => new Date()),
      proc: `${process.pid}:${threadId}`,
    };
    this.#bound = bound;
    this.#boundLogfmt = encodeFields(bound);
  }

  /** A logger whose every line carries these fields as well. */
  child(fields: Fields): Logger {
    return new Logger({}, { ...this.#bound, ...maskFields(fields) }, this.#core);
  }

  isEnabled(level: Level): boolean {
    return SEVERITY[level] >= this.#core.minSeverity;
  }

  debug(msg: string, fields?: Fields): void {
    if (SEVERITY.debug >= this.#core.minSeverity) this.#emit('debug', msg, fields, this.debug);
  }

  info(msg: string, fields?: Fields): void {
    if (SEVERITY.info >= this.#core.minSeverity) this.#emit('info', msg, fields, this.info);
  }

  warn(msg: string, fields?: Fields): void {
    if (SEVERITY.warn >= this.#core.minSeverity) this.#emit('warn', msg, fields, this.warn);
  }

  error(msg: string, fields?: Fields): void {
    if (SEVERITY.error >= this.#core.minSeverity) this.#emit('error', msg, fields, this.error);
  }

  /**
   * For a line written from one place on every request: pass back the call site this returns
   * and the next call skips looking it up again. The first call finds it like any other.
   */
  logFrom(site: CallSite | undefined, level: Level, msg: string, fields?: Fields): CallSite | undefined {
    if (SEVERITY[level] < this.#core.minSeverity) return site;
    return this.#emit(level, msg, fields, this.logFrom, site);
  }

  #emit(
    level: Level,
    msg: string,
    fields: Fields | undefined,
    method: (...args: never[]) => unknown,
    knownSite?: CallSite,
  ): CallSite {
    const core = this.#core;
    const site: CallSite = knownSite ?? (core.callSite ? callSiteOf(method) : NO_SITE);
    const tsp = core.now().toISOString();
    const message = redactText(msg);
    const own = fields ? maskFields(fields) : undefined;
    if (core.format === 'json') {
      const record = { tsp, lvl: LEVEL_NAME[level], proc: core.proc, file: site.file, line: site.line, msg: message };
      core.write(`${JSON.stringify({ ...record, ...jsonFields(this.#bound), ...(own && jsonFields(own)) })}\n`);
      return site;
    }
    let line = `tsp=${tsp} lvl=${LEVEL_NAME[level]} proc=${core.proc} file=${encodeValue(site.file)} line=${site.line} msg=${encodeValue(message)}`;
    if (this.#boundLogfmt) line += this.#boundLogfmt;
    if (own) line += encodeFields(own);
    core.write(`${line}\n`);
    return site;
  }
}

function maskFields(fields: Fields): Fields {
  const out: Fields = {};
  for (const key in fields) {
    const value = fields[key];
    if (value === undefined) continue;
    out[key] = isSecretKey(key) ? MASK : typeof value === 'string' ? redactText(value) : maskValue(value);
  }
  return out;
}

function maskValue(value: FieldValue): FieldValue {
  if (value instanceof Error) return redactText(stringifyValue(value));
  return value;
}

function encodeFields(fields: Fields): string {
  let out = '';
  for (const key in fields) out += ` ${encodePair(key, fields[key])}`;
  return out;
}

function jsonFields(fields: Fields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in fields) {
    const value = fields[key];
    out[safeKey(key)] = value instanceof Error ? stringifyValue(value) : value;
  }
  return out;
}

/** A logger that drops everything: for tools and tests that do not look at logs. */
export const silentLogger = () => new Logger({ level: 'error', write: () => {}, callSite: false });
