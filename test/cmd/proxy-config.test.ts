/**
 * `mizzen proxy-config <proxy> secrets` never prints a private key, even from a server that sends one; inline
 * certificates (a gateway's credentialName) print as what istioctl tells of them (subject, SANs, serial,
 * validity); file-based mesh certificates print as before.
 */
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { Registry } from 'prom-client';
import { TypeUrls } from '../../src/core/constants.js';
import type { GeneratedCerts } from '../../src/certs/files.js';
import { buildMonitoringApp } from '../../src/monitoring/index.js';
import { displayResource, run as proxyConfig, summarizeCertificates } from '../../src/cmd/proxy-config.js';
import { testCerts } from '../support/certs.js';
import { captureOutput } from '../support/cli.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

describe('mizzen proxy-config <proxy> secrets', () => {
  let certs: GeneratedCerts;
  let monitoring: ReturnType<typeof buildMonitoringApp>;
  let addr: string;
  let resources: Array<{ name: string; resource: Record<string, unknown> }>;

  before(async () => {
    certs = await testCerts();
    const chain = certs.serving.cert + certs.serving.ca;
    resources = [
      { name: 'file-cert:/etc/certs/cert-chain.pem~/etc/certs/key.pem', resource: { name: 'file-cert:/etc/certs/cert-chain.pem~/etc/certs/key.pem', tls_certificate: { certificate_chain: { filename: '/etc/certs/cert-chain.pem' }, private_key: { filename: '/etc/certs/key.pem' } } } },
      { name: 'file-root:/etc/certs/root-cert.pem', resource: { name: 'file-root:/etc/certs/root-cert.pem', validation_context: { trusted_ca: { filename: '/etc/certs/root-cert.pem' } } } },
      // As a server that does not redact would send it: the key inline.
      { name: 'kubernetes://gw-cert', resource: { name: 'kubernetes://gw-cert', tls_certificate: { certificate_chain: { inline_bytes: b64(chain) }, private_key: { inline_bytes: b64(certs.serving.key) } } } },
      { name: 'kubernetes://gw-cert-cacert', resource: { name: 'kubernetes://gw-cert-cacert', validation_context: { trusted_ca: { inline_string: certs.meshCa.cert } } } },
    ];
    const config_dump = () => ({ proxy: 'router~1~gw-0.istio-system~istio-system.svc.cluster.local', configs: [{ typeUrl: TypeUrls.secret, resources }] });
    monitoring = buildMonitoringApp({ registry: new Registry(), debug: { config_dump } });
    await monitoring.listen({ port: 0, host: '127.0.0.1' });
    addr = `127.0.0.1:${(monitoring.server.address() as { port: number }).port}`;
  });
  after(async () => monitoring.close());

  it('prints no private key; inline certificates as subject, SANs, serial and validity; files as they are', async () => {
    const r = await captureOutput(() => proxyConfig(['gw-0', 'secrets', '--addr', addr]));
    expect(r.code).to.equal(0);
    expect(r.out).to.not.contain('PRIVATE KEY').and.not.contain(b64(certs.serving.key)).and.not.contain(b64(certs.serving.key).slice(0, 40));
    const [fileCert, fileRoot, gw, ca] = JSON.parse(r.out);
    expect(fileCert, 'file-based mesh certificates as before').to.deep.equal(resources[0]!.resource);
    expect(fileRoot).to.deep.equal(resources[1]!.resource);
    expect(gw.name).to.equal('kubernetes://gw-cert');
    expect(gw.tls_certificate.private_key).to.deep.equal({ inline_string: '[redacted]' });
    const leaf = new X509Certificate(certs.serving.cert);
    const [first, second] = gw.tls_certificate.certificate_chain.certificates;
    expect(first).to.deep.equal({
      subject: leaf.subject.split('\n').join(', '),
      issuer: leaf.issuer.split('\n').join(', '),
      serial_number: leaf.serialNumber.toLowerCase(),
      subject_alt_names: leaf.subjectAltName!.split(', '),
      not_before: new Date(leaf.validFrom).toISOString(),
      not_after: new Date(leaf.validTo).toISOString(),
      valid: true,
    });
    expect(second.subject, 'every certificate of the chain').to.equal(new X509Certificate(certs.serving.ca).subject.split('\n').join(', '));
    expect(ca.validation_context.trusted_ca.certificates).to.have.length(1);
    expect(ca.validation_context.trusted_ca.certificates[0].subject).to.equal(new X509Certificate(certs.meshCa.cert).subject.split('\n').join(', '));
    expect(r.out).to.not.contain('BEGIN CERTIFICATE');
  });

  it('--names prints the SDS names only', async () => {
    const r = await captureOutput(() => proxyConfig(['gw-0', 'secrets', '--names', '--addr', addr]));
    expect(r.out).to.equal(resources.map((x) => `${x.name}\n`).join(''));
  });

  it('tells an expired or not yet valid certificate, and bytes that are no certificate', () => {
    const leaf = new X509Certificate(certs.serving.cert);
    const source = { inline_string: certs.serving.cert };
    const at = (d: Date) => (summarizeCertificates(source, d) as any).certificates[0].valid;
    expect(at(new Date(new Date(leaf.validTo).getTime() + 1000))).to.equal(false);
    expect(at(new Date(new Date(leaf.validFrom).getTime() - 1000))).to.equal(false);
    expect(summarizeCertificates({ inline_bytes: b64('not a certificate') })).to.deep.include({ bytes: 17 });
    expect((summarizeCertificates({ inline_bytes: b64('not a certificate') }) as any).error).to.match(/^not a certificate/);
    // DER bytes (inline_bytes of the raw certificate) are read too.
    expect((summarizeCertificates({ inline_bytes: leaf.raw.toString('base64') }) as any).certificates[0].serial_number).to.equal(leaf.serialNumber.toLowerCase());
  });

  it('redacts keys in any resource it prints, and leaves resources without inline material alone', () => {
    const cluster = { name: 'c', transport_socket: { typed_config: { common_tls_context: { tls_certificates: [{ certificate_chain: { filename: '/c' }, private_key: { inline_string: certs.serving.key } }] } } } };
    const shown = JSON.stringify(displayResource(cluster));
    expect(shown).to.not.contain('PRIVATE KEY');
    expect(shown).to.contain('"private_key":{"inline_string":"[redacted]"}');
    const plain = { name: 'outbound|80||a', type: 'EDS', eds_cluster_config: { service_name: 'a' } };
    expect(displayResource(plain)).to.deep.equal(plain);
  });
});
