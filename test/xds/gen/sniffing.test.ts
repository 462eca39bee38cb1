/**
 * Protocol sniffing: a Service port whose protocol is unsaid (no known name prefix, no appProtocol) gets, as in
 * Istio, the HTTP inspector in front of an HTTP chain (plaintext HTTP, with the VirtualService's routes) and a
 * TCP chain (everything else), on the client side and on the server side.
 */
import { expect } from 'chai';
import { generate } from '../../../src/xds/gen/index.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { PRODUCTPAGE, REVIEWS_V1, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

/** ratings answers on an unnamed port 8080 too (Service VIP 10.96.7.7), and on a headless unnamed port. */
const UNNAMED = `
apiVersion: v1
kind: Service
metadata: { name: legacy }
spec: { clusterIP: 10.96.7.7, selector: { app: reviews }, ports: [{ port: 8080 }, { name: web, port: 8081 }, { name: metrics, port: 9100, appProtocol: http }] }
---
apiVersion: v1
kind: Service
metadata: { name: legacy-headless }
spec: { clusterIP: None, selector: { app: reviews }, ports: [{ port: 7070 }] }`;

const FAULTY = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: legacy }
spec:
  hosts: [legacy]
  http:
  - fault: { abort: { httpStatus: 503, percentage: { value: 100 } } }
    route: [{ destination: { host: legacy } }]`;

function generated(yaml: string, node: string, mesh: Record<string, unknown> = {}) {
  const m = resolveMeshConfig(mesh);
  if (!m.ok) throw new Error(m.errors.join());
  const snap = buildSnapshot([...bookinfo(), ...yamlObjects(yaml)], snapshotOptions(m.value));
  const out = Object.fromEntries([TypeUrls.listener, TypeUrls.route, TypeUrls.cluster].map((t) => [t, generate(snap, proxy(node), t)]));
  for (const [t, rs] of Object.entries(out)) expectValid(t, rs);
  return { listeners: out[TypeUrls.listener]!, routes: out[TypeUrls.route]!, clusters: out[TypeUrls.cluster]! };
}
const filter = (chain: any): any => chain.filters.at(-1);

describe('protocol sniffing on ports with no protocol said', () => {
  it('outbound: the VIP listener sniffs, sends plaintext HTTP to its own route configuration and the rest to tcp_proxy', () => {
    const { listeners, routes, clusters } = generated(`${UNNAMED}\n---${FAULTY}`, PRODUCTPAGE);
    const l = byName(listeners, '10.96.7.7_8080');
    expect(l.listener_filters.map((f: any) => f.name)).to.deep.equal(['envoy.filters.listener.http_inspector']);
    expect(l.listener_filters_timeout, "Istio's default protocolDetectionTimeout: wait for the client").to.deep.equal({ seconds: 0, nanos: 0 });
    expect(l.continue_on_listener_filters_timeout).to.equal(true);
    const [tcp, http] = l.filter_chains;
    expect(tcp.filter_chain_match).to.equal(undefined);
    expect(filter(tcp).typed_config.cluster).to.equal('outbound|8080||legacy.default.svc.cluster.local');
    expect(http.filter_chain_match).to.deep.equal({ transport_protocol: 'raw_buffer', application_protocols: ['http/1.1', 'http/1.0', 'h2c'] });
    expect(filter(http).typed_config.rds.route_config_name).to.equal('legacy.default.svc.cluster.local:8080');
    // The route configuration: the service's virtual host alone, for any Host, with its VirtualService's fault.
    const rc = byName(routes, 'legacy.default.svc.cluster.local:8080');
    expect(rc.virtual_hosts).to.have.length(1);
    expect(rc.virtual_hosts[0].domains).to.deep.equal(['*']);
    expect(rc.virtual_hosts[0].routes[0].typed_per_filter_config['envoy.filters.http.fault'].abort.http_status).to.equal(503);
    // Upstream, HTTP goes in the protocol it came in.
    expect(byName(clusters, 'outbound|8080||legacy.default.svc.cluster.local').typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].use_downstream_protocol_config).to.deep.equal({ http_protocol_options: {}, http2_protocol_options: {} });
  });

  it('a name or appProtocol says the protocol: no sniffing; a headless service keeps TCP', () => {
    const { listeners, routes } = generated(UNNAMED, PRODUCTPAGE);
    const names = listeners.map((l) => l.name);
    expect(names).to.include('0.0.0.0_9100', 'appProtocol http: the HTTP listener of the port');
    expect(byName(listeners, '10.96.7.7_8081').listener_filters, 'web is no protocol, but a name: sniffed').to.have.length(1);
    expect(byName(routes, '9100').virtual_hosts.map((v: any) => v.name)).to.include('legacy.default.svc.cluster.local:9100');
    const headless = byName(listeners, '0.0.0.0_7070');
    expect(headless.listener_filters).to.equal(undefined);
    expect(headless.filter_chains.every((c: any) => filter(c).name === 'envoy.filters.network.tcp_proxy')).to.equal(true);
    expect(routes.map((r) => r.name)).to.not.include('legacy-headless.default.svc.cluster.local:7070');
  });

  it("inbound: two chains on the sniffed port; the HTTP inspector only inspects the sniffed ports; the mesh config's protocolDetectionTimeout bounds the wait", () => {
    const { listeners, clusters } = generated(UNNAMED, REVIEWS_V1, { protocolDetectionTimeout: '250ms' });
    const vi = byName(listeners, 'virtualInbound');
    const chains = vi.filter_chains.filter((c: any) => c.filter_chain_match?.destination_port?.value === 8080);
    expect(chains.map((c: any) => c.name)).to.deep.equal(['inbound|8080||', 'inbound|8080||-tcp']);
    expect(chains[0].filter_chain_match).to.deep.equal({ destination_port: { value: 8080 }, transport_protocol: 'raw_buffer', application_protocols: ['http/1.1', 'http/1.0', 'h2c'] });
    expect(filter(chains[0]).typed_config.route_config.virtual_hosts[0].routes[0].route.cluster).to.equal('inbound|8080||');
    expect(filter(chains[1]).typed_config.cluster).to.equal('inbound|8080||');
    const inspector = vi.listener_filters.find((f: any) => f.name === 'envoy.filters.listener.http_inspector');
    expect(inspector.filter_disabled).to.deep.equal({
      not_match: { or_match: { rules: [8080, 8081, 7070].sort((a, b) => a - b).map((p) => ({ destination_port_range: { start: p, end: p + 1 } })) } },
    });
    expect(vi.listener_filters_timeout).to.deep.equal({ seconds: 0, nanos: 250_000_000 });
    expect(byName(listeners, '10.96.7.7_8080').listener_filters_timeout).to.deep.equal({ seconds: 0, nanos: 250_000_000 });
    expect(byName(clusters, 'inbound|8080||').typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].use_downstream_protocol_config).to.not.equal(undefined);
    expect(byName(clusters, 'inbound|9080||').typed_extension_protocol_options, 'a named HTTP port: HTTP/1.1 as before').to.equal(undefined);
  });

  it('one sniffed inbound port: a single port range; none: no HTTP inspector at all', () => {
    const single = `
