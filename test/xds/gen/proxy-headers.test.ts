/**
 * ProxyConfig's proxyHeaders on listeners and routes, as istiod applies them: Istio's defaults where nothing is said
 * (istio-envoy as the server header inbound and on gateways, APPEND_FORWARD inbound), each field on the classes of
 * connection managers Istio puts it on, the proxy's PROXY_CONFIG deciding whole, else the mesh's defaultConfig.
 */
import { expect } from 'chai';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate, proxyScope } from '../../../src/xds/gen/index.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import type { Snapshot } from '../../../src/model/types.js';
import type { Proxy } from '../../../src/model/proxy.js';
import { GATEWAY, MYSQL_SERVICE, PRODUCTPAGE, REVIEWS_GRPC_SERVICE, REVIEWS_V1, bookinfo, expectValid, proxy, yamlObjects } from './helpers.js';

const HCM = 'envoy.filters.network.http_connection_manager';
const ROUTER = 'envoy.filters.http.router';
const LABELS = { istio: 'ingressgateway' };
const PRESERVE_CASE = { header_key_format: { stateful_formatter: { name: 'preserve_case', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.http.header_formatters.preserve_case.v3.PreserveCaseFormatterConfig' } } } };

/** Routes that rewrite, for a sidecar (reviews) and for the gateway (/old on Bookinfo's gateway). */
const REWRITES = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews-rewrite, namespace: default }
spec:
  hosts: [reviews]
  http:
  - match: [{ uri: { prefix: /v1 } }]
    rewrite: { uri: / }
    route: [{ destination: { host: reviews } }]
  - route: [{ destination: { host: reviews } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: gateway-rewrite, namespace: default }
spec:
  hosts: ['*']
  gateways: [bookinfo-gateway]
  http:
  - match: [{ uri: { prefix: /old } }]
    rewrite: { authority: productpage.example.com }
    route: [{ destination: { host: productpage, port: { number: 9080 } } }]`;

function snapshot(defaultConfig?: unknown): Snapshot {
  const r = resolveMeshConfig(defaultConfig === undefined ? {} : { defaultConfig });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return buildSnapshot([...bookinfo('bookinfo-gateway.yaml'), ...yamlObjects(REWRITES)], snapshotOptions(r.value));
}

const gateway = (metadata: Record<string, unknown> = {}) => proxy(GATEWAY, { LABELS, ...metadata });

function resources(snap: Snapshot, p: Proxy, typeUrl: string): any[] {
  const out = generate(snap, p, typeUrl);
  expectValid(typeUrl, out);
  return out.map((r) => r.resource);
}

/** What the headers make of each connection manager, by class: a sidecar's virtualInbound is inbound, a gateway's are gateway. */
function managers(snap: Snapshot, p: Proxy): Record<'inbound' | 'outbound' | 'gateway', any[]> {
  const out = { inbound: [] as any[], outbound: [] as any[], gateway: [] as any[] };
  for (const l of resources(snap, p, TypeUrls.listener)) {
    const cls = p.type === 'router' ? 'gateway' : l.name === 'virtualInbound' ? 'inbound' : 'outbound';
    for (const c of l.filter_chains) {
      for (const f of c.filters.filter((x: any) => x.name === HCM)) {
        const m = f.typed_config;
        out[cls].push({
          server: m.server_name,
          transformation: m.server_header_transformation,
          requestId: m.generate_request_id?.value,
          suppress: m.http_filters.find((h: any) => h.name === ROUTER).typed_config.suppress_envoy_headers,
          port: m.append_x_forwarded_port,
          http1: m.http_protocol_options,
          fcc: m.forward_client_cert_details,
          set: m.set_current_client_cert_details,
        });
      }
    }
  }
  return out;
}

/** Every distinct value of `key` over the connection managers of a class. */
const values = (list: any[], key: string): unknown[] => [...new Set(list.map((m) => JSON.stringify(m[key])))].map((v) => (v === undefined ? undefined : JSON.parse(v)));

/** The RDS virtual hosts' include_request_attempt_count, and the routes appending x-forwarded-host (virtual host, rewrite or cluster), once each. */
function routes(snap: Snapshot, p: Proxy) {
  const rcs = resources(snap, p, TypeUrls.route);
  const vhosts = rcs.flatMap((rc) => rc.virtual_hosts);
  const all = vhosts.flatMap((vh) => vh.routes.map((r: any) => ({ vh: vh.name, r })));
  return {
    attempt: [...new Set(vhosts.map((vh) => vh.include_request_attempt_count))],
    forwardedHost: [...new Set(all.filter(({ r }) => r.route?.append_x_forwarded_host).map(({ vh, r }) => `${vh} ${r.route.prefix_rewrite ?? r.route.host_rewrite_literal ?? r.route.cluster}`))],
  };
}

const INBOUND_SET = { subject: { value: true }, dns: true, uri: true };
const GATEWAY_SET = { subject: { value: true }, cert: true, dns: true, uri: true };

describe("ProxyConfig's proxyHeaders", () => {
  it("without any: Istio's defaults (istio-envoy inbound and on gateways, Envoy's own outbound, APPEND_FORWARD inbound)", () => {
    const snap = snapshot();
    const side = managers(snap, proxy(PRODUCTPAGE));
    expect(side.inbound).to.have.length.greaterThan(0);
    expect(side.outbound).to.have.length.greaterThan(0);
    expect(values(side.inbound, 'server')).to.deep.equal(['istio-envoy']);
    expect(values(side.inbound, 'fcc')).to.deep.equal(['APPEND_FORWARD']);
    expect(values(side.inbound, 'set')).to.deep.equal([INBOUND_SET]);
    expect(values(side.outbound, 'server')).to.deep.equal([undefined]);
    expect(values(side.outbound, 'fcc')).to.deep.equal([undefined]);
    const gw = managers(snap, gateway()).gateway;
    expect(values(gw, 'server')).to.deep.equal(['istio-envoy']);
    for (const m of [...side.inbound, ...side.outbound, ...gw]) {
      expect(m).to.include({ transformation: undefined, requestId: undefined, suppress: undefined, port: undefined, http1: undefined });
    }
    expect(routes(snap, proxy(PRODUCTPAGE))).to.deep.equal({ attempt: [true], forwardedHost: [] });
    expect(routes(snap, gateway())).to.deep.equal({ attempt: [true], forwardedHost: [] });
  });

  it("Istio's example turning off every default header, from the mesh's defaultConfig", () => {
    const snap = snapshot({
      proxyHeaders: { forwardedClientCert: 'SANITIZE', server: { disabled: true }, requestId: { disabled: true }, attemptCount: { disabled: true }, envoyDebugHeaders: { disabled: true }, metadataExchangeHeaders: { mode: 'IN_MESH' } },
    });
    const side = managers(snap, proxy(PRODUCTPAGE));
    const gw = managers(snap, gateway()).gateway;
    for (const m of [...side.inbound, ...side.outbound, ...gw]) {
      expect(m).to.include({ server: undefined, transformation: 'PASS_THROUGH', requestId: false, suppress: true });
    }
    expect(values(side.inbound, 'fcc')).to.deep.equal(['SANITIZE']);
    // x-forwarded-client-cert on gateways is gatewayTopology's, as in istiod.
    expect(values(gw, 'fcc')).to.deep.equal(['SANITIZE_SET']);
    expect(values(gw, 'set')).to.deep.equal([GATEWAY_SET]);
    // Sidecar outbound and gateway virtual hosts stop asking for x-envoy-attempt-count.
    expect(routes(snap, proxy(PRODUCTPAGE)).attempt).to.deep.equal([undefined]);
    expect(routes(snap, gateway()).attempt).to.deep.equal([undefined]);
  });

  it('server.value names the server header on every side', () => {
    const snap = snapshot({ proxyHeaders: { server: { value: 'my-server' } } });
    const side = managers(snap, proxy(PRODUCTPAGE));
    for (const m of [...side.inbound, ...side.outbound, ...managers(snap, gateway()).gateway]) expect(m).to.include({ server: 'my-server', transformation: undefined });
    // Both said: disabled wins, as in istiod.
    const both = managers(snapshot({ proxyHeaders: { server: { disabled: true, value: 'my-server' } } }), proxy(PRODUCTPAGE));
    expect(values(both.inbound, 'server')).to.deep.equal([undefined]);
  });

  it('forwardedClientCert and setCurrentClientCertDetails on the inbound side only', () => {
    const snap = snapshot({ proxyHeaders: { forwardedClientCert: 'SANITIZE_SET', setCurrentClientCertDetails: { subject: false, cert: true, chain: true, dns: false } } });
    const side = managers(snap, proxy(REVIEWS_V1));
    expect(values(side.inbound, 'fcc')).to.deep.equal(['SANITIZE_SET']);
    expect(values(side.inbound, 'set')).to.deep.equal([{ subject: { value: false }, cert: true, chain: true, uri: true }]);
    expect(values(side.outbound, 'set')).to.deep.equal([undefined]);
    expect(values(managers(snap, gateway()).gateway, 'fcc')).to.deep.equal(['SANITIZE_SET']);
    expect(values(managers(snap, gateway()).gateway, 'set')).to.deep.equal([GATEWAY_SET]);
  });

  it('xForwardedPort and preserveHttp1HeaderCase on every connection manager; xForwardedHost on the routes that rewrite and the passthrough route', () => {
    const snap = snapshot({ proxyHeaders: { xForwardedPort: { enabled: true }, xForwardedHost: { enabled: true }, preserveHttp1HeaderCase: true } });
    const side = managers(snap, proxy(PRODUCTPAGE));
    for (const m of [...side.inbound, ...side.outbound, ...managers(snap, gateway()).gateway]) expect(m).to.deep.include({ port: true, http1: PRESERVE_CASE });
    expect(routes(snap, proxy(PRODUCTPAGE)).forwardedHost).to.have.members(['reviews.default.svc.cluster.local:9080 /', 'allow_any PassthroughCluster']);
    expect(routes(snap, gateway()).forwardedHost).to.deep.equal(['*:8080 productpage.example.com']);
    // Turned on and off: false says nothing.
    const off = snapshot({ proxyHeaders: { xForwardedPort: { enabled: false }, xForwardedHost: { enabled: false }, preserveHttp1HeaderCase: false } });
    expect(values(managers(off, proxy(PRODUCTPAGE)).outbound, 'port')).to.deep.equal([undefined]);
    expect(routes(off, proxy(PRODUCTPAGE)).forwardedHost).to.deep.equal([]);
  });

  it('preserveHttp1HeaderCase on the clusters that speak HTTP/1 upstream too: HTTP and sniffed ports, inbound and outbound, and the passthrough', () => {
    const objs = [...bookinfo(), ...yamlObjects(`${REVIEWS_GRPC_SERVICE}\n---${MYSQL_SERVICE}\n---
apiVersion: v1
kind: Service
metadata: { name: legacy }
spec: { clusterIP: 10.96.9.9, selector: { app: legacy }, ports: [{ name: web, port: 8000 }] }`)];
    const build = (defaultConfig?: unknown) => {
      const r = resolveMeshConfig(defaultConfig === undefined ? {} : { defaultConfig });
      if (!r.ok) throw new Error(r.errors.join('; '));
      return buildSnapshot(objs, snapshotOptions(r.value));
    };
    const OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
    const http1 = (c: any) => {
      const o = c.typed_extension_protocol_options?.[OPTIONS];
      return o?.explicit_http_config?.http_protocol_options ?? o?.use_downstream_protocol_config?.http_protocol_options;
    };
    const byName = (snap: Snapshot, id: string) => new Map(resources(snap, proxy(id), TypeUrls.cluster).map((c) => [c.name, c]));
    const kept = byName(build({ proxyHeaders: { preserveHttp1HeaderCase: true } }), REVIEWS_V1);
    expect(http1(kept.get('outbound|9080||details.default.svc.cluster.local')), 'HTTP').to.deep.include(PRESERVE_CASE);
    expect(http1(kept.get('outbound|8000||legacy.default.svc.cluster.local')), 'sniffed').to.deep.include(PRESERVE_CASE);
    expect(kept.get('outbound|8000||legacy.default.svc.cluster.local').typed_extension_protocol_options[OPTIONS]).to.have.property('use_downstream_protocol_config');
    expect(http1(kept.get('inbound|9080||')), 'inbound HTTP').to.deep.include(PRESERVE_CASE);
    expect(http1(kept.get('PassthroughCluster'))).to.deep.include(PRESERVE_CASE);
    // TCP and HTTP/2 upstreams have no HTTP/1 headers to keep.
    expect(kept.get('outbound|3306||mysql.default.svc.cluster.local')).to.not.have.property('typed_extension_protocol_options');
    expect(JSON.stringify(kept.get('outbound|50051||reviews-grpc.default.svc.cluster.local'))).to.not.contain('preserve_case');
    const plain = byName(build(), REVIEWS_V1);
    expect(JSON.stringify([...plain.values()])).to.not.contain('preserve_case');
    expect(plain.get('outbound|9080||details.default.svc.cluster.local')).to.deep.equal(byName(build({ proxyHeaders: { preserveHttp1HeaderCase: false } }), REVIEWS_V1).get('outbound|9080||details.default.svc.cluster.local'));
  });

  it("the proxy's PROXY_CONFIG decides whole: its proxyHeaders over the mesh's, Istio's defaults when it has none", () => {
    const snap = snapshot({ proxyHeaders: { server: { value: 'mesh' }, requestId: { disabled: true } } });
    const mesh = managers(snap, proxy(PRODUCTPAGE));
    expect(values(mesh.outbound, 'server')).to.deep.equal(['mesh']);
    const own = managers(snap, proxy(PRODUCTPAGE, { PROXY_CONFIG: { proxyHeaders: { server: { value: 'own' } } } }));
    expect(values(own.outbound, 'server')).to.deep.equal(['own']);
    expect(values(own.outbound, 'requestId')).to.deep.equal([undefined]);
    const none = managers(snap, proxy(PRODUCTPAGE, { PROXY_CONFIG: { concurrency: 2 } }));
    expect(values(none.outbound, 'server')).to.deep.equal([undefined]);
    expect(values(none.inbound, 'server')).to.deep.equal(['istio-envoy']);
    // A gateway's PROXY_CONFIG carries both of its fields; proto names as the node's Struct may carry them.
    const gw = managers(snap, gateway({ PROXY_CONFIG: { gateway_topology: { num_trusted_proxies: 1 }, proxy_headers: { envoy_debug_headers: { disabled: true } } } })).gateway;
    expect(gw[0]).to.include({ server: 'istio-envoy', requestId: undefined, suppress: true });
  });

  it('proxies whose own proxyHeaders differ do not share output; those getting the same do', () => {
    const snap = snapshot({ proxyHeaders: { server: { value: 'mesh' } } });
    const other = PRODUCTPAGE.replace('fghij', 'zzzzz');
    const scope = (id: string, meta: Record<string, unknown> = {}) => proxyScope(snap, proxy(id, meta));
    expect(scope(PRODUCTPAGE)).to.equal(scope(other));
    expect(scope(PRODUCTPAGE, { PROXY_CONFIG: { proxyHeaders: { server: { value: 'mesh' } } } })).to.equal(scope(other));
    expect(scope(PRODUCTPAGE, { PROXY_CONFIG: { proxyHeaders: { server: { value: 'a' } } } })).to.not.equal(scope(other, { PROXY_CONFIG: { proxyHeaders: { server: { value: 'b' } } } }));
    expect(scope(PRODUCTPAGE, { PROXY_CONFIG: {} })).to.not.equal(scope(other));
    // With no proxyHeaders in the mesh, a PROXY_CONFIG without them gets what the others get.
    expect(proxyScope(snapshot(), proxy(PRODUCTPAGE, { PROXY_CONFIG: {} }))).to.equal(proxyScope(snapshot(), proxy(other)));
  });

  it('a PROXY_CONFIG whose proxyHeaders do not read is ignored with a warning: the mesh\'s apply', () => {
    const snap = snapshot({ proxyHeaders: { server: { value: 'mesh' } } });
    for (const [ph, warning] of [
      [{ server: { value: 1 } }, 'node.metadata.PROXY_CONFIG.proxyHeaders.server.value: must be a string, got 1'],
      [{ server: { value: 'a\r\nb' } }, 'node.metadata.PROXY_CONFIG.proxyHeaders.server.value: "a\\r\\nb" must be a header value (no NUL, CR or LF)'],
      [{ requestId: { disabled: 'yes' } }, 'node.metadata.PROXY_CONFIG.proxyHeaders.requestId.disabled: must be true or false, got "yes"'],
      [{ forwardedClientCert: 'NONE' }, 'node.metadata.PROXY_CONFIG.proxyHeaders.forwardedClientCert: "NONE" must be one of UNDEFINED, SANITIZE'],
      [{ metadataExchangeHeaders: { mode: 2 } }, 'node.metadata.PROXY_CONFIG.proxyHeaders.metadataExchangeHeaders.mode: 2 must be one of UNDEFINED, IN_MESH'],
      ['off', 'node.metadata.PROXY_CONFIG.proxyHeaders: must be a mapping, got "off"'],
    ] as const) {
      const p = proxy(PRODUCTPAGE, { PROXY_CONFIG: { proxyHeaders: ph } });
      expect(p.warnings, JSON.stringify(ph)).to.have.length(1);
      expect(p.warnings![0]).to.contain(warning);
      expect(p.proxyConfig).to.equal(undefined);
      expect(values(managers(snap, p).outbound, 'server')).to.deep.equal(['mesh']);
    }
    const typo = proxy(PRODUCTPAGE, { PROXY_CONFIG: { proxyHeaders: { server: { value: 'own', disable: true } } } });
    expect(typo.warnings).to.deep.equal(['node.metadata.PROXY_CONFIG.proxyHeaders: server.disable: unknown field, ignored']);
    expect(values(managers(snap, typo).outbound, 'server')).to.deep.equal(['own']);
  });

  it('proxyless gRPC clients take none of it, as from istiod', () => {
    const grpc = (snap: Snapshot) => generate(snap, proxy(PRODUCTPAGE, { GENERATOR: 'grpc' }), TypeUrls.listener, ['reviews.default.svc.cluster.local:9080']);
    const plain = grpc(snapshot());
    expect(plain).to.have.length(1);
    expect(grpc(snapshot({ proxyHeaders: { server: { value: 'x' }, requestId: { disabled: true }, envoyDebugHeaders: { disabled: true } } }))).to.deep.equal(plain);
  });
});
