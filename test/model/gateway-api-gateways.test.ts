/**
 * Gateway API Gateways (class istio) and the routes attached to them → Istio Gateways and VirtualServices
 * (src/model/gateway-api-gateways.ts), read through buildSnapshot: which proxies serve them, which listeners are
 * served, which routes attach where (parentRef, allowedRoutes, hostnames), and garbage that yields nothing.
 */
import { expect } from 'chai';
import type { KubeObject } from '../../src/core/kube.js';
import { buildSnapshot } from '../../src/model/snapshot.js';
import { ROUTE_PARENTS, ROUTE_SEMANTICS } from '../../src/model/gateway-api.js';
import { GATEWAY_NAME_LABEL, intersectHostnames, listenerGatewayName } from '../../src/model/gateway-api-gateways.js';
import type { Config } from '../../src/model/types.js';

const GW = 'gateway.networking.k8s.io';
const obj = (kind: string, name: string, spec: object, namespace = 'web', apiVersion = `${GW}/v1`, labels?: Record<string, string>): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, namespace, ...(labels ? { labels } : {}) },
  spec,
});
const gateway = (listeners: object[], extra: object = {}, name = 'edge') => obj('Gateway', name, { gatewayClassName: 'istio', listeners, ...extra });
const httpRoute = (name: string, spec: object, namespace = 'web') => obj('HTTPRoute', name, spec, namespace);
const toFront = { backendRefs: [{ name: 'front', port: 8080 }] };
const HTTP = { name: 'http', port: 80, protocol: 'HTTP' };

const BASE: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web', labels: { team: 'web' } } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { team: 'shop', shared: 'yes' } } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } },
  obj('Service', 'front', { ports: [{ name: 'http', port: 8080 }] }, 'web', 'v1'),
  obj('Service', 'cart', { ports: [{ name: 'http', port: 8080 }] }, 'shop', 'v1'),
  obj('Service', 'ingress', { selector: { istio: 'ingressgateway' }, ports: [{ name: 'http', port: 80 }] }, 'istio-system', 'v1'),
];

function converted(...objs: KubeObject[]): { gateways: Config[]; virtualServices: Config[] } {
  const snap = buildSnapshot([...BASE, ...objs]);
  return { gateways: snap.gateways, virtualServices: snap.virtualServices.filter((v) => v.annotations[ROUTE_SEMANTICS] === 'gateway') };
}

