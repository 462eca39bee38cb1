/**
 * The mesh's trust, pure: the bundle of extra roots read and checked, the roots every workload gets, whether a root
 * file is them, and which reloads are safe steps of a CA rotation.
 */
import { expect } from 'chai';
import { generate } from 'selfsigned';
import { generateCa, generateServingCert, type KeyPair } from '../../src/certs/generate.js';
import { fingerprintsOf, meshTrust, pemCertificates, rootsMatch, transitionProblems, trustChange, trustOf, type MeshTrust } from '../../src/certs/trust.js';

const DAY = 24 * 60 * 60 * 1000;
const fp = (pem: string): string => fingerprintsOf(pem)![0]!;

/** The trust of `ca` with `bundle` as mesh-roots.crt; a failure is a test error. */
function trust(ca: KeyPair, bundle?: string, now = Date.now()): MeshTrust {
  const r = meshTrust(ca, bundle, now);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}

describe('certs: the mesh trust (mesh-ca.crt and the bundle mesh-roots.crt)', function () {
  this.timeout(20_000);
  let a: KeyPair;
  let b: KeyPair;
  let c: KeyPair;
  let shortLived: KeyPair;
  let sameNameAsA: KeyPair;
  let leaf: KeyPair;
  let intermediate: string;

  before(async () => {
    [a, b, c, shortLived, sameNameAsA] = await Promise.all([generateCa('root A'), generateCa('root B'), generateCa('root C'), generateCa('root short', 1), generateCa('root A')]);
    leaf = await generateServingCert(a, ['x.example']);
    const pems = await generate([{ name: 'commonName', value: 'intermediate of A' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      ca: { key: a.key, cert: a.cert },
      extensions: [{ name: 'basicConstraints', cA: true, critical: true }],
    });
    intermediate = pems.cert;
  });

  describe('pemCertificates', () => {
    it('returns each CERTIFICATE block as written, text between blocks ignored', () => {
      const r = pemCertificates(`# the old root\n${a.cert}\n\n# the new one\n${b.cert}\n`, 'f');
      expect(r).to.deep.equal({ ok: true, value: [a.cert.trim(), b.cert.trim()] });
    });

    const bad: Array<[string, () => string, string]> = [
      ['empty', () => '', 'f: no PEM certificate in it'],
      ['only text', () => 'hello\n', 'f: no PEM certificate in it'],
      ['a private key among the certificates', () => `${a.cert}\n${a.key}`, 'f: block 2 is a private key: only certificates belong here'],
      ['another kind of block', () => '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----', 'f: block 1 is a CERTIFICATE REQUEST: only certificates belong here'],
      ['a block cut short (half written)', () => `${a.cert}\n${b.cert.slice(0, 200)}`, 'f: a PEM block without its END line (a file still being written?)'],
    ];
    for (const [name, text, error] of bad) {
      it(`refuses ${name}`, () => {
        expect(pemCertificates(text(), 'f')).to.deep.equal({ ok: false, errors: [error] });
      });
    }
  });

  describe('meshTrust', () => {
    it('without a bundle the roots are the mesh CA alone, its text unchanged', () => {
      const t = trust(a);
      expect(t.roots.map((r) => [r.fingerprint, r.source])).to.deep.equal([[fp(a.cert), 'mesh-ca.crt']]);
      expect(t.rootsPem).to.equal(a.cert);
      expect(t.ca).to.deep.equal(a);
      expect(t.warnings).to.deep.equal([]);
      expect(t.roots[0]!.subject).to.equal('CN=root A, O=mizzen');
    });

    it('with a bundle: the mesh CA first, then the bundle in file order, each certificate once', () => {
      const t = trust(b, `${c.cert}\n${a.cert}\n${b.cert}\n${c.cert}\n`);
      expect(t.roots.map((r) => r.subject)).to.deep.equal(['CN=root B, O=mizzen', 'CN=root C, O=mizzen', 'CN=root A, O=mizzen']);
      expect(t.roots.map((r) => r.source)).to.deep.equal(['mesh-ca.crt', 'mesh-roots.crt', 'mesh-roots.crt']);
      expect(fingerprintsOf(t.rootsPem)).to.deep.equal([fp(b.cert), fp(c.cert), fp(a.cert)]);
      // The same input, the same text: a stable order means no needless re-issuing.
      expect(trust(b, `${c.cert}\n${a.cert}\n`).rootsPem).to.equal(t.rootsPem);
    });

    const refused: Array<[string, () => [KeyPair, string | undefined, number?], RegExp]> = [
      ['a CA file holding two certificates', () => [{ cert: `${a.cert}\n${b.cert}`, key: a.key }, undefined], /^mesh-ca\.crt: holds 2 certificates; it must hold the signing CA alone \(put other roots in mesh-roots\.crt\)$/],
      ['a CA file that is not a certificate', () => [{ cert: 'junk', key: a.key }, undefined], /^mesh-ca\.crt: no PEM certificate in it$/],
      ['a CA file that does not parse', () => [{ cert: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', key: a.key }, undefined], /^mesh-ca\.crt: not a readable certificate: /],
      ['a leaf as the CA', () => [leaf, undefined], /^mesh-ca\.crt: not a CA certificate$/],
      ['a key of another CA', () => [{ cert: a.cert, key: b.key }, undefined], /^mesh-ca\.crt, mesh-ca\.key: the key does not belong to the certificate$/],
      ['a key cut short', () => [{ cert: a.cert, key: a.key.slice(0, 60) }, undefined], /^mesh-ca\.key: not a readable private key: /],
      ['an expired CA', () => [a, undefined, Date.now() + 11 * 365 * DAY], /^mesh-ca\.crt: expired \d{4}-/],
      ['an empty bundle', () => [a, ''], /^mesh-roots\.crt: no PEM certificate in it \(delete the file to trust mesh-ca\.crt alone\)$/],
      ['a bundle with a leaf', () => [a, `${b.cert}\n${leaf.cert}`], /^mesh-roots\.crt: certificate 2 \(CN=x\.example\): not a CA certificate$/],
      ['a bundle with a key', () => [a, `${b.cert}\n${b.key}`], /^mesh-roots\.crt: block 2 is a private key: only certificates belong here$/],
      ['a bundle cut short', () => [a, `${b.cert}\n${c.cert.slice(0, 100)}`], /^mesh-roots\.crt: a PEM block without its END line/],
      ['a root with the name of another (peers would check against the wrong one)', () => [a, sameNameAsA.cert], /^mesh-roots\.crt: certificate 1 \(CN=root A, O=mizzen, .*\): has the name of the root .* of mesh-ca\.crt; TLS stacks pick a root by name/],
      ['a bundle with a block that does not parse', () => [a, `${b.cert}\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----`], /^mesh-roots\.crt: certificate 2: not readable: /],
    ];
    for (const [name, input, error] of refused) {
      it(`refuses ${name}, naming the file`, () => {
        const [ca, bundle, now] = input();
        const r = meshTrust(ca, bundle, now ?? Date.now());
        expect(r.ok).to.equal(false);
        if (r.ok) return;
        expect(r.errors).to.have.length(1);
        expect(r.errors[0]).to.match(error);
        expect(r.errors[0], 'no key in an error').to.not.contain('PRIVATE KEY');
      });
    }

    it('an expired or not self-signed root in the bundle is a warning, not a refusal', () => {
      const t = trust(a, `${shortLived.cert}\n${intermediate}`, Date.now() + 2 * DAY);
      expect(t.roots).to.have.length(3);
      expect(t.warnings).to.have.length(2);
      expect(t.warnings[0]).to.match(/^mesh-roots\.crt: certificate 1 \(CN=root short, O=mizzen, .*\): expired .*; it verifies nothing, drop it$/);
      expect(t.warnings[1]).to.match(/^mesh-roots\.crt: certificate 2 \(CN=intermediate of A\): not self-signed/);
    });
  });

  describe('rootsMatch', () => {
    it('the same certificates in any order and spelling match; one more, one less or garbage do not', () => {
      const t = trust(a, b.cert);
      expect(rootsMatch(t.rootsPem, t)).to.equal(true);
      expect(rootsMatch(`${b.cert}\n\n${a.cert}\n`, t)).to.equal(true);
      expect(rootsMatch(`${b.cert}\n${a.cert}\n${a.cert}`, t), 'a duplicate is the same set').to.equal(true);
      expect(rootsMatch(a.cert, t)).to.equal(false);
      expect(rootsMatch(`${a.cert}\n${b.cert}\n${c.cert}`, t)).to.equal(false);
      expect(rootsMatch('junk', t)).to.equal(false);
      expect(rootsMatch('', t)).to.equal(false);
      expect(rootsMatch(a.cert, trustOf(a))).to.equal(true);
    });
  });

  describe('transitionProblems: the steps of a rotation, and the skipped ones', () => {
    const steps: Array<[string, () => [MeshTrust, MeshTrust], RegExp[]]> = [
      ['step 1: add the new root', () => [trust(a), trust(a, b.cert)], []],
      ['step 2: switch to the new CA, keeping the old root', () => [trust(a, b.cert), trust(b, a.cert)], []],
      ['step 3: drop the old root', () => [trust(b, a.cert), trust(b)], []],
      ['the same set rewritten', () => [trust(a, b.cert), trust(a, `${b.cert}\n${a.cert}`)], []],
      ['switching to a CA no workload trusts yet (step 1 skipped)', () => [trust(a), trust(b, a.cert)], [/^the new mesh CA CN=root B, O=mizzen \(.*\) is not trusted yet: add it to mesh-roots\.crt first/]],
      ['switching without the old root (the old CA dropped at once)', () => [trust(a, b.cert), trust(b)], [/^the previous mesh CA CN=root A, O=mizzen \(.*\) would no longer be trusted/]],
      [
        'a plain swap of CAs',
        () => [trust(a), trust(b)],
        [/would gain CN=root B.* and lose CN=root A.* at once/, /^the new mesh CA .* is not trusted yet/, /^the previous mesh CA .* would no longer be trusted/],
      ],
      ['a root added and another dropped at once', () => [trust(a, b.cert), trust(a, c.cert)], [/^the trusted roots would gain CN=root C, O=mizzen \(.*\) and lose CN=root B, O=mizzen \(.*\) at once: add roots first/]],
    ];
    for (const [name, pair, problems] of steps) {
      it(name, () => {
        const [prev, next] = pair();
        const got = transitionProblems(prev, next);
        expect(got, got.join('\n')).to.have.length(problems.length);
        problems.forEach((p, i) => expect(got[i]).to.match(p));
      });
    }

    it('trustChange names the CA switch and the roots added and dropped, without PEM or keys', () => {
      const c1 = trustChange(trust(a), trust(a, b.cert));
      expect(c1.ca).to.equal(undefined);
      expect(c1.added.map((s) => s.subject)).to.deep.equal(['CN=root B, O=mizzen']);
      expect(c1.removed).to.deep.equal([]);
      const c2 = trustChange(trust(a, b.cert), trust(b, a.cert));
      expect([c2.ca?.from.fingerprint, c2.ca?.to.fingerprint]).to.deep.equal([fp(a.cert), fp(b.cert)]);
      expect(c2.added).to.deep.equal([]);
      expect(JSON.stringify(c2)).to.not.match(/BEGIN/);
    });
  });
});