apiVersion: v1
kind: Service
metadata: { name: legacy }
spec: { clusterIP: 10.96.7.7, selector: { app: reviews }, ports: [{ port: 8080 }] }`;
    const vi = byName(generated(single, REVIEWS_V1).listeners, 'virtualInbound');
    expect(vi.listener_filters[1].filter_disabled).to.deep.equal({ not_match: { destination_port_range: { start: 8080, end: 8081 } } });
    const plain = byName(generated('', REVIEWS_V1).listeners, 'virtualInbound');
    expect(plain.listener_filters.map((f: any) => f.name)).to.deep.equal(['envoy.filters.listener.original_dst']);
    expect(plain.listener_filters_timeout).to.equal(undefined);
  });

  it('an AuthorizationPolicy puts HTTP rules on the sniffed HTTP chain and TCP rules on its TCP chain', () => {
    const policy = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: legacy }
spec:
  selector: { matchLabels: { app: reviews } }
  rules: [{ to: [{ operation: { ports: ['8080'], paths: ['/ok'] } }] }]`;
    const vi = byName(generated(`${UNNAMED}\n---${policy}`, REVIEWS_V1).listeners, 'virtualInbound');
    const [http, tcp] = vi.filter_chains.filter((c: any) => c.filter_chain_match?.destination_port?.value === 8080);
    expect(filter(http).typed_config.http_filters[0].name).to.equal('envoy.filters.http.rbac.allow');
    expect(tcp.filters.map((f: any) => f.name)).to.deep.equal(['envoy.filters.network.rbac.allow', 'envoy.filters.network.tcp_proxy']);
    // Over TCP, a rule with paths cannot match: the TCP chain's ALLOW policy has no rule that does.
    expect(tcp.filters[0].typed_config.rules.policies ?? {}).to.deep.equal({});
  });
});
