import { expect } from 'chai';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { connect, createServer, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { CertFiles, generateMeshCa, issueWorkloadCert, readMeshCa, spiffeId, writeCerts, type WorkloadCert } from '../../src/certs/index.js';
import { testCerts } from '../support/certs.js';
import { scratchDir } from '../support/tmp.js';

const DAY = 24 * 60 * 60 * 1000;
const id = (serviceAccount: string, namespace = 'default', trustDomain = 'cluster.local') => ({ trustDomain, namespace, serviceAccount });

/** DER bytes of an extension's OID followed by `critical: TRUE`. */
const criticalExt = (lastArc: number) => Buffer.from([0x06, 0x03, 0x55, 0x1d, lastArc, 0x01, 0x01, 0xff]);

describe('certs: workload certificates', function () {
  this.timeout(20_000);

  it('spiffeId has the Istio form', () => {
    expect(spiffeId('cluster.local', 'shop', 'reviews')).to.equal('spiffe://cluster.local/ns/shop/sa/reviews');
  });

  it('is signed by the mesh CA with the SPIFFE URI as its only identity', async () => {
    const { meshCa } = await testCerts();
    const c = await issueWorkloadCert(meshCa, id('client'), 2);
    const cert = new X509Certificate(c.certChain);
    const ca = new X509Certificate(meshCa.cert);
    expect(c.root).to.equal(meshCa.cert);
    expect(c.certChain.match(/BEGIN CERTIFICATE/g)).to.have.length(1);
    expect(cert.checkIssued(ca)).to.equal(true);
    expect(cert.verify(ca.publicKey)).to.equal(true);
    expect(cert.subject).to.equal('O=mizzen');
    expect(cert.subjectAltName).to.equal('URI:spiffe://cluster.local/ns/default/sa/client');
    expect(cert.ca).to.equal(false);
    expect(cert.keyUsage).to.have.members(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(cert.raw.includes(criticalExt(0x11)), 'subjectAltName critical').to.equal(true);
    expect(cert.raw.includes(criticalExt(0x0f)), 'keyUsage critical').to.equal(true);
    expect(cert.checkPrivateKey(createPrivateKey(c.key))).to.equal(true);
    const from = Date.parse(cert.validFrom);
    expect(Date.parse(cert.validTo) - from).to.equal(2 * DAY);
    expect(from).to.be.below(Date.now());
  });

  const bad: Array<[string, ReturnType<typeof id>, RegExp]> = [
    ['an upper-case namespace', id('client', 'Shop'), /namespace: "Shop"/],
    ['an empty namespace', id('client', ''), /namespace: ""/],
    ['a dotted namespace', id('client', 'a.b'), /namespace: "a\.b"/],
    ['a service account with "_"', id('my_sa'), /serviceAccount: "my_sa"/],
    ['a service account ending in "-"', id('sa-'), /serviceAccount: "sa-"/],
    ['a too long service account', id('a'.repeat(254)), /serviceAccount: /],
    ['an empty trust domain', id('client', 'default', ''), /trustDomain: ""/],
    ['a trust domain with "/"', id('client', 'default', 'a/b'), /trustDomain: "a\/b"/],
  ];
  for (const [name, bogus, re] of bad) {
    it(`refuses ${name} naming the field`, async () => {
      const { meshCa } = await testCerts();
      let err: Error | undefined;
      await issueWorkloadCert(meshCa, bogus).catch((e: Error) => (err = e));
      expect(err?.message).to.match(re);
    });
  }

  it('accepts a dotted service account', async () => {
    const { meshCa } = await testCerts();
    const c = await issueWorkloadCert(meshCa, id('build.robot'));
    expect(new X509Certificate(c.certChain).subjectAltName).to.equal('URI:spiffe://cluster.local/ns/default/sa/build.robot');
  });
});

interface Handshake {
  /** The client's SAN as the server saw it, when the server accepted the client. */
  peerSan?: string;
  serverError?: Error;
  /** Whether the client verified the server (chain and SPIFFE id). */
  clientVerified: boolean;
}

/** One mTLS handshake between a server and a client holding workload certificates; each trusts only its own root. */
async function handshake(server: WorkloadCert, client: WorkloadCert, serverId: string): Promise<Handshake> {
  const srv = createServer({ key: server.key, cert: server.certChain, ca: server.root, requestCert: true, rejectUnauthorized: true });
  const serverSide = new Promise<Omit<Handshake, 'clientVerified'>>((resolve) => {
    srv.once('secureConnection', (s: TLSSocket) => {
      resolve({ peerSan: (s.getPeerCertificate() as PeerCertificate).subjectaltname });
      s.end();
    });
    srv.once('tlsClientError', (e: Error) => resolve({ serverError: e }));
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const sock = connect({
    host: '127.0.0.1',
    port: (srv.address() as AddressInfo).port,
    key: client.key,
    cert: client.certChain,
    ca: client.root,
    // No DNS name to check: the server's identity is its SPIFFE URI.
    checkServerIdentity: (_host, peer) => (peer.subjectaltname === `URI:${serverId}` ? undefined : new Error(`unexpected server identity ${peer.subjectaltname}`)),
  });
  // A refused client sees an alert or a reset (with TLS 1.3 possibly after its own handshake finished).
  const clientSide = new Promise<boolean>((resolve) => {
    sock.once('secureConnect', () => resolve(sock.authorized));
    sock.on('error', () => resolve(false));
  });
  try {
    const [serverResult, clientVerified] = await Promise.all([serverSide, clientSide]);
    return { ...serverResult, clientVerified };
  } finally {
    sock.destroy();
    srv.close();
  }
}

describe('certs: workload mTLS', function () {
  this.timeout(20_000);

  it('two workloads of the same mesh CA complete mTLS and see each other’s SPIFFE id', async () => {
    const { meshCa } = await testCerts();
    const [server, client] = await Promise.all([issueWorkloadCert(meshCa, id('server')), issueWorkloadCert(meshCa, id('client'))]);
    const r = await handshake(server, client, spiffeId('cluster.local', 'default', 'server'));
    expect(r.serverError).to.equal(undefined);
    expect(r.clientVerified).to.equal(true);
    expect(r.peerSan).to.equal('URI:spiffe://cluster.local/ns/default/sa/client');
  });

  it('a client with a certificate from another mesh CA is refused', async () => {
    const { meshCa } = await testCerts();
    const otherCa = await generateMeshCa('other.local');
    const server = await issueWorkloadCert(meshCa, id('server'));
    // The intruder trusts our root (so it would accept the server) but its own certificate is from elsewhere.
    const intruder = { ...(await issueWorkloadCert(otherCa, id('client'))), root: meshCa.cert };
    const r = await handshake(server, intruder, spiffeId('cluster.local', 'default', 'server'));
    expect(r.peerSan).to.equal(undefined);
    // With TLS 1.3 the server's refusal surfaces as a reset of the handshake, not as a verification message.
    expect(r.serverError).to.be.instanceOf(Error);
  });

  it('a client refuses a server that is not the SPIFFE id it expects', async () => {
    const { meshCa } = await testCerts();
    const [server, client] = await Promise.all([issueWorkloadCert(meshCa, id('impostor')), issueWorkloadCert(meshCa, id('client'))]);
    const r = await handshake(server, client, spiffeId('cluster.local', 'default', 'server'));
    expect(r.clientVerified).to.equal(false);
  });
});

describe('certs: readMeshCa', function () {
  this.timeout(20_000);

  it('reads the mesh CA that writeCerts wrote', async () => {
    const certs = await testCerts();
    const dir = scratchDir('mizzen-meshca-');
    writeCerts(dir, certs);
    const r = readMeshCa(dir);
    expect(r.ok && r.value).to.deep.equal(certs.meshCa);
  });

  it('names each missing file and says to run `mizzen certs`', () => {
    const dir = scratchDir('mizzen-meshca-');
    const r = readMeshCa(dir);
    expect(r.ok).to.equal(false);
    if (r.ok) return;
    expect(r.errors).to.have.length(2);
    expect(r.errors[0]).to.have.string(join(dir, CertFiles.meshCaCert)).and.match(/missing.*mizzen certs/);
    expect(r.errors[1]).to.have.string(join(dir, CertFiles.meshCaKey));
  });

  it('refuses a key that is not the certificate’s, and a certificate that is not a CA', async () => {
    const certs = await testCerts();
    const dir = scratchDir('mizzen-meshca-');
    writeFileSync(join(dir, CertFiles.meshCaCert), certs.meshCa.cert);
    writeFileSync(join(dir, CertFiles.meshCaKey), certs.serving.key);
    const mismatched = readMeshCa(dir);
    expect(!mismatched.ok && mismatched.errors[0]).to.match(/does not belong/);
    writeFileSync(join(dir, CertFiles.meshCaCert), certs.serving.cert);
    const leaf = readMeshCa(dir);
    expect(!leaf.ok && leaf.errors[0]).to.match(/not a CA/);
  });
});
