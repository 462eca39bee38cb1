import { expect } from 'chai';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { run } from '../../src/cmd/workload-cert.js';
import { run as bootstrap } from '../../src/cmd/bootstrap.js';
import { CertFiles, fingerprintsOf, generateCa, WorkloadCertFiles, writeCerts } from '../../src/certs/index.js';
import { xdsClientSds, XDS_CLIENT_SECRET } from '../../src/bootstrap/envoy.js';
import { MeshCerts } from '../../src/core/constants.js';
import { decode, encode, envoyRoot } from '../../src/xds/proto.js';
import { checkPgv } from '../../src/xds/pgv.js';
import { captureOutput, mizzen } from '../support/cli.js';
import { testCerts } from '../support/certs.js';
import { scratchDir } from '../support/tmp.js';

const capture = (argv: string[]) => captureOutput(() => run(argv));

/** A certs dir as `mizzen certs` leaves it. */
async function certsDir(): Promise<string> {
  const dir = scratchDir('mizzen-certs-');
  writeCerts(dir, await testCerts());
  return dir;
}

describe('mizzen workload-cert', function () {
  this.timeout(60_000);

  it('writes cert-chain.pem, key.pem (0600) and root-cert.pem signed by the mesh CA', async () => {
    const certs = await certsDir();
    const out = join(scratchDir('mizzen-wl-'), 'data');
    const { code, out: stdout } = await capture(['--namespace', 'shop', '--service-account', 'reviews', '--certs-dir', certs, '--out', out, '--days', '2']);
    expect(code).to.equal(0);
    for (const f of Object.values(WorkloadCertFiles)) expect(stdout).to.have.string(`wrote ${join(out, f)}\n`);
    expect(stdout).to.have.string('spiffe://cluster.local/ns/shop/sa/reviews');
    expect(statSync(join(out, WorkloadCertFiles.key)).mode & 0o777).to.equal(0o600);
    const { meshCa } = await testCerts();
    expect(readFileSync(join(out, WorkloadCertFiles.root), 'utf8')).to.equal(meshCa.cert);
    const cert = new X509Certificate(readFileSync(join(out, WorkloadCertFiles.certChain)));
    expect(cert.subjectAltName).to.equal('URI:spiffe://cluster.local/ns/shop/sa/reviews');
    expect(cert.verify(new X509Certificate(meshCa.cert).publicKey)).to.equal(true);
  });

  it("--mesh-config: its caCertificates' roots join root-cert.pem after the mesh CA, its trustDomain is the default; a bad entry exits 2 naming the field", async () => {
    const certs = await certsDir();
    const corp = await generateCa('corp root for workload-cert');
    const dir = scratchDir('mizzen-wl-mesh-');
    const mesh = join(dir, 'mesh.yaml');
    writeFileSync(mesh, stringify({ trustDomain: 'corp.example', caCertificates: [{ pem: corp.cert, certSigners: ['example.com/signer'] }] }));
    const out = join(dir, 'data');
    const r = await capture(['--namespace', 'shop', '--service-account', 'reviews', '--certs-dir', certs, '--out', out, '--mesh-config', mesh]);
    expect(r.code, r.err).to.equal(0);
    const { meshCa } = await testCerts();
    expect(fingerprintsOf(readFileSync(join(out, WorkloadCertFiles.root), 'utf8'))).to.deep.equal([meshCa.cert, corp.cert].map((c) => fingerprintsOf(c)![0]));
    expect(new X509Certificate(readFileSync(join(out, WorkloadCertFiles.certChain))).subjectAltName).to.equal('URI:spiffe://corp.example/ns/shop/sa/reviews');
    expect(r.err).to.match(/warning: mesh config .*: caCertificates\[0\]\.certSigners: not applied/);
    writeFileSync(mesh, stringify({ caCertificates: [{ pem: 'junk' }] }));
    const bad = await capture(['--namespace', 'shop', '--service-account', 'reviews', '--certs-dir', certs, '--out', out, '--mesh-config', mesh]);
    expect(bad.code).to.equal(2);
    expect(bad.err).to.have.string('caCertificates[0].pem: no PEM certificate in it');
  });

  describe('the SDS file through which Envoy presents the certificate on xDS (mizzen bootstrap --xds-tls)', () => {
    it('is written beside the certificate, names its files by absolute path, and is the file the bootstrap reads', async () => {
      const out = join(scratchDir('mizzen-wl-'), 'vm');
      const { code, out: stdout } = await capture(['--namespace', 'shop', '--service-account', 'vm', '--certs-dir', await certsDir(), '--out', out]);
      expect(code).to.equal(0);
      const file = join(out, MeshCerts.xdsClientFile);
      expect(stdout).to.have.string(`wrote ${file}\n`);
      const doc = parse(readFileSync(file, 'utf8'));
      expect(doc).to.deep.equal(xdsClientSds(out));
      const tls = doc.resources[0].tls_certificate;
      expect([doc.resources[0].name, tls.certificate_chain.filename, tls.private_key.filename, tls.watched_directory.path]).to.deep.equal([
        XDS_CLIENT_SECRET,
        join(out, WorkloadCertFiles.certChain),
        join(out, WorkloadCertFiles.key),
        out,
      ]);
      // What Envoy reads it as: a DiscoveryResponse of one Secret that passes Envoy's validate rules.
      const R = 'envoy.service.discovery.v3.DiscoveryResponse';
      expect(decode(R, encode(R, doc))).to.deep.equal(doc);
      const { '@type': type, ...secret } = doc.resources[0];
      expect(checkPgv(envoyRoot(), type, secret)).to.deep.equal([]);
      // The bootstrap of the same directory names this file and this secret.
      const b = await captureOutput(() => bootstrap(['--node', 'sidecar~10.0.0.9~vm-1.shop~shop.svc.cluster.local', '--cert-dir', out, '--xds-tls']));
      const xds = JSON.parse(b.out).static_resources.clusters.find((c: any) => c.name === 'xds-grpc');
      const sds = xds.transport_socket.typed_config.common_tls_context.tls_certificate_sds_secret_configs[0];
      expect([sds.name, sds.sds_config.path_config_source.path]).to.deep.equal([XDS_CLIENT_SECRET, file]);
    });

    it('names absolute paths for a relative --out', async () => {
      const out = relative(process.cwd(), join(scratchDir('mizzen-wl-'), 'rel'));
      expect(await capture(['--namespace', 'shop', '--service-account', 'vm', '--certs-dir', await certsDir(), '--out', out])).to.include({ code: 0 });
      expect(parse(readFileSync(join(out, MeshCerts.xdsClientFile), 'utf8'))).to.deep.equal(xdsClientSds(join(process.cwd(), out)));
    });

    it('issued again, every file is replaced by a rename (a new inode; Envoy watches DIR for moved entries), none left over', async () => {
      const certs = await certsDir();
      const out = scratchDir('mizzen-wl-');
      const argv = ['--namespace', 'shop', '--service-account', 'vm', '--certs-dir', certs, '--out', out];
      const files = [...Object.values(WorkloadCertFiles), MeshCerts.xdsClientFile];
      expect((await capture(argv)).code).to.equal(0);
      const before = files.map((f) => statSync(join(out, f)).ino);
      const firstChain = readFileSync(join(out, WorkloadCertFiles.certChain), 'utf8');
      expect((await capture(argv)).code).to.equal(0);
      files.forEach((f, i) => expect(statSync(join(out, f)).ino, f).to.not.equal(before[i]));
      expect(readFileSync(join(out, WorkloadCertFiles.certChain), 'utf8')).to.not.equal(firstChain);
      expect(statSync(join(out, WorkloadCertFiles.key)).mode & 0o777).to.equal(0o600);
      expect(readdirSync(out).sort()).to.deep.equal([...files].sort());
    });
  });

  it('uses --trust-domain', async () => {
    const out = scratchDir('mizzen-wl-');
    const { code } = await capture(['--namespace', 'a', '--service-account', 'b', '--trust-domain', 'example.org', '--certs-dir', await certsDir(), '--out', out]);
    expect(code).to.equal(0);
    expect(new X509Certificate(readFileSync(join(out, WorkloadCertFiles.certChain))).subjectAltName).to.equal('URI:spiffe://example.org/ns/a/sa/b');
  });

  const usage: Array<[string, string[], RegExp]> = [
    ['missing --namespace', ['--service-account', 'sa', '--out', 'x'], /--namespace is required/],
    ['missing --service-account', ['--namespace', 'ns', '--out', 'x'], /--service-account is required/],
    ['neither --out nor --secret', ['--namespace', 'ns', '--service-account', 'sa'], /one of --out DIR or --secret NAME/],
    ['both --out and --secret', ['--namespace', 'ns', '--service-account', 'sa', '--out', 'x', '--secret', 'y'], /one of --out DIR or --secret NAME/],
    ['a bad --namespace', ['--namespace', 'Bad_NS', '--service-account', 'sa', '--out', 'x'], /--namespace: "Bad_NS"/],
    ['a bad --service-account', ['--namespace', 'ns', '--service-account', 'SA', '--out', 'x'], /--service-account: "SA"/],
    ['a bad --trust-domain', ['--namespace', 'ns', '--service-account', 'sa', '--trust-domain', 'a/b', '--out', 'x'], /--trust-domain: "a\/b"/],
    ['a bad --days', ['--namespace', 'ns', '--service-account', 'sa', '--days', '0', '--out', 'x'], /--days: "0"/],
    ['an unknown flag', ['--bogus'], /bogus/],
  ];
  for (const [name, argv, re] of usage) {
    it(`exits 2 on ${name}`, async () => {
      const { code, err } = await capture(argv);
      expect(code).to.equal(2);
      expect(err).to.match(re);
    });
  }

  it('--secret prints a Kubernetes Secret in the namespace with the three files as keys, and writes no file', async () => {
    const { code, out: stdout } = await capture(['--namespace', 'shop', '--service-account', 'reviews', '--certs-dir', await certsDir(), '--secret', 'reviews-mesh-cert']);
    expect(code).to.equal(0);
    expect(stdout.split('\n')[0]).to.equal('# spiffe://cluster.local/ns/shop/sa/reviews');
    const secret = parse(stdout);
    // Labelled and annotated for mizzen serve --rotate-workload-certs, which renews it.
    expect(secret).to.deep.include({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'reviews-mesh-cert', namespace: 'shop', labels: { 'mizzen.io/workload-cert': 'true' }, annotations: { 'mizzen.io/service-account': 'reviews' } },
      type: 'Opaque',
    });
    expect(Object.keys(secret.data)).to.deep.equal(Object.values(WorkloadCertFiles));
    const cert = new X509Certificate(Buffer.from(secret.data[WorkloadCertFiles.certChain], 'base64'));
    expect(cert.subjectAltName).to.equal('URI:spiffe://cluster.local/ns/shop/sa/reviews');
    expect(cert.checkPrivateKey(createPrivateKey(Buffer.from(secret.data[WorkloadCertFiles.key], 'base64')))).to.equal(true);
    expect(stdout).to.not.match(/wrote /);
  });

  it('exits 1 naming the missing mesh CA and `mizzen certs`', async () => {
    const empty = scratchDir('mizzen-nocerts-');
    const { code, err } = await capture(['--namespace', 'ns', '--service-account', 'sa', '--certs-dir', empty, '--out', scratchDir('mizzen-wl-')]);
    expect(code).to.equal(1);
    expect(err).to.have.string(join(empty, 'mesh-ca.crt')).and.match(/run `mizzen certs` first/);
  });

  it('with mesh-roots.crt beside the mesh CA (a rotation under way), root-cert.pem holds both roots; a bad bundle exits 1 naming it', async () => {
    const certs = await certsDir();
    const other = await generateCa('the next mesh CA');
    writeFileSync(join(certs, CertFiles.meshRoots), other.cert);
    const out = join(scratchDir('mizzen-wl-'), 'data');
    expect((await capture(['--namespace', 'shop', '--service-account', 'reviews', '--certs-dir', certs, '--out', out])).code).to.equal(0);
    const { meshCa } = await testCerts();
    expect(fingerprintsOf(readFileSync(join(out, WorkloadCertFiles.root), 'utf8'))).to.deep.equal([meshCa.cert, other.cert].map((c) => new X509Certificate(c).fingerprint256));
    writeFileSync(join(certs, CertFiles.meshRoots), `${other.cert}\n${other.key}`);
    const bad = await capture(['--namespace', 'shop', '--service-account', 'reviews', '--certs-dir', certs, '--out', out]);
    expect(bad.code).to.equal(1);
    expect(bad.err).to.equal(`mizzen workload-cert: ${join(certs, CertFiles.meshRoots)}: block 2 is a private key: only certificates belong here\n`);
  });

  it('is a command of the CLI', async () => {
    const r = await mizzen(['workload-cert', '--help']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/usage: mizzen workload-cert/).and.match(/mizzen bootstrap --grpc --cert-dir DIR/);
  });
});
