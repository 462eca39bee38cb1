/**
 * The mesh config's outboundTrafficPolicy ALLOW_ANY_DYNAMIC_DNS (allow-any-dns.ts): the dynamic forward proxy cluster
 * and its TLS, the catch-all virtual host, the filter on every outbound connection manager, virtualOutbound's HTTP
 * chain; a Sidecar's own policy winning; gateways and proxyless gRPC untouched. Every output checked against Envoy's
 * protos and validate rules.
 */
import { expect } from 'chai';
import type { KubeObject } from '../../../src/core/kube.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import { generate } from '../../../src/xds/gen/index.js';
import { certMetadata } from '../../../src/bootstrap/envoy.js';
import { ENVOY_TYPES, GATEWAY, PRODUCTPAGE, REVIEWS_V1, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';
import { grpcNode, snapshot as grpcSnapshot } from './grpc/fixture.js';

const CLUSTER = 'AllowAnyDynamicDNSCluster';
const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const DFP_FILTER = 'envoy.filters.http.dynamic_forward_proxy';
const CACHE = { name: 'allow_any_dfp_dns_cache', dns_lookup_family: 'V4_ONLY', max_hosts: { value: 1024 } };

/** A mesh config as a platform team writes it, through the loader, into a snapshot with Bookinfo and `yaml`. */
function world(mesh: Record<string, unknown>, yaml = '', objects: KubeObject[] = bookinfo()) {
  const r = resolveMeshConfig(mesh);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return buildSnapshot([...objects, ...(yaml ? yamlObjects(yaml) : [])], snapshotOptions(r.value));
}
const DNS = { outboundTrafficPolicy: { mode: 'ALLOW_ANY_DYNAMIC_DNS' } };
const dnsWith = (tls: Record<string, unknown>) => ({ outboundTrafficPolicy: { mode: 'ALLOW_ANY_DYNAMIC_DNS', tls } });

/** Every Envoy resource type for the node, each validated. */
function envoy(snap: ReturnType<typeof world>, node = proxy(PRODUCTPAGE)) {
  const out = Object.fromEntries(ENVOY_TYPES.map((t) => [t, generate(snap, node, t)]));
  for (const t of ENVOY_TYPES) expectValid(t, out[t]!);
  return { clusters: out[TypeUrls.cluster]!, listeners: out[TypeUrls.listener]!, routes: out[TypeUrls.route]! };
}

const dfpConfig = (c: any): any => c.cluster_type.typed_config;
const httpOptions = (c: any): any => c.typed_extension_protocol_options[HTTP_OPTIONS];
const tlsContext = (c: any): any => c.transport_socket.typed_config;
const hcmOf = (chain: any): any => chain.filters.at(-1).typed_config;
const filterNames = (chain: any): string[] => hcmOf(chain).http_filters.map((f: any) => f.name);
const hasCluster = (clusters: readonly { name: string }[]): boolean => clusters.some((c) => c.name === CLUSTER);

describe('outboundTrafficPolicy ALLOW_ANY_DYNAMIC_DNS: the dynamic forward proxy cluster', () => {
  it("is a DFP cluster with istiod's shared cache, the PassthroughCluster's HTTP options and the mesh's connect timeout", () => {
    const { clusters } = envoy(world({ ...DNS, connectTimeout: '3s' }));
    const c = byName(clusters, CLUSTER);
    expect(c.cluster_type.name).to.equal('envoy.clusters.dynamic_forward_proxy');
    expect(dfpConfig(c)['@type']).to.equal('type.googleapis.com/envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig');
    expect(dfpConfig(c).dns_cache_config).to.deep.equal(CACHE);
    // Plaintext: nothing for auto_sni/auto_san_validation to do, so Envoy's guard is lifted (as istiod).
    expect(dfpConfig(c).allow_insecure_cluster_options).to.equal(true);
    expect(c.lb_policy).to.equal('CLUSTER_PROVIDED');
    expect(c).not.to.have.any.keys('type', 'transport_socket', 'eds_cluster_config', 'load_assignment');
    expect(c.connect_timeout).to.deep.equal({ seconds: 3, nanos: 0 });
    const passthrough = byName(clusters, 'PassthroughCluster');
    expect(c.typed_extension_protocol_options).to.deep.equal(passthrough.typed_extension_protocol_options);
    expect(httpOptions(c).use_downstream_protocol_config).to.deep.equal({ http_protocol_options: {}, http2_protocol_options: {} });
    expect(c.circuit_breakers).to.deep.equal(passthrough.circuit_breakers);
    // The passthrough clusters are still there for TLS and TCP.
    expect(clusters.map((r) => r.name)).to.include.members(['PassthroughCluster', 'BlackHoleCluster']);
  });

  it("takes the mesh's tcpKeepalive but, as istiod, not its defaultTrafficPolicy pool (the PassthroughCluster does)", () => {
    const { clusters } = envoy(world({ ...DNS, tcpKeepalive: { time: '30s' }, defaultTrafficPolicy: { connectionPool: { tcp: { maxConnections: 7 } } } }));
    const c = byName(clusters, CLUSTER);
    expect(c.upstream_connection_options.tcp_keepalive.keepalive_time).to.deep.equal({ value: 30 });
    expect(c.circuit_breakers.thresholds[0].max_connections).to.deep.equal({ value: 4294967295 });
    expect(byName(clusters, 'PassthroughCluster').circuit_breakers.thresholds[0].max_connections).to.deep.equal({ value: 7 });
  });

  it('is absent under ALLOW_ANY and REGISTRY_ONLY, and for gateways', () => {
    expect(hasCluster(envoy(world({})).clusters)).to.equal(false);
    expect(hasCluster(envoy(world({ outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } })).clusters)).to.equal(false);
    const gw = envoy(world(DNS), proxy(GATEWAY, { LABELS: { istio: 'ingressgateway' } }));
    expect(hasCluster(gw.clusters)).to.equal(false);
    expect(JSON.stringify([gw.listeners, gw.routes])).not.to.include('allow_any_dynamic_dns').and.not.include(CLUSTER);
  });
});

