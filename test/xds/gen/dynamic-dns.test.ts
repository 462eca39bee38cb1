/**
 * ServiceEntry `resolution: DYNAMIC_DNS` on Envoy proxies (dynamic-dns.ts): dynamic forward proxy clusters, the HTTP
 * filter on the port's outbound connection manager, the wildcard virtual host, the SNI filter on TLS ports, TLS
 * origination, gateways; proxyless gRPC gets nothing; malformed ServiceEntries never throw; other resolutions
 * unchanged.
 */
import { expect } from 'chai';
import type { KubeObject } from '../../../src/core/kube.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { generateGrpc } from '../../../src/xds/gen/grpc/index.js';
import { certMetadata } from '../../../src/bootstrap/envoy.js';
import { ENVOY_TYPES, GATEWAY, PRODUCTPAGE, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';
import { grpcNode, snapshot as grpcSnapshot } from './grpc/fixture.js';

const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const DFP_FILTER = 'envoy.filters.http.dynamic_forward_proxy';
const SNI_FILTER = 'envoy.filters.network.sni_dynamic_forward_proxy';
const CACHE = { name: '*.example.com_dfp_dns_cache', dns_lookup_family: 'V4_ONLY' };

const serviceEntry = (ports: string, more = '', host = "'*.example.com'", name = 'wild'): string => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ${name} }
spec:
  hosts: [${host}]
  resolution: DYNAMIC_DNS
  location: MESH_EXTERNAL
  ports: ${ports}
