import { HttpError } from '../errors.ts';

/**
 * If-Match parsing (RFC 9110 §13.1.1): `*`, or a list of strong entity tags. This API's
 * ETags are `"<version>"`; weak tags never match for If-Match.
 */
export type IfMatch = { any: true } | { any: false; versions: number[] };

export function parseIfMatch(header: string | undefined): IfMatch {
  if (header === undefined || header.trim() === '') {
    throw new HttpError(
      428,
      'precondition_required',
      'Send If-Match with the ETag from GET (or If-Match: * to overwrite whatever is there), so no update is lost.',
    );
  }
  if (header.trim() === '*') return { any: true };
  const versions: number[] = [];
  for (const part of header.split(',')) {
    const match = /^"(\d{1,15})"$/.exec(part.trim());
    if (match) versions.push(Number(match[1]));
  }
  return { any: false, versions };
}
