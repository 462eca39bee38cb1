import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { TypeUrls } from '../../../src/core/constants.js';
import { DEFAULT_MESH_CONFIG } from '../../../src/config/mesh.js';
import { silentLogger } from '../../../src/core/log.js';
import { startServe, type RunningServe } from '../../../src/cmd/serve.js';
import type { XdsComponent } from '../../../src/xds/server/component.js';
import { readMeshCa, CertFiles } from '../../../src/certs/files.js';
import { generateCa, generateMeshCa, generateServingCert, type KeyPair } from '../../../src/certs/generate.js';
import { servingRenewal } from '../../../src/certs/renewal.js';
import { issueWorkloadCert } from '../../../src/certs/workload.js';
import { XdsTlsMaterial } from '../../../src/xds/server/tls-material.js';
import { RawAds, node } from './harness.js';

const HOUR = 60 * 60 * 1000;
const XDS_NAME = DEFAULT_MESH_CONFIG.xdsTlsAddress.split(':')[0]!;

/** Writes a mesh CA as `mizzen certs` does, each file swapped in whole. */
function writeMeshCa(dir: string, ca: KeyPair): void {
  for (const [name, text] of [[CertFiles.meshCaCert, ca.cert], [CertFiles.meshCaKey, ca.key]] as const) {
    writeFileSync(join(dir, `.${name}.tmp`), text);
    renameSync(join(dir, `.${name}.tmp`), join(dir, name));
  }
}

describe('xDS over TLS: the serving certificate and client CA follow the mesh CA', () => {
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
    const m = await XdsTlsMaterial.create({ dir, names: ['mizzen.mizzen-system.svc'], log: silentLogger, days: 1, now: () => now });
    if (typeof m === 'string') throw new Error(m);
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

  it('says why it is off without a mesh CA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mizzen-xds-tls-empty-'));
    try {
      expect(await XdsTlsMaterial.create({ dir, names: ['x'], log: silentLogger })).to.match(/^no mesh CA: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('mizzen serve, its mesh CA rotated in the certs directory', () => {
    let config: string;
    let certs: string;
    let running: RunningServe;
    const open: RawAds[] = [];
    const xds = () => running.components.find((c) => c.name === 'xds') as XdsComponent;
    const dial = (ca: string, client?: { certChain: string; key: string }): RawAds => {
      const c = new RawAds(xds().tlsPort(), false, { ca, serverName: XDS_NAME, ...(client ? { cert: client.certChain, key: client.key } : {}) });
      open.push(c);
      return c;
    };
    /** Whether a client trusting `ca` gets a response (a refused handshake ends the stream UNAVAILABLE). */
    const reaches = async (ca: string): Promise<boolean> => {
      const c = dial(ca);
      c.send({ node: node('productpage'), type_url: TypeUrls.cluster });
      const first = await Promise.race([c.next(10_000).then(() => true), c.ended(10_000).then(() => false)]);
      c.close();
      return first;
    };

    before(async () => {
      config = mkdtempSync(join(tmpdir(), 'mizzen-xds-tls-config-'));
      certs = mkdtempSync(join(tmpdir(), 'mizzen-xds-tls-certs-'));
      writeFileSync(join(config, 'empty.yaml'), '');
      running = await startServe({ webhookPort: 0, monitoringPort: 0, xdsPort: 0, xdsTlsPort: 0, host: '127.0.0.1', certsDir: certs, mesh: DEFAULT_MESH_CONFIG, configDir: config, log: silentLogger });
    });
    afterEach(() => {
      for (const c of open.splice(0)) c.close();
    });
    after(async () => {
      await running?.shutdown();
      rmSync(config, { recursive: true, force: true });
      rmSync(certs, { recursive: true, force: true });
    });

    it('serves with a certificate of the new CA, checks client certificates against it, and refuses clients of the old one', async () => {
      const old = readMeshCa(certs);
      if (!old.ok) throw new Error(old.errors.join());
      expect(await reaches(old.value.cert)).to.equal(true);
      const next = await generateMeshCa();
      writeMeshCa(certs, next);
      const deadline = Date.now() + 10_000;
      while (!(await reaches(next.cert))) {
        if (Date.now() > deadline) throw new Error('the new mesh CA was not picked up within 10 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await reaches(old.value.cert), 'a client that trusts only the old CA').to.equal(false);
      // A client certificate of the new CA proves its identity: one of another namespace is refused as such.
      const other = await issueWorkloadCert(next, { trustDomain: 'cluster.local', namespace: 'elsewhere', serviceAccount: 'x' });
      const c = dial(next.cert, other);
      c.send({ node: node('productpage'), type_url: TypeUrls.cluster });
      const status = await c.ended();
      expect(status.code).to.equal(grpc.status.PERMISSION_DENIED);
      expect(status.details).to.contain('spiffe://cluster.local/ns/elsewhere/sa/x');
    });
  });
});
