import { threadId } from 'node:worker_threads';
import { callSiteOf, type CallSite } from './call-site.ts';
import { encodeFields, encodeText, jsonFields } from './encode-fields.ts';
import { encodeValue, type FieldValue, type Fields } from './logfmt.ts';
import { redactText } from './redact.ts';
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
  timestamp: () => string;
  /** ` lvl=INFO proc=pid:thread ` per level, the same on every line. */
  levelAndProc: Record<Level, string>;
  proc: string;
}

let stdoutWriter: ((line: string) => void) | undefined;
const writeStdout = (line: string) => (stdoutWriter ??= createStdoutWriter())(line);

/** The current time in ISO form, formatted once per millisecond however many lines share it. */
function cachedTimestamp(): () => string {
  let lastMs = -1;
  let last = '';
  return () => {
    const ms = Date.now();
    if (ms !== lastMs) {
      lastMs = ms;
      last = new Date(ms).toISOString();
    }
    return last;
  };
}

export class Logger {
  readonly #core: Core;
  /** Bound fields as given (masked when written); pre-encoded once for logfmt so each line only concatenates. */
  readonly #bound: Fields;
  readonly #boundLogfmt: string;

  constructor(options: LoggerOptions = {}, bound: Fields = {}, core?: Core) {
    this.#core = core ?? newCore(options);
    this.#bound = bound;
    this.#boundLogfmt = encodeFields(bound);
  }

  /** A logger whose every line carries these fields as well. */
  child(fields: Fields): Logger {
    return new Logger({}, { ...this.#bound, ...fields }, this.#core);
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
    if (core.format === 'json') {
      const record = { tsp: core.timestamp(), lvl: LEVEL_NAME[level], proc: core.proc, file: site.file, line: site.line, msg: redactText(msg) };
      jsonFields(this.#bound, record);
      if (fields) jsonFields(fields, record);
      core.write(`${JSON.stringify(record)}\n`);
      return site;
    }
    // A line written from one known place (logFrom) has the same head each time: built once.
    const head = knownSite ? cachedHead(knownSite, level, msg, core) : lineHead(site, level, msg, core);
    let line = `tsp=${core.timestamp()}${head}${this.#boundLogfmt}`;
    if (fields) line += encodeFields(fields);
    core.write(`${line}\n`);
    return site;
  }
}

/** What a root logger and all its children share; worked out once, not per child. */
function newCore(options: LoggerOptions): Core {
  const proc = `${process.pid}:${threadId}`;
  const now = options.now;
  const levelAndProc = {} as Record<Level, string>;
  for (const level of Object.keys(LEVEL_NAME) as Level[]) levelAndProc[level] = ` lvl=${LEVEL_NAME[level]} proc=${proc} `;
  return {
    minSeverity: SEVERITY[options.level ?? 'info'],
    format: options.format ?? 'logfmt',
    write: options.write ?? writeStdout,
    callSite: options.callSite ?? true,
    timestamp: now ? () => now().toISOString() : cachedTimestamp(),
    levelAndProc,
    proc,
  };
}

/** Everything after the timestamp up to the custom fields: ` lvl=.. proc=.. file=.. line=.. msg=..`. */
function lineHead(site: CallSite, level: Level, msg: string, core: Core): string {
  return `${core.levelAndProc[level]}file=${encodeValue(site.file)} line=${site.line} msg=${encodeText(msg)}`;
}

function cachedHead(site: CallSite, level: Level, msg: string, core: Core): string {
  const heads = (site.heads ??= {});
  let cached = heads[level];
  if (cached?.msg !== msg) heads[level] = cached = { msg, head: lineHead(site, level, msg, core) };
  return cached.head;
}

/** A logger that drops everything: for tools and tests that do not look at logs. */
export const silentLogger = () => new Logger({ level: 'error', write: () => {}, callSite: false });