describe('Gateway API Gateways → Istio Gateways and VirtualServices', () => {
  it('the Bookinfo sample shape: one Istio Gateway per listener, served by the workloads labelled with the Gateway name', () => {
    const { gateways, virtualServices } = converted(
      gateway([{ ...HTTP, allowedRoutes: { namespaces: { from: 'Same' } } }], {}, 'bookinfo-gateway'),
      httpRoute('bookinfo', { parentRefs: [{ name: 'bookinfo-gateway' }], rules: [{ matches: [{ path: { type: 'Exact', value: '/productpage' } }, { path: { type: 'PathPrefix', value: '/static' } }], backendRefs: [{ name: 'front', port: 8080 }] }] }),
    );
    expect(gateways.map((g) => [g.namespace, g.name, g.spec])).to.deep.equal([
      ['web', listenerGatewayName('bookinfo-gateway', 'http'), { selector: { [GATEWAY_NAME_LABEL]: 'bookinfo-gateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*/*'] }] }],
    ]);
    expect(virtualServices).to.have.length(1);
    const vs = virtualServices[0]!;
    expect(vs.annotations[ROUTE_PARENTS]).to.equal('HTTPRoute/bookinfo.web');
    expect(vs.spec.hosts).to.deep.equal(['*']);
    expect(vs.spec.gateways).to.deep.equal([`web/${listenerGatewayName('bookinfo-gateway', 'http')}`]);
    expect(vs.spec.http.map((h: any) => h.match[0].uri)).to.deep.equal([{ exact: '/productpage' }, { prefix: '/static' }]);
  });

  it("a Hostname address naming a Service: that Service's workloads serve it; other classes and unserved listeners make nothing", () => {
    const { gateways } = converted(
      gateway(
        [
          HTTP,
          { name: 'https', port: 443, protocol: 'HTTPS', hostname: 'shop.example.com', tls: { certificateRefs: [{ name: 'shop-cert' }] } },
          { name: 'elsewhere', port: 8443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'c', namespace: 'other' }] } },
          { name: 'pass', port: 9443, protocol: 'TLS', tls: { mode: 'Passthrough' } },
          { name: 'tcp', port: 5000, protocol: 'TCP' },
          { name: 'udp', port: 5001, protocol: 'UDP' },
          { name: 'http', port: 81, protocol: 'HTTP' }, // a repeated name
        ],
        { addresses: [{ type: 'Hostname', value: 'ingress.istio-system.svc.cluster.local' }] },
      ),
      obj('Gateway', 'foreign', { gatewayClassName: 'another', listeners: [HTTP] }),
    );
    expect(gateways.map((g) => [g.name, g.spec.selector, g.spec.servers[0].port.number, g.spec.servers[0].hosts, g.spec.servers[0].tls])).to.deep.equal([
      [listenerGatewayName('edge', 'http'), { istio: 'ingressgateway' }, 80, ['*/*'], undefined],
      [listenerGatewayName('edge', 'https'), { istio: 'ingressgateway' }, 443, ['*/shop.example.com'], { mode: 'SIMPLE', credentialName: 'kubernetes-gateway://web/shop-cert' }],
      [listenerGatewayName('edge', 'pass'), { istio: 'ingressgateway' }, 9443, ['*/*'], { mode: 'PASSTHROUGH' }],
      [listenerGatewayName('edge', 'tcp'), { istio: 'ingressgateway' }, 5000, ['*/*'], undefined],
    ]);
    // An address that names no Service with a selector falls back to the label.
    const unknown = converted(gateway([HTTP], { addresses: [{ type: 'Hostname', value: 'nowhere.example.com' }, { type: 'IPAddress', value: '10.0.0.1' }] }));
    expect(unknown.gateways[0]!.spec.selector).to.deep.equal({ [GATEWAY_NAME_LABEL]: 'edge' });
  });

  it("a certificate Secret of another namespace: served where a ReferenceGrant there admits the Gateway's namespace (and that Secret)", () => {
    const listeners = [
      { name: 'a', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'c', namespace: 'other' }] } },
      { name: 'b', port: 8443, protocol: 'HTTPS', tls: { certificateRefs: [{ kind: 'Secret', group: '', name: 'd', namespace: 'other' }] } },
      { name: 'c', port: 9443, protocol: 'TLS', tls: { certificateRefs: [{ name: 'c', namespace: 'other' }] } },
      { name: 'bad-kind', port: 7443, protocol: 'HTTPS', tls: { certificateRefs: [{ kind: 'ConfigMap', name: 'c', namespace: 'other' }] } },
    ];
    const grant = (to: object, from: object = { group: GW, kind: 'Gateway', namespace: 'web' }) => obj('ReferenceGrant', 'certs', { from: [from], to: [to] }, 'other', `${GW}/v1beta1`);
    const credentials = (...objs: KubeObject[]) => converted(gateway(listeners), ...objs).gateways.map((g) => [g.spec.servers[0].port.name, g.spec.servers[0].tls.credentialName, g.derived]);
    expect(credentials(), 'no grant').to.deep.equal([]);
    expect(credentials(grant({ group: '', kind: 'Secret' }))).to.deep.equal([
      ['a', 'kubernetes-gateway://other/c', 'gateway-api'],
      ['b', 'kubernetes-gateway://other/d', 'gateway-api'],
      ['c', 'kubernetes-gateway://other/c', 'gateway-api'],
    ]);
    expect(credentials(grant({ group: '', kind: 'Secret', name: 'd' })), 'a grant naming one Secret').to.deep.equal([['b', 'kubernetes-gateway://other/d', 'gateway-api']]);
    expect(credentials(grant({ group: '', kind: 'Secret' }, { group: GW, kind: 'Gateway', namespace: 'shop' })), 'a grant for another namespace').to.deep.equal([]);
    expect(credentials(grant({ group: '', kind: 'Secret' }, { group: GW, kind: 'HTTPRoute', namespace: 'web' })), 'a grant for routes').to.deep.equal([]);
  });

  it("tls.options gateway.istio.io/tls-terminate-mode: MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL and ISTIO_SIMPLE (no Secret: builtin://); two certificates; three certificates are left out", () => {
    const mode = (m: string) => ({ options: { 'gateway.istio.io/tls-terminate-mode': m } });
    const cert = (name: string) => ({ name });
    const servers = converted(
      gateway([
        { name: 'mutual', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [cert('c')], ...mode('MUTUAL') } },
        { name: 'optional', port: 444, protocol: 'HTTPS', tls: { certificateRefs: [cert('c')], ...mode('OPTIONAL_MUTUAL') } },
        { name: 'mesh', port: 445, protocol: 'HTTPS', tls: mode('ISTIO_MUTUAL') },
        { name: 'mesh-tls', port: 446, protocol: 'TLS', tls: { mode: 'Terminate', ...mode('ISTIO_MUTUAL') } },
        { name: 'two', port: 447, protocol: 'HTTPS', tls: { certificateRefs: [cert('rsa'), cert('ecdsa')] } },
        { name: 'unknown-mode', port: 448, protocol: 'HTTPS', tls: { certificateRefs: [cert('c')], ...mode('SOMETHING') } },
        { name: 'builtin', port: 449, protocol: 'HTTPS', tls: mode('ISTIO_SIMPLE') },
        { name: 'three', port: 450, protocol: 'HTTPS', tls: { certificateRefs: [cert('a'), cert('b'), cert('c')] } },
        { name: 'second-refused', port: 451, protocol: 'HTTPS', tls: { certificateRefs: [cert('a'), { name: 'b', namespace: 'other' }] } },
      ]),
    ).gateways.map((g) => [g.spec.servers[0].port.name, g.spec.servers[0].tls]);
    expect(servers).to.deep.equal([
      ['mutual', { mode: 'MUTUAL', credentialName: 'kubernetes-gateway://web/c' }],
      ['optional', { mode: 'OPTIONAL_MUTUAL', credentialName: 'kubernetes-gateway://web/c' }],
      ['mesh', { mode: 'ISTIO_MUTUAL' }],
      ['mesh-tls', { mode: 'ISTIO_MUTUAL' }],
      ['two', { mode: 'SIMPLE', credentialNames: ['kubernetes-gateway://web/rsa', 'kubernetes-gateway://web/ecdsa'] }],
      ['unknown-mode', { mode: 'SIMPLE', credentialName: 'kubernetes-gateway://web/c' }],
      ['builtin', { mode: 'SIMPLE', credentialName: 'builtin://' }],
    ]);
  });

  it('allowedRoutes: Same by default, All, a namespace Selector (labels, expressions, the metadata.name label), and kinds', () => {
    const attached = (allowedRoutes: object | undefined, namespace: string, kind = 'HTTPRoute'): boolean => {
      const route = obj(kind, 'r', { parentRefs: [{ name: 'edge', namespace: 'web' }], rules: [{ backendRefs: [{ name: 'cart', port: 8080, namespace: 'shop' }] }] }, namespace);
      return converted(gateway([{ ...HTTP, ...(allowedRoutes ? { allowedRoutes } : {}) }]), route).virtualServices.length > 0;
    };
    expect(attached(undefined, 'web')).to.equal(true);
    expect(attached(undefined, 'shop')).to.equal(false);
    expect(attached({ namespaces: { from: 'All' } }, 'shop')).to.equal(true);
    expect(attached({ namespaces: { from: 'Selector', selector: { matchLabels: { shared: 'yes' } } } }, 'shop')).to.equal(true);
    expect(attached({ namespaces: { from: 'Selector', selector: { matchLabels: { shared: 'yes' } } } }, 'web')).to.equal(false);
    expect(attached({ namespaces: { from: 'Selector', selector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['other'] }] } } }, 'other')).to.equal(true);
    expect(attached({ namespaces: { from: 'Nonsense' } }, 'web')).to.equal(false);
    expect(attached(undefined, 'web', 'GRPCRoute')).to.equal(true);
    expect(attached({ kinds: [{ kind: 'GRPCRoute' }] }, 'web')).to.equal(false);
    expect(attached({ kinds: [{ kind: 'HTTPRoute', group: GW }] }, 'web')).to.equal(true);
  });

  it('a parentRef picks listeners by sectionName or port; routes on one listener and hostname merge, by precedence', () => {
    const gw = gateway([HTTP, { name: 'alt', port: 8080, protocol: 'HTTP' }]);
    const bySection = converted(gw, httpRoute('a', { parentRefs: [{ name: 'edge', sectionName: 'alt' }], rules: [toFront] })).virtualServices;
    expect(bySection.map((v) => v.spec.gateways[0])).to.deep.equal([`web/${listenerGatewayName('edge', 'alt')}`]);
    const byPort = converted(gw, httpRoute('a', { parentRefs: [{ name: 'edge', port: 80 }], rules: [toFront] })).virtualServices;
    expect(byPort.map((v) => v.spec.gateways[0])).to.deep.equal([`web/${listenerGatewayName('edge', 'http')}`]);
    expect(converted(gw, httpRoute('a', { parentRefs: [{ name: 'edge', sectionName: 'none' }], rules: [toFront] })).virtualServices).to.deep.equal([]);
    expect(converted(gw, httpRoute('a', { parentRefs: [{ name: 'edge', namespace: 'shop' }], rules: [toFront] })).virtualServices, 'another namespace, no such Gateway').to.deep.equal([]);
    const merged = converted(
      gateway([HTTP]),
      httpRoute('first', { parentRefs: [{ name: 'edge' }], hostnames: ['a.example.com'], rules: [{ matches: [{ path: { value: '/' } }], ...toFront }] }),
      httpRoute('second', { parentRefs: [{ name: 'edge' }], hostnames: ['a.example.com', 'b.example.com'], rules: [{ matches: [{ path: { value: '/api' } }], ...toFront }] }),
    ).virtualServices;
    expect(merged.map((v) => [v.spec.hosts[0], v.annotations[ROUTE_PARENTS], v.spec.http.map((h: any) => h.name)])).to.deep.equal([
      ['a.example.com', 'HTTPRoute/first.web,HTTPRoute/second.web', ['web.second.0.0', 'web.first.0.0']],
      ['b.example.com', 'HTTPRoute/second.web', ['web.second.0.0']],
    ]);
  });

  it('TLSRoutes by SNI on a passthrough listener, TCPRoutes on a TCP listener; a kind the protocol cannot carry does not attach', () => {
    const l4 = (kind: string, name: string, spec: object) => obj(kind, name, spec, 'web', kind === 'TCPRoute' ? `${GW}/v1alpha2` : `${GW}/v1`);
    const { virtualServices } = converted(
      obj('Service', 'db', { ports: [{ name: 'tcp', port: 5432 }] }, 'web', 'v1'),
      gateway([
        { name: 'pass', port: 443, protocol: 'TLS', hostname: '*.example.com', tls: { mode: 'Passthrough' } },
        { name: 'tcp', port: 5432, protocol: 'TCP' },
        HTTP,
      ]),
      l4('TLSRoute', 'shop', { parentRefs: [{ name: 'edge' }], hostnames: ['shop.example.com', 'other.net'], rules: [{ backendRefs: [{ name: 'front', port: 8080 }] }] }),
      l4('TCPRoute', 'db', { parentRefs: [{ name: 'edge', sectionName: 'tcp' }], rules: [{ backendRefs: [{ name: 'db', port: 5432, weight: 3 }, { name: 'front', port: 8080, weight: 1 }] }] }),
      l4('TCPRoute', 'on-http', { parentRefs: [{ name: 'edge', sectionName: 'http' }], rules: [{ backendRefs: [{ name: 'db', port: 5432 }] }] }),
    );
    // In the routes' order (db before shop); the TCPRoute on the HTTP listener attaches nowhere.
    expect(virtualServices.map((v) => [v.spec.gateways[0], v.spec.hosts, v.spec.tls, v.spec.tcp, v.spec.http])).to.deep.equal([
      [`web/${listenerGatewayName('edge', 'tcp')}`, ['*'], undefined, [{ route: [{ destination: { host: 'db.web.svc.cluster.local', port: { number: 5432 } }, weight: 3 }, { destination: { host: 'front.web.svc.cluster.local', port: { number: 8080 } }, weight: 1 }] }], undefined],
      [`web/${listenerGatewayName('edge', 'pass')}`, ['shop.example.com'], [{ match: [{ sniHosts: ['shop.example.com'] }], route: [{ destination: { host: 'front.web.svc.cluster.local', port: { number: 8080 } } }] }], undefined, undefined],
    ]);
  });

  it('hostnames: the narrower of a route and a listener hostname; none when they do not overlap', () => {
    expect(intersectHostnames([], undefined)).to.deep.equal(['*']);
    expect(intersectHostnames([], '*.example.com')).to.deep.equal(['*.example.com']);
    expect(intersectHostnames(['a.example.com', 'a.example.com'], undefined)).to.deep.equal(['a.example.com']);
    expect(intersectHostnames(['a.example.com', 'x.other.com', 'a.b.example.com'], '*.example.com')).to.deep.equal(['a.example.com', 'a.b.example.com']);
    expect(intersectHostnames(['*.example.com'], 'shop.example.com')).to.deep.equal(['shop.example.com']);
    expect(intersectHostnames(['*.example.com'], '*.shop.example.com')).to.deep.equal(['*.shop.example.com']);
    expect(intersectHostnames(['*.shop.example.com'], '*.example.com')).to.deep.equal(['*.shop.example.com']);
    expect(intersectHostnames(['example.com'], '*.example.com'), 'a wildcard needs a label before it').to.deep.equal([]);
    expect(intersectHostnames(['b.com'], 'a.com')).to.deep.equal([]);
  });

  it('garbage makes nothing and throws nothing', () => {
    const junk = [null, 3, 'x', { gatewayClassName: 'istio', listeners: 'no' }, { gatewayClassName: 'istio', listeners: [null, { name: 3, port: 80, protocol: 'HTTP' }, { name: 'x', port: 'eighty', protocol: 'HTTP' }, { name: 'y', port: 80, protocol: 'HTTPS', tls: 'no' }] }];
    const objs = junk.map((spec, i) => obj('Gateway', `g${i}`, spec as object));
    const routes = [httpRoute('r', { parentRefs: [{ name: 'g4' }, null, { name: 'g3', sectionName: 5 }], hostnames: 'x', rules: [null] })];
    const { gateways, virtualServices } = converted(...objs, ...routes);
    expect(gateways).to.deep.equal([]);
    expect(virtualServices).to.deep.equal([]);
  });
});
