import { writeSync } from 'node:fs';

/**
 * Log lines go to standard output in batches: each line is encoded into one reused 64 KiB
 * buffer, which is written out every FLUSH_INTERVAL_MS, as soon as it is full, or at once when
 * asked (`flush`: lines at WARN and above, and a FaaS invocation before it returns). A write
 * per line costs a system call each time, the largest single cost of a log line under load.
 * Whatever is still waiting when the process exits (process.exit, an uncaught exception) is
 * written synchronously then; only a SIGKILL (or a crash of Node itself) loses the INFO and
 * DEBUG lines of the last FLUSH_INTERVAL_MS.
 */
const BUFFER_BYTES = 64 * 1024;
const FLUSH_INTERVAL_MS = 20;

export interface LineWriter {
  /** Queues one finished line (ending with "\n"). */
  write(line: string): void;
  /** Writes every queued line now, synchronously (standard output is synchronous on Linux for files, pipes and terminals). */
  flush(): void;
}

export function createStdoutWriter(): LineWriter {
  let buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  let used = 0;
  let timer: NodeJS.Timeout | undefined;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (used === 0) return;
    process.stdout.write(buffer.subarray(0, used));
    used = 0;
    // Should the stream still hold the bytes (stdout not synchronous here), they are still in
    // this buffer: take a new one.
    if (process.stdout.writableLength > 0) buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  };
  process.once('exit', () => {
    if (used > 0) writeSync(1, buffer, 0, used);
    used = 0;
  });

  const write = (line: string) => {
    if (line.length * 3 > BUFFER_BYTES - used) {
      flush();
      // A line longer than the buffer can hold goes out as it is.
      if (line.length * 3 > BUFFER_BYTES) return void process.stdout.write(line);
    }
    used += buffer.write(line, used, 'utf8');
    if (!timer) {
      // Unreferenced: waiting lines never keep the process alive; the exit handler writes them.
      timer = setTimeout(flush, FLUSH_INTERVAL_MS);
      timer.unref();
    }
  };
  return { write, flush };
}

let stdout: LineWriter | undefined;
/** The process's one standard-output writer, shared by every logger that writes there. */
export const stdoutWriter = (): LineWriter => (stdout ??= createStdoutWriter());
