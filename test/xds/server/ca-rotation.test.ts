/**
 * xDS over TLS (15012) through a mesh CA rotation, over real TLS with gRPC clients, in `mizzen serve` and without a
 * restart: (1) a new root added to mesh-roots.crt, (2) the mesh CA switched with the old root kept, (3) the old root
 * dropped. Proxies holding either root, and certificates from either CA, keep working while both are trusted; a
 * stream opened before the rotation keeps being served.
 */
import { expect } from 'chai';
import { rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { TypeUrls } from '../../../src/core/constants.js';
import { DEFAULT_MESH_CONFIG } from '../../../src/config/mesh.js';
import { silentLogger } from '../../../src/core/log.js';
import { startServe, type RunningServe } from '../../../src/cmd/serve.js';
import type { XdsComponent } from '../../../src/xds/server/component.js';
import { CertFiles, generateAll, readMeshCa, writeCerts } from '../../../src/certs/files.js';
import { generateMeshCa, type KeyPair } from '../../../src/certs/generate.js';
import type { MeshCaHolder } from '../../../src/certs/mesh-ca.js';
import { issueWorkloadCert, type WorkloadCert } from '../../../src/certs/workload.js';
import { fingerprintsOf } from '../../../src/certs/trust.js';
import { scratchDir } from '../../support/tmp.js';
import { RawAds, struct } from './harness.js';

const XDS_NAME = DEFAULT_MESH_CONFIG.xdsTlsAddress.split(':')[0]!;
const NS = 'istio-system';
const fp = (pem: string): string => fingerprintsOf(pem)![0]!;
/** A gateway node, told apart from the others by its IP. */
const node = (ip: string) => ({ id: `router~${ip}~gw-${ip.split('.').pop()}.${NS}~${NS}.svc.cluster.local`, metadata: struct({ NAMESPACE: NS }) });

function put(dir: string, name: string, text: string): void {
  writeFileSync(join(dir, `.${name}.tmp`), text);
  renameSync(join(dir, `.${name}.tmp`), join(dir, name));
}

/** The SHA-256 fingerprint of the certificate 15012 presents to a client trusting `ca`, or the TLS error. */
function served(port: number, ca: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: XDS_NAME, ALPNProtocols: ['h2'] }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', (e) => resolve(`error: ${e.message}`));
  });
}

