import { Writable } from 'node:stream';
import { Logger as TsLogger } from 'tslog';
import { Logger } from '../lib/logging/logger.ts';

/**
 * `npm run bench:logger`: microseconds per access line, this project's logger against tslog
 * (the design card's logging package), each with and without the caller's file and line.
 * Lines go to a sink that only counts bytes, so formatting is what is measured.
 */
const fields = { path: '/repos/:owner/:name', status_code: 200, duration_ms: 0.52, req_bytes: 0, res_bytes: 291, user_agent: 'wrk' };
const bound = { request_id: '3d9adbad-5024-4405-a767-7dd6e6712c1f', remote_addr: '127.0.0.1', method: 'GET', url: '/repos/a/b' };
let bytes = 0;
const sink = (line: string) => {
  bytes += line.length;
};

function measure(name: string, logLine: () => void) {
  for (let i = 0; i < 20_000; i++) logLine();
  const samples: number[] = [];
  for (let round = 0; round < 5; round++) {
    const n = 50_000;
    const started = performance.now();
    for (let i = 0; i < n; i++) logLine();
    samples.push(((performance.now() - started) / n) * 1000);
  }
  samples.sort((a, b) => a - b);
  console.log(`${name.padEnd(36)} ${samples[2]!.toFixed(2).padStart(6)} µs per line (median of 5)`);
}

for (const callSite of [true, false]) {
  const log = new Logger({ write: sink, callSite });
  measure(`project logger, call site ${callSite ? 'on ' : 'off'}`, () => log.child(bound).info('request', fields));
}

const devNull = new Writable({
  write(chunk: Buffer, _encoding, done) {
    bytes += chunk.length;
    done();
  },
});
for (const capture of ['full', 'off'] as const) {
  // hidden: no console output of its own; the transport gets the record, as a log shipper would.
  const log = new TsLogger({ type: 'hidden', stack: { capture } });
  log.attachTransport((record: unknown) => {
    devNull.write(JSON.stringify(record));
  });
  measure(`tslog 5, stack capture ${capture}`, () => log.getSubLogger({}, bound).info('request', fields));
}
console.log(`(${(bytes / 1e6).toFixed(0)} MB formatted)`);
