/**
 * Gateway API ListenerSets → Istio Gateways and VirtualServices of their parent Gateway's proxies
 * (src/model/gateway-api-listenerset.ts), read through buildSnapshot: which ListenerSets a Gateway allows, how their
 * listeners conflict with the Gateway's and with each other's, routes attached by a ListenerSet parentRef, and
 * certificates of other namespaces.
 */
import { expect } from 'chai';
import type { KubeObject } from '../../src/core/kube.js';
import { buildSnapshot } from '../../src/model/snapshot.js';
import { ROUTE_SEMANTICS } from '../../src/model/gateway-api.js';
import { GATEWAY_NAME_LABEL, listenerGatewayName, listenerSetGatewayName } from '../../src/model/gateway-api-gateways.js';
import { listenerConflicts, listenerSetOutcomes } from '../../src/model/gateway-api-listenerset.js';
import type { Config } from '../../src/model/types.js';

const GW = 'gateway.networking.k8s.io';
const obj = (kind: string, name: string, spec: object, namespace = 'edge', extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: kind === 'Service' || kind === 'Namespace' ? 'v1' : kind === 'ReferenceGrant' ? `${GW}/v1beta1` : `${GW}/v1`,
  kind,
  metadata: { name, namespace, ...extra },
  spec,
});
const gateway = (listeners: object[], allowedListeners?: object, name = 'gw') => obj('Gateway', name, { gatewayClassName: 'istio', listeners, ...(allowedListeners ? { allowedListeners } : {}) });
const ALL = { namespaces: { from: 'All' } };
const listenerSet = (name: string, namespace: string, listeners: object[], created?: string, parentRef: object = { name: 'gw', namespace: 'edge' }) =>
  obj('ListenerSet', name, { parentRef, listeners }, namespace, created ? { creationTimestamp: created } : {});
const HTTP = { name: 'http', port: 80, protocol: 'HTTP', hostname: 'edge.example.com' };
const toFront = (parentRefs: object[], path = '/') => ({ parentRefs, rules: [{ matches: [{ path: { type: 'PathPrefix', value: path } }], backendRefs: [{ name: 'front', port: 8080 }] }] });

const BASE: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', labels: { shared: 'yes' } } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-b' } },
  obj('Service', 'front', { ports: [{ name: 'http', port: 8080 }] }, 'team-a'),
];

function converted(...objs: KubeObject[]): { gateways: Config[]; virtualServices: Config[] } {
  const snap = buildSnapshot([...BASE, ...objs]);
  return { gateways: snap.gateways, virtualServices: snap.virtualServices.filter((v) => v.annotations[ROUTE_SEMANTICS] === 'gateway') };
}
const names = (cs: readonly Config[]): string[] => cs.map((c) => `${c.namespace}/${c.name}`);

