/**
 * Gateway TLS servers and passthrough routes that name one server name on one port: a listener Envoy accepts (no
 * two chains match one connection), keeping what istiod keeps: the first server (oldest Gateway, then name, then
 * server order) keeps a host, a later server naming it is dropped whole; a passthrough match naming a taken SNI
 * host is skipped; wildcards are names of their own. expectValid checks every listener with expectDistinctChains.
 */
import { expect } from 'chai';
import { generate } from '../../../src/xds/gen/index.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { distinctChains, firstClaims, serverNames } from '../../../src/xds/gen/gateway-sni.js';
import { GATEWAY, bookinfo, byName, expectDistinctChains, expectValid, ingressGatewayYaml, proxy, yamlObjects } from './helpers.js';

const DAY1 = '2026-01-01T00:00:00Z';
const DAY2 = '2026-01-02T00:00:00Z';

/** A Gateway on the ingress gateway's workloads with `servers` (YAML flow items). */
const gw = (name: string, created: string, ...servers: string[]) => ingressGatewayYaml(name, created, servers.map((s) => `\n  - ${s}`).join(''));

const https = (name: string, hosts: string[]) => `{ port: { number: 443, name: ${name}, protocol: HTTPS }, hosts: ${JSON.stringify(hosts)}, tls: { mode: SIMPLE, credentialName: ${name}-cert } }`;
const tlsTerminated = (name: string, hosts: string[]) => `{ port: { number: 443, name: ${name}, protocol: TLS }, hosts: ${JSON.stringify(hosts)}, tls: { mode: SIMPLE, credentialName: ${name}-cert } }`;
const passthrough = (name: string, hosts: string[]) => `{ port: { number: 443, name: ${name}, protocol: TLS }, hosts: ${JSON.stringify(hosts)}, tls: { mode: PASSTHROUGH } }`;

/** A VirtualService bound to `gateways` with tls rules (each: its matches' sniHosts → a Bookinfo service) and a tcp route. */
const vs = (name: string, gateways: string[], tls: Array<{ matches: string[][]; to: string }>) => `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: istio-system }
spec:
  hosts: ['*.example.com']
  gateways: ${JSON.stringify(gateways)}
  tls:${tls.map((r) => `\n  - { match: ${JSON.stringify(r.matches.map((sniHosts) => ({ sniHosts })))}, route: [{ destination: { host: ${r.to}.default.svc.cluster.local, port: { number: 9080 } } }] }`).join('')}
  tcp: [{ route: [{ destination: { host: details.default.svc.cluster.local, port: { number: 9080 } } }] }]`;

/** The gateway's listeners and routes for `yaml` over Bookinfo (443 listens on the pod's 8443), checked as Envoy checks them. */
function generated(yaml: string) {
  const snap = buildSnapshot([...bookinfo(), ...yamlObjects(yaml)]);
  const p = proxy(GATEWAY, { LABELS: { istio: 'ingressgateway' } });
  const listeners = generate(snap, p, TypeUrls.listener);
  const routes = generate(snap, p, TypeUrls.route);
  expectValid(TypeUrls.listener, listeners);
  expectValid(TypeUrls.route, routes);
  return { listeners, routes };
}

/** The chains of 0.0.0.0_8443 as `<server names> → <RDS name, credential or cluster>`. */
function chains(yaml: string): string[] {
  return byName(generated(yaml).listeners, '0.0.0.0_8443').filter_chains.map((c: any) => {
    const names = c.filter_chain_match?.server_names?.join(',') ?? '(any)';
    const last = c.filters.at(-1).typed_config;
    const to = last.rds?.route_config_name ?? last.cluster;
    const cert = c.transport_socket?.typed_config.common_tls_context.tls_certificate_sds_secret_configs?.[0]?.name;
    return `${names} → ${to}${cert ? ` (${cert})` : ''}`;
  });
}

const httpsRoutes = (yaml: string): string[] =>
  generated(yaml)
    .routes.map((r) => r.name)
    .filter((n) => n.startsWith('https.'));

