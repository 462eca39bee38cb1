import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { DEFAULT_MESH_CONFIG } from '../../../src/config/mesh.js';
import { silentLogger } from '../../../src/core/log.js';
import { CertFiles } from '../../../src/certs/files.js';
import { generateCa, generateMeshCa, generateServingCert, type KeyPair } from '../../../src/certs/generate.js';
import { servingRenewal } from '../../../src/certs/renewal.js';
import { ConfigStore } from '../../../src/model/store.js';
import { createXdsServer } from '../../../src/xds/server/index.js';
import { XdsTlsMaterial } from '../../../src/xds/server/tls-material.js';
import { MeshCaHolder } from '../../../src/certs/mesh-ca.js';

const HOUR = 60 * 60 * 1000;
const XDS_NAME = DEFAULT_MESH_CONFIG.xdsTlsAddress.split(':')[0]!;

/** The SHA-256 fingerprint of the certificate a TLS port presents (ALPN h2, as gRPC clients ask). */
function servedCertificate(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: XDS_NAME, ALPNProtocols: ['h2'] }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fp);
    });
    socket.on('error', reject);
  });
}

/** Writes a mesh CA as `mizzen certs` does, each file swapped in whole. */
function writeMeshCa(dir: string, ca: KeyPair): void {
  for (const [name, text] of [[CertFiles.meshCaCert, ca.cert], [CertFiles.meshCaKey, ca.key]] as const) {
    writeFileSync(join(dir, `.${name}.tmp`), text);
    renameSync(join(dir, `.${name}.tmp`), join(dir, name));
  }
}

/** The mesh CA of `dir`, as serve's ctx.meshCa opens it (not watching: the tests reload it). */
function authority(dir: string): MeshCaHolder {
  const r = MeshCaHolder.open(dir);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}

describe('xDS over TLS: the serving certificate is renewed as it ages', () => {
  it('servingRenewal: fresh, signed by another CA, two thirds of its life gone', async () => {
    const ca = await generateCa('renewal CA');
    const cert = await generateServingCert(ca, ['mizzen.mizzen-system.svc'], 3);
    expect(servingRenewal(cert.cert, ca.cert, Date.now()).due).to.equal(false);
    expect(servingRenewal(cert.cert, (await generateCa('other')).cert, Date.now())).to.deep.equal({ due: true, reason: 'not signed by the mesh CA' });
    const aged = servingRenewal(cert.cert, ca.cert, Date.now() + 49 * HOUR);
    expect(aged.due).to.equal(true);
    expect(aged.reason).to.match(/^6[78] % of its lifetime has passed$/);
    expect(servingRenewal('junk', ca.cert, Date.now())).to.deep.equal({ due: true, reason: 'no readable certificate' });
  });

  it('signs a new certificate when the current one ages, and not before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mizzen-xds-tls-'));
    let now = Date.now();
    writeMeshCa(dir, await generateMeshCa());
    const m = await XdsTlsMaterial.create({ authority: authority(dir), names: ['mizzen.mizzen-system.svc'], log: silentLogger, days: 1, now: () => now });
    try {
      const first = m.certificate;
      await m.refresh();
      expect(m.certificate, 'fresh: kept').to.equal(first);
      now += 17 * HOUR;
      await m.refresh();
      expect(m.certificate, 'two thirds of a day gone: renewed').to.not.equal(first);
    } finally {
      m.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a renewed certificate is what the bound port serves from then on (credentials changed in place)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mizzen-xds-tls-port-'));
    let now = Date.now();
    const ca = await generateMeshCa();
    writeMeshCa(dir, ca);
    const meshCa = authority(dir);
    const m = await XdsTlsMaterial.create({ authority: meshCa, names: [XDS_NAME], log: silentLogger, days: 1, now: () => now });
    const server = createXdsServer({ store: new ConfigStore(), mesh: DEFAULT_MESH_CONFIG });
    try {
      const port = await server.listen(0, '127.0.0.1', m.creds);
      const first = m.certificate;
      expect(await servedCertificate(port, ca.cert)).to.equal(new X509Certificate(first).fingerprint256);
      now += 17 * HOUR;
      await m.refresh();
      expect(m.certificate).to.not.equal(first);
      expect(await servedCertificate(port, ca.cert)).to.equal(new X509Certificate(m.certificate).fingerprint256);
      // A mesh CA that proxies do not trust yet is not taken up (the holder refuses it), so nor is it here.
      writeMeshCa(dir, await generateMeshCa());
      expect((await meshCa.reload()).result).to.equal('rejected');
      now += 17 * HOUR;
      await m.refresh();
      expect(new X509Certificate(m.certificate).verify(new X509Certificate(ca.cert).publicKey)).to.equal(true);
    } finally {
      m.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
