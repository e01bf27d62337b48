import { BaseLogger, Logger as TsLogger, type ILogObjMeta, type ISettings, type LogMiddleware } from 'tslog';
import { callSiteOutsideLogging, type CallSite } from './call-site.ts';
import { cachedTimestamp, jsonLine, logfmtLine, type LineFormat, type LineParts } from './line-format.ts';
import type { Fields } from './logfmt.ts';
import { MASK, SECRET_KEY_NAMES, SECRET_VALUE_PATTERNS } from './redact.ts';
import type { LineWriter } from './stdout-writer.ts';

/**
 * The tslog Logger behind lib/logging/logger.ts, configured through tslog's own extension
 * points, each measured (`npm run bench:logger`, docs/logging.md):
 *
 * - `stack.capture: 'off'` and a middleware that reads the caller's file and line from V8's
 *   structured call sites instead (tslog's capture formats and parses a stack string: 20 µs
 *   and more per line);
 * - `mask` settings for secrets (keys by name, credentials inside any string);
 * - `type: 'hidden'` and one transport whose formatter writes the project's logfmt or JSON
 *   line, to a batched writer that flushes at once for WARN and above; or `type: 'pretty'`
 *   for people at a terminal (tslog's own output, with the bound fields shown).
 */
export type TsRecord = Record<string, unknown>;
export type Format = LineFormat | 'pretty';

const WARN = 4;
export const LEVEL_ID = { debug: 2, info: 3, warn: 4, error: 5 } as const;

export interface TsLoggerOptions {
  format: Format;
  minLevel: number;
  writer: LineWriter;
  callSite: boolean;
  now?: () => Date;
  bindings?: Fields;
}

interface RecordMeta {
  date: Date;
  logLevelId: number;
  logLevelName: string;
  site?: CallSite;
}

/** Puts the caller's file and line on the record (and where tslog's pretty template reads them). */
function callSiteMiddleware(pretty: boolean): LogMiddleware<TsRecord> {
  const middleware: LogMiddleware<TsRecord> = (ctx) => {
    // Above tslog's log(): its level method, this project's, then the caller.
    const site = callSiteOutsideLogging(BaseLogger.prototype.log, 3);
    ctx.meta.site = site;
    if (pretty) ctx.meta.path = { filePathWithLine: `${site.file}:${site.line}`, fileNameWithLine: `${site.file}:${site.line}`, fullFilePath: site.file };
    return ctx;
  };
  return middleware;
}

/** Pretty output prints the call's arguments only: show the bound fields (request_id...) with them. */
const boundFieldsIntoArgs: LogMiddleware<TsRecord> = (ctx) => {
  const bound = ctx.settings.bindings;
  if (bound && Object.keys(bound).length > 0) ctx.args = [ctx.args[0], { ...bound, ...(ctx.args[1] as object | undefined) }];
  return ctx;
};

/** A finished tslog record as the parts of the project's line. */
function lineParts(record: TsRecord & ILogObjMeta, settings: ISettings<TsRecord>, timestamp: (date?: Date) => string): LineParts {
  const meta = record._logMeta as unknown as RecordMeta;
  const site = meta.site;
  return {
    tsp: timestamp(meta.date),
    lvl: meta.logLevelName,
    file: site?.file ?? '',
    line: site?.line ?? 0,
    msg: String(record[0] ?? ''),
    bound: settings.bindings as Fields | undefined,
    fields: record[1] as Fields | undefined,
  };
}

export function createTsLogger(options: TsLoggerOptions): TsLogger<TsRecord> {
  const pretty = options.format === 'pretty';
  const middleware: LogMiddleware<TsRecord>[] = [];
  if (options.callSite) middleware.push(callSiteMiddleware(pretty));
  if (pretty) middleware.push(boundFieldsIntoArgs);
  const logger = new TsLogger<TsRecord>({
    type: pretty ? 'pretty' : 'hidden',
    minLevel: options.minLevel,
    stack: { capture: 'off' },
    mask: { keys: SECRET_KEY_NAMES, caseInsensitive: true, regex: SECRET_VALUE_PATTERNS, placeholder: MASK },
    middleware,
    bindings: options.bindings,
    ...(options.now && { clock: options.now }),
    ...(pretty && { pretty: { template: '{{hh}}:{{MM}}:{{ss}}.{{ms}} {{logLevelName}} {{filePathWithLine}}\t', timeZone: 'UTC' as const } }),
  });
  if (pretty) return logger;
  const timestamp = cachedTimestamp();
  const toLine = options.format === 'json' ? jsonLine : logfmtLine;
  const writer = options.writer;
  logger.attachTransport({
    name: options.format,
    format: (record, settings) => toLine(lineParts(record, settings, timestamp)),
    write(record, line) {
      writer.write(line);
      // A problem is on its way out before the call that reports it returns.
      if ((record._logMeta as unknown as RecordMeta).logLevelId >= WARN) writer.flush();
    },
  });
  return logger;
}
