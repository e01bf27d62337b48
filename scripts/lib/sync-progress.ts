import type { RunProgress } from '../../lib/sync/run-store.ts';

/**
 * `npm run invoke -- sync`'s progress on stderr: a bar redrawn in place on a terminal, plain
 * lines when stderr is a file or a pipe (at most one a second, and the last one), so logs
 * stay readable. Nothing until the run knows how many repositories are due.
 */
export function syncProgressReporter(stream: NodeJS.WriteStream = process.stderr) {
  const tty = stream.isTTY === true;
  let lastLineAt = 0;
  let lastDone = -1;
  let drawn = false;
  return {
    update(progress: RunProgress) {
      if (progress.due === null) return;
      if (tty) {
        stream.write(`\r${describe(progress, true)}\x1b[K`);
        drawn = true;
        return;
      }
      const now = Date.now();
      const last = progress.done >= progress.due;
      if (progress.done === lastDone || (now - lastLineAt < 1000 && !last)) return;
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
  const parts = [`${done}/${due ?? '?'} repositories`, `${requestsSpent} requests`];
  if (budgetLeft !== null) parts.push(`${budgetLeft} left in the rate limit`);
  if (expectedFinishAt !== null) parts.push(`done by ${expectedFinishAt.toISOString().slice(11, 19)} UTC`);
  const text = parts.join(', ');
  if (!bar) return text;
  const filled = Math.round((due ? Math.min(1, done / due) : 0) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${text}`;
}
