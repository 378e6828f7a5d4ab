/**
 * Where a process's token keys come from (docs/security.md):
 *   - `keyFile` (`--auth-key`, KASTOR_AUTH_KEY_FILE): a PEM key, Ed25519 or P-256; private to sign
 *     and verify, public to verify only (tokens are then issued elsewhere);
 *   - `previousKeyFile` (`--auth-previous-key`, KASTOR_AUTH_PREVIOUS_KEY_FILE): the key being
 *     rotated out, verify only, so that its tokens stay good until they expire;
 *   - without `keyFile`, the embedded default: an HS256 secret in `<data>/auth/token-key.json`,
 *     created on first use with mode 0600 and loaded after. `kastor run` and `kastor token issue`
 *     on the same data directory share it.
 * A private key file that others may read is refused (as ssh does): whoever reads it can act as
 * anyone. Nothing here logs a key.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { base64url } from 'jose';
import { KeyRing, type KeyMaterial } from './KeyRing.js';

export interface KeyFiles {
  readonly dataDir: string;
  readonly keyFile?: string;
  readonly previousKeyFile?: string;
}

export const EMBEDDED_KEY_FILE = join('auth', 'token-key.json');

export async function loadKeyRing(files: KeyFiles): Promise<KeyRing> {
  const current = files.keyFile === undefined ? embeddedKey(files.dataDir) : pemKey(files.keyFile);
  const previous = files.previousKeyFile === undefined ? [] : [pemKey(files.previousKeyFile)];
  return KeyRing.of([current, ...previous]);
}

function pemKey(file: string): KeyMaterial {
  const pem = readSecretFile(file, 'auth key');
  if (!/-----BEGIN [A-Z ]*KEY-----/.test(pem)) throw new Error(`auth key ${file} is not a PEM key (-----BEGIN PRIVATE KEY----- or PUBLIC KEY)`);
  return { pem };
}

interface EmbeddedKeyFile {
  readonly kid: string;
  readonly alg: 'HS256';
  /** base64url, 32 bytes. */
  readonly k: string;
}

/** The data directory's HS256 key, created when missing. Two processes starting at once get the same key. */
function embeddedKey(dataDir: string): KeyMaterial {
  const file = join(dataDir, EMBEDDED_KEY_FILE);
  try {
    statSync(file);
  } catch {
    createEmbeddedKey(file);
  }
  const text = readSecretFile(file, 'the embedded auth key');
  let parsed: EmbeddedKeyFile;
  try {
    parsed = JSON.parse(text) as EmbeddedKeyFile;
  } catch {
    throw new Error(`the embedded auth key ${file} is not JSON; remove it to make a new one (every token issued with it stops working)`);
  }
  if (parsed.alg !== 'HS256' || typeof parsed.kid !== 'string' || typeof parsed.k !== 'string') {
    throw new Error(`the embedded auth key ${file} is not an HS256 key; remove it to make a new one (every token issued with it stops working)`);
  }
  return { alg: 'HS256', kid: parsed.kid, secret: base64url.decode(parsed.k) };
}

function createEmbeddedKey(file: string): void {
  const dir = join(file, '..');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key: EmbeddedKeyFile = { kid: `hs-${base64url.encode(randomBytes(9))}`, alg: 'HS256', k: base64url.encode(randomBytes(32)) };
  // Written whole under another name, then linked into place: a process that loses the race
  // reads the winner's key, never half of one.
  const draft = `${file}.${process.pid}.${base64url.encode(randomBytes(6))}`;
  writeFileSync(draft, `${JSON.stringify(key)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(draft, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    rmSync(draft, { force: true });
  }
}

function readSecretFile(file: string, what: string): string {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    throw new Error(`${what} ${file} does not exist`);
  }
  const text = readFileSync(file, 'utf8');
  const isPublic = /-----BEGIN PUBLIC KEY-----/.test(text) && !/PRIVATE KEY/.test(text);
  if (!isPublic && (mode & 0o077) !== 0) {
    throw new Error(`${what} ${file} may be read by others (mode ${(mode & 0o777).toString(8)}): chmod 600 ${file}`);
  }
  return text;
}