describe('outboundTrafficPolicy ALLOW_ANY_DYNAMIC_DNS: tls', () => {
  const cluster = (tls: Record<string, unknown>, node = proxy(PRODUCTPAGE)) => byName(envoy(world(dnsWith(tls)), node).clusters, CLUSTER);

  it('SIMPLE: TLS checked against the system CAs, the SNI and the certificate name each request\'s host; the HTTP options kept', () => {
    const c = cluster({ mode: 'SIMPLE' });
    expect(c.transport_socket.name).to.equal('envoy.transport_sockets.tls');
    expect(tlsContext(c).common_tls_context.validation_context.trusted_ca).to.deep.equal({ filename: '/etc/ssl/certs/ca-certificates.crt' });
    expect(tlsContext(c)).not.to.have.property('sni');
    expect(httpOptions(c).upstream_http_protocol_options).to.deep.equal({ auto_sni: true, auto_san_validation: true });
    expect(httpOptions(c).use_downstream_protocol_config).to.deep.equal({ http_protocol_options: {}, http2_protocol_options: {} });
    expect(httpOptions(c).common_http_protocol_options.idle_timeout).to.deep.equal({ seconds: 300, nanos: 0 });
    // Both checks on: Envoy's guard needs no lifting.
    expect(dfpConfig(c)).not.to.have.property('allow_insecure_cluster_options');
  });

  it("SIMPLE takes the mesh config's tlsDefaults curves and cipher suites, as a DestinationRule's TLS does", () => {
    const mesh = { ...dnsWith({ mode: 'SIMPLE' }), tlsDefaults: { ecdhCurves: ['P-256'], cipherSuites: ['ECDHE-RSA-AES256-GCM-SHA384'] } };
    const params = tlsContext(byName(envoy(world(mesh)).clusters, CLUSTER)).common_tls_context.tls_params;
    expect(params).to.deep.include({ ecdh_curves: ['P-256'], cipher_suites: ['ECDHE-RSA-AES256-GCM-SHA384'] });
  });

  it('SIMPLE with an sni or insecureSkipVerify: that check off, and the guard lifted as istiod does', () => {
    const sni = cluster({ mode: 'SIMPLE', sni: 'egress.example.com', caCertificates: '/etc/ca.pem' });
    expect(tlsContext(sni).sni).to.equal('egress.example.com');
    expect(tlsContext(sni).common_tls_context.validation_context.trusted_ca).to.deep.equal({ filename: '/etc/ca.pem' });
    expect(httpOptions(sni).upstream_http_protocol_options).to.deep.equal({ auto_san_validation: true });
    expect(dfpConfig(sni).allow_insecure_cluster_options).to.equal(true);
    const insecure = cluster({ mode: 'SIMPLE', insecureSkipVerify: true });
    expect(tlsContext(insecure).common_tls_context).not.to.have.property('validation_context');
    expect(httpOptions(insecure).upstream_http_protocol_options).to.deep.equal({ auto_sni: true });
    expect(dfpConfig(insecure).allow_insecure_cluster_options).to.equal(true);
  });

  it('MUTUAL: the client certificate files', () => {
    const c = cluster({ mode: 'MUTUAL', clientCertificate: '/etc/client/cert.pem', privateKey: '/etc/client/key.pem' });
    expect(tlsContext(c).common_tls_context.tls_certificates).to.deep.equal([{ certificate_chain: { filename: '/etc/client/cert.pem' }, private_key: { filename: '/etc/client/key.pem' } }]);
    expect(httpOptions(c).upstream_http_protocol_options).to.deep.equal({ auto_sni: true, auto_san_validation: true });
  });

  it('ISTIO_MUTUAL: the mesh certificates of a sidecar that has them, no SNI of its own; plaintext without them', () => {
    const c = cluster({ mode: 'ISTIO_MUTUAL' }, proxy(PRODUCTPAGE, certMetadata('/etc/certs')));
    expect(tlsContext(c).common_tls_context.tls_certificate_sds_secret_configs[0].name).to.equal('file-cert:/etc/certs/cert-chain.pem~/etc/certs/key.pem');
    expect(tlsContext(c).common_tls_context.alpn_protocols).to.deep.equal(['istio-peer-exchange', 'istio']);
    expect(tlsContext(c)).not.to.have.property('sni');
    expect(httpOptions(c).upstream_http_protocol_options).to.deep.equal({ auto_sni: true, auto_san_validation: true });
    const plain = cluster({ mode: 'ISTIO_MUTUAL' });
    expect(plain).not.to.have.property('transport_socket');
    expect(dfpConfig(plain).allow_insecure_cluster_options).to.equal(true);
  });

  it('DISABLE: plaintext, as without tls', () => {
    const c = cluster({ mode: 'DISABLE' });
    expect(c).not.to.have.property('transport_socket');
    expect(dfpConfig(c).allow_insecure_cluster_options).to.equal(true);
    expect(httpOptions(c)).not.to.have.property('upstream_http_protocol_options');
  });

  it('SIMPLE with a credentialName: by SDS for a sidecar with mesh certificates, the system CAs for one without', () => {
    const sds = cluster({ mode: 'SIMPLE', credentialName: 'egress-ca' }, proxy(PRODUCTPAGE, certMetadata('/etc/certs')));
    expect(JSON.stringify(tlsContext(sds).common_tls_context)).to.include('kubernetes://egress-ca');
    const files = cluster({ mode: 'SIMPLE', credentialName: 'egress-ca' });
    expect(JSON.stringify(tlsContext(files).common_tls_context)).not.to.include('kubernetes://');
  });
});

