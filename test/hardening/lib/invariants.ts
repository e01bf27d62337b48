import { fileURLToPath } from 'node:url';

/**
 * What every answer of the service must satisfy, whatever was asked: no server error, errors
 * in the JSON envelope, nothing of the server's insides (stack traces, file paths, driver
 * errors) in any body.
 */
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
const LEAKS = [REPO_ROOT, 'node:internal', 'node_modules', '\\n    at ', '\n    at ', 'MongoServerError', 'MongoNetworkError', 'BSONError', 'ZodError', 'SyntaxError:'];

export interface Answer {
  status: number;
  contentType: string | undefined | null;
  text: string;
  method?: string;
}

/** Problems with one answer; empty when it is fine. */
export function problemsWith(answer: Answer, options: { allow503?: boolean } = {}): string[] {
  const problems: string[] = [];
  if (answer.status >= 500 && !(options.allow503 && answer.status === 503)) problems.push(`status ${answer.status}`);
  for (const leak of LEAKS) if (answer.text.includes(leak)) problems.push(`body leaks ${JSON.stringify(leak)}`);
  if (answer.status >= 400) {
    if (!/^application\/json\b/i.test(answer.contentType ?? '')) problems.push(`error content-type ${answer.contentType}`);
    // HEAD answers carry no body by definition.
    if (answer.method !== 'HEAD') {
      const envelope = envelopeProblem(answer.text);
      if (envelope) problems.push(envelope);
    }
  }
  return problems;
}

function envelopeProblem(text: string): string | undefined {
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    return `error body is not JSON: ${text.slice(0, 200)}`;
  }
  const ok =
    body !== null &&
    typeof body === 'object' &&
    // Beside `error`, an operation may document more (POST /sync's 409 names the run holding the lease).
    !Array.isArray(body) &&
    'error' in body &&
    typeof body.error?.code === 'string' &&
    body.error.code.length > 0 &&
    typeof body.error.message === 'string' &&
    Object.keys(body.error).every((key) => ['code', 'message', 'details'].includes(key)) &&
    (body.error.details === undefined ||
      (Array.isArray(body.error.details) &&
        body.error.details.every((detail: any) => typeof detail?.path === 'string' && typeof detail?.message === 'string')));
  return ok ? undefined : `not the error envelope: ${text.slice(0, 300)}`;
}

/** Keys MongoDB would read as operators or paths, at any depth of a stored document. */
export function operatorKeys(value: unknown, at = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => operatorKeys(item, `${at}[${index}]`));
  if (value === null || typeof value !== 'object' || value instanceof Date) return [];
  return Object.entries(value).flatMap(([key, inner]) => [
    ...(key.startsWith('$') || key.includes('.') ? [`${at}.${key}`] : []),
    ...operatorKeys(inner, `${at}.${key}`),
  ]);
}
