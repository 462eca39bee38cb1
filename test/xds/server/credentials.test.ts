import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { TypeUrls } from '../../../src/core/constants.js';
import { DEFAULT_MESH_CONFIG } from '../../../src/config/mesh.js';
import { silentLogger } from '../../../src/core/log.js';
import { startServe, type RunningServe } from '../../../src/cmd/serve.js';
import type { XdsComponent } from '../../../src/xds/server/component.js';
import { readMeshCa } from '../../../src/certs/files.js';
import { generateCa, generateServingCert, type KeyPair } from '../../../src/certs/generate.js';
import { issueWorkloadCert, type WorkloadCert } from '../../../src/certs/workload.js';
import { RawAds, struct } from './harness.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const docs = (...objs: object[]): string => objs.map((o) => stringify(o)).join('---\n');
const GATEWAY_NS = 'istio-system';
const CERT = 'kubernetes://bookinfo-cert';
const MUTUAL = 'kubernetes://mutual-cert';
const MUTUAL_CA = 'kubernetes://mutual-cert-cacert';

const gateway = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'Gateway',
  metadata: { name: 'bookinfo', namespace: GATEWAY_NS },
  spec: {
    selector: { istio: 'ingressgateway' },
    servers: [
      { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['bookinfo.example.com'], tls: { mode: 'SIMPLE', credentialName: 'bookinfo-cert' } },
      { port: { number: 8443, name: 'https-mutual', protocol: 'HTTPS' }, hosts: ['mutual.example.com'], tls: { mode: 'MUTUAL', credentialName: 'mutual-cert' } },
    ],
  },
};
const secret = (name: string, namespace: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'kubernetes.io/tls', data });
const routerNode = (ns = GATEWAY_NS) => ({
  id: `router~10.2.0.1~istio-ingressgateway-abc.${ns}~${ns}.svc.cluster.local`,
  metadata: struct({ NAMESPACE: ns, LABELS: { istio: 'ingressgateway' } }),
});
const XDS_NAME = DEFAULT_MESH_CONFIG.xdsTlsAddress.split(':')[0]!;

