import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMBEDDED_KEY_FILE, loadKeyRing } from '../../../src/http/auth/index.js';
import { runCli } from '../../cli/runCli.js';

const HOUR = 3_600_000;

describe('where a process\'s token keys come from', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kastor-keys-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes the embedded HS256 key on first use, readable by its owner only, and loads the same one after', async () => {
    const first = await loadKeyRing({ dataDir: dir });
    const file = join(dir, EMBEDDED_KEY_FILE);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(statSync(join(dir, 'auth')).mode & 0o777).to.equal(0o700);
    expect(first.description).to.deep.equal([{ kid: JSON.parse(readFileSync(file, 'utf8')).kid, alg: 'HS256', signs: true }]);
    const token = await first.issue({ sub: 'alice', role: 'user' }, { now: Date.now(), ttlMs: HOUR });
    const again = await loadKeyRing({ dataDir: dir });
    expect(await again.verify(token, Date.now())).to.deep.include({ ok: true, principal: { sub: 'alice', role: 'user' } });
    // Processes starting at once on a fresh directory end up with one key.
    const fresh = mkdtempSync(join(tmpdir(), 'kastor-keys-race-'));
    try {
      const rings = await Promise.all(Array.from({ length: 8 }, () => loadKeyRing({ dataDir: fresh })));
      expect(new Set(rings.map((r) => r.description[0].kid)).size).to.equal(1);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('refuses a key file others may read, naming the fix', async () => {
    await loadKeyRing({ dataDir: dir });
    const file = join(dir, EMBEDDED_KEY_FILE);
    chmodSync(file, 0o644);
    await loadKeyRing({ dataDir: dir }).then(() => expect.fail('loaded'), (e: Error) => expect(e.message).to.equal(`the embedded auth key ${file} may be read by others (mode 644): chmod 600 ${file}`));
    const pem = join(dir, 'ed.pem');
    writeFileSync(pem, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o640 });
    await loadKeyRing({ dataDir: dir, keyFile: pem }).then(() => expect.fail('loaded'), (e: Error) => expect(e.message).to.match(/may be read by others \(mode 640\): chmod 600/));
    await loadKeyRing({ dataDir: dir, keyFile: join(dir, 'none.pem') }).then(() => expect.fail('loaded'), (e: Error) => expect(e.message).to.match(/does not exist/));
  });

  it('takes a PEM key and a previous one for a rotation; a public key may be world-readable', async () => {
    const oldPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const newPair = generateKeyPairSync('ed25519');
    const oldPrivate = join(dir, 'old.pem');
    const oldPublic = join(dir, 'old.pub.pem');
    const current = join(dir, 'new.pem');
    writeFileSync(oldPrivate, oldPair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(oldPublic, oldPair.publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
    writeFileSync(current, newPair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const before = await (await loadKeyRing({ dataDir: dir, keyFile: oldPrivate })).issue({ sub: 'alice', role: 'user' }, { now: Date.now(), ttlMs: HOUR });
    const rotating = await loadKeyRing({ dataDir: dir, keyFile: current, previousKeyFile: oldPublic });
    expect(rotating.description.map((d) => [d.alg, d.signs])).to.deep.equal([['EdDSA', true], ['ES256', false]]);
    expect((await rotating.verify(before, Date.now())).ok).to.equal(true);
  });

  it('`kastor token issue` prints a token that `kastor run` on the same data directory accepts', async () => {
    const r = await runCli(['token', 'issue', '--sub', 'taxi_42', '--role', 'taxi', '--ttl', '10m', '--data', dir]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.equal('');
    const token = r.stdout.trim();
    expect(token).to.match(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const verified = await (await loadKeyRing({ dataDir: dir })).verify(token, Date.now());
    expect(verified).to.deep.include({ ok: true, principal: { sub: 'taxi_42', role: 'taxi' } });
    expect((verified as { expiresAt: number }).expiresAt - Date.now()).to.be.within(9 * 60_000, 10 * 60_000);
    const bad = await runCli(['token', 'issue', '--sub', 'alice', '--role', 'root', '--data', dir]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include("argument 'root' is invalid");
  });
});
