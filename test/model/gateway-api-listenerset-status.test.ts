/**
 * The status of ListenerSets (src/model/gateway-api-listenerset-status.ts, through gatewayApiStatuses): accepted and
 * programmed or not allowed by the parent, each listener's conditions (conflicts, unsupported, certificates
 * refused) and attached routes; the parent Gateway's attachedListenerSets; routes whose parent is a ListenerSet.
 */
import { expect } from 'chai';
import type { KubeObject } from '../../src/core/kube.js';
import { buildSnapshot } from '../../src/model/snapshot.js';
import { GATEWAY_CONTROLLER, gatewayApiStatuses, type StatusWrite } from '../../src/model/gateway-api-status.js';

const GW = 'gateway.networking.k8s.io';
const T0 = '2026-01-01T00:00:00.000Z';
const obj = (kind: string, name: string, spec: object, namespace = 'web', meta: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: kind === 'Service' || kind === 'Pod' ? 'v1' : `${GW}/v1`,
  kind,
  metadata: { name, namespace, generation: 2, resourceVersion: '5', ...meta },
  spec,
});
const POD: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'edge-1', namespace: 'web', labels: { [`${GW}/gateway-name`]: 'edge' } },
  spec: { containers: [{ name: 'proxy' }] },
  status: { phase: 'Running', podIP: '10.0.0.9', conditions: [{ type: 'Ready', status: 'True' }] },
};
const FRONT = obj('Service', 'front', { selector: { app: 'front' }, ports: [{ name: 'http', port: 8080 }] }, 'shop');
const edge = (allowedListeners?: object) => obj('Gateway', 'edge', { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', hostname: 'edge.example.com' }], ...(allowedListeners ? { allowedListeners } : {}) });
const set = (name: string, listeners: object[], created = '2026-01-01T00:00:00Z', namespace = 'shop') => obj('ListenerSet', name, { parentRef: { name: 'edge', namespace: 'web' }, listeners }, namespace, { creationTimestamp: created });

function statuses(objects: KubeObject[]): StatusWrite[] {
  return gatewayApiStatuses(objects.filter((o) => o.apiVersion.startsWith(`${GW}/`)), buildSnapshot(objects), T0);
}
const of = (writes: StatusWrite[], kind: string, name: string): StatusWrite | undefined => writes.find((w) => w.kind === kind && w.name === name);
const conds = (list: any[]): string[] => list.map((c) => `${c.type}=${c.status}/${c.reason}`);

describe('Gateway API ListenerSet status', () => {
  it('accepted and programmed with a running parent; listeners with their attached routes; the parent counts it; routes name it as parent', () => {
    const route = obj('HTTPRoute', 'shop', { parentRefs: [{ kind: 'ListenerSet', name: 'shop' }], rules: [{ backendRefs: [{ name: 'front', port: 8080 }] }] }, 'shop');
    const writes = statuses([POD, FRONT, edge({ namespaces: { from: 'All' } }), set('shop', [{ name: 'web', protocol: 'HTTP', hostname: 'shop.example.com' }]), route]);
    const ls = of(writes, 'ListenerSet', 'shop')!;
    expect(ls).to.deep.include({ namespace: 'shop', resourceVersion: '5', removed: [] });
    expect(conds(ls.status.conditions)).to.deep.equal(['Accepted=True/Accepted', 'Programmed=True/Programmed']);
    expect(ls.status.conditions[0].observedGeneration).to.equal(2);
    expect(ls.status.listeners.map((l: any) => [l.name, l.attachedRoutes, l.supportedKinds.map((k: any) => k.kind), conds(l.conditions)])).to.deep.equal([
      ['web', 1, ['HTTPRoute', 'GRPCRoute'], ['Accepted=True/Accepted', 'Conflicted=False/NoConflicts', 'Programmed=True/Programmed', 'ResolvedRefs=True/ResolvedRefs']],
    ]);
    expect(of(writes, 'Gateway', 'edge')!.status.attachedListenerSets).to.equal(1);
    // The Gateway's own listener does not count the ListenerSet's route.
    expect(of(writes, 'Gateway', 'edge')!.status.listeners[0].attachedRoutes).to.equal(0);
    const parents = of(writes, 'HTTPRoute', 'shop')!.status.parents;
    expect(parents.map((p: any) => [p.controllerName, p.parentRef, conds(p.conditions)])).to.deep.equal([
      [GATEWAY_CONTROLLER, { kind: 'ListenerSet', name: 'shop' }, ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']],
    ]);
  });

  it('not allowed by the parent: NotAllowed, no listeners, not counted, and routes on it get no parent entry', () => {
    const route = obj('HTTPRoute', 'shop', { parentRefs: [{ kind: 'ListenerSet', name: 'shop' }], rules: [] }, 'shop');
    const writes = statuses([POD, edge(), set('shop', [{ name: 'web', protocol: 'HTTP' }]), route]);
    const ls = of(writes, 'ListenerSet', 'shop')!;
    expect(conds(ls.status.conditions)).to.deep.equal(['Accepted=False/NotAllowed', 'Programmed=False/NotAllowed']);
    expect(ls.status.conditions[0].message).to.equal('Gateway web/edge does not allow ListenerSets of namespace shop (its spec.allowedListeners.namespaces.from is None)');
    expect(ls.status).to.not.have.property('listeners');
    expect(of(writes, 'Gateway', 'edge')!.status).to.not.have.property('attachedListenerSets');
    expect(of(writes, 'HTTPRoute', 'shop')).to.equal(undefined);
    // Once allowed and then refused again, the listeners written before are removed.
    const before = { ...set('shop', [{ name: 'web', protocol: 'HTTP' }]), status: { listeners: [{ name: 'web' }] } };
    expect(of(statuses([POD, edge(), before]), 'ListenerSet', 'shop')!.removed).to.deep.equal(['listeners']);
  });

  it('conflicts: the losing listener is Conflicted and not Accepted; a ListenerSet of losers alone is ListenersNotValid and not counted', () => {
    const writes = statuses([
      POD,
      edge({ namespaces: { from: 'All' } }),
      set('older', [{ name: 'a', port: 8080, protocol: 'HTTP', hostname: 'a.example.com' }, { name: 'same', port: 80, protocol: 'HTTP', hostname: 'edge.example.com' }], '2026-01-01T00:00:00Z'),
      set('younger', [{ name: 'b', port: 8080, protocol: 'TCP' }], '2026-02-01T00:00:00Z'),
    ]);
    const older = of(writes, 'ListenerSet', 'older')!;
    expect(conds(older.status.conditions)).to.deep.equal(['Accepted=True/Accepted', 'Programmed=True/Programmed']);
    expect(conds(older.status.listeners[1].conditions)).to.deep.equal(['Accepted=False/HostnameConflict', 'Conflicted=True/HostnameConflict', 'Programmed=False/HostnameConflict']);
    expect(older.status.listeners[1].conditions[0].message).to.match(/listener "http" of Gateway web\/edge/);
    const younger = of(writes, 'ListenerSet', 'younger')!;
    expect(conds(younger.status.conditions)).to.deep.equal(['Accepted=False/ListenersNotValid', 'Programmed=False/ListenersNotValid']);
    expect(conds(younger.status.listeners[0].conditions)).to.deep.equal(['Accepted=False/ProtocolConflict', 'Conflicted=True/ProtocolConflict', 'Programmed=False/ProtocolConflict']);
    expect(younger.status.listeners[0].conditions[0].message).to.match(/listener "a" of ListenerSet shop\/older/);
    expect(of(writes, 'Gateway', 'edge')!.status.attachedListenerSets).to.equal(1);
  });

  it("unsupported listeners and certificates refused, in the Gateway's words; no running parent workload: Programmed Pending", () => {
    const writes = statuses([
      edge({ namespaces: { from: 'All' } }),
      set('s', [
        { name: 'ok', protocol: 'HTTP', hostname: 'ok.example.com' },
        { name: 'no-tls', port: 8443, protocol: 'HTTPS' },
        { name: 'no-port', protocol: 'TCP' },
        { name: 'udp', port: 5000, protocol: 'UDP' },
        { name: 'foreign', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'cert', namespace: 'certs' }] } },
      ]),
    ]);
    const ls = of(writes, 'ListenerSet', 's')!;
    expect(conds(ls.status.conditions)).to.deep.equal(['Accepted=True/Accepted', 'Programmed=False/Pending']);
    const byName = Object.fromEntries(ls.status.listeners.map((l: any) => [l.name, conds(l.conditions)]));
    expect(byName).to.deep.equal({
      ok: ['Accepted=True/Accepted', 'Conflicted=False/NoConflicts', 'Programmed=False/Pending', 'ResolvedRefs=True/ResolvedRefs'],
      'no-tls': ['Accepted=False/UnsupportedProtocol', 'Conflicted=False/NoConflicts', 'Programmed=False/Invalid', 'ResolvedRefs=True/ResolvedRefs'],
      'no-port': ['Accepted=False/UnsupportedProtocol', 'Conflicted=False/NoConflicts', 'Programmed=False/Invalid', 'ResolvedRefs=True/ResolvedRefs'],
      udp: ['Accepted=False/UnsupportedProtocol', 'Conflicted=False/NoConflicts', 'Programmed=False/Invalid', 'ResolvedRefs=True/ResolvedRefs'],
      foreign: ['Accepted=True/Accepted', 'Conflicted=False/NoConflicts', 'Programmed=False/Invalid', 'ResolvedRefs=False/RefNotPermitted'],
    });
    const foreign = ls.status.listeners.find((l: any) => l.name === 'foreign');
    expect(foreign.conditions[3].message).to.match(/lets ListenerSets of this namespace use it/);
  });

  it('a ListenerSet whose parent is missing or of another class gets no status', () => {
    const other = obj('Gateway', 'other', { gatewayClassName: 'other', listeners: [], allowedListeners: { namespaces: { from: 'All' } } });
    const orphan = obj('ListenerSet', 'orphan', { parentRef: { name: 'missing', namespace: 'web' }, listeners: [{ name: 'a', protocol: 'HTTP' }] }, 'shop');
    const foreign = obj('ListenerSet', 'foreign', { parentRef: { name: 'other', namespace: 'web' }, listeners: [{ name: 'a', protocol: 'HTTP' }] }, 'shop');
    const writes = statuses([other, orphan, foreign, obj('ListenerSet', 'garbage', null as unknown as object, 'shop')]);
    expect(writes.filter((w) => w.kind === 'ListenerSet')).to.deep.equal([]);
  });
});
