import { Logger as TsLogger, type ISettingsParam } from 'tslog';
import { AccessLine } from '../runtime/observe/access-line.ts';
import { Logger } from '../lib/logging/logger.ts';
import { SECRET_KEY_NAMES, SECRET_VALUE_PATTERNS } from '../lib/logging/redact.ts';

/**
 * `npm run bench:logger`: microseconds per log line, formatted into a sink that only counts
 * bytes (no I/O), so what is measured is what each setting costs.
 *
 * 1. tslog 5 alone, one setting at a time from its defaults to the service's configuration
 *    (type hidden + a transport that renders the record; stack capture full / lazy / off;
 *    masking; one middleware; a sub-logger per line), each line an access line's fields.
 * 2. The service's logger (lib/logging/logger.ts: tslog as configured in
 *    lib/logging/tslog-setup.ts, writing the project's logfmt line) with and without the
 *    call site, a child logger per line as a request's lines have, and the access line's fast
 *    path (Logger.logFrom).
 */
const fields = {
  path: '/repos/:owner/:name',
  status_code: 200,
  duration_ms: 0.52,
  req_bytes: 0,
  res_bytes: 291,
  user_agent: 'autocannon',
};
const bound = { request_id: '5f0c9a61d2e84b37-1k', remote_addr: '127.0.0.1', method: 'GET', url: '/repos/a/b' };
const accessFields = { ...bound, ...fields, client: undefined };
let bytes = 0;
const sink = (line: string) => {
  bytes += line.length;
};

function measure(name: string, logLine: () => void) {
  for (let i = 0; i < 20_000; i++) logLine();
  const samples: number[] = [];
  for (let round = 0; round < 5; round++) {
    const n = 30_000;
    const started = performance.now();
    for (let i = 0; i < n; i++) logLine();
    samples.push(((performance.now() - started) / n) * 1000);
  }
  samples.sort((a, b) => a - b);
  console.log(`${name.padEnd(64)} ${samples[2]!.toFixed(2).padStart(7)} µs per line (median of 5)`);
}

/** tslog writing nothing itself; its transport renders the finished record, as a log shipper would. */
function tslog(settings: ISettingsParam<Record<string, unknown>>, render: (record: Record<string, unknown>) => string = (record) => JSON.stringify(record)) {
  const log = new TsLogger<Record<string, unknown>>({ type: 'hidden', ...settings });
  log.attachTransport({ format: (record) => render(record), write: (_record, line) => sink(line) });
  return log;
}

const mask = { keys: SECRET_KEY_NAMES, caseInsensitive: true, regex: SECRET_VALUE_PATTERNS, placeholder: '***' };
const firstKey = (record: Record<string, unknown>) => String(record[0]);

console.log(`node ${process.version}; each line: an access line's 11 fields\n`);
console.log('tslog 5, one setting at a time (type hidden, a transport rendering the record):');
const fullCapture = tslog({ stack: { capture: 'full' } });
measure('defaults: stack capture full (file:line read), JSON record', () => fullCapture.info('request', accessFields));
const lazyRead = tslog({ stack: { capture: 'lazy' } }, (record) => String((record._logMeta as { path?: { filePathWithLine?: string } }).path?.filePathWithLine));
measure('stack capture lazy, file:line read', () => lazyRead.info('request', accessFields));
const lazyUnread = tslog({ stack: { capture: 'lazy' } }, firstKey);
measure('stack capture lazy, not read', () => lazyUnread.info('request', accessFields));
const off = tslog({ stack: { capture: 'off' } }, firstKey);
measure('stack capture off', () => off.info('request', accessFields));
const offJson = tslog({ stack: { capture: 'off' } });
measure('stack capture off, JSON record', () => offJson.info('request', accessFields));
const masked = tslog({ stack: { capture: 'off' }, mask }, firstKey);
measure('stack off + mask (keys and value patterns)', () => masked.info('request', accessFields));
const withMiddleware = tslog({ stack: { capture: 'off' }, mask, middleware: [(ctx) => ctx] }, firstKey);
measure('stack off + mask + one middleware', () => withMiddleware.info('request', accessFields));
measure('stack off + mask + a sub-logger per line (bindings)', () => masked.getSubLogger({ bindings: bound }).info('request', fields));

console.log('\nthe service logger (lib/logging/logger.ts), to a sink:');
const service = new Logger({ write: sink });
measure('through tslog, call site from V8 call sites, logfmt line', () => service.info('request', accessFields));
const noSite = new Logger({ write: sink, callSite: false });
measure('through tslog, no call site', () => noSite.info('request', accessFields));
measure('through tslog, a child logger per line (a request logging once)', () => service.child(bound).info('request', fields));
const json = new Logger({ write: sink, format: 'json' });
measure('through tslog, LOG_FORMAT=json', () => json.info('request', accessFields));
let site: ReturnType<Logger['logFrom']>;
measure('the access line fast path (Logger.logFrom), call site found once', () => {
  const line = new AccessLine({
    requestId: bound.request_id,
    remoteAddress: bound.remote_addr,
    method: bound.method,
    url: bound.url,
    path: fields.path,
    status: fields.status_code,
    durationMs: fields.duration_ms,
    requestBytes: fields.req_bytes,
    responseBytes: fields.res_bytes,
    userAgent: fields.user_agent,
    client: undefined,
  });
  site = service.logFrom(site, 'info', 'request', line);
});
console.log(`\n(${(bytes / 1e6).toFixed(0)} MB formatted)`);
