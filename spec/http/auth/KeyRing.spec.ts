import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, base64url } from 'jose';
import { KeyRing, TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../../src/http/auth/index.js';

const T = Date.parse('2026-06-01T12:00:00Z');
const HOUR = 3_600_000;
const pem = (type: 'ed25519' | 'ec' | 'rsa') => {
  const pair = type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ed25519');
  return {
    private: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    public: pair.publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
};
const alice = { sub: 'alice', role: 'user' } as const;

describe('KeyRing: the keys that sign and verify tokens', () => {
  it('signs with EdDSA or ES256 as the PEM key is, and verifies its own tokens until they expire', async () => {
    for (const [type, alg] of [['ed25519', 'EdDSA'], ['ec', 'ES256']] as const) {
      const ring = await KeyRing.of([{ pem: pem(type).private }]);
      expect(ring.description).to.have.length(1);
      expect(ring.description[0]).to.include({ alg, signs: true });
      const token = await ring.issue(alice, { now: T, ttlMs: HOUR });
      const header = JSON.parse(new TextDecoder().decode(base64url.decode(token.split('.')[0])));
      expect(header).to.deep.equal({ alg, kid: ring.description[0].kid, typ: 'JWT' });
      expect(await ring.verify(token, T + HOUR - 1_000)).to.deep.include({ ok: true, principal: alice, expiresAt: T + HOUR });
      // Past the expiry and the 5 s tolerance for clocks apart.
      expect(await ring.verify(token, T + HOUR + 6_000)).to.deep.include({ ok: false, refusal: 'expired' });
    }
  });

  it('names a PEM key by its thumbprint: the same key gets the same kid wherever it is loaded', async () => {
    const key = pem('ed25519');
    const signer = await KeyRing.of([{ pem: key.private }]);
    const verifier = await KeyRing.of([{ pem: key.public }]);
    expect(verifier.description[0].kid).to.equal(signer.description[0].kid);
    expect(verifier.description[0].signs).to.equal(false);
    // A ring of the public key verifies the signer's tokens, and cannot issue any.
    expect((await verifier.verify(await signer.issue(alice, { now: T, ttlMs: HOUR }), T)).ok).to.equal(true);
    await verifier.issue(alice, { now: T, ttlMs: HOUR }).then(() => expect.fail('issued'), (e: Error) => expect(e.message).to.match(/public key/));
  });

  it('accepts the tokens of both keys during a rotation, selected by kid, and signs with the new one', async () => {
    const old = await KeyRing.of([{ alg: 'HS256', kid: 'old', secret: new Uint8Array(32).fill(1) }]);
    const next = pem('ed25519');
    const rotating = await KeyRing.of([{ pem: next.private }, { alg: 'HS256', kid: 'old', secret: new Uint8Array(32).fill(1) }]);
    const before = await old.issue(alice, { now: T, ttlMs: HOUR });
    expect(await rotating.verify(before, T)).to.deep.include({ ok: true, kid: 'old' });
    const after = await rotating.issue({ sub: 'bob', role: 'taxi' }, { now: T, ttlMs: HOUR });
    expect(await rotating.verify(after, T)).to.deep.include({ ok: true, kid: rotating.description[0].kid, principal: { sub: 'bob', role: 'taxi' } });
    // Once the old key is dropped, its tokens name a key nobody holds.
    const rotated = await KeyRing.of([{ pem: next.private }]);
    expect(await rotated.verify(before, T)).to.deep.include({ ok: false, refusal: 'unknown_kid' });
  });

  it('refuses a forgery, a token of another algorithm than its key\'s, an unsigned one, and garbage', async () => {
    const secret = new Uint8Array(32).fill(3);
    const ring = await KeyRing.of([{ alg: 'HS256', kid: 'k', secret }]);
    const forger = await KeyRing.of([{ alg: 'HS256', kid: 'k', secret: new Uint8Array(32).fill(4) }]);
    expect(await ring.verify(await forger.issue(alice, { now: T, ttlMs: HOUR }), T)).to.deep.include({ ok: false, refusal: 'bad_signature' });

    // The public key of an Ed25519 ring used as an HMAC secret: the classic confusion.
    const key = pem('ed25519');
    const edRing = await KeyRing.of([{ pem: key.public }]);
    const kid = edRing.description[0].kid;
    const confused = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256', kid }).setSubject('mallory')
      .setIssuer(TOKEN_ISSUER).setAudience(TOKEN_AUDIENCE).setExpirationTime(T / 1_000 + 3_600).sign(new TextEncoder().encode(key.public));
    expect(await edRing.verify(confused, T)).to.deep.include({ ok: false, refusal: 'malformed' });

    const b64 = (o: unknown) => base64url.encode(JSON.stringify(o));
    const unsigned = `${b64({ alg: 'none', kid: 'k' })}.${b64({ sub: 'mallory', role: 'admin', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, exp: T / 1_000 + 60 })}.`;
    expect(await ring.verify(unsigned, T)).to.deep.include({ ok: false, refusal: 'malformed' });
    for (const garbage of ['', 'abc', 'a.b.c', `${b64({ alg: 'HS256' })}.${b64({})}.x`]) {
      const v = await ring.verify(garbage, T);
      expect(v.ok, garbage).to.equal(false);
      expect(['malformed', 'unknown_kid']).to.include((v as { refusal: string }).refusal);
    }
  });

  it('refuses a token with no expiry, a role it does not know, or for another audience', async () => {
    const secret = new Uint8Array(32).fill(5);
    const ring = await KeyRing.of([{ alg: 'HS256', kid: 'k', secret }]);
    const base = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'k' }).setSubject('alice').setIssuer(TOKEN_ISSUER);
    const noExp = await base({ role: 'user' }).setAudience(TOKEN_AUDIENCE).sign(secret);
    expect(await ring.verify(noExp, T)).to.deep.include({ ok: false, refusal: 'invalid_claims' });
    const root = await base({ role: 'root' }).setAudience(TOKEN_AUDIENCE).setExpirationTime(T / 1_000 + 60).sign(secret);
    expect(await ring.verify(root, T)).to.deep.include({ ok: false, refusal: 'invalid_claims' });
    const elsewhere = await base({ role: 'user' }).setAudience('another-service').setExpirationTime(T / 1_000 + 60).sign(secret);
    expect(await ring.verify(elsewhere, T)).to.deep.include({ ok: false, refusal: 'invalid_claims' });
  });

  it('takes no key it cannot sign tokens with, no short secret, and no two keys under one kid', async () => {
    await KeyRing.of([{ pem: pem('rsa').private }]).then(() => expect.fail('an RSA key'), (e: Error) => expect(e.message).to.match(/Ed25519.*P-256/));
    await KeyRing.of([{ alg: 'HS256', kid: 'k', secret: new Uint8Array(16) }]).then(() => expect.fail('16 bytes'), (e: Error) => expect(e.message).to.match(/at least 32/));
    const twice = { alg: 'HS256', kid: 'k', secret: new Uint8Array(32) } as const;
    await KeyRing.of([twice, twice]).then(() => expect.fail('two k'), (e: Error) => expect(e.message).to.match(/same kid/));
    await KeyRing.of([]).then(() => expect.fail('no key'), (e: Error) => expect(e.message).to.match(/at least one key/));
  });
});