describe('outboundTrafficPolicy ALLOW_ANY_DYNAMIC_DNS: routes and listeners', () => {
  it("every outbound port's catch-all virtual host routes to the cluster, without timeouts", () => {
    const { routes } = envoy(world(DNS));
    for (const rc of routes.filter((r) => /^\d+$/.test(r.name)).map((r) => r.resource as any)) {
      const last = rc.virtual_hosts.at(-1);
      expect(last.name, rc.name).to.equal('allow_any_dynamic_dns');
      expect(last.domains).to.deep.equal(['*']);
      expect(last.routes).to.deep.equal([
        { name: 'allow_any_dynamic_dns', match: { prefix: '/' }, route: { cluster: CLUSTER, timeout: { seconds: 0, nanos: 0 }, max_grpc_timeout: { seconds: 0, nanos: 0 } } },
      ]);
      expect(rc.virtual_hosts.map((v: any) => v.name)).not.to.include('allow_any');
    }
    expect(byName(envoy(world({})).routes, '9080').virtual_hosts.at(-1).name).to.equal('allow_any');
  });

  it('every outbound connection manager resolves with the same cache as the cluster, just before the router', () => {
    const { listeners, clusters } = envoy(world(DNS));
    const chain = byName(listeners, '0.0.0.0_9080').filter_chains[0];
    expect(filterNames(chain).slice(-2)).to.deep.equal([DFP_FILTER, 'envoy.filters.http.router']);
    const filter = hcmOf(chain).http_filters.at(-2).typed_config;
    expect(filter.dns_cache_config).to.deep.equal(dfpConfig(byName(clusters, CLUSTER)).dns_cache_config);
    expect(filterNames(byName(envoy(world({})).listeners, '0.0.0.0_9080').filter_chains[0])).not.to.include(DFP_FILTER);
  });

  it('virtualOutbound: plaintext HTTP (the HTTP inspector) to the cluster through a connection manager of its own, the rest passed through', () => {
    const { listeners } = envoy(world(DNS));
    const vo = byName(listeners, 'virtualOutbound');
    expect(vo.listener_filters.map((f: any) => f.name)).to.deep.equal(['envoy.filters.listener.http_inspector']);
    // As sniffing: the inspector waits for the client's first bytes (protocolDetectionTimeout 0s), then TCP.
    expect(vo.listener_filters_timeout).to.deep.equal({ seconds: 0, nanos: 0 });
    expect(vo.continue_on_listener_filters_timeout).to.equal(true);
    expect(vo.filter_chains.map((c: any) => c.name)).to.deep.equal(['virtualOutbound-catchall-tcp-http', 'virtualOutbound-catchall-tcp']);
    const [http, tcp] = vo.filter_chains;
    expect(http.filter_chain_match).to.deep.equal({ transport_protocol: 'raw_buffer', application_protocols: ['http/1.1', 'http/1.0', 'h2c'] });
    const hcm = hcmOf(http);
    expect(hcm.stat_prefix).to.equal('outbound_virtualOutbound_allow_any_dynamic_dns');
    expect(hcm.route_config.name).to.equal('allow_any_dynamic_dns');
    expect(hcm.route_config.virtual_hosts).to.deep.equal([byName(envoy(world(DNS)).routes, '9080').virtual_hosts.at(-1)]);
    expect(filterNames(http).slice(-2)).to.deep.equal([DFP_FILTER, 'envoy.filters.http.router']);
    expect(hcm.http_filters.at(-2).typed_config.dns_cache_config).to.deep.equal(CACHE);
    expect(tcp.filters[0].typed_config.cluster).to.equal('PassthroughCluster');
    // ALLOW_ANY: one chain, no inspector.
    const open = byName(envoy(world({})).listeners, 'virtualOutbound');
    expect(open.filter_chains.map((c: any) => c.name)).to.deep.equal(['virtualOutbound-catchall-tcp']);
    expect(open).not.to.have.property('listener_filters');
  });

  it("virtualOutbound's inspector gives up after protocolDetectionTimeout, and its connection manager normalizes paths as the mesh says", () => {
    const vo = byName(envoy(world({ ...DNS, protocolDetectionTimeout: '250ms', pathNormalization: { normalization: 'MERGE_SLASHES' } })).listeners, 'virtualOutbound');
    expect(vo.listener_filters_timeout).to.deep.equal({ seconds: 0, nanos: 250_000_000 });
    expect(hcmOf(vo.filter_chains[0]).merge_slashes).to.equal(true);
  });

  it("virtualOutbound's connection manager logs requests as the others do", () => {
    const vo = byName(envoy(world({ ...DNS, accessLogFile: '/dev/stdout' })).listeners, 'virtualOutbound');
    expect(hcmOf(vo.filter_chains[0]).access_log?.[0]?.typed_config?.path).to.equal('/dev/stdout');
  });

  it('a sniffed port gets the filter too; a DYNAMIC_DNS ServiceEntry keeps its own, before this one', () => {
    const yaml = `
apiVersion: v1
kind: Service
metadata: { name: web }
spec: { clusterIP: 10.96.7.7, selector: { app: web }, ports: [{ name: web, port: 8000 }] }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: wild }
spec:
  hosts: ['*.example.com']
  resolution: DYNAMIC_DNS
  location: MESH_EXTERNAL
  ports: [{ number: 80, name: http, protocol: HTTP }]`;
    const { listeners } = envoy(world(DNS, yaml));
    const sniffed = byName(listeners, '10.96.7.7_8000').filter_chains.find((c: any) => c.filter_chain_match?.application_protocols);
    expect(filterNames(sniffed).slice(-2)).to.deep.equal([DFP_FILTER, 'envoy.filters.http.router']);
    const port80 = hcmOf(byName(listeners, '0.0.0.0_80').filter_chains[0]).http_filters;
    expect(port80.filter((f: any) => f.name === DFP_FILTER).map((f: any) => f.typed_config.dns_cache_config.name)).to.deep.equal(['*.example.com_dfp_dns_cache', 'allow_any_dfp_dns_cache']);
  });
});

