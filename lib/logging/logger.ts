import type { Logger as TsLogger } from 'tslog';
import { callSiteOutsideLogging, type CallSite } from './call-site.ts';
import { encodeFields } from './encode-fields.ts';
import { cachedTimestamp, jsonLine, lineHead } from './line-format.ts';
import type { FieldValue, Fields } from './logfmt.ts';
import { stdoutWriter, type LineWriter } from './stdout-writer.ts';
import { createTsLogger, LEVEL_ID, type Format, type TsRecord } from './tslog-setup.ts';

/**
 * The service's logger: a tslog Logger (lib/logging/tslog-setup.ts) behind the project's
 * small API. Every line starts with the design's keys in the design's order,
 * `tsp lvl proc file line msg`, then custom key=value fields: those bound to a child logger
 * (tslog sub-loggers: request_id, run_id...) and those given with the call.
 * `LOG_FORMAT=json` writes the same fields as one JSON object per line; `LOG_FORMAT=pretty` is
 * tslog's own output for people at a terminal.
 *
 * Lines at WARN and above are written before the call returns; INFO and DEBUG lines wait up to
 * 20 ms in a buffer (docs/logging.md says what a SIGKILL can lose).
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = Format;
export type { CallSite, Fields, FieldValue };

const LEVEL_NAME: Record<Level, string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };

export interface LoggerOptions {
  level?: Level;
  format?: LogFormat;
  /** Where finished lines go (each ends with "\n"); standard output, batched, by default. */
  write?: (line: string) => void;
  /** File and line of the caller; on by default. */
  callSite?: boolean;
  now?: () => Date;
  /** Fields on every line of this logger and its children (the replica's `task`). */
  fields?: Fields;
}

/** What a root logger and its children share. */
interface Shared {
  format: LogFormat;
  minLevel: number;
  writer: LineWriter;
  timestamp: (date?: Date) => string;
  now: (() => Date) | undefined;
}

/** A child logger's parent and the fields the child adds; its tslog sub-logger is made from the parent's on its first line. */
interface Parent {
  logger: Logger;
  fields: Fields;
}

export class Logger {
  #ts: TsLogger<TsRecord> | undefined;
  readonly #parent: Parent | undefined;
  readonly #shared: Shared;
  /** Bound fields, its parent's and its own; and encoded for the fast path (logFrom). Both made when first needed. */
  #bound: Fields | undefined;
  #boundLogfmt: string | undefined;

  constructor(options: LoggerOptions = {}, parent?: Parent) {
    this.#parent = parent;
    if (parent) {
      // Nothing else here: a child is made for every request, and most never write a line.
      this.#shared = parent.logger.#shared;
    } else {
      const write = options.write;
      const writer: LineWriter = write ? { write, flush() {} } : stdoutWriter();
      const format = options.format ?? 'logfmt';
      const minLevel = LEVEL_ID[options.level ?? 'info'];
      this.#shared = { format, minLevel, writer, timestamp: cachedTimestamp(), now: options.now };
      this.#bound = options.fields ?? {};
      this.#ts = createTsLogger({ format, minLevel, writer, callSite: options.callSite ?? true, now: options.now, bindings: options.fields });
    }
  }

  /**
   * A logger whose every line carries these fields as well: a tslog sub-logger with them
   * bound, made on its first line (every request has a logger; most never write with it).
   */
  child(fields: Fields): Logger {
    return new Logger({}, { logger: this, fields });
  }

  #tsLogger(): TsLogger<TsRecord> {
    return (this.#ts ??= this.#parent!.logger.#tsLogger().getSubLogger({ bindings: this.#parent!.fields }));
  }

  #boundFields(): Fields {
    return (this.#bound ??= { ...this.#parent!.logger.#boundFields(), ...this.#parent!.fields });
  }

  #encodedBound(): string {
    return (this.#boundLogfmt ??= encodeFields(this.#boundFields()));
  }

  isEnabled(level: Level): boolean {
    return LEVEL_ID[level] >= this.#shared.minLevel;
  }

  debug(msg: string, fields?: Fields): void {
    this.#tsLogger().debug(msg, fields ?? {});
  }

  info(msg: string, fields?: Fields): void {
    this.#tsLogger().info(msg, fields ?? {});
  }

  warn(msg: string, fields?: Fields): void {
    this.#tsLogger().warn(msg, fields ?? {});
  }

  error(msg: string, fields?: Fields): void {
    this.#tsLogger().error(msg, fields ?? {});
  }

  /** Writes out every waiting line now (a FaaS invocation does before it returns). */
  flush(): void {
    this.#shared.writer.flush();
  }

  /**
   * The fast path, for the one line written on every request (the access line) and nothing
   * else: the same line, in the same format and to the same writer as through tslog, without
   * tslog's per-call record building, masking and sub-logger (measured in docs/performance.md).
   * The fields come encoded by the caller for logfmt lines (LineFields), as an object only for
   * the other formats. Pass back the call site this returns: it is looked up on the first call only.
   */
  logFrom(site: CallSite | undefined, level: Level, msg: string, fields: LineFields): CallSite | undefined {
    const shared = this.#shared;
    if (LEVEL_ID[level] < shared.minLevel) return site;
    if (shared.format === 'pretty') {
      this[level](msg, fields.fields());
      return site;
    }
    site ??= callSiteOutsideLogging(this.logFrom, 1);
    const tsp = shared.timestamp(shared.now?.());
    const lvl = LEVEL_NAME[level];
    const line =
      shared.format === 'json'
        ? jsonLine({ tsp, lvl, file: site.file, line: site.line, msg, bound: this.#boundFields(), fields: fields.fields() })
        : `tsp=${tsp}${cachedHead(site, lvl, msg)}${this.#encodedBound()}${fields.logfmt()}\n`;
    shared.writer.write(line);
    if (LEVEL_ID[level] >= LEVEL_ID.warn) shared.writer.flush();
    return site;
  }
}

/**
 * A fast-path line's custom fields (Logger.logFrom), in the form the format needs: the caller
 * writes the logfmt text itself (` key=value`, every text value through encodeText, which masks
 * and quotes), so that no object is built and walked for the line written on every request.
 */
export interface LineFields {
  logfmt(): string;
  fields(): Fields;
}

/** LineFields from a plain object, for a fast-path line that is not written often. */
export const lineFields = (fields: Fields): LineFields => ({ logfmt: () => encodeFields(fields), fields: () => fields });

/** A line written from one known place has the same head each time: built once per level and message. */
function cachedHead(site: CallSite, lvl: string, msg: string): string {
  const heads = (site.heads ??= {});
  let cached = heads[lvl];
  if (cached?.msg !== msg) heads[lvl] = cached = { msg, head: lineHead(lvl, site.file, site.line, msg) };
  return cached.head;
}

/** A logger that drops everything: for tools and tests that do not look at logs. */
export const silentLogger = () => new Logger({ level: 'error', write: () => {}, callSite: false });
