/**
 * ProxyConfig's gatewayTopology on gateway listeners, as istiod applies it: numTrustedProxies as the connection
 * managers' xff_num_trusted_hops, forwardClientCertDetails (SANITIZE_SET when unset), proxyProtocol as the first
 * listener filter; the gateway's PROXY_CONFIG node metadata decides whole, else the mesh's defaultConfig. Sidecars
 * are left as they are.
 */
import { expect } from 'chai';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate, proxyScope } from '../../../src/xds/gen/index.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import type { Snapshot } from '../../../src/model/types.js';
import { GATEWAY, PRODUCTPAGE, REVIEWS_V1, bookinfo, expectValid, proxy, yamlObjects } from './helpers.js';

const HCM = 'envoy.filters.network.http_connection_manager';
const PROXY_PROTOCOL = 'envoy.filters.listener.proxy_protocol';
const TLS_INSPECTOR = 'envoy.filters.listener.tls_inspector';
const LABELS = { istio: 'ingressgateway' };

/** A TLS passthrough server beside Bookinfo's HTTP one: its listener has no connection manager. */
const PASSTHROUGH = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: passthrough, namespace: default }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 8443, name: tls, protocol: TLS }, hosts: [reviews.example.com], tls: { mode: PASSTHROUGH } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews-tls, namespace: default }
spec:
  hosts: [reviews.example.com]
  gateways: [passthrough]
  tls: [{ match: [{ port: 8443, sniHosts: [reviews.example.com] }], route: [{ destination: { host: reviews, port: { number: 9080 } } }] }]`;

function snapshot(defaultConfig?: unknown): Snapshot {
  const r = resolveMeshConfig(defaultConfig === undefined ? {} : { defaultConfig });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return buildSnapshot([...bookinfo('bookinfo-gateway.yaml'), ...yamlObjects(PASSTHROUGH)], snapshotOptions(r.value));
}

const gateway = (metadata: Record<string, unknown> = {}) => proxy(GATEWAY, { LABELS, ...metadata });

function listeners(snap: Snapshot, id: ReturnType<typeof proxy>): any[] {
  const out = generate(snap, id, TypeUrls.listener);
  expectValid(TypeUrls.listener, out);
  return out.map((l) => l.resource);
}

/** The fields the topology sets on each connection manager of the listeners, and each listener's listener filters. */
function applied(ls: any[]) {
  const managers = ls.flatMap((l) => l.filter_chains.flatMap((c: any) => c.filters.filter((f: any) => f.name === HCM).map((f: any) => f.typed_config)));
  return {
    managers: managers.map((m: any) => ({ remote: m.use_remote_address?.value, hops: m.xff_num_trusted_hops, fcc: m.forward_client_cert_details, set: m.set_current_client_cert_details })),
    listenerFilters: Object.fromEntries(ls.map((l) => [l.name, (l.listener_filters ?? []).map((f: any) => f.name)])),
  };
}

const SET = { subject: { value: true }, cert: true, dns: true, uri: true };
const TOPOLOGY = { numTrustedProxies: 2, forwardClientCertDetails: 'FORWARD_ONLY', proxyProtocol: {} };

describe("ProxyConfig's gatewayTopology on gateways", () => {
  it("without one: the client's address, no trusted X-Forwarded-For hops, x-forwarded-client-cert SANITIZE_SET (istiod's gateway default)", () => {
    const got = applied(listeners(snapshot(), gateway()));
    expect(got.managers).to.deep.equal([{ remote: true, hops: undefined, fcc: 'SANITIZE_SET', set: SET }]);
    expect(got.listenerFilters).to.deep.equal({ '0.0.0.0_8080': [], '0.0.0.0_8443': [TLS_INSPECTOR] });
  });

  it("the mesh's defaultConfig: numTrustedProxies, forwardClientCertDetails, and the PROXY protocol first on every listener", () => {
    const got = applied(listeners(snapshot({ gatewayTopology: TOPOLOGY }), gateway()));
    // FORWARD_ONLY sets no header of its own, so no fields of it.
    expect(got.managers).to.deep.equal([{ remote: true, hops: 2, fcc: 'FORWARD_ONLY', set: undefined }]);
    expect(got.listenerFilters).to.deep.equal({ '0.0.0.0_8080': [PROXY_PROTOCOL], '0.0.0.0_8443': [PROXY_PROTOCOL, TLS_INSPECTOR] });
  });

  it("the gateway's PROXY_CONFIG decides whole: its gatewayTopology over the mesh's, and none when it has none", () => {
    const snap = snapshot({ gatewayTopology: TOPOLOGY });
    const own = applied(listeners(snap, gateway({ PROXY_CONFIG: { gatewayTopology: { numTrustedProxies: 1 } } })));
    expect(own.managers).to.deep.equal([{ remote: true, hops: 1, fcc: 'SANITIZE_SET', set: SET }]);
    expect(own.listenerFilters['0.0.0.0_8080']).to.deep.equal([]);
    const none = applied(listeners(snap, gateway({ PROXY_CONFIG: { concurrency: 2 } })));
    expect(none.managers).to.deep.equal([{ remote: true, hops: undefined, fcc: 'SANITIZE_SET', set: SET }]);
    // Proto names, and an enum by number (3: APPEND_FORWARD), as the node's Struct may carry them.
    const proto = applied(listeners(snapshot(), gateway({ PROXY_CONFIG: { gateway_topology: { num_trusted_proxies: 3, forward_client_cert_details: 3, proxy_protocol: {} } } })));
    expect(proto.managers).to.deep.equal([{ remote: true, hops: 3, fcc: 'APPEND_FORWARD', set: SET }]);
    expect(proto.listenerFilters['0.0.0.0_8443']).to.deep.equal([PROXY_PROTOCOL, TLS_INSPECTOR]);
  });

  for (const [fcc, set] of [
    ['SANITIZE', undefined],
    ['FORWARD_ONLY', undefined],
    ['APPEND_FORWARD', SET],
    ['SANITIZE_SET', SET],
    ['ALWAYS_FORWARD_ONLY', undefined],
    ['UNDEFINED', SET],
  ] as const) {
    it(`forwardClientCertDetails ${fcc}: ${fcc === 'UNDEFINED' ? 'SANITIZE_SET' : fcc}, ${set ? 'with' : 'without'} the fields Envoy sets in the header`, () => {
      const got = applied(listeners(snapshot({ gatewayTopology: { forwardClientCertDetails: fcc } }), gateway()));
      expect(got.managers).to.deep.equal([{ remote: true, hops: undefined, fcc: fcc === 'UNDEFINED' ? 'SANITIZE_SET' : fcc, set }]);
    });
  }

  it("a PROXY_CONFIG that does not read is ignored with a warning: the mesh's applies, the stream is not refused", () => {
    const snap = snapshot({ gatewayTopology: { numTrustedProxies: 4 } });
    for (const [pc, warning] of [
      ['{"gatewayTopology":{}}', 'node.metadata.PROXY_CONFIG: must be a mapping (a ProxyConfig), got "{\\"gatewayTopology\\":{}}"'],
      [{ gatewayTopology: { numTrustedProxies: -1 } }, 'node.metadata.PROXY_CONFIG.gatewayTopology.numTrustedProxies: must be a whole number from 0 to 4294967295, got -1'],
      [{ gatewayTopology: { forwardClientCertDetails: 'SANITISE' } }, 'node.metadata.PROXY_CONFIG.gatewayTopology.forwardClientCertDetails: "SANITISE" must be one of UNDEFINED, SANITIZE'],
      [{ gatewayTopology: { proxyProtocol: true } }, 'node.metadata.PROXY_CONFIG.gatewayTopology.proxyProtocol: must be a mapping ({} turns it on), got true'],
      [{ gatewayTopology: [1] }, 'node.metadata.PROXY_CONFIG.gatewayTopology: must be a mapping, got a list of 1'],
    ] as const) {
      const p = gateway({ PROXY_CONFIG: pc });
      expect(p.warnings, JSON.stringify(pc)).to.have.length(1);
      expect(p.warnings![0]).to.contain(warning);
      expect(p.proxyConfig).to.equal(undefined);
      expect(applied(listeners(snap, p)).managers[0].hops).to.equal(4);
    }
    // Unknown keys are named and left out; the rest applies.
    const typo = gateway({ PROXY_CONFIG: { gatewayTopology: { numTrustedProxies: 1, numTrustedProxy: 2, proxyProtocol: { version: 2 } } } });
    expect(typo.warnings).to.deep.equal(['node.metadata.PROXY_CONFIG.gatewayTopology: numTrustedProxy, proxyProtocol.version: unknown field, ignored']);
    const got = applied(listeners(snap, typo));
    expect(got.managers[0].hops).to.equal(1);
    expect(got.listenerFilters['0.0.0.0_8080']).to.deep.equal([PROXY_PROTOCOL]);
  });

  it('leaves sidecars as they are: their listeners are the same with a topology in the mesh or their node', () => {
    for (const id of [PRODUCTPAGE, REVIEWS_V1]) {
      const plain = listeners(snapshot(), proxy(id));
      expect(listeners(snapshot({ gatewayTopology: TOPOLOGY }), proxy(id)), id).to.deep.equal(plain);
      expect(listeners(snapshot(), proxy(id, { PROXY_CONFIG: { gatewayTopology: TOPOLOGY } })), id).to.deep.equal(plain);
      // Their connection managers keep what they had: outbound not the client's address, inbound APPEND_FORWARD.
      const managers = applied(plain).managers;
      expect(managers.some((m) => m.remote === true), id).to.equal(false);
      expect(managers.some((m) => m.hops !== undefined), id).to.equal(false);
    }
  });

  it("gateways whose PROXY_CONFIG differs do not share generated output; those following the mesh's do", () => {
    const snap = snapshot({ gatewayTopology: TOPOLOGY });
    const other = GATEWAY.replace('ghijk', 'zzzzz');
    const scope = (id: string, meta: Record<string, unknown> = {}) => proxyScope(snap, proxy(id, { LABELS, ...meta }));
    expect(scope(GATEWAY)).to.equal(scope(other));
    expect(scope(GATEWAY, { PROXY_CONFIG: { gatewayTopology: { numTrustedProxies: 1 } } })).to.equal(scope(other, { PROXY_CONFIG: { gatewayTopology: { num_trusted_proxies: '1' } } }));
    expect(scope(GATEWAY, { PROXY_CONFIG: { gatewayTopology: { numTrustedProxies: 1 } } })).to.not.equal(scope(other, { PROXY_CONFIG: { gatewayTopology: { numTrustedProxies: 2 } } }));
    expect(scope(GATEWAY, { PROXY_CONFIG: {} })).to.not.equal(scope(other));
    expect(proxyScope(snap, proxy(PRODUCTPAGE, { PROXY_CONFIG: { gatewayTopology: TOPOLOGY } }))).to.equal(proxyScope(snap, proxy(PRODUCTPAGE)));
  });
});
