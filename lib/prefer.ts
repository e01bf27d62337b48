/**
 * The `wait` preference of a Prefer header (RFC 7240 §4.3): how many seconds the client is
 * willing to wait for the final answer. Anything unreadable is ignored, as the RFC asks of
 * preferences a server does not understand; a larger wait than the server allows is cut to
 * `maxSeconds`.
 *
 *   preferredWait('respond-async, wait=10', 60)  // 10
 */
export function preferredWait(header: string | undefined, maxSeconds: number): number | null {
  if (!header) return null;
  for (const preference of header.split(',')) {
    const [token = ''] = preference.split(';');
    const eq = token.indexOf('=');
    if (eq === -1 || token.slice(0, eq).trim().toLowerCase() !== 'wait') continue;
    const value = token.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    if (!/^\d{1,9}$/.test(value)) return null;
    return Math.min(Number(value), maxSeconds);
  }
  return null;
}