describe('outboundTrafficPolicy ALLOW_ANY_DYNAMIC_DNS: Sidecar resources, gateways, proxyless gRPC', () => {
  const sidecar = (name: string, spec: Record<string, unknown>) => `
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: ${name}, namespace: default }
spec: ${JSON.stringify(spec)}`;

  it("a Sidecar's own outboundTrafficPolicy wins; one that sets none keeps the mesh's mode, as in istiod", () => {
    const yaml = [
      sidecar('scoped', { egress: [{ hosts: ['./*'] }] }),
      sidecar('open', { workloadSelector: { labels: { app: 'reviews' } }, outboundTrafficPolicy: { mode: 'ALLOW_ANY' } }),
    ].join('\n---');
    const snap = world(DNS, yaml);
    const product = envoy(snap);
    expect(hasCluster(product.clusters)).to.equal(true);
    expect(byName(product.routes, '9080').virtual_hosts.at(-1).name).to.equal('allow_any_dynamic_dns');
    const reviews = envoy(snap, proxy(REVIEWS_V1));
    expect(hasCluster(reviews.clusters)).to.equal(false);
    expect(byName(reviews.routes, '9080').virtual_hosts.at(-1).name).to.equal('allow_any');
    expect(byName(reviews.listeners, 'virtualOutbound').filter_chains.map((c: any) => c.name)).to.deep.equal(['virtualOutbound-catchall-tcp']);
    expect(JSON.stringify(reviews.listeners)).not.to.include('allow_any_dfp_dns_cache');
    const blocked = envoy(world(DNS, sidecar('closed', { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } })));
    expect(hasCluster(blocked.clusters)).to.equal(false);
    expect(byName(blocked.routes, '9080').virtual_hosts.at(-1).name).to.equal('block_all');
  });

  it('proxyless gRPC gets nothing of it', () => {
    const r = resolveMeshConfig(DNS);
    if (!r.ok) throw new Error(r.errors.join());
    const plain = grpcSnapshot();
    const snap = buildSnapshot([], snapshotOptions(r.value));
    expect(snap.mesh.allowAnyDynamicDns).to.deep.equal({});
    const withMode = { ...plain, mesh: snap.mesh };
    for (const t of ENVOY_TYPES) {
      const out = generate(withMode, grpcNode(), t);
      expect(out.length, t).to.equal(generate(plain, grpcNode(), t).length);
      expect(JSON.stringify(out), t).not.to.include('allow_any_dynamic_dns').and.not.include(CLUSTER);
    }
  });

  it('a snapshot of another mode is another version', () => {
    expect(world(DNS).version).not.to.equal(world({}).version);
    expect(world(dnsWith({ mode: 'SIMPLE' })).version).not.to.equal(world(DNS).version);
  });
});