describe('gateway listeners: TLS servers that name one host on one port', () => {
  it("hosts that only overlap: the older Gateway's server keeps its chain, the newer one is dropped whole, its other host too, and gets no route configuration", () => {
    const older = gw('g1', DAY1, https('https-a', ['a.example.com']));
    const newer = gw('g2', DAY2, https('https-ab', ['a.example.com', 'b.example.com']));
    expect(chains(older + newer)).to.deep.equal(['a.example.com → https.443.https-a.g1.istio-system (kubernetes://https-a-cert)']);
    expect(httpsRoutes(older + newer)).to.deep.equal(['https.443.https-a.g1.istio-system']);
    // The other way round in age: the wider server is the older one and keeps both hosts.
    const widerFirst = gw('g1', DAY2, https('https-a', ['a.example.com'])) + gw('g2', DAY1, https('https-ab', ['a.example.com', 'b.example.com']));
    expect(chains(widerFirst)).to.deep.equal(['a.example.com,b.example.com → https.443.https-ab.g2.istio-system (kubernetes://https-ab-cert)']);
    expect(httpsRoutes(widerFirst)).to.deep.equal(['https.443.https-ab.g2.istio-system']);
  });

  it('identical hosts: one chain, the first Gateway by age, then by name; within one Gateway, the first server', () => {
    expect(chains(gw('g-b', DAY1, https('https-b', ['a.example.com'])) + gw('g-a', DAY1, https('https-a', ['a.example.com'])))).to.deep.equal([
      'a.example.com → https.443.https-a.g-a.istio-system (kubernetes://https-a-cert)',
    ]);
    const one = gw('g', DAY1, https('https-1', ['a.example.com']), https('https-2', ['b.example.com', 'a.example.com']), https('https-3', ['c.example.com']));
    expect(chains(one)).to.deep.equal(['a.example.com → https.443.https-1.g.istio-system (kubernetes://https-1-cert)', 'c.example.com → https.443.https-3.g.istio-system (kubernetes://https-3-cert)']);
  });

  it('terminated TLS servers and HTTPS servers take hosts from one another; a namespace-qualified host is the same server name', () => {
    const yaml = gw('g1', DAY1, https('https-a', ['istio-system/a.example.com'])) + gw('g2', DAY2, tlsTerminated('tls-ab', ['*/a.example.com', 'b.example.com'])) + vs('db', ['istio-system/g2'], []);
    expect(chains(yaml)).to.deep.equal(['a.example.com → https.443.https-a.g1.istio-system (kubernetes://https-a-cert)']);
  });

  it('wildcards are names of their own: *.example.com and a.example.com keep their chains; a server for * matches every name, without server_names', () => {
    const yaml = gw('g1', DAY1, https('https-wild', ['*.example.com']), https('https-a', ['a.example.com'])) + gw('g2', DAY2, https('https-any', ['*', 'z.example.com']));
    expect(chains(yaml)).to.deep.equal([
      '*.example.com → https.443.https-wild.g1.istio-system (kubernetes://https-wild-cert)',
      'a.example.com → https.443.https-a.g1.istio-system (kubernetes://https-a-cert)',
      '(any) → https.443.https-any.g2.istio-system (kubernetes://https-any-cert)',
    ]);
    // A second server for *: the same match as the first, dropped.
    expect(chains(yaml + gw('g3', DAY2, https('https-star', ['*'])))).to.have.length(3);
  });
});

describe('gateway listeners: passthrough routes that name one SNI host on one port', () => {
  it("a match naming an SNI host an earlier match took is skipped whole; the rule's other matches keep theirs", () => {
    const yaml =
      gw('g1', DAY1, passthrough('tls-wild', ['*.example.com'])) +
      gw('g2', DAY2, passthrough('tls-a', ['a.example.com'])) +
      vs('edge', ['istio-system/g1', 'istio-system/g2'], [
        { matches: [['a.example.com']], to: 'ratings' },
        { matches: [['a.example.com', 'b.example.com'], ['c.example.com']], to: 'reviews' },
        { matches: [['c.example.com', 'c.example.com', 'd.example.com']], to: 'details' },
      ]);
    // g1's server takes the routes first; g2's server, bound to the same rules, finds every name taken.
    expect(chains(yaml)).to.deep.equal(['a.example.com → outbound|9080||ratings.default.svc.cluster.local', 'c.example.com → outbound|9080||reviews.default.svc.cluster.local']);
  });

  it('an SNI host a terminated server names is left to it; the passthrough route keeps its other hosts', () => {
    const yaml = gw('g1', DAY1, passthrough('tls-wild', ['*.example.com'])) + gw('g2', DAY2, https('https-a', ['a.example.com'])) + vs('edge', ['istio-system/g1'], [{ matches: [['a.example.com', 'c.example.com']], to: 'ratings' }]);
    expect(chains(yaml)).to.deep.equal(['c.example.com → outbound|9080||ratings.default.svc.cluster.local', 'a.example.com → https.443.https-a.g2.istio-system (kubernetes://https-a-cert)']);
  });

  it('an SNI host * matches every name: no server_names', () => {
    const yaml = gw('g1', DAY1, passthrough('tls-any', ['*'])) + vs('edge', ['istio-system/g1'], [{ matches: [['*']], to: 'ratings' }]);
    expect(chains(yaml)).to.deep.equal(['(any) → outbound|9080||ratings.default.svc.cluster.local']);
  });
});