${more}`;
const HTTP = '[{ number: 80, name: http, protocol: HTTP }]';
const ALL = '[{ number: 80, name: http, protocol: HTTP }, { number: 443, name: tls, protocol: TLS }, { number: 9000, name: grpc, protocol: GRPC }]';
const WILD = serviceEntry(ALL);

const rule = (trafficPolicy: string, host = "'*.example.com'"): string => `
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: wild-${Math.abs(trafficPolicy.length)} }
spec:
  host: ${host}
  trafficPolicy: ${trafficPolicy}`;

/** Every Envoy resource type for the node, each checked against Envoy's protos and validate rules. */
function envoy(yaml: string, node = proxy(PRODUCTPAGE), objects: KubeObject[] = bookinfo()) {
  const snap = buildSnapshot([...objects, ...yamlObjects(yaml)]);
  const out = Object.fromEntries(ENVOY_TYPES.map((t) => [t, generate(snap, node, t)]));
  for (const t of ENVOY_TYPES) expectValid(t, out[t]!);
  return { clusters: out[TypeUrls.cluster]!, endpoints: out[TypeUrls.endpoint]!, listeners: out[TypeUrls.listener]!, routes: out[TypeUrls.route]! };
}

const dfpConfig = (c: any): any => c.cluster_type.typed_config;
const upstreamOptions = (c: any): any => c.typed_extension_protocol_options?.[HTTP_OPTIONS]?.upstream_http_protocol_options;
const hcmOf = (listener: any): any => listener.filter_chains[0].filters.at(-1).typed_config;
const httpFilterNames = (listener: any): string[] => hcmOf(listener).http_filters.map((f: any) => f.name);

describe('ServiceEntry DYNAMIC_DNS: dynamic forward proxy clusters', () => {
  it('one cluster per port of the custom type envoy.clusters.dynamic_forward_proxy, with the host DNS cache and CLUSTER_PROVIDED', () => {
    const { clusters, endpoints } = envoy(WILD);
    const names = clusters.map((c) => c.name).filter((n) => n.endsWith('*.example.com'));
    expect(names).to.deep.equal(['outbound|80||*.example.com', 'outbound|443||*.example.com', 'outbound|9000||*.example.com']);
    for (const name of names) {
      const c = byName(clusters, name);
      expect(c.type, name).to.equal(undefined);
      expect(c.lb_policy).to.equal('CLUSTER_PROVIDED');
      expect(c.cluster_type.name).to.equal('envoy.clusters.dynamic_forward_proxy');
      expect(dfpConfig(c)['@type']).to.equal('type.googleapis.com/envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig');
      expect(dfpConfig(c).dns_cache_config).to.deep.equal(CACHE);
      // Plaintext upstream: no auto_sni/auto_san_validation to ask for, so Envoy's guard is lifted.
      expect(dfpConfig(c).allow_insecure_cluster_options).to.equal(true);
      expect(c.transport_socket).to.equal(undefined);
      expect(c).not.to.have.any.keys('eds_cluster_config', 'load_assignment', 'dns_lookup_family', 'least_request_lb_config');
    }
    // gRPC speaks HTTP/2 upstream.
    expect(byName(clusters, 'outbound|9000||*.example.com').typed_extension_protocol_options[HTTP_OPTIONS].explicit_http_config).to.deep.equal({ http2_protocol_options: {} });
    // Nothing for EDS to send.
    expect(endpoints.map((e) => e.name).filter((n) => n.includes('example.com'))).to.deep.equal([]);
  });

  it('no subset clusters, whatever the DestinationRule says; its other settings still apply', () => {
    const dr = `${rule('{ connectionPool: { tcp: { maxConnections: 7, connectTimeout: 2s } }, loadBalancer: { consistentHash: { httpHeaderName: x-user } }, outlierDetection: { consecutive5xxErrors: 3 } }')}
  subsets: [{ name: v1, labels: { version: v1 } }]`;
    const { clusters } = envoy(serviceEntry(HTTP) + dr);
    expect(clusters.map((c) => c.name).filter((n) => n.includes('example.com'))).to.deep.equal(['outbound|80||*.example.com']);
    const c = byName(clusters, 'outbound|80||*.example.com');
    expect(c.lb_policy).to.equal('CLUSTER_PROVIDED');
    expect(c).not.to.have.any.keys('ring_hash_lb_config', 'maglev_lb_config');
    expect(c.connect_timeout).to.deep.equal({ seconds: 2, nanos: 0 });
    expect(c.circuit_breakers.thresholds[0].max_connections).to.deep.equal({ value: 7 });
    expect(c.outlier_detection.consecutive_5xx).to.deep.equal({ value: 3 });
  });

  it('a PASSTHROUGH balancer or mesh locality settings do not turn it into another kind of cluster', () => {
    const { clusters } = envoy(serviceEntry(HTTP) + rule('{ loadBalancer: { simple: PASSTHROUGH, localityLbSetting: { enabled: true } }, outlierDetection: { consecutive5xxErrors: 1 } }'));
    const c = byName(clusters, 'outbound|80||*.example.com');
    expect(c.cluster_type.name).to.equal('envoy.clusters.dynamic_forward_proxy');
    expect(c.type).to.equal(undefined);
    expect(c.common_lb_config).to.deep.equal({ healthy_panic_threshold: { value: 0 } });
  });

  it('nor does a zoneAwareLbSetting: the dynamic forward proxy cluster takes no zone-aware config', () => {
    const { clusters } = envoy(serviceEntry(HTTP) + rule('{ loadBalancer: { zoneAwareLbSetting: { minClusterSize: 2 } } }'));
    const c = byName(clusters, 'outbound|80||*.example.com');
    expect(c.cluster_type.name).to.equal('envoy.clusters.dynamic_forward_proxy');
    expect(c).not.to.have.property('common_lb_config');
  });

  it('ports the dynamic forward proxy cannot serve get nothing (no cluster, listener or route)', () => {
    const { clusters, listeners, routes } = envoy(serviceEntry('[{ number: 3306, name: tcp, protocol: TCP }, { number: 8443, name: https, protocol: HTTPS }, { number: 80, name: http, protocol: HTTP }]'));
    expect(clusters.map((c) => c.name).filter((n) => n.includes('example.com'))).to.deep.equal(['outbound|80||*.example.com']);
    expect(listeners.map((l) => l.name)).not.to.include.members(['0.0.0.0_3306', '0.0.0.0_8443']);
    expect(routes.map((r) => r.name)).not.to.include('8443');
  });
});

describe('ServiceEntry DYNAMIC_DNS: TLS origination (DestinationRule tls)', () => {
  const cluster = (tls: string, node = proxy(PRODUCTPAGE)): any => byName(envoy(serviceEntry(HTTP) + rule(`{ tls: ${tls} }`), node).clusters, 'outbound|80||*.example.com');

  it('SIMPLE: TLS with the system CAs, SNI and certificate check by the request host (auto_sni, auto_san_validation)', () => {
    const c = cluster('{ mode: SIMPLE }');
    expect(c.transport_socket.name).to.equal('envoy.transport_sockets.tls');
    expect(c.transport_socket.typed_config.sni).to.equal(undefined);
    expect(upstreamOptions(c)).to.deep.equal({ auto_sni: true, auto_san_validation: true });
    expect(dfpConfig(c)).not.to.have.property('allow_insecure_cluster_options');
  });

  it('subjectAltNames do not turn the host check off on a dynamic forward proxy cluster (they check too)', () => {
    const c = cluster('{ mode: SIMPLE, subjectAltNames: [api.example.com] }');
    expect(upstreamOptions(c)).to.deep.equal({ auto_sni: true, auto_san_validation: true });
    expect(c.transport_socket.typed_config.common_tls_context.validation_context.match_typed_subject_alt_names).to.deep.equal([{ san_type: 'DNS', matcher: { exact: 'api.example.com' } }]);
  });

  it('an explicit sni: no auto_sni, and insecure cluster options allowed', () => {
    const c = cluster('{ mode: SIMPLE, sni: api.example.com }');
    expect(c.transport_socket.typed_config.sni).to.equal('api.example.com');
    expect(upstreamOptions(c)).to.deep.equal({ auto_san_validation: true });
    expect(dfpConfig(c).allow_insecure_cluster_options).to.equal(true);
  });

  it('insecureSkipVerify: no auto_san_validation, insecure cluster options allowed', () => {
    const c = cluster('{ mode: SIMPLE, insecureSkipVerify: true }');
    expect(upstreamOptions(c)).to.deep.equal({ auto_sni: true });
    expect(dfpConfig(c).allow_insecure_cluster_options).to.equal(true);
  });

  it('MUTUAL with files; on a gRPC port the HTTP/2 options stay', () => {
    const dr = rule('{ tls: { mode: MUTUAL, clientCertificate: /etc/c/cert.pem, privateKey: /etc/c/key.pem, caCertificates: /etc/c/ca.pem } }');
    const c = byName(envoy(WILD + dr).clusters, 'outbound|9000||*.example.com');
    expect(c.transport_socket.typed_config.common_tls_context.tls_certificates).to.have.length(1);
    expect(c.typed_extension_protocol_options[HTTP_OPTIONS]).to.deep.include({ explicit_http_config: { http2_protocol_options: {} }, upstream_http_protocol_options: { auto_sni: true, auto_san_validation: true } });
  });

  it('ISTIO_MUTUAL with mesh certificates: mesh mTLS without the SNI of istiod form; plaintext without certificates', () => {
    const c = cluster('{ mode: ISTIO_MUTUAL }', proxy(PRODUCTPAGE, certMetadata('/etc/certs')));
    const ctx = c.transport_socket.typed_config;
    expect(ctx.common_tls_context.alpn_protocols).to.deep.equal(['istio-peer-exchange', 'istio']);
    expect(ctx.sni).to.equal(undefined);
    expect(upstreamOptions(c)).to.deep.equal({ auto_sni: true, auto_san_validation: true });
    expect(dfpConfig(c)).not.to.have.property('allow_insecure_cluster_options');
    const plain = cluster('{ mode: ISTIO_MUTUAL }');
    expect(plain.transport_socket).to.equal(undefined);
    expect(dfpConfig(plain).allow_insecure_cluster_options).to.equal(true);
  });

  it('no auto mTLS for a MESH_INTERNAL host: the cluster has no endpoints to tell mesh servers by', () => {
    const se = serviceEntry(HTTP).replace('MESH_EXTERNAL', 'MESH_INTERNAL');
    const c = byName(envoy(se, proxy(PRODUCTPAGE, certMetadata('/etc/certs'))).clusters, 'outbound|80||*.example.com');
    expect(c).not.to.have.any.keys('transport_socket', 'transport_socket_matches');
    expect(dfpConfig(c).allow_insecure_cluster_options).to.equal(true);
  });
});

describe('ServiceEntry DYNAMIC_DNS: sidecar listeners and routes', () => {
  it('the HTTP filter on the connection manager of each port the host serves over HTTP, before the router; not elsewhere', () => {
    const { listeners } = envoy(WILD);
    for (const port of [80, 9000]) {
      const l = byName(listeners, `0.0.0.0_${port}`);
      expect(httpFilterNames(l), String(port)).to.deep.equal(['envoy.filters.http.fault', 'envoy.filters.http.cors', DFP_FILTER, 'envoy.filters.http.router']);
      const f = hcmOf(l).http_filters[2].typed_config;
      expect(f['@type']).to.equal('type.googleapis.com/envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig');
      expect(f.dns_cache_config, 'the same cache as the cluster').to.deep.equal(CACHE);
    }
    expect(httpFilterNames(byName(listeners, '0.0.0.0_9080'))).to.deep.equal(['envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router']);
  });

  it('two DYNAMIC_DNS hosts on one port: a filter (and cache) each, as each cluster finds only its own cache', () => {
    const two = serviceEntry(HTTP) + '---' + serviceEntry(HTTP, '', "'*.example.org'", 'other');
    const l = byName(envoy(two).listeners, '0.0.0.0_80');
    expect(hcmOf(l).http_filters.filter((f: any) => f.name === DFP_FILTER).map((f: any) => f.typed_config.dns_cache_config.name)).to.deep.equal(['*.example.com_dfp_dns_cache', '*.example.org_dfp_dns_cache']);
  });

  it('the route configuration of the port has a virtual host for the wildcard host, routed to its cluster', () => {
    const rc = byName(envoy(WILD).routes, '80');
    const vh = rc.virtual_hosts.find((v: any) => v.name === '*.example.com:80');
    expect(vh.domains).to.deep.equal(['*.example.com', '*.example.com:80']);
    expect(vh.routes[0].route.cluster).to.equal('outbound|80||*.example.com');
    // Unknown hosts are still passed through.
    expect(rc.virtual_hosts.at(-1).name).to.equal('allow_any');
  });

  it('a VirtualService for the wildcard host routes as written', () => {
    const vs = `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: wild }
