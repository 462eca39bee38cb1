/**
 * Certificate rotation as proxyless gRPC sees it: a STRICT xDS server reads its workload certificate through the
 * bootstrap's file_watcher provider, and a certificate written anew into the directory (what the kubelet does when
 * `mizzen serve --rotate-workload-certs` renews the Secret) is the one it presents from the next refresh on,
 * without a restart, while mTLS calls keep working.
 */
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { KubeObject } from '../../../src/core/kube.js';
import { kubePod, kubeService } from '../../../src/demo/objects.js';
import { hello, startXdsBackend, type Backend } from '../../../src/demo/echo.js';
import { generateMeshCa, issueWorkloadCert, writeWorkloadCert, WorkloadCertFiles, type KeyPair, type WorkloadId } from '../../../src/certs/index.js';
import { eventually, startMesh, type Mesh } from '../../support/mesh.js';
import { freePort } from '../../support/ports.js';
import { scratchDir } from '../../support/tmp.js';

const object = (apiVersion: string, kind: string, name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion, kind, metadata: { name, namespace: 'default' }, spec });
const id = (serviceAccount: string): WorkloadId => ({ trustDomain: 'cluster.local', namespace: 'default', serviceAccount });

describe('real gRPC servers: a rotated workload certificate is picked up without a restart', function () {
  this.timeout(60_000);
  const dir = scratchDir('mizzen-rotation-');
  let mesh: Mesh;
  let server: Backend;
  let meshCa: KeyPair;
  let port: number;
  const serverDir = join(dir, 'rotating');
  const clientDir = join(dir, 'productpage');

  /** The certificate the server presents to an mTLS client now. */
  const presented = (): Promise<PeerCertificate> =>
    new Promise((resolve, reject) => {
      const file = (name: string) => readFileSync(join(clientDir, name));
      const socket = connect({ host: '127.0.0.85', port, ca: file(WorkloadCertFiles.root), cert: file(WorkloadCertFiles.certChain), key: file(WorkloadCertFiles.key), ALPNProtocols: ['h2'], checkServerIdentity: () => undefined }, () => {
        const peer = socket.getPeerCertificate();
        socket.destroy();
        resolve(peer);
      });
      socket.on('error', reject);
    });

  before(async () => {
    meshCa = await generateMeshCa();
    writeWorkloadCert(serverDir, await issueWorkloadCert(meshCa, id('rotating'), 1));
    writeWorkloadCert(clientDir, await issueWorkloadCert(meshCa, id('productpage')));
    mesh = await startMesh([{ service: 'plain', version: 'v1', ip: '127.0.0.86' }]);
    port = await freePort();
    await mesh.apply([
      kubeService({ name: 'rotating', port: 9080, targetPort: port }),
      kubePod({ name: 'rotating-1', ip: '127.0.0.85', app: 'rotating', version: 'v1', serviceAccount: 'rotating' }),
      object('security.istio.io/v1', 'PeerAuthentication', 'rotating', { selector: { matchLabels: { app: 'rotating' } }, mtls: { mode: 'STRICT' } }),
      object('networking.istio.io/v1', 'DestinationRule', 'rotating', { host: 'rotating', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }),
    ]);
    // The bootstrap as mizzen bootstrap --grpc --cert-dir writes it, re-reading the files every second instead of every 900.
    const bootstrap = mesh.bootstrap('default', { app: 'rotating' }, serverDir).replace('"refresh_interval":"900s"', '"refresh_interval":"1s"');
    expect(bootstrap).to.contain('"refresh_interval":"1s"');
    server = await startXdsBackend({ service: 'rotating', version: 'v1', ip: '127.0.0.85' }, port, bootstrap);
  });
  after(async () => {
    await server?.close();
    await mesh?.close();
  });

  it('serves the new certificate after the next refresh, and mTLS calls go on', async () => {
    const client = mesh.client('rotating.default.svc.cluster.local:9080', 'default', clientDir);
    const first = await eventually('an mTLS reply', async () => {
      const r = await hello(client, { deadlineMs: 3000 });
      return r.reply?.peer !== undefined ? r : undefined;
    });
    expect(first.reply).to.include({ service: 'rotating', peer: 'spiffe://cluster.local/ns/default/sa/productpage' });
    const before = await eventually('the STRICT listener', () => presented().catch(() => undefined));
    expect(before.subjectaltname).to.equal('URI:spiffe://cluster.local/ns/default/sa/rotating');

    // What the kubelet does with a renewed Secret: new files in the mounted directory (here: a 2-day certificate).
    writeWorkloadCert(serverDir, await issueWorkloadCert(meshCa, id('rotating'), 2));
    const after = await eventually('the renewed certificate', async () => {
      const peer = await presented().catch(() => undefined);
      return peer && peer.serialNumber !== before.serialNumber ? peer : undefined;
    }, 15_000, 200);
    expect(after.subjectaltname).to.equal('URI:spiffe://cluster.local/ns/default/sa/rotating');
    expect(Date.parse(after.valid_to) - Date.parse(before.valid_to)).to.be.greaterThan(23 * 60 * 60 * 1000);
    const again = await hello(client, { deadlineMs: 3000 });
    expect(again.reply).to.include({ service: 'rotating', peer: 'spiffe://cluster.local/ns/default/sa/productpage' });
  });
});
