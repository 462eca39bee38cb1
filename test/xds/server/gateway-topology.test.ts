/**
 * gatewayTopology through the ADS server with a raw gRPC client: the PROXY_CONFIG a gateway sends in its node
 * (a google.protobuf.Struct on the wire) decides its listeners over the mesh config's; one that does not read is
 * ignored with a warning in /debug/syncz, and the stream is served the mesh's.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TypeUrls } from '../../../src/core/constants.js';
import { parseDocuments } from '../../../src/core/documents.js';
import type { KubeObject } from '../../../src/core/kube.js';
import { resolveMeshConfig } from '../../../src/config/mesh.js';
import { silentLogger } from '../../../src/core/log.js';
import { BOOKINFO_NETWORKING } from '../../support/samples.js';
import { startServer, type Harness } from './harness.js';

/** A plain value as a google.protobuf.Value the way protobufjs takes it (camelCase well-known fields). */
function value(v: unknown): unknown {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(value) } };
  return { structValue: struct(v as Record<string, unknown>) };
}
const struct = (o: Record<string, unknown>): unknown => ({ fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, value(v)])) });

const routerNode = (pod: string, meta: Record<string, unknown> = {}) => ({
  id: `router~10.2.0.1~${pod}.istio-system~istio-system.svc.cluster.local`,
  metadata: struct({ NAMESPACE: 'istio-system', LABELS: { istio: 'ingressgateway' }, ...meta }),
});

describe('ADS: a gateway node says its gatewayTopology in PROXY_CONFIG', () => {
  let h: Harness;
  const logged: string[] = [];
  const log = { ...silentLogger, warn: (...a: unknown[]) => void logged.push(String(a.at(-1))), child: () => log } as unknown as typeof silentLogger;
  before(async () => {
    const mesh = resolveMeshConfig({ defaultConfig: { gatewayTopology: { numTrustedProxies: 3 } } });
    if (!mesh.ok) throw new Error(mesh.errors.join('; '));
    const objects = parseDocuments(readFileSync(join(BOOKINFO_NETWORKING, 'bookinfo-gateway.yaml'), 'utf8')).map((d) => d.value as KubeObject);
    h = await startServer(objects, { mesh: mesh.value, log });
  });
  after(async () => h.close());

  /** The 8080 listener the gateway is sent: its listener filters, and its connection manager's topology fields. */
  async function listenerOf(node: unknown) {
    const c = h.connect();
    c.send({ node, type_url: TypeUrls.listener });
    const r = await c.next();
    c.ack(r);
    const l = r.resources.find((x: any) => x.name === '0.0.0.0_8080') as any;
    const hcm = l.filter_chains[0].filters.at(-1).typed_config;
    return { filters: (l.listener_filters ?? []).map((f: any) => f.name), hops: hcm.xff_num_trusted_hops, fcc: hcm.forward_client_cert_details, remote: hcm.use_remote_address?.value };
  }

  it("serves the node's own topology, the mesh's to a node without PROXY_CONFIG, and the mesh's (with a warning) for one that does not read", async () => {
    const own = await listenerOf(routerNode('gw-own', { PROXY_CONFIG: { gatewayTopology: { numTrustedProxies: 1, forwardClientCertDetails: 'FORWARD_ONLY', proxyProtocol: {} } } }));
    expect(own).to.deep.equal({ filters: ['envoy.filters.listener.proxy_protocol'], hops: 1, fcc: 'FORWARD_ONLY', remote: true });
    const meshs = await listenerOf(routerNode('gw-mesh'));
    expect(meshs).to.deep.equal({ filters: [], hops: 3, fcc: 'SANITIZE_SET', remote: true });
    const bad = await listenerOf(routerNode('gw-bad', { PROXY_CONFIG: { gatewayTopology: { numTrustedProxies: -4 } } }));
    expect(bad).to.deep.equal(meshs);
    await h.server.settled();
    const syncz = h.server.debug.syncz!({}) as any[];
    const warnings = Object.fromEntries(syncz.map((s) => [s.id.split('~')[2], s.warnings]));
    expect(warnings['gw-own.istio-system']).to.equal(undefined);
    const why = "node.metadata.PROXY_CONFIG.gatewayTopology.numTrustedProxies: must be a whole number from 0 to 4294967295, got -4; PROXY_CONFIG ignored, the mesh config's defaultConfig applies";
    expect(warnings['gw-bad.istio-system']).to.deep.equal([why]);
    expect(logged, 'said in the log once, when the proxy connects').to.deep.equal([`xds: ${why}`]);
  });
});