spec:
  hosts: ['*.example.com']
  http: [{ timeout: 3s, route: [{ destination: { host: '*.example.com', port: { number: 80 } } }] }]`;
    const vh = byName(envoy(serviceEntry(HTTP) + vs).routes, '80').virtual_hosts.find((v: any) => v.name === '*.example.com:80');
    expect(vh.routes[0].route).to.deep.include({ cluster: 'outbound|80||*.example.com', timeout: { seconds: 3, nanos: 0 } });
  });

  it('a TLS port: the chain for the wildcard SNI resolves it (SNI filter, the port upstream) before its tcp_proxy to the cluster', () => {
    const l = byName(envoy(WILD).listeners, '0.0.0.0_443');
    expect(l.listener_filters.map((f: any) => f.name)).to.deep.equal(['envoy.filters.listener.tls_inspector']);
    const chain = l.filter_chains.find((c: any) => c.filter_chain_match?.server_names?.includes('*.example.com'));
    expect(chain.filters.map((f: any) => f.name)).to.deep.equal([SNI_FILTER, 'envoy.filters.network.tcp_proxy']);
    expect(chain.filters[0].typed_config).to.deep.equal({
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.sni_dynamic_forward_proxy.v3.FilterConfig',
      dns_cache_config: CACHE,
      port_value: 443,
    });
    expect(chain.filters[1].typed_config.cluster).to.equal('outbound|443||*.example.com');
  });

  it('a TLS ServiceEntry of another host whose tls route goes to the wildcard host resolves the SNI too', () => {
    const other = `
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: api }
spec:
  hosts: [api.other.com]
  resolution: NONE
  ports: [{ number: 443, name: tls, protocol: TLS }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: api }
