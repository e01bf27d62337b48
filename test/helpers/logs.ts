import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Reads log lines with the logfmt decoder Promtail uses (tools/logfmtparse wraps
 * github.com/go-logfmt/logfmt), so tests see exactly what the log pipeline will see.
 */
const LOGFMTPARSE = fileURLToPath(new URL('../../tools/logfmtparse/bin/logfmtparse', import.meta.url));

/** Each line as its ordered [key, value] pairs. */
export function parseLogfmtPairs(lines: string[]): [string, string][][] {
  const result = spawnSync(LOGFMTPARSE, { input: `${lines.join('\n')}\n`, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`logfmt rejected: ${result.stderr || result.error?.message}`);
  return result.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as [string, string][]);
}

/** Each line as an object of its fields. */
export const parseLogfmt = (lines: string[]) => parseLogfmtPairs(lines).map((pairs) => Object.fromEntries(pairs));
