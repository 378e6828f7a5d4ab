/**
 * The keys that sign and verify the edge's bearer tokens (JWT, with `jose`). One key signs (the
 * first); every key in the ring verifies the tokens that name it by `kid` in their header, so that
 * during a rotation the tokens of the previous key stay good until they expire (docs/security.md).
 *
 * Algorithms: EdDSA (Ed25519) and ES256 (P-256) from PEM keys, the algorithm read from the key
 * itself; HS256 from a 256-bit secret, for the embedded default. Each key verifies with its own
 * algorithm only: a token whose header names another (`none`, or HS256 against a public key) is
 * malformed. A token is `{ sub, role, iss, aud, iat, exp }`; `exp` is required.
 *
 * Verification is data: a `Verified` is either the principal or the refusal with its reason.
 */
import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, errors, exportJWK, jwtVerify } from 'jose';
import type { Principal } from './Principal.js';
import { isRole } from './Principal.js';
import type { Unauthenticated } from './AuthRefusal.js';

export type TokenAlg = 'HS256' | 'EdDSA' | 'ES256';

/** What a key is made of: an HMAC secret with its id, or a PEM key (private: signs and verifies; public: verifies). */
export type KeyMaterial =
  | { readonly alg: 'HS256'; readonly kid: string; readonly secret: Uint8Array }
  | { readonly pem: string; readonly kid?: string };

export type Verified =
  | { readonly ok: true; readonly principal: Principal; readonly kid: string; readonly expiresAt: number }
  | { readonly ok: false; readonly refusal: Unauthenticated; readonly reason: string };

export interface IssueOptions {
  /** Epoch ms the token is issued at (the injected clock's now). */
  readonly now: number;
  readonly ttlMs: number;
}

interface RingKey {
  readonly kid: string;
  readonly alg: TokenAlg;
  readonly verifyKey: KeyObject;
  readonly signKey?: KeyObject;
}

export const TOKEN_ISSUER = 'kastor';
export const TOKEN_AUDIENCE = 'kastor-edge';
/** Clocks of the issuer and the edge may differ this much. */
const CLOCK_TOLERANCE_S = 5;

/** Tokens verified lately: a client sends the same token with each request until it expires. */
const VERIFIED_CACHE_SIZE = 10_000;

export class KeyRing {
  private readonly byKid: ReadonlyMap<string, RingKey>;
  /**
   * Token → what it verified to. The whole token is the key, signature included, so a hit is the
   * same signed token; its expiry is still checked against `now` on every use.
   */
  private readonly verified = new Map<string, Verified & { ok: true }>();

  private constructor(private readonly keys: readonly RingKey[]) {
    this.byKid = new Map(keys.map((k) => [k.kid, k]));
    if (this.byKid.size !== keys.length) throw new Error(`two keys of the ring have the same kid (${keys.map((k) => k.kid).join(', ')})`);
  }

  /** The first key signs; all of them verify. */
  static async of(materials: readonly KeyMaterial[]): Promise<KeyRing> {
    if (materials.length === 0) throw new Error('a key ring needs at least one key');
    return new KeyRing(await Promise.all(materials.map(ringKey)));
  }

  /** `kid` and algorithm of each key, the signing one first: what may be logged of the ring. */
  get description(): readonly { kid: string; alg: TokenAlg; signs: boolean }[] {
    return this.keys.map((k, i) => ({ kid: k.kid, alg: k.alg, signs: i === 0 && k.signKey !== undefined }));
  }

  /** A token for `principal`, signed with the ring's first key. */
  async issue(principal: Principal, options: IssueOptions): Promise<string> {
    const key = this.keys[0];
    if (!key.signKey) throw new Error(`the signing key ${key.kid} is a public key: it verifies tokens but cannot issue them`);
    const iat = Math.floor(options.now / 1_000);
    return new SignJWT({ role: principal.role })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setSubject(principal.sub)
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(iat + Math.max(1, Math.ceil(options.ttlMs / 1_000)))
      .sign(key.signKey);
  }