spec:
  hosts: [api.other.com]
  tls: [{ match: [{ sniHosts: [api.other.com] }], route: [{ destination: { host: '*.example.com', port: { number: 443 } } }] }]`;
    const l = byName(envoy(serviceEntry('[{ number: 443, name: tls, protocol: TLS }]') + other).listeners, '0.0.0.0_443');
    const chain = l.filter_chains.find((c: any) => c.filter_chain_match?.server_names?.includes('api.other.com'));
    expect(chain.filters.map((f: any) => f.name)).to.deep.equal([SNI_FILTER, 'envoy.filters.network.tcp_proxy']);
    expect(chain.filters[1].typed_config.cluster).to.equal('outbound|443||*.example.com');
  });
});

describe('ServiceEntry DYNAMIC_DNS: gateways', () => {
  const egress = proxy(GATEWAY, { LABELS: { istio: 'ingressgateway' } });
  const gateway = (servers: string): string => `
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: egress, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  servers: ${servers}`;
  const HTTP_SERVER = "[{ port: { number: 80, name: http, protocol: HTTP }, hosts: ['*.example.com'] }]";
  const routeTo = (host: string, port: number) => `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: egress, namespace: istio-system }
spec:
  hosts: ['*.example.com']
  gateways: [egress]
  http: [{ route: [{ destination: { host: '${host}', port: { number: ${port} } } }] }]`;

  it('HTTP routed to the wildcard host: its cluster, and the HTTP filter on the server connection manager', () => {
    const { clusters, listeners, routes } = envoy(WILD + gateway(HTTP_SERVER) + routeTo('*.example.com', 80), egress);
    expect(byName(clusters, 'outbound|80||*.example.com').cluster_type.name).to.equal('envoy.clusters.dynamic_forward_proxy');
    // The ingress gateway's Service sends 80 to 8080, 443 to 8443: where it listens.
    expect(httpFilterNames(byName(listeners, '0.0.0.0_8080'))).to.deep.equal(['envoy.filters.http.fault', 'envoy.filters.http.cors', DFP_FILTER, 'envoy.filters.http.router']);
    const vh = byName(routes, 'http.8080').virtual_hosts[0];
    expect(vh.domains).to.include('*.example.com');
    expect(vh.routes[0].route.cluster).to.equal('outbound|80||*.example.com');
  });

  it('routes elsewhere: no filter', () => {
    const { listeners } = envoy(WILD + gateway(HTTP_SERVER) + routeTo('productpage.default.svc.cluster.local', 9080), egress);
    expect(httpFilterNames(byName(listeners, '0.0.0.0_8080'))).to.deep.equal(['envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router']);
  });

  it('TLS passthrough to the wildcard host: the SNI filter before the tcp_proxy, after the gateway authorization', () => {
    const tls = `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: egress-tls, namespace: istio-system }