describe('xDS over TLS: gateways that prove their identity get their credentialName Secrets over SDS', () => {
  let dir: string;
  let certs: string;
  let running: RunningServe;
  let meshCa: KeyPair;
  let server: KeyPair;
  let clientCa: KeyPair;
  let gatewayCert: WorkloadCert;
  const warnings: string[] = [];
  const log = { ...silentLogger, warn: (...a: unknown[]) => void warnings.push(String(a.at(-1))), child: () => log } as unknown as typeof silentLogger;
  const open: RawAds[] = [];
  const xds = () => running.components.find((c) => c.name === 'xds') as XdsComponent;
  const dial = (cert?: { certChain: string; key: string }): RawAds => {
    const c = new RawAds(xds().tlsPort(), false, { ca: meshCa.cert, serverName: XDS_NAME, ...(cert ? { cert: cert.certChain, key: cert.key } : {}) });
    open.push(c);
    return c;
  };
  const askSecrets = async (c: RawAds, names = [CERT, MUTUAL, MUTUAL_CA], ns = GATEWAY_NS) => {
    c.send({ node: routerNode(ns), type_url: TypeUrls.secret, resource_names: names });
    return c.next();
  };

  const writeGateway = (serving: KeyPair): void =>
    writeFileSync(
      join(dir, 'gateway.yaml'),
      docs(
        gateway,
        secret('bookinfo-cert', GATEWAY_NS, { 'tls.crt': b64(serving.cert), 'tls.key': b64(serving.key) }),
        secret('mutual-cert', GATEWAY_NS, { 'tls.crt': b64(server.cert), 'tls.key': b64(server.key), 'ca.crt': b64(clientCa.cert) }),
        // Same name in another namespace: never the gateway's.
        secret('bookinfo-cert', 'default', { 'tls.crt': b64(clientCa.cert), 'tls.key': b64(clientCa.key) }),
      ),
    );

  before(async () => {
    const ca = await generateCa('test credentials CA');
    server = await generateServingCert(ca, ['bookinfo.example.com']);
    clientCa = await generateCa('test client CA');
    dir = mkdtempSync(join(tmpdir(), 'mizzen-credentials-'));
    writeGateway(server);
    certs = mkdtempSync(join(tmpdir(), 'mizzen-credentials-certs-'));
    running = await startServe({ webhookPort: 0, monitoringPort: 0, xdsPort: 0, xdsTlsPort: 0, host: '127.0.0.1', certsDir: certs, mesh: DEFAULT_MESH_CONFIG, configDir: dir, log });
    const mesh = readMeshCa(certs);
    if (!mesh.ok) throw new Error(mesh.errors.join('; '));
    meshCa = mesh.value;
    gatewayCert = await issueWorkloadCert(meshCa, { trustDomain: 'cluster.local', namespace: GATEWAY_NS, serviceAccount: 'istio-ingressgateway' });
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  after(async () => {
    await running?.shutdown();
    rmSync(dir, { recursive: true, force: true });
    rmSync(certs, { recursive: true, force: true });
  });

  it('serves the certificate, key and client CA of the Secrets in the gateway namespace, as inline bytes', async () => {
    const r = await askSecrets(dial(gatewayCert));
    const byName = new Map(r.resources.map((x) => [x.name as string, x as any]));
    expect([...byName.keys()].sort()).to.deep.equal([CERT, MUTUAL, MUTUAL_CA]);
    const tls = byName.get(CERT).tls_certificate;
    expect(Buffer.from(tls.certificate_chain.inline_bytes, 'base64').toString()).to.equal(server.cert);
    expect(Buffer.from(tls.private_key.inline_bytes, 'base64').toString()).to.equal(server.key);
    expect(Buffer.from(byName.get(MUTUAL_CA).validation_context.trusted_ca.inline_bytes, 'base64').toString()).to.equal(clientCa.cert);
    // /debug/syncz (proxy-status) shows who it proved to be.
    const syncz = xds().server()!.debug.syncz!({}) as Array<{ id: string; identity?: string }>;
    expect(syncz.find((p) => p.id.startsWith('router~'))?.identity).to.equal('spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway');
  });

  it('serves nothing of them to a gateway without a client certificate, on the TLS port or plaintext, and says why once', async () => {
    warnings.length = 0;
    const plain = new RawAds(xds().port());
    open.push(plain);
    for (const c of [dial(), plain]) {
      const r = await askSecrets(c);
      expect(r.resources).to.deep.equal([]);
      c.ack(r, [CERT, MUTUAL, MUTUAL_CA]);
      // The rest of its configuration still comes.
      c.send({ node: routerNode(), type_url: TypeUrls.listener });
      expect((await c.next()).resources.map((x) => x.name)).to.include('0.0.0.0_443');
    }
    // Once per stream and name (3 names, 2 streams), though each stream asked twice (its request, its ACK).
    expect(warnings.filter((w) => w.includes('is not served: the proxy did not prove its identity'))).to.have.length(6);
  });

  it('says why a credential it asks for is not served: no such Secret', async () => {
    warnings.length = 0;
    const c = dial(gatewayCert);
    const r = await askSecrets(c, [CERT, 'kubernetes://missing']);
    expect(r.resources.map((x) => x.name)).to.deep.equal([CERT]);
    c.ack(r, [CERT, 'kubernetes://missing']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(warnings).to.deep.equal([
      'xds: credential kubernetes://missing is not served: no Secret istio-system/missing with a certificate and key (tls.crt and tls.key, or cert and key) or a CA (ca.crt or cacert)',
    ]);
  });

  it('refuses a gateway whose certificate names another namespace, and keeps serving', async () => {
    const other = await issueWorkloadCert(meshCa, { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'istio-ingressgateway' });
    const c = dial(other);
    c.send({ node: routerNode(), type_url: TypeUrls.secret, resource_names: [CERT] });
    const status = await c.ended();
    expect(status.code).to.equal(grpc.status.PERMISSION_DENIED);
    expect(status.details).to.contain('spiffe://cluster.local/ns/default/sa/istio-ingressgateway is for namespace default').and.contain('namespace istio-system');
    // In its own namespace it is who it says: it gets that namespace's bookinfo-cert (the default one).
    const r = await askSecrets(dial(other), [CERT], 'default');
    expect(r.resources).to.have.length(1);
    expect(Buffer.from((r.resources[0] as any).tls_certificate.certificate_chain.inline_bytes, 'base64').toString()).to.equal(clientCa.cert);
    expect((await askSecrets(dial(gatewayCert))).resources).to.have.length(3);
  });

  it('treats a certificate the mesh CA did not sign as none: connected, no credentials', async () => {
    const foreign = await generateServingCert(clientCa, ['istio-ingressgateway.istio-system']);
    const r = await askSecrets(dial({ certChain: foreign.cert, key: foreign.key }));
    expect(r.resources).to.deep.equal([]);
  });

  it('pushes a renewed certificate when the Secret changes', async () => {
    const c = dial(gatewayCert);
    const first = await askSecrets(c, [CERT]);
    c.ack(first, [CERT]);
    const renewed = await generateServingCert(await generateCa('renewed CA'), ['bookinfo.example.com']);
    writeGateway(renewed);
    const next = await c.next(10_000);
    expect(next.resources.map((x) => x.name)).to.deep.equal([CERT]);
    expect(Buffer.from((next.resources[0] as any).tls_certificate.certificate_chain.inline_bytes, 'base64').toString()).to.equal(renewed.cert);
    writeGateway(server);
  });

  it('a sidecar that proves its identity is served its namespace credentials too (a DestinationRule credentialName)', async () => {
    const sidecarCert = await issueWorkloadCert(meshCa, { trustDomain: 'cluster.local', namespace: GATEWAY_NS, serviceAccount: 'client' });
    const c = dial(sidecarCert);
    c.send({ node: { id: `sidecar~10.2.0.7~client-1.${GATEWAY_NS}~${GATEWAY_NS}.svc.cluster.local`, metadata: struct({ NAMESPACE: GATEWAY_NS }) }, type_url: TypeUrls.secret, resource_names: [MUTUAL, MUTUAL_CA] });
    expect((await c.next()).resources.map((x) => x.name).sort()).to.deep.equal([MUTUAL, MUTUAL_CA]);
  });
});
