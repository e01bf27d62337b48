import type { RunProgress } from '../../lib/sync/run-store.ts';

/**
 * `npm run invoke -- sync`'s progress on stderr: a bar redrawn in place on a terminal, plain
 * lines (at most one a second) when stderr is a file or a pipe, so logs stay readable.
 */
export function syncProgressReporter(stream: NodeJS.WriteStream = process.stderr) {
  const tty = stream.isTTY === true;
  let lastLineAt = 0;
  let lastDone = -1;
  let drawn = false;
  return {
    update(progress: RunProgress) {
      if (tty) {
        stream.write(`\r${describe(progress, true)}\x1b[K`);
        drawn = true;
        return;
      }
      const now = Date.now();
      if (progress.done === lastDone || now - lastLineAt < 1000) return;
      lastDone = progress.done;
      lastLineAt = now;
      stream.write(`sync progress: ${describe(progress, false)}\n`);
    },
    /** Ends the bar's line, so what follows starts on a line of its own. */
    end() {
      if (drawn) stream.write('\n');
    },
  };
}

const BAR_WIDTH = 24;

export function describe(progress: RunProgress, bar: boolean): string {
  const { done, due, requestsSpent, budgetLeft, expectedFinishAt } = progress;
  const parts: string[] = [];
  if (bar) {
    const share = due ? Math.min(1, done / due) : 0;
    const filled = Math.round(share * BAR_WIDTH);
    parts.push(`[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`);
  }
  parts.push(`${done}/${due ?? '?'} repositories`, `${requestsSpent} requests`);
  if (budgetLeft !== null) parts.push(`${budgetLeft} left in the rate limit`);
  if (expectedFinishAt !== null) parts.push(`done by ${expectedFinishAt.toISOString().slice(11, 19)} UTC`);
  return parts.join(', ');
}
