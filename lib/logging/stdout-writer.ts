import { writeSync } from 'node:fs';

/**
 * Log lines go to standard output in batches: lines written during one turn of the event
 * loop are joined and written once, on the next turn (or as soon as 64 KiB are waiting).
 * One write per line costs a system call per request, the largest single cost of a log
 * line under load. Whatever is still waiting when the process exits (process.exit, an
 * uncaught exception) is written synchronously then, so no line is lost.
 */
const MAX_PENDING_BYTES = 64 * 1024;

export function createStdoutWriter(): (line: string) => void {
  let pending: string[] = [];
  let pendingBytes = 0;
  let scheduled = false;

  const take = () => {
    const text = pending.join('');
    pending = [];
    pendingBytes = 0;
    return text;
  };
  const flush = () => {
    scheduled = false;
    if (pending.length > 0) process.stdout.write(take());
  };
  process.once('exit', () => {
    if (pending.length > 0) writeSync(1, take());
  });

  return (line) => {
    pending.push(line);
    pendingBytes += line.length;
    if (pendingBytes >= MAX_PENDING_BYTES) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}
