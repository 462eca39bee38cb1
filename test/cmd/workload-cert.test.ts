import { expect } from 'chai';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { parse } from 'yaml';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/cmd/workload-cert.js';
import { WorkloadCertFiles, writeCerts } from '../../src/certs/index.js';
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

  it('is a command of the CLI', async () => {
    const r = await mizzen(['workload-cert', '--help']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/usage: mizzen workload-cert/).and.match(/mizzen bootstrap --grpc --cert-dir DIR/);
  });
});
