/**
 * Secrets never reach a log line: fields whose key names a secret are masked whole, and
 * credentials inside URLs (mongodb://user:pass@host) are cut out of any text.
 */
const SECRET_KEY = /authorization|token|passw(or)?d|secret|cookie|api[-_]?key|credential/i;
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi;
const BEARER = /\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi;

export const MASK = '***';

export const isSecretKey = (key: string) => SECRET_KEY.test(key);

export function redactText(text: string): string {
  // Cheap pre-checks keep the common case (no '@', no scheme) off the regex engine.
  let out = text;
  if (out.includes('@') && out.includes('://')) out = out.replace(URL_CREDENTIALS, `$1${MASK}@`);
  if (/bearer|basic/i.test(out)) out = out.replace(BEARER, `$1 ${MASK}`);
  return out;
}