describe('gateway listeners: Gateway API listeners on one port', () => {
  const gateway = (listeners: string) => `
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: istio-system, creationTimestamp: "${DAY1}" }
spec:
  gatewayClassName: istio
  addresses: [{ type: Hostname, value: istio-ingressgateway.istio-system.svc.cluster.local }]
  listeners:${listeners}`;
  const httpsListener = (name: string, hostname: string) => `
  - { name: ${name}, port: 443, protocol: HTTPS, hostname: ${hostname}, tls: { certificateRefs: [{ name: ${name}-cert }] } }`;

  it('two HTTPS listeners of one hostname: one chain, the first listener by name', () => {
    expect(chains(gateway(httpsListener('web-b', 'a.example.com') + httpsListener('web-a', 'a.example.com')))).to.deep.equal([
      'a.example.com → https.443.web-a.edge-istio-autogenerated-k8s-gateway-web-a.istio-system (kubernetes-gateway://istio-system/web-a-cert)',
    ]);
  });

  it("a TLSRoute on a passthrough *.example.com listener leaves a.example.com to the HTTPS listener naming it, and keeps its other hostname", () => {
    const yaml =
      gateway(`${httpsListener('web', 'a.example.com')}
  - { name: pass, port: 443, protocol: TLS, hostname: '*.example.com', tls: { mode: Passthrough } }`) +
      `
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: { name: shop, namespace: istio-system }
spec:
  parentRefs: [{ name: edge, sectionName: pass }]
  hostnames: [a.example.com, c.example.com]
  rules: [{ backendRefs: [{ name: productpage, namespace: default, port: 9080 }] }]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: routes, namespace: default }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: TLSRoute, namespace: istio-system }]
  to: [{ group: '', kind: Service }]`;
    const found = chains(yaml);
    expect(found).to.have.length(2);
    expect(found).to.include('a.example.com → https.443.web.edge-istio-autogenerated-k8s-gateway-web.istio-system (kubernetes-gateway://istio-system/web-cert)');
    expect(found).to.include('c.example.com → outbound|9080||productpage.default.svc.cluster.local');
  });
});

describe('gateway-sni: claims and distinct chains', () => {
  it('serverNames: each name once; none for *', () => {
    expect(serverNames(['b.example.com', 'a.example.com', 'b.example.com'])).to.deep.equal(['b.example.com', 'a.example.com']);
    expect(serverNames(['a.example.com', '*'])).to.deep.equal([]);
    expect(serverNames(['*.example.com'])).to.deep.equal(['*.example.com']);
  });

  it('firstClaims: an item naming a taken name is dropped with its other names; items taking no part stay', () => {
    const items = [{ id: 1, names: ['a'] }, { id: 2, names: ['a', 'b'] }, { id: 3, names: ['b'] }, { id: 4 }, { id: 5, names: ['*.a'] }];
    expect(firstClaims(items, (i) => i.names).map((i) => i.id)).to.deep.equal([1, 3, 4, 5]);
  });

  it('distinctChains: the first of chains sharing a server name, transport protocol and other criteria; different criteria coexist', () => {
    const chain = (id: string, match?: Record<string, unknown>) => ({ id, ...(match ? { filter_chain_match: match } : {}) });
    const kept = distinctChains([
      chain('plain'),
      chain('plain again'),
      chain('a', { server_names: ['a.example.com'], transport_protocol: 'tls' }),
      chain('b and a', { server_names: ['b.example.com', 'a.example.com'], transport_protocol: 'tls' }),
      chain('a raw', { server_names: ['a.example.com'], transport_protocol: 'raw_buffer' }),
      chain('wildcard', { server_names: ['*.example.com'], transport_protocol: 'tls' }),
      chain('tls, any name', { transport_protocol: 'tls' }),
      chain('a h2', { server_names: ['a.example.com'], transport_protocol: 'tls', application_protocols: ['h2'] }),
    ]);
    expect(kept.map((c) => c.id)).to.deep.equal(['plain', 'a', 'a raw', 'wildcard', 'tls, any name', 'a h2']);
  });

  it('expectDistinctChains fails on chains Envoy refuses and passes those it accepts', () => {
    const listener = (...matches: Array<Record<string, unknown> | undefined>) => ({ name: 'l', filter_chains: matches.map((m) => (m ? { filter_chain_match: m } : {})) });
    const tls = (...names: string[]) => ({ server_names: names, transport_protocol: 'tls' });
    expect(() => expectDistinctChains(listener(tls('a.example.com'), tls('b.example.com', 'a.example.com')))).to.throw(/match the same connections/);
    expect(() => expectDistinctChains(listener(undefined, {}))).to.throw(/match the same connections/);
    expect(() => expectDistinctChains(listener(tls('a.example.com', 'a.example.com')))).to.throw(/names a value twice/);
    expect(() => expectDistinctChains(listener(tls('a.example.com'), tls('*.example.com'), { transport_protocol: 'tls' }, undefined, { server_names: ['a.example.com'] }))).not.to.throw();
  });
});
