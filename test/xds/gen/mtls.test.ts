/**
 * Mesh mTLS for Envoy sidecars with file-mounted certificates (src/xds/gen/mtls.ts): the node metadata names the
 * files, SDS points at them, clients use mTLS (ISTIO_MUTUAL, auto mTLS) and servers take it as their
 * PeerAuthentication says. A proxy without the metadata gets what it got before.
 */
import { X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import { generate, proxyScope } from '../../../src/xds/gen/index.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import { MeshCerts, TypeUrls } from '../../../src/core/constants.js';
import type { KubeObject } from '../../../src/core/kube.js';
import { generateCa, issueWorkloadCert } from '../../../src/certs/index.js';
import { certMetadata } from '../../../src/bootstrap/envoy.js';
import { GATEWAY, PRODUCTPAGE, REVIEWS_V1, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

/** What an injected sidecar with mesh certificates says in its node metadata (the files under /etc/certs). */
const CERTS: Record<string, string> = certMetadata('/etc/certs');
const CERT_SECRET = 'file-cert:/etc/certs/cert-chain.pem~/etc/certs/key.pem';
const ROOT_SECRET = 'file-root:/etc/certs/root-cert.pem';
const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';

function snapshot(yaml = '', mesh: Record<string, unknown> = {}, objects: KubeObject[] = bookinfo()) {
  const m = resolveMeshConfig(mesh);
  if (!m.ok) throw new Error(m.errors.join());
  return buildSnapshot([...objects, ...(yaml ? yamlObjects(yaml) : [])], snapshotOptions(m.value));
}

function generated(snap: ReturnType<typeof snapshot>, node: string, metadata: Record<string, unknown> = CERTS) {
  const p = proxy(node, metadata);
  const types = [TypeUrls.cluster, TypeUrls.endpoint, TypeUrls.listener, TypeUrls.secret];
  const out = Object.fromEntries(types.map((t) => [t, generate(snap, p, t)]));
  for (const [t, rs] of Object.entries(out)) expectValid(t, rs);
  return { clusters: out[TypeUrls.cluster]!, endpoints: out[TypeUrls.endpoint]!, listeners: out[TypeUrls.listener]!, secrets: out[TypeUrls.secret]! };
}

const tlsOf = (socket: any) => socket.typed_config;
/** The SAN matchers a TLS context (typed_config) checks the peer against. */
const sanMatchers = (ctx: any): any[] => ctx.common_tls_context.combined_validation_context.default_validation_context.match_typed_subject_alt_names;
const inboundChains = (listeners: any[], port: number) => byName(listeners, 'virtualInbound').filter_chains.filter((c: any) => c.filter_chain_match?.destination_port?.value === port);

describe('mesh mTLS for Envoy sidecars with file-mounted certificates', () => {
  it('without the certificate metadata a proxy gets no TLS, no secrets and no TLS inspector', () => {
    const { clusters, listeners, secrets } = generated(snapshot(), PRODUCTPAGE, {});
    expect(secrets).to.deep.equal([]);
    expect(clusters.some((c) => c.resource.transport_socket_matches || c.resource.transport_socket)).to.equal(false);
    const vi = byName(listeners, 'virtualInbound');
    expect(vi.listener_filters.map((f: any) => f.name)).to.not.include('envoy.filters.listener.tls_inspector');
    expect(vi.filter_chains.some((c: any) => c.transport_socket)).to.equal(false);
  });

  it('a metadata path that is not absolute counts as no certificates', () => {
    const { secrets } = generated(snapshot(), PRODUCTPAGE, { ...CERTS, [MeshCerts.metadata.serverKey]: 'key.pem', [MeshCerts.metadata.clientRoot]: 42 });
    expect(secrets).to.deep.equal([]);
  });

  it('SDS: the secrets the sockets name point at the files, with their directory watched', () => {
    const { secrets } = generated(snapshot(), PRODUCTPAGE);
    expect(secrets.map((s) => s.resource)).to.deep.equal([
      { name: CERT_SECRET, tls_certificate: { certificate_chain: { filename: '/etc/certs/cert-chain.pem' }, private_key: { filename: '/etc/certs/key.pem' }, watched_directory: { path: '/etc/certs' } } },
      { name: ROOT_SECRET, validation_context: { trusted_ca: { filename: '/etc/certs/root-cert.pem' }, watched_directory: { path: '/etc/certs' } } },
    ]);
  });

  it('auto mTLS: mTLS to endpoints labelled tlsMode=istio, checked against the service accounts, plaintext to the rest', () => {
    const { clusters, endpoints } = generated(snapshot(), PRODUCTPAGE);
    const c = byName(clusters, REVIEWS);
    expect(c.transport_socket).to.equal(undefined);
    const [istio, plain] = c.transport_socket_matches;
    expect(istio.match).to.deep.equal({ tlsMode: 'istio' });
    expect(plain).to.deep.include({ name: 'tlsMode-disabled', match: {} });
    const ctx = tlsOf(istio.transport_socket);
    expect(ctx['@type']).to.equal('type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext');
    expect(ctx.sni).to.equal('outbound_.9080_._.reviews.default.svc.cluster.local');
    expect(ctx.common_tls_context.alpn_protocols).to.deep.equal(['istio-peer-exchange', 'istio']);
    expect(ctx.common_tls_context.tls_certificate_sds_secret_configs).to.deep.equal([{ name: CERT_SECRET, sds_config: { ads: {}, resource_api_version: 'V3' } }]);
    const v = ctx.common_tls_context.combined_validation_context;
    expect(v.validation_context_sds_secret_config.name).to.equal(ROOT_SECRET);
    expect(v.default_validation_context.match_typed_subject_alt_names).to.deep.equal([{ san_type: 'URI', matcher: { exact: 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews' } }]);
    // The endpoints carry what the match reads.
    const la = byName(endpoints, REVIEWS);
    const meta = la.endpoints.flatMap((l: any) => l.lb_endpoints.map((e: any) => e.metadata));
    expect(meta.length).to.be.greaterThan(0);
    for (const m of meta) expect(m).to.deep.equal({ filter_metadata: { 'envoy.transport_socket_match': { tlsMode: 'istio' } } });
  });

  it('the SAN a client checks is the identity mizzen issues the server', async () => {
    const { clusters } = generated(snapshot(), PRODUCTPAGE);
    const ctx = tlsOf(byName(clusters, REVIEWS).transport_socket_matches[0].transport_socket);
    const want = sanMatchers(ctx)[0].matcher.exact;
    const ca = await generateCa('mesh CA test');
    const cert = await issueWorkloadCert(ca, { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'bookinfo-reviews' });
    expect(new X509Certificate(cert.certChain).subjectAltName).to.equal(`URI:${want}`);
  });

  it('a headless service (ORIGINAL_DST, no endpoints to match) gets mTLS when every endpoint of the port takes it, as istiod infers', () => {
    const headless = `
apiVersion: v1
kind: Service
metadata: { name: reviews-headless }
spec: { clusterIP: None, selector: { app: reviews }, ports: [{ name: tcp-db, port: 7070 }] }`;
    const HEADLESS = 'outbound|7070||reviews-headless.default.svc.cluster.local';
    const c = byName(generated(snapshot(headless), PRODUCTPAGE).clusters, HEADLESS);
    expect(c.type).to.equal('ORIGINAL_DST');
    expect(c.transport_socket_matches).to.equal(undefined);
    const ctx = tlsOf(c.transport_socket);
    expect(ctx.sni).to.equal('outbound_.7070_._.reviews-headless.default.svc.cluster.local');
    expect(sanMatchers(ctx)[0].matcher.exact).to.equal('spiffe://cluster.local/ns/default/sa/bookinfo-reviews');
    // One endpoint without certificates (injected before they were on): plaintext to all, as a socket match cannot tell.
    const mixed = bookinfo().map((o) => (o.kind === 'Pod' && String(o.metadata.name).startsWith('reviews-v2') ? { ...o, metadata: { ...o.metadata, annotations: { 'sidecar.istio.io/status': '{"volumes":["istio-envoy"]}' } } } : o));
    expect(byName(generated(snapshot(headless, {}, mixed), PRODUCTPAGE).clusters, HEADLESS).transport_socket).to.equal(undefined);
    // A service with no endpoints: plaintext.
    const none = headless.replace('app: reviews', 'app: nobody');
    expect(byName(generated(snapshot(none), PRODUCTPAGE).clusters, HEADLESS).transport_socket).to.equal(undefined);
  });

  it('a DestinationRule decides: ISTIO_MUTUAL is mTLS to every endpoint, with its own SANs and SNI; DISABLE and SIMPLE as they say', () => {
    const rules = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews }
spec:
  host: reviews
  trafficPolicy: { tls: { mode: ISTIO_MUTUAL, subjectAltNames: [spiffe://cluster.local/ns/default/sa/other], sni: reviews.internal } }
  subsets: [{ name: v1, labels: { version: v1 }, trafficPolicy: { tls: { mode: DISABLE } } }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ratings }
spec: { host: ratings, trafficPolicy: { tls: { mode: SIMPLE } } }`;
    const { clusters } = generated(snapshot(rules), PRODUCTPAGE);
    const mutual = byName(clusters, REVIEWS);
    expect(mutual.transport_socket_matches).to.equal(undefined);
    const ctx = tlsOf(mutual.transport_socket);
    expect(ctx.sni).to.equal('reviews.internal');
    expect(sanMatchers(ctx)).to.deep.equal([
      { san_type: 'URI', matcher: { exact: 'spiffe://cluster.local/ns/default/sa/other' } },
    ]);
    const v1 = byName(clusters, 'outbound|9080|v1|reviews.default.svc.cluster.local');
    expect(v1.transport_socket ?? v1.transport_socket_matches).to.equal(undefined);
    const simple = byName(clusters, 'outbound|9080||ratings.default.svc.cluster.local');
    expect(simple.transport_socket_matches).to.equal(undefined);
    expect(tlsOf(simple.transport_socket).common_tls_context.tls_certificate_sds_secret_configs, "SIMPLE: the client presents no mesh certificate").to.equal(undefined);
  });

  it('enableAutoMtls: false leaves clusters without a tls setting plaintext', () => {
    const { clusters } = generated(snapshot('', { enableAutoMtls: false }), PRODUCTPAGE);
    expect(byName(clusters, REVIEWS).transport_socket_matches).to.equal(undefined);
  });

  it("inbound mTLS accepts clients of the mesh's trust domain, its aliases and caCertificates' trustDomains (istiod's TrustDomainsForValidation); alias patterns are left out", () => {
    const mesh = { trustDomainAliases: ['old.example', '*.legacy'], caCertificates: [{ trustDomains: ['partner.example', 'old.example'] }] };
    const { listeners } = generated(snapshot('', mesh), REVIEWS_V1);
    const server = tlsOf(inboundChains(listeners, 9080)[0].transport_socket);
    expect(sanMatchers(server).map((m: any) => m.matcher.prefix)).to.deep.equal(['spiffe://cluster.local/', 'spiffe://old.example/', 'spiffe://partner.example/']);
  });

  it('no auto mTLS to a MESH_EXTERNAL ServiceEntry', () => {
    const se = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: httpbin }
spec: { hosts: [httpbin.org], location: MESH_EXTERNAL, resolution: DNS, ports: [{ number: 80, name: http, protocol: HTTP }] }`;
    const { clusters } = generated(snapshot(se), PRODUCTPAGE);
    expect(byName(clusters, 'outbound|80||httpbin.org').transport_socket_matches).to.equal(undefined);
  });

  it('PERMISSIVE (no policy): TLS is mTLS on an HTTP port (any ALPN: proxyless gRPC says h2), plaintext stays plaintext', () => {
    const { listeners } = generated(snapshot(), REVIEWS_V1);
    const vi = byName(listeners, 'virtualInbound');
    expect(vi.listener_filters.map((f: any) => f.name)).to.include('envoy.filters.listener.tls_inspector');
    const chains = inboundChains(listeners, 9080);
    expect(chains.map((c: any) => [c.name, c.filter_chain_match.transport_protocol, c.filter_chain_match.application_protocols?.[0] ?? '', !!c.transport_socket])).to.deep.equal([
      ['inbound|9080||-mtls', 'tls', '', true],
      ['inbound|9080||', 'raw_buffer', '', false],
    ]);
    const server = tlsOf(chains[0].transport_socket);
    expect(server.require_client_certificate).to.deep.equal({ value: true });
    expect(sanMatchers(server)).to.deep.equal([
      { san_type: 'URI', matcher: { prefix: 'spiffe://cluster.local/' } },
    ]);
    // Both chains run the same filters: authorization reads the peer's identity on the mTLS one, and the connection
    // manager passes it to the application in x-forwarded-client-cert (set on every inbound one, as in Istio).
    expect(chains[0].filters).to.deep.equal(chains[1].filters);
    expect(chains[0].filters.at(-1).typed_config.set_current_client_cert_details).to.deep.equal({ subject: { value: true }, dns: true, uri: true });
    // TCP (here the ports no service declares): mTLS for the mesh's ALPN, and another TLS client (the application's
    // own TLS) reaches them as it came.
    const catchall = vi.filter_chains.filter((c: any) => c.name.startsWith('virtualInbound-catchall-tcp'));
    expect(catchall.map((c: any) => [c.name, c.filter_chain_match.transport_protocol, c.filter_chain_match.application_protocols ?? [], !!c.transport_socket])).to.deep.equal([
      ['virtualInbound-catchall-tcp-mtls', 'tls', ['istio-peer-exchange', 'istio', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2'], true],
      ['virtualInbound-catchall-tcp', 'raw_buffer', [], false],
      ['virtualInbound-catchall-tcp-tls', 'tls', [], false],
    ]);
  });

  it('STRICT: mTLS only, on declared ports and the catch-all; a port-level DISABLE keeps that port plaintext', () => {
    const strict = `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default }
spec: { mtls: { mode: STRICT } }`;
    const { listeners } = generated(snapshot(strict), REVIEWS_V1);
    const chains = inboundChains(listeners, 9080);
    expect(chains).to.have.length(1);
    expect(chains[0].filter_chain_match).to.deep.equal({ destination_port: { value: 9080 }, transport_protocol: 'tls' });
    expect(tlsOf(chains[0].transport_socket).require_client_certificate).to.deep.equal({ value: true });
    const catchall = byName(listeners, 'virtualInbound').filter_chains.filter((c: any) => c.name.startsWith('virtualInbound-catchall'));
    expect(catchall.map((c: any) => c.filter_chain_match.transport_protocol)).to.deep.equal(['tls']);

    const portDisabled = `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: reviews }
spec: { selector: { matchLabels: { app: reviews } }, mtls: { mode: STRICT }, portLevelMtls: { '9080': { mode: DISABLE } } }`;
    const off = generated(snapshot(portDisabled), REVIEWS_V1).listeners;
    expect(inboundChains(off, 9080).map((c: any) => [c.filter_chain_match.transport_protocol, !!c.transport_socket])).to.deep.equal([[undefined, false]]);
    // The TLS inspector runs on every port but that one (a server-speaks-first protocol there is not held up), and
    // waits for a client's first bytes as sniffing does, not Envoy's 15 s.
    const vi = byName(off, 'virtualInbound');
    const inspector = vi.listener_filters.find((f: any) => f.name === 'envoy.filters.listener.tls_inspector');
    expect(inspector.filter_disabled).to.deep.equal({ destination_port_range: { start: 9080, end: 9081 } });
    expect(vi).to.deep.include({ listener_filters_timeout: { seconds: 0, nanos: 0 }, continue_on_listener_filters_timeout: true });
  });

  it('a workload whose mode is DISABLE but for one STRICT port runs the TLS inspector on that port only', () => {
    const onePort = `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: reviews }
spec: { selector: { matchLabels: { app: reviews } }, mtls: { mode: DISABLE }, portLevelMtls: { '9080': { mode: STRICT } } }`;
    const vi = byName(generated(snapshot(onePort), REVIEWS_V1).listeners, 'virtualInbound');
    const inspector = vi.listener_filters.find((f: any) => f.name === 'envoy.filters.listener.tls_inspector');
    expect(inspector.filter_disabled).to.deep.equal({ not_match: { destination_port_range: { start: 9080, end: 9081 } } });
    const all = `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default }
spec: { mtls: { mode: DISABLE } }`;
    const none = byName(generated(snapshot(all), REVIEWS_V1).listeners, 'virtualInbound');
    expect(none.listener_filters.map((f: any) => f.name)).to.deep.equal(['envoy.filters.listener.original_dst']);
    expect(none.listener_filters_timeout).to.equal(undefined);
  });

  it('a sniffed port over mTLS is TCP to the server; its plaintext chains stay as they were', () => {
    const unnamed = `
apiVersion: v1
kind: Service
metadata: { name: legacy }
spec: { clusterIP: 10.96.7.7, selector: { app: reviews }, ports: [{ port: 8080 }] }`;
    const chains = inboundChains(generated(snapshot(unnamed), REVIEWS_V1).listeners, 8080);
    expect(chains.map((c: any) => [c.name, c.filter_chain_match.transport_protocol, !!c.transport_socket])).to.deep.equal([
      ['inbound|8080||-tcp-mtls', 'tls', true],
      ['inbound|8080||', 'raw_buffer', false],
      ['inbound|8080||-tcp', 'raw_buffer', false],
      ['inbound|8080||-tcp-tls', 'tls', false],
    ]);
    expect(chains[0].filters.at(-1).name).to.equal('envoy.filters.network.tcp_proxy');
  });

  it('EDS: a pod injected without certificates (status annotation without istio-certs) takes no mTLS; one with them does', () => {
    const pods = bookinfo().map((o) => {
      if (o.kind !== 'Pod' || !String(o.metadata.name).startsWith('reviews-')) return o;
      const volumes = String(o.metadata.name).startsWith('reviews-v1') ? ['istio-envoy', 'istio-certs'] : ['istio-envoy'];
      return { ...o, metadata: { ...o.metadata, annotations: { 'sidecar.istio.io/status': JSON.stringify({ containers: ['istio-proxy'], volumes }) } } };
    });
    const la = byName(generated(snapshot('', {}, pods), PRODUCTPAGE).endpoints, REVIEWS);
    const byIp = Object.fromEntries(la.endpoints.flatMap((l: any) => l.lb_endpoints.map((e: any) => [e.endpoint.address.socket_address.address, !!e.metadata])));
    expect(byIp).to.deep.equal({ '10.244.0.13': true, '10.244.0.14': false, '10.244.0.15': false });
  });

  it('EDS: a server whose PeerAuthentication is DISABLE is called in plaintext', () => {
    const off = `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: reviews }
spec: { selector: { matchLabels: { app: reviews } }, mtls: { mode: DISABLE } }`;
    const la = byName(generated(snapshot(off), PRODUCTPAGE).endpoints, REVIEWS);
    expect(la.endpoints.flatMap((l: any) => l.lb_endpoints).some((e: any) => e.metadata)).to.equal(false);
    const ratings = byName(generated(snapshot(off), PRODUCTPAGE).endpoints, 'outbound|9080||ratings.default.svc.cluster.local');
    expect(ratings.endpoints[0].lb_endpoints[0].metadata).to.not.equal(undefined);
  });

  it('proxies with and without certificates are told apart by their scope; gateways with certificates use mTLS too', () => {
    const snap = snapshot();
    expect(proxyScope(snap, proxy(PRODUCTPAGE, CERTS))).to.not.equal(proxyScope(snap, proxy(PRODUCTPAGE, {})));
    const { clusters } = generated(snap, GATEWAY);
    expect(byName(clusters, 'outbound|9080||productpage.default.svc.cluster.local').transport_socket_matches).to.have.length(2);
  });

  it('proxies with certificates share each mTLS cluster object; a service account that changes is checked anew', () => {
    const snap = snapshot();
    const a = byName(generate(snap, proxy(PRODUCTPAGE, CERTS), TypeUrls.cluster), REVIEWS);
    const b = byName(generate(snap, proxy(REVIEWS_V1, CERTS), TypeUrls.cluster), REVIEWS);
    expect(a, 'one object for both scopes (encoded once)').to.equal(b);
    const moved = bookinfo().map((o) => (o.kind === 'Pod' && String(o.metadata.name).startsWith('reviews-v1') ? { ...o, spec: { ...o.spec, serviceAccountName: 'reviews-new' } } : o));
    const c = byName(generate(snapshot('', {}, moved), proxy(PRODUCTPAGE, CERTS), TypeUrls.cluster), REVIEWS);
    const sans = (x: any) => sanMatchers(tlsOf(x.transport_socket_matches[0].transport_socket)).map((m: any) => m.matcher.exact);
    expect(sans(c)).to.deep.equal(['spiffe://cluster.local/ns/default/sa/bookinfo-reviews', 'spiffe://cluster.local/ns/default/sa/reviews-new']);
  });

  it('a gateway with mesh certificates terminates an ISTIO_MUTUAL HTTPS server with them; one without gets no listener for it', () => {
    const gateway = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: internal, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 8443, name: https-mesh, protocol: HTTPS }, hosts: ['*/reviews.default.svc.cluster.local'], tls: { mode: ISTIO_MUTUAL } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews-internal, namespace: istio-system }
spec: { hosts: [reviews.default.svc.cluster.local], gateways: [internal], http: [{ route: [{ destination: { host: reviews.default.svc.cluster.local } }] }] }`;
    const snap = snapshot(gateway);
    const gw = proxy(GATEWAY, { ...CERTS, LABELS: { istio: 'ingressgateway' } });
    const listener = byName(generate(snap, gw, TypeUrls.listener), '0.0.0.0_8443');
    const [chain] = listener.filter_chains;
    expect(chain.filter_chain_match.transport_protocol).to.equal('tls');
    const ctx = tlsOf(chain.transport_socket);
    expect(ctx.require_client_certificate).to.deep.equal({ value: true });
    expect(ctx.common_tls_context.tls_certificate_sds_secret_configs[0].name).to.equal(CERT_SECRET);
    // As istiod: HTTP's ALPN, and no trust domain required of the client (the mesh roots decide).
    expect(ctx.common_tls_context.alpn_protocols).to.deep.equal(['h2', 'http/1.1']);
    expect(ctx.common_tls_context.combined_validation_context.default_validation_context).to.deep.equal({});
    const rds = chain.filters.at(-1).typed_config.rds.route_config_name;
    const route = byName(generate(snap, gw, TypeUrls.route), rds);
    expect(route.virtual_hosts[0].domains).to.include('reviews.default.svc.cluster.local');
    expectValid(TypeUrls.listener, generate(snap, gw, TypeUrls.listener));
    const bare = proxy(GATEWAY, { LABELS: { istio: 'ingressgateway' } });
    expect(generate(snap, bare, TypeUrls.listener).map((l) => l.name)).to.not.include('0.0.0.0_8443');
  });

  describe('which chain Envoy picks (its filter chain match: the most specific value at each level, no going back)', () => {
    interface Conn { port: number; tls: boolean; alpn?: string[] }
    /** Envoy's order of the levels used here: destination port, destination IP, transport protocol, ALPN. */
    function pick(chains: any[], conn: Conn, ip = '10.244.0.13'): string | null {
      const m = (c: any) => c.filter_chain_match ?? {};
      let set = chains.filter((c) => m(c).destination_port?.value === conn.port);
      if (set.length === 0) set = chains.filter((c) => m(c).destination_port === undefined);
      const contains = (c: any) => (m(c).prefix_ranges ?? []).some((r: any) => r.prefix_len.value === 0 || ip.startsWith(r.address_prefix));
      const byIp = set.filter((c) => m(c).prefix_ranges && contains(c));
      set = byIp.length > 0 ? byIp : set.filter((c) => !m(c).prefix_ranges);
      const transport = conn.tls ? 'tls' : 'raw_buffer';
      const byTransport = set.filter((c) => m(c).transport_protocol === transport);
      set = byTransport.length > 0 ? byTransport : set.filter((c) => !m(c).transport_protocol);
      for (const a of conn.alpn ?? []) {
        const hit = set.filter((c) => (m(c).application_protocols ?? []).includes(a));
        if (hit.length > 0) return hit[0].name;
      }
      const any = set.filter((c) => !m(c).application_protocols);
      return any[0]?.name ?? null;
    }
    const chainsOf = (yaml: string) => byName(generated(snapshot(yaml), REVIEWS_V1).listeners, 'virtualInbound').filter_chains;
    const MESH = ['istio-peer-exchange', 'istio'];

    it('PERMISSIVE: each kind of client lands where it should', () => {
      const chains = chainsOf('');
      expect(pick(chains, { port: 9080, tls: false })).to.equal('inbound|9080||');
      expect(pick(chains, { port: 9080, tls: true, alpn: MESH })).to.equal('inbound|9080||-mtls');
      expect(pick(chains, { port: 9080, tls: true, alpn: ['h2'] }), 'a proxyless gRPC client').to.equal('inbound|9080||-mtls');
      expect(pick(chains, { port: 7777, tls: false })).to.equal('virtualInbound-catchall-tcp');
      expect(pick(chains, { port: 7777, tls: true, alpn: MESH })).to.equal('virtualInbound-catchall-tcp-mtls');
      expect(pick(chains, { port: 7777, tls: true, alpn: ['h2', 'http/1.1'] }), "the application's own TLS").to.equal('virtualInbound-catchall-tcp-tls');
    });

    it('STRICT: plaintext finds no chain (Envoy closes the connection), TLS finds the mTLS one', () => {
      const chains = chainsOf(`
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default }
spec: { mtls: { mode: STRICT } }`);
      expect(pick(chains, { port: 9080, tls: false })).to.equal(null);
      expect(pick(chains, { port: 7777, tls: false })).to.equal(null);
      const strict = chains.find((c: any) => c.name === pick(chains, { port: 9080, tls: true, alpn: MESH }));
      expect(strict.transport_socket.typed_config.require_client_certificate).to.deep.equal({ value: true });
    });
  });
});
