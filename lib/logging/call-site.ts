import { fileURLToPath } from 'node:url';

/**
 * The file and line of the code that called the logger, read from V8's structured call
 * sites: one frame captured, never a stack string formatted and parsed. Node runs the
 * TypeScript sources with their types blanked out, so the line is the .ts source line.
 */
export interface CallSite {
  file: string;
  line: number;
  /** Per level, the last line head the logger built for this site (Logger.logFrom). */
  heads?: Partial<Record<string, { msg: string; head: string }>>;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
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

/** The call site of whoever called `below` (a public logging method). */
export function callSiteOf(below: (...args: never[]) => unknown): CallSite {
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  Error.stackTraceLimit = 1;
  Error.prepareStackTrace = returnFrames;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  Error.captureStackTrace(holder, below);
  const frame = holder.stack?.[0];
  Error.prepareStackTrace = prepare;
  Error.stackTraceLimit = limit;
  const fileName = frame?.getFileName();
  if (!frame || !fileName) return UNKNOWN;
  return { file: relativeName(fileName), line: frame.getLineNumber() ?? 0 };
}
