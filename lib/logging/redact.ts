/**
 * Secrets never reach a log line: fields whose key names a secret are masked whole, and
 * credentials inside URLs (mongodb://user:pass@host) are cut out of any text.
 */
const SECRET_KEY = /authorization|token|passw(or)?d|secret|cookie|api[-_]?key|credential/i;
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi;
const BEARER = /\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi;

export const MASK = '***';

/** Anything redactText would change; one test keeps the common case (nothing to hide) cheap. */
const MAYBE_SECRET = /@|bearer|basic/i;

// Field keys repeat endlessly (request_id, path, ...): decide each one once.
const secretKeys = new Map<string, boolean>();
export function isSecretKey(key: string): boolean {
  let secret = secretKeys.get(key);
  if (secret === undefined) {
    secret = SECRET_KEY.test(key);
    if (secretKeys.size < 1000) secretKeys.set(key, secret);
  }
  return secret;
}

export function redactText(text: string): string {
  if (!MAYBE_SECRET.test(text)) return text;
  return text.replace(URL_CREDENTIALS, `$1${MASK}@`).replace(BEARER, `$1 ${MASK}`);
}

/**
 * The same rules as tslog mask settings (lib/logging/tslog-setup.ts): values of these keys
 * (any case) replaced whole, and the secret part of credentials in URLs and of Bearer/Basic
 * values cut out of every string. tslog matches keys by name, so the names are listed; the
 * line formats then mask any other key that merely contains one of the words.
 */
export const SECRET_KEY_NAMES = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'token',
  'access_token',
  'refresh_token',
  'github_token',
  'api_token',
  'api_tokens',
  'password',
  'passwd',
  'secret',
  'client_secret',
  'api_key',
  'api-key',
  'apikey',
  'credential',
  'credentials',
];
export const SECRET_VALUE_PATTERNS = [
  /(?<=[a-z][a-z0-9+.-]*:\/\/)[^/\s@]*(?=@)/gi,
  /(?<=\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]+/gi,
];
