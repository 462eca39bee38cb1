/**
 * The mesh config's caCertificates roots beside the mesh CA's: what workloads trust (root-cert.pem of issued
 * certificates and Secrets), what 15012 checks xDS clients against (the CA's own roots only), /debug/meshca.
 */
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CertFiles, readMeshTrust } from '../../src/certs/files.js';
import { generateCa, type KeyPair } from '../../src/certs/generate.js';
import { MeshCaHolder } from '../../src/certs/mesh-ca.js';
import { fingerprintsOf, meshTrust, withExtraRoots, type ExtraRoot } from '../../src/certs/trust.js';
import { issueWorkloadCert } from '../../src/certs/workload.js';
import { renewal } from '../../src/certs/renewal.js';
import { silentLogger } from '../../src/core/log.js';
import { XdsTlsMaterial } from '../../src/xds/server/tls-material.js';
import { scratchDir } from '../support/tmp.js';

const fps = (pem: string): string[] => fingerprintsOf(pem)!;
const id = { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'reviews' };

describe('certs: the mesh config\'s caCertificates roots', function () {
  this.timeout(20_000);
  let ca: KeyPair;
  let next: KeyPair;
  let extra: KeyPair;
  let other: KeyPair;
  before(async () => {
    [ca, next, extra, other] = await Promise.all([generateCa('mesh CA'), generateCa('next CA'), generateCa('corp root'), generateCa('partner root')]);
  });
  const extraRoots = (): ExtraRoot[] => [{ pem: extra.cert, where: 'caCertificates[0].pem' }, { pem: other.cert, where: 'caCertificates[1].pem' }];
  const dirWith = (bundle?: string): string => {
    const dir = scratchDir('mizzen-extra-roots-');
    writeFileSync(join(dir, CertFiles.meshCaCert), ca.cert);
    writeFileSync(join(dir, CertFiles.meshCaKey), ca.key);
    if (bundle) writeFileSync(join(dir, CertFiles.meshRoots), bundle);
    return dir;
  };

  it('join the roots after the CA and mesh-roots.crt: in rootsPem (workloads), not in caRootsPem (15012)', () => {
    const own = meshTrust(ca, next.cert, Date.now());
    if (!own.ok) throw new Error(own.errors.join('; '));
    const r = withExtraRoots(own.value, extraRoots(), Date.now());
    if (!r.ok) throw new Error(r.errors.join('; '));
    expect(r.value.roots.map((x) => [x.source, x.where])).to.deep.equal([['mesh-ca.crt', undefined], ['mesh-roots.crt', undefined], ['meshConfig.caCertificates', 'caCertificates[0].pem'], ['meshConfig.caCertificates', 'caCertificates[1].pem']]);
    expect(fps(r.value.rootsPem)).to.deep.equal([ca, next, extra, other].map((k) => fps(k.cert)[0]));
    expect(fps(r.value.caRootsPem)).to.deep.equal([ca, next].map((k) => fps(k.cert)[0]));
  });

  it('a root already trusted is not added twice; a root of another root\'s name is refused, naming the field', async () => {
    const own = meshTrust(ca, undefined, Date.now());
    if (!own.ok) throw new Error(own.errors.join('; '));
    const same = withExtraRoots(own.value, [{ pem: ca.cert, where: 'caCertificates[0].pem' }], Date.now());
    expect(same.ok && same.value.roots.length).to.equal(1);
    const twin = await generateCa('mesh CA');
    const r = withExtraRoots(own.value, [{ pem: twin.cert, where: 'caCertificates[2].pem' }], Date.now());
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.errors[0]).to.match(/^caCertificates\[2\]\.pem \(CN=mesh CA, .*\): has the name of the root .* of mesh-ca\.crt; TLS stacks pick a root by name/);
  });

  it('issued certificates carry them in root-cert.pem; a root file without them is due for renewal, saying so', async () => {
    const r = readMeshTrust(dirWith(), Date.now(), extraRoots());
    if (!r.ok) throw new Error(r.errors.join('; '));
    const cert = await issueWorkloadCert(r.value, id);
    expect(fps(cert.root)).to.deep.equal([ca, extra, other].map((k) => fps(k.cert)[0]));
    expect(renewal(cert, id, r.value, Date.now()).due).to.equal(false);
    const withoutThem = await issueWorkloadCert(ca, id);
    expect(renewal(withoutThem, id, r.value, Date.now())).to.include({ due: true, reason: "root-cert.pem is not the trusted roots (mesh-ca.crt and the mesh config's caCertificates)" });
  });

  it('the holder keeps them across reloads and shows them at /debug/meshca with their field', async () => {
    const dir = dirWith();
    const opened = MeshCaHolder.open(dir, { extraRoots: extraRoots(), registry: new Registry() });
    if (!opened.ok) throw new Error(opened.errors.join('; '));
    const h = opened.value;
    expect(h.report().roots.map((x) => [x.source, x.where ?? ''])).to.deep.equal([['mesh-ca.crt', ''], ['meshConfig.caCertificates', 'caCertificates[0].pem'], ['meshConfig.caCertificates', 'caCertificates[1].pem']]);
    writeFileSync(join(dir, CertFiles.meshRoots), next.cert);
    const out = await h.reload();
    expect(out.result).to.equal('applied');
    expect(fps(h.current().rootsPem)).to.deep.equal([ca, next, extra, other].map((k) => fps(k.cert)[0]));
    h.close();
  });

  it('xDS over TLS (15012) checks clients against the CA\'s own roots, not the mesh config\'s, as istiod does', async () => {
    const opened = MeshCaHolder.open(dirWith(next.cert), { extraRoots: extraRoots() });
    if (!opened.ok) throw new Error(opened.errors.join('; '));
    const m = await XdsTlsMaterial.create({ authority: opened.value, names: ['mizzen.mizzen-system.svc'], log: silentLogger, days: 1 });
    try {
      expect(fps(m.clientRoots)).to.deep.equal([ca, next].map((k) => fps(k.cert)[0]));
      expect(new X509Certificate(m.certificate).verify(new X509Certificate(ca.cert).publicKey)).to.equal(true);
    } finally {
      m.close();
      opened.value.close();
    }
  });
});