describe('Gateway API ListenerSets → Istio Gateways of the parent Gateway', () => {
  it("a ListenerSet of another namespace adds a server selecting the parent Gateway's workloads, in its own namespace", () => {
    const { gateways } = converted(gateway([HTTP], ALL), listenerSet('shop', 'team-a', [{ name: 'shop', port: 80, protocol: 'HTTP', hostname: 'shop.example.com' }]));
    expect(names(gateways)).to.deep.equal([`edge/${listenerGatewayName('gw', 'http')}`, `team-a/${listenerSetGatewayName('shop', 'shop')}`]);
    const made = gateways[1]!;
    expect(made.spec).to.deep.equal({ selector: { [GATEWAY_NAME_LABEL]: 'gw' }, servers: [{ port: { number: 80, name: 'shop', protocol: 'HTTP' }, hosts: ['*/shop.example.com'] }] });
    expect(made.annotations['internal.istio.io/parent']).to.equal('ListenerSet/shop/shop.team-a');
    expect(made.derived).to.equal('gateway-api');
  });

  it('allowedListeners: none by default or with None; Same, All and Selector (namespace labels and name) as written', () => {
    const sets = [listenerSet('a', 'team-a', [{ name: 'a', protocol: 'HTTP', hostname: 'a.example.com' }]), listenerSet('b', 'team-b', [{ name: 'b', protocol: 'HTTP', hostname: 'b.example.com' }]), listenerSet('c', 'edge', [{ name: 'c', protocol: 'HTTP', hostname: 'c.example.com' }])];
    const served = (allowed?: object): string[] => converted(gateway([HTTP], allowed), ...sets).gateways.filter((g) => g.namespace !== 'edge' || g.name.includes('listenerset')).map((g) => g.namespace);
    expect(served()).to.deep.equal([]);
    expect(served({ namespaces: { from: 'None' } })).to.deep.equal([]);
    expect(served({ namespaces: { from: 'Same' } })).to.deep.equal(['edge']);
    expect(served(ALL)).to.deep.equal(['edge', 'team-a', 'team-b']);
    expect(served({ namespaces: { from: 'Selector', selector: { matchLabels: { shared: 'yes' } } } })).to.deep.equal(['team-a']);
    expect(served({ namespaces: { from: 'Selector', selector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['team-b'] }] } } })).to.deep.equal(['team-b']);
    expect(served({ namespaces: { from: 'Sometimes' } })).to.deep.equal([]);
  });

  it('a parent that is not a Gateway of class istio, or is missing, serves nothing of it', () => {
    const other = obj('Gateway', 'other', { gatewayClassName: 'other', listeners: [HTTP], allowedListeners: ALL });
    const { gateways } = converted(
      other,
      gateway([HTTP], ALL),
      listenerSet('x', 'team-a', [{ name: 'x', protocol: 'HTTP' }], undefined, { name: 'other', namespace: 'edge' }),
      listenerSet('y', 'team-a', [{ name: 'y', protocol: 'HTTP' }], undefined, { name: 'missing', namespace: 'edge' }),
      listenerSet('z', 'team-a', [{ name: 'z', protocol: 'HTTP' }], undefined, { name: 'gw', namespace: 'edge', kind: 'Service', group: '' }),
      listenerSet('w', 'edge', [{ name: 'w', protocol: 'HTTP', hostname: 'w.example.com' }], undefined, { name: 'gw' }),
    );
    expect(names(gateways)).to.deep.equal([`edge/${listenerGatewayName('gw', 'http')}`, `edge/${listenerSetGatewayName('w', 'w')}`]);
  });

  it("conflicts: the Gateway's listeners first, then ListenerSets oldest first (then namespace/name); a losing listener frees its place", () => {
    const gw = gateway([HTTP, { name: 'tcp', port: 9000, protocol: 'TCP' }], ALL);
    const older = listenerSet('older', 'team-b', [
      { name: 'same-host', port: 80, protocol: 'HTTP', hostname: 'edge.example.com' },
      { name: 'other-host', port: 80, protocol: 'HTTP', hostname: 'shop.example.com' },
      { name: 'tls-same-host', port: 80, protocol: 'HTTPS', hostname: 'shop.example.com', tls: { certificateRefs: [{ name: 'c' }] } },
      { name: 'on-tcp', port: 9000, protocol: 'HTTP' },
    ], '2026-01-01T00:00:00Z');
    const younger = listenerSet('younger', 'team-a', [{ name: 'again', port: 80, protocol: 'HTTP', hostname: 'shop.example.com' }, { name: 'free', port: 81, protocol: 'TCP' }], '2026-02-01T00:00:00Z');
    const tie = listenerSet('a-tie', 'team-a', [{ name: 'first', port: 82, protocol: 'TCP' }], '2026-02-01T00:00:00Z');
    const tie2 = listenerSet('b-tie', 'team-a', [{ name: 'second', port: 82, protocol: 'TCP' }], '2026-02-01T00:00:00Z');
    const snap = buildSnapshot([...BASE, gw, tie2, younger, tie, older]);
    const conflicts = listenerConflicts(snap.kubernetesGateways[0]!, snap.listenerSets);
    const got = Object.fromEntries([...conflicts].map(([k, m]) => [k, Object.fromEntries([...m].map(([n, c]) => [n, c.reason]))]));
    expect(got).to.deep.equal({
      'team-b/older': { 'same-host': 'HostnameConflict', 'tls-same-host': 'ProtocolConflict', 'on-tcp': 'ProtocolConflict' },
      'team-a/younger': { again: 'HostnameConflict' },
      'team-a/b-tie': { second: 'ProtocolConflict' },
    });
    expect(conflicts.get('team-a/younger')!.get('again')!.with).to.equal('listener "other-host" of ListenerSet team-b/older');
    // The conflicted listeners are not served; the others are.
    const served = snap.gateways.filter((g) => g.name.includes('listenerset')).map((g) => g.spec.servers[0].port.name);
    expect(served.sort()).to.deep.equal(['first', 'free', 'other-host']);
  });

  it('a listener that loses to another Gateway listener does not keep its port from a ListenerSet', () => {
    const gw = gateway([HTTP, { name: 'dup', port: 80, protocol: 'TCP' }], ALL);
    const snap = buildSnapshot([...BASE, gw, listenerSet('s', 'team-a', [{ name: 'other', port: 80, protocol: 'HTTP', hostname: 'other.example.com' }])]);
    expect(listenerConflicts(snap.kubernetesGateways[0]!, snap.listenerSets).size).to.equal(0);
  });

  it('ports default to 80 and 443 for HTTP and HTTPS; other protocols without one, and HTTPS without tls, are not served', () => {
    const snap = buildSnapshot([
      ...BASE,
      gateway([], ALL),
      listenerSet('s', 'team-a', [
        { name: 'web', protocol: 'HTTP' },
        { name: 'secure', protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'cert' }] } },
        { name: 'tcp', protocol: 'TCP' },
        { name: 'bare', port: 8443, protocol: 'HTTPS' },
        { name: 'words', port: 'eighty', protocol: 'HTTP' },
      ]),
    ]);
    const [o] = listenerSetOutcomes(snap.kubernetesGateways, snap.listenerSets, { grants: [], namespaces: snap.namespaces });
    expect(o!.served.map((l) => [l.name, l.port])).to.deep.equal([['web', 80], ['secure', 443]]);
    expect(o!.entries.find((e) => e.name === 'tcp')!.unsupported).to.match(/protocol TCP needs a port/);
    expect(o!.entries.find((e) => e.name === 'bare')!.unsupported).to.match(/protocol HTTPS needs a tls section/);
    expect(o!.entries.find((e) => e.name === 'words')!.unsupported).to.equal('port "eighty" is not a port number');
  });

  it("a certificate of another namespace needs a ReferenceGrant from ListenerSets of the ListenerSet's namespace (one for Gateways does not do)", () => {
    const set = listenerSet('s', 'team-a', [{ name: 'secure', port: 443, protocol: 'HTTPS', hostname: 'shop.example.com', tls: { certificateRefs: [{ name: 'cert', namespace: 'certs' }] } }]);
    const grant = (kind: string, namespace: string) => obj('ReferenceGrant', `from-${kind}`, { from: [{ group: GW, kind, namespace }], to: [{ group: '', kind: 'Secret' }] }, 'certs');
    const servers = (...grants: KubeObject[]) => converted(gateway([HTTP], ALL), set, ...grants).gateways.filter((g) => g.namespace === 'team-a').map((g) => g.spec.servers[0].tls);
    expect(servers()).to.deep.equal([]);
    expect(servers(grant('Gateway', 'edge'), grant('Gateway', 'team-a'))).to.deep.equal([]);
    expect(servers(grant('ListenerSet', 'team-b'))).to.deep.equal([]);
    expect(servers(grant('ListenerSet', 'team-a'))).to.deep.equal([{ mode: 'SIMPLE', credentialName: 'kubernetes-gateway://certs/cert' }]);
  });

  it('routes attach to a ListenerSet by a ListenerSet parentRef, narrowed by sectionName or port; a Gateway parentRef does not reach it', () => {
    const set = listenerSet('shop', 'team-a', [
      { name: 'web', port: 80, protocol: 'HTTP', hostname: 'shop.example.com' },
      { name: 'alt', port: 8080, protocol: 'HTTP', hostname: 'shop.example.com' },
    ]);
    const ref = (extra: object = {}) => ({ group: GW, kind: 'ListenerSet', name: 'shop', ...extra });
    const { virtualServices } = converted(
      gateway([HTTP], ALL),
      set,
      obj('HTTPRoute', 'all', toFront([ref()], '/all'), 'team-a'),
      obj('HTTPRoute', 'by-section', toFront([ref({ sectionName: 'alt' })], '/section'), 'team-a'),
      obj('HTTPRoute', 'by-port', toFront([ref({ port: 80 })], '/port'), 'team-a'),
      obj('HTTPRoute', 'no-such-section', toFront([ref({ sectionName: 'nope' })], '/nope'), 'team-a'),
      obj('HTTPRoute', 'to-gateway', toFront([{ name: 'gw', namespace: 'edge' }], '/gw'), 'team-a'),
      // allowedRoutes defaults to the ListenerSet's own namespace.
      obj('HTTPRoute', 'elsewhere', toFront([ref({ namespace: 'team-a' })], '/elsewhere'), 'team-b'),
    );
    const bound = (listener: string): string[] =>
      virtualServices.filter((v) => v.spec.gateways[0] === `team-a/${listenerSetGatewayName('shop', listener)}`).flatMap((v) => v.spec.http.map((h: any) => h.match[0].uri.prefix));
    expect(bound('web')).to.deep.equal(['/port', '/all']);
    expect(bound('alt')).to.deep.equal(['/section', '/all']);
    expect(virtualServices.every((v) => v.namespace === 'team-a' || v.spec.gateways[0].startsWith('edge/'))).to.equal(true);
    // The Gateway's route gets none of the ListenerSet's listeners (and none of its own admit team-a).
    expect(virtualServices.flatMap((v) => v.spec.http.map((h: any) => h.match[0].uri.prefix))).to.not.include('/gw');
  });

  it('garbage: listeners without names, no listeners, no spec, a parentRef without a name yield nothing and do not throw', () => {
    const { gateways } = converted(
      gateway([HTTP], ALL),
      listenerSet('a', 'team-a', [{ port: 80, protocol: 'HTTP' }, 'junk', null] as unknown as object[]),
      obj('ListenerSet', 'b', { parentRef: { name: 'gw', namespace: 'edge' } }, 'team-a'),
      obj('ListenerSet', 'c', null as unknown as object, 'team-a'),
      listenerSet('d', 'team-a', [{ name: 'd', protocol: 'HTTP' }], undefined, {}),
      listenerSet('e', 'team-a', [{ name: 'e', port: 'eighty', protocol: 'HTTP' }]),
    );
    expect(names(gateways)).to.deep.equal([`edge/${listenerGatewayName('gw', 'http')}`]);
  });
});
