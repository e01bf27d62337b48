import { writeSync } from 'node:fs';

/**
 * Log lines go to standard output in batches: each line is encoded into one reused 64 KiB
 * buffer, which is written out every FLUSH_INTERVAL_MS, or as soon as it is full. A write
 * per line (or per turn of the event loop) costs a system call each time, the largest single
 * cost of a log line under load; collecting the lines as strings instead leaves long-lived
 * strings for the garbage collector and copies each byte twice more. Whatever is still
 * waiting when the process exits (process.exit, an uncaught exception) is written
 * synchronously then, so no line is lost.
 */
const BUFFER_BYTES = 64 * 1024;
const FLUSH_INTERVAL_MS = 20;

export function createStdoutWriter(): (line: string) => void {
  let buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  let used = 0;
  let timer: NodeJS.Timeout | undefined;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (used === 0) return;
    process.stdout.write(buffer.subarray(0, used));
    used = 0;
    // Standard output is written synchronously on Linux (files, pipes, terminals); should the
    // stream still hold the bytes, they are still in this buffer: take a new one.
    if (process.stdout.writableLength > 0) buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  };
  process.once('exit', () => {
    if (used > 0) writeSync(1, buffer, 0, used);
    used = 0;
  });

  return (line) => {
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
}