  /** The principal of a token at `now` (epoch ms), or why it is refused. */
  async verify(token: string, now: number): Promise<Verified> {
    const known = this.verified.get(token);
    if (known && now < known.expiresAt + CLOCK_TOLERANCE_S * 1_000) return known;
    if (known) this.verified.delete(token);
    const verified = await this.verifyAnew(token, now);
    if (verified.ok) {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, verified);
    }
    return verified;
  }

  private async verifyAnew(token: string, now: number): Promise<Verified> {
    try {
      const { payload, protectedHeader } = await jwtVerify(token, (header) => {
        const key = header.kid === undefined ? undefined : this.byKid.get(header.kid);
        if (!key) throw new UnknownKid(header.kid);
        if (header.alg !== key.alg) throw new errors.JOSEAlgNotAllowed(`key ${key.kid} verifies ${key.alg} only, not ${header.alg}`);
        return key.verifyKey;
      }, {
        algorithms: ['HS256', 'EdDSA', 'ES256'],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        requiredClaims: ['sub', 'exp'],
        currentDate: new Date(now),
        clockTolerance: CLOCK_TOLERANCE_S,
      });
      const { sub, role } = payload;
      if (typeof sub !== 'string' || sub.length === 0) return refused('invalid_claims', 'the token has no subject');
      if (!isRole(role)) return refused('invalid_claims', 'the token has no known role');
      return { ok: true, principal: { sub, role }, kid: protectedHeader.kid!, expiresAt: payload.exp! * 1_000 };
    } catch (e) {
      return refusalOf(e);
    }
  }
}

class UnknownKid extends Error {
  constructor(readonly kid: string | undefined) {
    super(kid === undefined ? 'the token names no key (kid)' : 'the token names a key this server does not hold');
  }
}

const refused = (refusal: Unauthenticated, reason: string): Verified => ({ ok: false, refusal, reason });

function refusalOf(e: unknown): Verified {
  if (e instanceof UnknownKid) return refused('unknown_kid', e.message);
  if (e instanceof errors.JWTExpired) return refused('expired', 'the token expired');
  if (e instanceof errors.JWSSignatureVerificationFailed) return refused('bad_signature', 'the token\'s signature does not verify');
  if (e instanceof errors.JWTClaimValidationFailed) return refused('invalid_claims', `the token's ${e.claim} claim is not valid here`);
  if (e instanceof errors.JOSEError) return refused('malformed', 'the token is not a well-formed signed JWT');
  throw e;
}

async function ringKey(material: KeyMaterial): Promise<RingKey> {
  if ('secret' in material) {
    if (material.secret.length < 32) throw new Error(`the HS256 secret of key ${material.kid} has ${material.secret.length} bytes; it needs at least 32`);
    // A KeyObject, not the bytes: jose keeps the WebCrypto key it derives from a KeyObject, and
    // would import the bytes again on every verification.
    const key = createSecretKey(material.secret);
    return { kid: material.kid, alg: 'HS256', verifyKey: key, signKey: key };
  }
  const isPrivate = /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(material.pem);
  const signKey = isPrivate ? createPrivateKey(material.pem) : undefined;
  const verifyKey = signKey ? createPublicKey(signKey) : createPublicKey(material.pem);
  const alg = algorithmOf(verifyKey);
  // The thumbprint of the public key (RFC 7638): the same key gets the same kid wherever it is loaded.
  const kid = material.kid ?? await calculateJwkThumbprint(await exportJWK(verifyKey));
  return { kid, alg, verifyKey, signKey };
}

function algorithmOf(key: KeyObject): TokenAlg {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  throw new Error(`a ${key.asymmetricKeyType}${curve ? ` (${curve})` : ''} key cannot sign tokens here: use Ed25519 (EdDSA) or P-256 (ES256)`);
}
