/**
 * Istio's caCertificates in the mesh config: pem roots joined to what workloads trust, trustDomains to what sidecars
 * accept clients of, spiffeBundleUrl and certSigners warned as not applied; every error names its field.
 */
import { expect } from 'chai';
import { resolveMeshConfig, snapshotOptions } from '../../src/config/mesh.js';
import { caCertificateRoots, caTrustDomains } from '../../src/config/ca-certificates.js';
import { generateCa, signLeaf, type KeyPair } from '../../src/certs/generate.js';
import { fingerprintsOf } from '../../src/certs/trust.js';

describe('mesh config: caCertificates', function () {
  this.timeout(20_000);
  let a: KeyPair;
  let b: KeyPair;
  let leaf: KeyPair;
  before(async () => {
    [a, b] = await Promise.all([generateCa('extra root A'), generateCa('extra root B')]);
    leaf = await signLeaf(a, { subject: [{ name: 'commonName', value: 'leaf' }], days: 1, usages: { serverAuth: true }, altNames: [{ type: 2, value: 'leaf.example' }] });
  });

  it('is applied: pem roots in order, one per PEM block, each named by its field; trustDomains reach the snapshot options; no warning', () => {
    const r = resolveMeshConfig({ caCertificates: [{ pem: a.cert, trustDomains: ['td-a.example', 'shared.example'] }, { pem: `${a.cert}\n${b.cert}`, trust_domains: ['shared.example'] }, { trustDomains: ['td-c.example'] }] });
    expect(r.ok, JSON.stringify(r)).to.equal(true);
    if (!r.ok) return;
    expect(r.warnings).to.equal(undefined);
    const roots = caCertificateRoots(r.value.caCertificates);
    expect(roots.map((x) => x.where)).to.deep.equal(['caCertificates[0].pem', 'caCertificates[1].pem: certificate 1', 'caCertificates[1].pem: certificate 2']);
    expect(roots.map((x) => fingerprintsOf(x.pem)![0])).to.deep.equal([a, a, b].map((k) => fingerprintsOf(k.cert)![0]));
    expect(caTrustDomains(r.value.caCertificates)).to.deep.equal(['td-a.example', 'shared.example', 'td-c.example']);
    expect(snapshotOptions(r.value).caTrustDomains).to.deep.equal(['td-a.example', 'shared.example', 'td-c.example']);
  });

  it('unset: no roots, no trust domains in the snapshot options', () => {
    const r = resolveMeshConfig({});
    expect(r.ok && r.value.caCertificates).to.deep.equal([]);
    expect(r.ok && 'caTrustDomains' in snapshotOptions(r.value)).to.equal(false);
  });

  it('warns of spiffeBundleUrl and certSigners by entry, as not applied; the entry\'s pem and trustDomains still apply', () => {
    const r = resolveMeshConfig({ caCertificates: [{ spiffeBundleUrl: 'https://bundle.example/td', trustDomains: ['remote.example'] }, { pem: b.cert, certSigners: ['clusterissuers.cert-manager.io/foo'] }] });
    expect(r.ok, JSON.stringify(r)).to.equal(true);
    if (!r.ok) return;
    expect(r.warnings).to.have.length(2);
    expect(r.warnings![0]).to.match(/^caCertificates\[0\]\.spiffeBundleUrl: not applied: mizzen fetches no remote SPIFFE bundles \(https:\/\/bundle\.example\/td\)/);
    expect(r.warnings![1]).to.match(/^caCertificates\[1\]\.certSigners: not applied: .*the pem roots are trusted by every workload$/);
    expect(caCertificateRoots(r.value.caCertificates).map((x) => x.where)).to.deep.equal(['caCertificates[1].pem']);
    expect(caTrustDomains(r.value.caCertificates)).to.deep.equal(['remote.example']);
  });

  const errorsOf = (caCertificates: unknown): string[] => {
    const r = resolveMeshConfig({ caCertificates });
    return r.ok ? [] : r.errors;
  };

  it('errors name the field: not a list, not a mapping, unknown keys, wrong types, both sources, bad trust domains', () => {
    expect(errorsOf('pem')).to.deep.equal(['caCertificates: must be a list, got "pem"']);
    expect(errorsOf(['x'])).to.deep.equal(['caCertificates[0]: must be a mapping, got "x"']);
    expect(errorsOf([{ pem: a.cert, trustDomain: 'x' }])).to.deep.equal(['caCertificates[0].trustDomain: unknown field']);
    expect(errorsOf([{ pem: 3 }, { certSigners: 'x' }])).to.deep.equal(['caCertificates[0].pem: must be a string, got 3', 'caCertificates[1].certSigners: must be a list of strings, got "x"']);
    expect(errorsOf([{ pem: a.cert, spiffeBundleUrl: 'https://x' }])).to.deep.equal(['caCertificates[0]: set pem or spiffeBundleUrl, not both (one certificate source per entry)']);
    expect(errorsOf([{ trustDomains: ['ok.example', 'Bad Domain'] }])).to.deep.equal([`caCertificates[0].trustDomains[1]: "Bad Domain" must be a SPIFFE trust domain (lowercase letters, digits, '.', '-', '_')`]);
  });

  it('a pem must be one or more readable X.509 CA certificates', () => {
    expect(errorsOf([{ pem: 'not a certificate' }])).to.deep.equal(['caCertificates[0].pem: no PEM certificate in it']);
    expect(errorsOf([{ pem: a.key }])[0]).to.equal('caCertificates[0].pem: block 1 is a private key: only certificates belong here');
    expect(errorsOf([{ pem: leaf.cert }])).to.deep.equal(['caCertificates[0].pem (CN=leaf): not a CA certificate']);
    expect(errorsOf([{ pem: `${a.cert}\n${leaf.cert}` }])).to.deep.equal(['caCertificates[0].pem: certificate 2 (CN=leaf): not a CA certificate']);
    const broken = a.cert.replace(/\n[A-Za-z0-9+/]{10}/, '\nAAAAAAAAAA');
    expect(errorsOf([{ pem: broken }])[0]).to.match(/^caCertificates\[0\]\.pem: not a readable X\.509 certificate: /);
    expect(errorsOf([{ pem: a.cert.replace(/-----END CERTIFICATE-----\s*$/, '') }])[0]).to.match(/^caCertificates\[0\]\.pem: a PEM block without its END line/);
  });
});