describe('xDS over TLS through a mesh CA rotation, without a restart', function () {
  this.timeout(30_000);
  let certs: string;
  let running: RunningServe;
  let a: KeyPair;
  let b: KeyPair;
  let fromA: WorkloadCert;
  let fromB: WorkloadCert;
  const open: RawAds[] = [];
  const xds = () => running.components.find((c) => c.name === 'xds') as XdsComponent;
  const holder = (): MeshCaHolder => {
    const r = running.ctx.meshCa(certs);
    if (!r.ok) throw new Error(r.errors.join('; '));
    return r.value as MeshCaHolder;
  };
  /** Files written, then read at once (the watch may have read them first: either way they are in force after). */
  const rotate = async (files: Array<[string, string | undefined]>): Promise<void> => {
    for (const [name, text] of files) text === undefined ? rmSync(join(certs, name)) : put(certs, name, text);
    await holder().reload();
  };
  const dial = (ip: string, trust: string, cert?: WorkloadCert): RawAds => {
    const c = new RawAds(xds().tlsPort(), false, { ca: trust, serverName: XDS_NAME, ...(cert ? { cert: cert.certChain, key: cert.key } : {}) });
    open.push(c);
    return c;
  };
  /** The identity 15012 saw for the gateway at `ip`, after it asked for its clusters ('' when it proved none). */
  const identityOf = async (ip: string, trust: string, cert?: WorkloadCert): Promise<string> => {
    const c = dial(ip, trust, cert);
    c.send({ node: node(ip), type_url: TypeUrls.cluster });
    expect((await c.next()).type_url).to.equal(TypeUrls.cluster);
    const syncz = xds().server()!.debug.syncz!({}) as Array<{ id: string; identity?: string }>;
    return syncz.find((p) => p.id === node(ip).id)?.identity ?? '';
  };
  const debugMeshCa = async () => JSON.parse((await running.monitoring.inject({ method: 'GET', url: '/debug/meshca' })).body);

  before(async () => {
    certs = scratchDir('mizzen-ca-rotation-');
    // An empty certs directory: serve writes the webhook certificate and the mesh CA A into it.
    running = await startServe({ webhookPort: 0, monitoringPort: 0, xdsPort: 0, xdsTlsPort: 0, host: '127.0.0.1', certsDir: certs, mesh: DEFAULT_MESH_CONFIG, log: silentLogger });
    const mesh = readMeshCa(certs);
    if (!mesh.ok) throw new Error(mesh.errors.join('; '));
    a = mesh.value;
    // The next CA as `mizzen certs` makes it: the same trust domain, a name of its own.
    b = await generateMeshCa();
    const id = { trustDomain: 'cluster.local', namespace: NS, serviceAccount: 'istio-ingressgateway' };
    [fromA, fromB] = await Promise.all([issueWorkloadCert(a, id), issueWorkloadCert(b, id)]);
  });
  afterEach(() => open.splice(0).forEach((c) => c.close()));
  after(async () => running?.shutdown());

  it('before, during and after: who connects, what is served, who is identified', async () => {
    const both = `${a.cert}\n${b.cert}`;
    const gw = 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway';
    // Before: A alone. A stream opened now must live through the rotation.
    const early = dial('10.9.0.1', a.cert, fromA);
    early.send({ node: node('10.9.0.1'), type_url: TypeUrls.cluster });
    expect((await early.next()).type_url).to.equal(TypeUrls.cluster);
    expect(await served(xds().tlsPort(), a.cert)).to.not.match(/^error: /);
    expect(await identityOf('10.9.0.2', a.cert, fromB), 'B is not trusted yet').to.equal('');

    // 1. B added to the bundle: A still signs 15012's certificate, and client certificates from B are now accepted.
    await rotate([[CertFiles.meshRoots, b.cert]]);
    expect((await debugMeshCa())[0].roots.map((r: { fingerprint: string }) => r.fingerprint)).to.deep.equal([fp(a.cert), fp(b.cert)]);
    expect(await served(xds().tlsPort(), b.cert)).to.match(/^error: /);
    expect(await identityOf('10.9.0.3', a.cert, fromB)).to.equal(gw);

    // 2. B signs, A kept in the bundle (written with both first: no moment where A alone is the bundle).
    await rotate([[CertFiles.meshRoots, both], [CertFiles.meshCaCert, b.cert], [CertFiles.meshCaKey, b.key]]);
    const report = (await debugMeshCa())[0];
    expect(report.ca.fingerprint).to.equal(fp(b.cert));
    expect(report.roots.map((r: { source: string }) => r.source)).to.deep.equal(['mesh-ca.crt', 'mesh-roots.crt']);
    expect(await served(xds().tlsPort(), b.cert), 'a client trusting only the new root connects').to.not.match(/^error: /);
    expect(await served(xds().tlsPort(), a.cert), 'the certificate is the new CA\'s').to.match(/^error: /);
    const onlyA = dial('10.9.0.4', a.cert);
    onlyA.send({ node: node('10.9.0.4'), type_url: TypeUrls.cluster });
    expect((await onlyA.ended(10_000)).code).to.equal(grpc.status.UNAVAILABLE);
    expect(await identityOf('10.9.0.5', b.cert, fromA), 'a certificate from the old CA is still accepted').to.equal(gw);
    expect(await identityOf('10.9.0.6', both, fromB)).to.equal(gw);
    // The stream opened before the rotation is still served.
    early.send({ node: node('10.9.0.1'), type_url: TypeUrls.listener });
    expect((await early.next()).type_url).to.equal(TypeUrls.listener);

    // 3. A dropped: a certificate from A proves nothing any more (the stream is served, unidentified).
    await rotate([[CertFiles.meshRoots, undefined]]);
    expect((await debugMeshCa())[0].roots).to.have.length(1);
    expect(await identityOf('10.9.0.7', b.cert, fromA)).to.equal('');
    expect(await identityOf('10.9.0.8', b.cert, fromB)).to.equal(gw);
    expect(early.status, 'the early stream was never ended').to.equal(undefined);
    // Three changes applied (a pair the watch caught half written may have been refused on the way).
    expect((await debugMeshCa())[0].reloads.applied).to.equal(3);
  });

  it('a bad bundle at start turns xDS over TLS off with a warning naming the file; serve runs, and /debug/meshca has nothing', async () => {
    const dir = scratchDir('mizzen-ca-rotation-bad-');
    writeCerts(dir, await generateAll());
    writeFileSync(join(dir, CertFiles.meshRoots), 'not a certificate\n');
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (...w: unknown[]) => void warnings.push(String(w.at(-1))), child: () => log } as unknown as typeof silentLogger;
    const bare = await startServe({ webhookPort: 0, monitoringPort: 0, xdsPort: 0, xdsTlsPort: 0, host: '127.0.0.1', certsDir: dir, mesh: DEFAULT_MESH_CONFIG, log });
    try {
      expect((bare.components.find((c) => c.name === 'xds') as XdsComponent).tlsPort()).to.equal(0);
      expect(warnings).to.deep.equal([`xds over TLS is off: no mesh CA: ${join(dir, 'mesh-roots.crt')}: no PEM certificate in it (delete the file to trust ${join(dir, 'mesh-ca.crt')} alone) (sidecars with mesh certificates dial ${DEFAULT_MESH_CONFIG.xdsTlsAddress})`]);
      expect((await bare.monitoring.inject({ method: 'GET', url: '/debug/meshca' })).statusCode).to.equal(404);
    } finally {
      await bare.shutdown();
    }
  });
});
