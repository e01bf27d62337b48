import { argon2Sync, randomBytes } from 'node:crypto';

/**
 * Values for the stack's missing docker secrets. Each is random unless it must agree with
 * another (the MongoDB trio) or cannot be invented (a real GitHub token). Values a person
 * needs later (logins) are also kept in a local file, because docker never shows a secret
 * again; `keep` names that file's content.
 */
export interface NewSecret {
  name: string;
  value: string;
  /** What the dry run prints in place of the value. */
  label: string;
  /** Written to the local secrets directory, for a person to read once. */
  keep?: { file: string; text: string };
  /** A random stand-in for a value only its owner can provide: say so. */
  placeholder?: boolean;
}

export class SecretsRefused extends Error {
  override name = 'SecretsRefused';
}

export const EDGE_PASSWORD_FILE = 'edge_auth_password';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const password = () => randomBytes(18).toString('base64url');

/**
 * A password hash in the form Caddy's `basic_auth argon2id` compares against (its own
 * `caddy hash-password --algorithm argon2id` writes the same PHC string, with these
 * parameters as its defaults).
 */
export function caddyPasswordHash(plaintext: string): string {
  const salt = randomBytes(16);
  const memory = 46 * 1024;
  const passes = 1;
  const parallelism = 1;
  const key = argon2Sync('argon2id', { message: plaintext, nonce: salt, memory, passes, parallelism, tagLength: 32 });
  const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');
  return `$argon2id$v=19$m=${memory},t=${passes},p=${parallelism}$${b64(salt)}$${b64(key)}`;
}

const MONGO = ['mongo_root_username', 'mongo_root_password', 'mongodb_uri'];

export interface SecretContext {
  demo: boolean;
  /** A secret's value may come from the variable of its name in capitals (GITHUB_TOKEN, ALERT_WEBHOOK_URL). */
  env: NodeJS.ProcessEnv;
}

/** The values to create for `missing` (names the stack declares and the swarm lacks). */
export function newSecrets(missing: readonly string[], context: SecretContext): NewSecret[] {
  const lacking = new Set(missing);
  const created: NewSecret[] = [];

  const mongoLacking = MONGO.filter((name) => lacking.has(name));
  if (mongoLacking.length > 0 && mongoLacking.length < MONGO.length) {
    throw new SecretsRefused(
      `the secrets ${MONGO.join(', ')} belong together (the URI holds the root password), but only ${mongoLacking.join(', ')} ` +
        'is missing: create it by hand from the existing values (docs/deployment.md, "Secrets"), or remove all three',
    );
  }
  if (mongoLacking.length === MONGO.length) {
    const rootPassword = hex(24);
    created.push(
      { name: 'mongo_root_username', value: 'admin', label: 'admin' },
      { name: 'mongo_root_password', value: rootPassword, label: 'random, 48 hex characters' },
      {
        name: 'mongodb_uri',
        value: `mongodb://admin:${rootPassword}@mongo:27017/?authSource=admin`,
        label: 'mongodb://admin:<mongo_root_password>@mongo:27017/?authSource=admin',
      },
    );
  }

  for (const name of missing) {
    if (MONGO.includes(name)) continue;
    created.push(secretFor(name, context));
  }
  return created;
}

function secretFor(name: string, { demo, env }: SecretContext): NewSecret {
  const given = env[name.toUpperCase()];
  if (given) return { name, value: given, label: `${name.toUpperCase()} from the environment` };
  switch (name) {
    case 'github_token':
      if (demo) return { name, value: hex(20), label: 'random (the demo\'s fake GitHub accepts any token)' };
      throw new SecretsRefused(
        'the secret github_token does not exist yet: set GITHUB_TOKEN to a GitHub token (read-only, no scopes needed) ' +
          'and run again, or add --demo for the offline demo with its fake GitHub',
      );
    case 'api_tokens': {
      // One unnamed token (the service calls it token1): the demo's load generator sends the first entry as is.
      const token = hex(32);
      return { name, value: token, label: 'random bearer token for writes', keep: { file: name, text: token } };
    }
    case 'grafana_admin_password': {
      const value = password();
      return { name, value, label: 'random password', keep: { file: name, text: value } };
    }
    case 'edge_auth_hash': {
      const plaintext = password();
      return {
        name,
        value: caddyPasswordHash(plaintext),
        label: 'argon2id hash of a random password',
        keep: { file: EDGE_PASSWORD_FILE, text: plaintext },
      };
    }
    default: {
      // A secret this script has no recipe for and the environment does not give (a
      // receiver's webhook URL, say): the stack deploys, and its owner replaces the value.
      return { name, value: hex(24), label: 'random placeholder: replace it', placeholder: true };
    }
  }
}