spec:
  hosts: ['*.example.com']
  gateways: [egress]
  tls: [{ match: [{ port: 443, sniHosts: ['*.example.com'] }], route: [{ destination: { host: '*.example.com', port: { number: 443 } } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-some, namespace: istio-system }
spec:
  selector: { matchLabels: { istio: ingressgateway } }
  action: DENY
  rules: [{ from: [{ source: { ipBlocks: [10.9.9.9] } }] }]`;
    const servers = "[{ port: { number: 443, name: tls, protocol: TLS }, hosts: ['*.example.com'], tls: { mode: PASSTHROUGH } }]";
    const l = byName(envoy(WILD + gateway(servers) + tls, egress).listeners, '0.0.0.0_8443');
    const chain = l.filter_chains[0];
    expect(chain.filter_chain_match).to.deep.equal({ server_names: ['*.example.com'], transport_protocol: 'tls' });
    expect(chain.filters.map((f: any) => f.name)).to.deep.equal(['envoy.filters.network.rbac.deny', SNI_FILTER, 'envoy.filters.network.tcp_proxy']);
    expect(chain.filters[1].typed_config.port_value).to.equal(443);
    expect(chain.filters[2].typed_config.cluster).to.equal('outbound|443||*.example.com');
  });
});

describe('ServiceEntry DYNAMIC_DNS: proxyless gRPC', () => {
  it('gets nothing for the host: no listener, route, cluster or endpoints, asked by name or not', () => {
    const snap = grpcSnapshot(yamlObjects(WILD));
    const node = grpcNode();
    const names: Record<string, string[]> = {
      [TypeUrls.listener]: ['*.example.com:9000', 'a.example.com:9000'],
      [TypeUrls.route]: ['*.example.com:9000'],
      [TypeUrls.cluster]: ['outbound|9000||*.example.com'],
      [TypeUrls.endpoint]: ['outbound|9000||*.example.com'],
    };
    for (const [t, asked] of Object.entries(names)) {
      expect(generateGrpc(snap, node, t, asked), t).to.deep.equal([]);
      const all = generateGrpc(snap, node, t);
      expect(all.length, `${t}: the rest of the mesh is still served`).to.be.greaterThan(0);
      expect(all.map((r) => r.name).filter((n) => n.includes('example.com')), t).to.deep.equal([]);
    }
  });
});

describe('ServiceEntry DYNAMIC_DNS: bad input and other resolutions', () => {
  const malformed: Array<{ name: string; yaml: string }> = [
    { name: 'a host without a wildcard (passed through, as resolution NONE)', yaml: serviceEntry(HTTP, '', 'api.example.com') },
    { name: 'addresses and endpoints', yaml: serviceEntry(HTTP, '  addresses: [10.1.2.3]\n  endpoints: [{ address: 1.2.3.4 }]') },
    { name: 'a workloadSelector', yaml: serviceEntry(HTTP, '  workloadSelector: { labels: { app: productpage } }') },
    { name: 'ports not a list', yaml: serviceEntry('{ number: 80 }') },
    { name: 'ports of every bad kind', yaml: serviceEntry("[null, 7, { number: -1, name: x }, { number: 70000, protocol: HTTP }, { number: 81, protocol: 42 }, { number: 82, name: 'grpc-x' }]") },
    { name: 'hosts of every bad kind', yaml: serviceEntry(HTTP, '', "'', 3, null, '*', '*.', '*.example.com'") },
    { name: 'a DestinationRule of garbage', yaml: serviceEntry(ALL) + rule('{ tls: { mode: 7, sni: 3, insecureSkipVerify: yes }, portLevelSettings: [null, { port: 80, tls: [] }] }') },
    { name: 'a VirtualService routing to garbage', yaml: `${WILD}\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: x }\nspec: { hosts: ['*.example.com'], gateways: [mesh], http: [{ route: [{ destination: { host: '*.example.com', subset: v9 } }] }], tls: [{ route: [{ destination: { host: 5 } }] }] }` },
  ];
  for (const m of malformed) {
    it(`never throws: ${m.name}`, () => {
      for (const node of [proxy(PRODUCTPAGE), proxy(PRODUCTPAGE, certMetadata('/etc/certs')), proxy(GATEWAY, { LABELS: { istio: 'ingressgateway' } })]) envoy(m.yaml, node);
      const snap = grpcSnapshot(yamlObjects(m.yaml));
      for (const t of ENVOY_TYPES) expect(() => generateGrpc(snap, grpcNode(), t)).not.to.throw();
    });
  }

  it('DYNAMIC_DNS on a host without a wildcard keeps the passthrough cluster of resolution NONE', () => {
    const c = byName(envoy(serviceEntry(HTTP, '', 'api.example.com')).clusters, 'outbound|80||api.example.com');
    expect(c.type).to.equal('ORIGINAL_DST');
    expect(c.cluster_type).to.equal(undefined);
  });

  it('other resolutions are untouched: no dynamic forward proxy anywhere', () => {
    const others = ['NONE', 'DNS', 'STATIC']
      .map((r, i) => serviceEntry(HTTP, r === 'STATIC' ? '  endpoints: [{ address: 10.0.0.9 }]' : '', `h${i}.example.com`, `se-${i}`).replace('DYNAMIC_DNS', r))
      .join('---');
    const { clusters, listeners } = envoy(others);
    const types = Object.fromEntries(clusters.filter((c) => c.name.includes('example.com')).map((c) => [c.name, c.resource.type]));
    expect(types).to.deep.equal({ 'outbound|80||h0.example.com': 'ORIGINAL_DST', 'outbound|80||h1.example.com': 'STRICT_DNS', 'outbound|80||h2.example.com': 'EDS' });
    expect(JSON.stringify(clusters) + JSON.stringify(listeners)).not.to.include('dynamic_forward_proxy');
  });
});
