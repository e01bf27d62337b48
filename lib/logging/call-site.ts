import { fileURLToPath } from 'node:url';

/**
 * The file and line of the code that called the logger, read from V8's structured call
 * sites: a few frames captured, never a stack string formatted and parsed (tslog's own
 * `stack.capture` does that, at 20 µs and more per line: docs/logging.md). Node runs the
 * TypeScript sources with their types blanked out, so the line is the .ts source line.
 */
export interface CallSite {
  file: string;
  line: number;
  /** Per level, the last line head the logger built for this site (Logger.logFrom). */
  heads?: Partial<Record<string, { msg: string; head: string }>>;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOGGING_DIR = fileURLToPath(new URL('./', import.meta.url));
const relativeNames = new Map<string, string>();

function relativeName(fileName: string): string {
  let name = relativeNames.get(fileName);
  if (name === undefined) {
    const path = fileName.startsWith('file://') ? fileURLToPath(fileName) : fileName;
    name = path.startsWith(ROOT) ? path.slice(ROOT.length) : path;
    relativeNames.set(fileName, name);
  }
  return name;
}

const returnFrames = (_error: Error, frames: NodeJS.CallSite[]) => frames;
const UNKNOWN: CallSite = { file: 'unknown', line: 0 };

/** Frames of the logging machinery itself: this folder and tslog. */
const isLoggingFrame = (fileName: string) => fileName.includes(LOGGING_DIR) || fileName.includes('/node_modules/tslog/');

/**
 * The first caller outside the logging machinery, looking at most `depth` frames above
 * `below` (the function asking, left out with everything it called).
 */
export function callSiteOutsideLogging(below: (...args: never[]) => unknown, depth = 8): CallSite {
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  Error.stackTraceLimit = depth;
  Error.prepareStackTrace = returnFrames;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  Error.captureStackTrace(holder, below);
  const frames = holder.stack ?? [];
  Error.prepareStackTrace = prepare;
  Error.stackTraceLimit = limit;
  for (const frame of frames) {
    const fileName = frame.getFileName();
    if (fileName && !isLoggingFrame(fileName)) return { file: relativeName(fileName), line: frame.getLineNumber() ?? 0 };
  }
  return UNKNOWN;
}
