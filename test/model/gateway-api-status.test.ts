/**
 * The status mizzen owes Gateway API objects (src/model/gateway-api-status.ts): Gateways accepted and programmed
 * (or why not), their listeners and addresses, route parents accepted and their references resolved (or why
 * not), other controllers' entries kept, GatewayClass istio accepted; and a status already right is not written
 * again (transition times kept).
 */
import { expect } from 'chai';
import type { KubeObject } from '../../src/core/kube.js';
import { buildSnapshot } from '../../src/model/snapshot.js';
import { GATEWAY_CONTROLLER, MESH_CONTROLLER, gatewayApiStatuses, type StatusWrite } from '../../src/model/gateway-api-status.js';

const GW = 'gateway.networking.k8s.io';
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-02T00:00:00.000Z';
const obj = (kind: string, name: string, spec: object, o: { namespace?: string; generation?: number; status?: object; apiVersion?: string; labels?: Record<string, string> } = {}): KubeObject => ({
  apiVersion: o.apiVersion ?? `${GW}/v1`,
  kind,
  metadata: { name, ...(o.namespace !== null ? { namespace: o.namespace ?? 'web' } : {}), generation: o.generation ?? 1, resourceVersion: '7', ...(o.labels ? { labels: o.labels } : {}) },
  spec,
  ...(o.status ? { status: o.status } : {}),
});
const pod = (name: string, ip: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'web', labels },
  spec: { containers: [{ name: 'app' }] },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
});

const FRONT = obj('Service', 'front', { selector: { app: 'front' }, ports: [{ name: 'http', port: 8080 }] }, { apiVersion: 'v1' });
const GATEWAY_SVC = obj('Service', 'edge-gw', { selector: { [`${GW}/gateway-name`]: 'edge' }, ports: [{ name: 'http', port: 80 }] }, { apiVersion: 'v1' });
const GATEWAY_POD = pod('edge-gw-1', '10.0.0.9', { [`${GW}/gateway-name`]: 'edge' });
const EDGE = obj('Gateway', 'edge', { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }, { name: 'udp', port: 5000, protocol: 'UDP' }, { name: 'tcp', port: 5001, protocol: 'TCP' }] }, { generation: 3 });
const ROUTE = obj('HTTPRoute', 'front', { parentRefs: [{ name: 'edge' }, { group: '', kind: 'Service', name: 'front' }], rules: [{ backendRefs: [{ name: 'front', port: 8080 }] }] }, { generation: 2 });

function statuses(objects: KubeObject[], now = T0): StatusWrite[] {
  const snap = buildSnapshot(objects);
  return gatewayApiStatuses(objects.filter((o) => o.apiVersion.startsWith(`${GW}/`)), snap, now);
}
const of = (writes: StatusWrite[], kind: string, name: string): StatusWrite | undefined => writes.find((w) => w.kind === kind && w.name === name);
const conds = (list: any[]): Array<[string, string, string]> => list.map((c) => [c.type, c.status, c.reason]);

describe('Gateway API status', () => {
  it('a served Gateway with a workload: Accepted, Programmed, its address, listeners with their routes; the route accepted by both parents', () => {
    const writes = statuses([FRONT, GATEWAY_SVC, GATEWAY_POD, EDGE, ROUTE]);
    const gw = of(writes, 'Gateway', 'edge')!;
    expect(gw).to.deep.include({ namespace: 'web', resourceVersion: '7' });
    expect(conds(gw.status.conditions)).to.deep.equal([
      ['Accepted', 'True', 'Accepted'],
      ['Programmed', 'True', 'Programmed'],
    ]);
    expect(gw.status.conditions[0]).to.deep.include({ observedGeneration: 3, lastTransitionTime: T0 });
    expect(gw.status.addresses).to.deep.equal([{ type: 'Hostname', value: 'edge-gw.web.svc.cluster.local' }]);
    expect(gw.status.listeners.map((l: any) => [l.name, l.attachedRoutes, l.supportedKinds.map((k: any) => k.kind), conds(l.conditions)])).to.deep.equal([
      ['http', 1, ['HTTPRoute', 'GRPCRoute'], [['Accepted', 'True', 'Accepted'], ['Programmed', 'True', 'Programmed'], ['ResolvedRefs', 'True', 'ResolvedRefs']]],
      ['udp', 0, [], [['Accepted', 'False', 'UnsupportedProtocol'], ['Programmed', 'False', 'Invalid'], ['ResolvedRefs', 'True', 'ResolvedRefs']]],
      ['tcp', 0, ['TCPRoute'], [['Accepted', 'True', 'Accepted'], ['Programmed', 'True', 'Programmed'], ['ResolvedRefs', 'True', 'ResolvedRefs']]],
    ]);
    const route = of(writes, 'HTTPRoute', 'front')!;
    expect(route.status.parents.map((p: any) => [p.controllerName, p.parentRef, conds(p.conditions), p.conditions[0].observedGeneration])).to.deep.equal([
      [GATEWAY_CONTROLLER, { name: 'edge' }, [['Accepted', 'True', 'Accepted'], ['ResolvedRefs', 'True', 'ResolvedRefs']], 2],
      [MESH_CONTROLLER, { group: '', kind: 'Service', name: 'front' }, [['Accepted', 'True', 'Accepted'], ['ResolvedRefs', 'True', 'ResolvedRefs']], 2],
    ]);
  });

  it('a status already right is not written again; a change keeps the times of the conditions that did not change', () => {
    const first = statuses([FRONT, GATEWAY_SVC, GATEWAY_POD, EDGE, ROUTE]);
    const withStatus = (o: KubeObject): KubeObject => ({ ...o, status: of(first, o.kind, o.metadata.name!)!.status });
    expect(statuses([FRONT, GATEWAY_SVC, GATEWAY_POD, withStatus(EDGE), withStatus(ROUTE)], T1)).to.deep.equal([]);
    // The gateway workload goes: Programmed turns False at T1, Accepted keeps T0.
    const later = statuses([FRONT, GATEWAY_SVC, withStatus(EDGE), withStatus(ROUTE)], T1);
    expect(later.map((w) => w.kind)).to.deep.equal(['Gateway']);
    const gw = later[0]!.status;
    expect(gw.conditions.map((c: any) => [c.type, c.status, c.reason, c.lastTransitionTime])).to.deep.equal([
      ['Accepted', 'True', 'Accepted', T0],
      ['Programmed', 'False', 'NoResources', T1],
    ]);
    expect(gw.conditions[1].message).to.match(/gateway-name=edge/);
    expect(gw).to.not.have.property('addresses');
    expect(later[0]!.removed, 'the address goes from the status by the merge patch').to.deep.equal(['addresses']);
  });

  it('a customization that cannot be used: Accepted False, InvalidParameters, with why; Accepted again (new time) once it can', () => {
    const objects = [FRONT, GATEWAY_SVC, GATEWAY_POD, EDGE, ROUTE];
    const snap = buildSnapshot(objects);
    const api = objects.filter((o) => o.apiVersion.startsWith(`${GW}/`));
    const why = 'ConfigMap web/edge-options: unsupported overlay "hpa"';
    const asked: string[] = [];
    const invalid = (gw: KubeObject): string | undefined => (asked.push(gw.metadata.name!), gw.metadata.name === 'edge' ? why : undefined);
    const gw = of(gatewayApiStatuses(api, snap, T0, () => true, invalid), 'Gateway', 'edge')!;
    expect(asked).to.deep.equal(['edge']);
    expect(conds(gw.status.conditions)).to.deep.equal([
      ['Accepted', 'False', 'InvalidParameters'],
      ['Programmed', 'True', 'Programmed'],
    ]);
    expect(gw.status.conditions[0].message).to.equal(`the gateway's customization cannot be used, so nothing of its deployment changes: ${why}`);
    const fixed = of(gatewayApiStatuses(api.map((o) => (o.kind === 'Gateway' ? { ...o, status: gw.status } : o)), snap, T1, () => true), 'Gateway', 'edge')!;
    expect(fixed.status.conditions.map((c: any) => [c.type, c.status, c.lastTransitionTime])).to.deep.equal([
      ['Accepted', 'True', T1],
      ['Programmed', 'True', T0],
    ]);
  });

  it('why a route is not accepted or cannot resolve a backend, per parent', () => {
    const route = (name: string, spec: object, namespace = 'web') => obj('HTTPRoute', name, spec, { namespace });
    const writes = statuses([
      FRONT,
      GATEWAY_SVC,
      GATEWAY_POD,
      obj('Gateway', 'edge', { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', hostname: 'a.example.com' }] }),
      route('no-listener', { parentRefs: [{ name: 'edge', sectionName: 'https' }], rules: [{ backendRefs: [{ name: 'front', port: 8080 }] }] }),
      route('other-ns', { parentRefs: [{ name: 'edge', namespace: 'web' }], rules: [{ backendRefs: [{ name: 'front', namespace: 'web', port: 8080 }] }] }, 'shop'),
      route('hostname', { parentRefs: [{ name: 'edge' }], hostnames: ['b.example.com'], rules: [{ backendRefs: [{ name: 'front', port: 8080 }] }] }),
      route('backend', { parentRefs: [{ group: '', kind: 'Service', name: 'front' }], rules: [{ backendRefs: [{ name: 'nope', port: 80 }] }] }),
      route('kind', { parentRefs: [{ group: '', kind: 'Service', name: 'front' }], rules: [{ backendRefs: [{ group: 'x.io', kind: 'Thing', name: 'front' }] }] }),
      route('grant', { parentRefs: [{ group: '', kind: 'Service', name: 'front', namespace: 'web' }], rules: [{ backendRefs: [{ name: 'front', namespace: 'web', port: 8080 }] }] }, 'shop'),
      route('missing-service', { parentRefs: [{ group: '', kind: 'Service', name: 'gone' }], rules: [{ backendRefs: [{ name: 'front', port: 8080 }] }] }),
      route('no-such-port', { parentRefs: [{ group: '', kind: 'Service', name: 'front', sectionName: 'grpc' }], rules: [{ backendRefs: [{ name: 'front', port: 8080 }] }] }),
    ]);
    const parent = (name: string) => conds(of(writes, 'HTTPRoute', name)!.status.parents[0].conditions);
    expect(parent('no-listener')[0]).to.deep.equal(['Accepted', 'False', 'NoMatchingParent']);
    expect(parent('other-ns')[0]).to.deep.equal(['Accepted', 'False', 'NotAllowedByListeners']);
    expect(parent('hostname')[0]).to.deep.equal(['Accepted', 'False', 'NoMatchingListenerHostname']);
    expect(parent('backend')).to.deep.equal([['Accepted', 'True', 'Accepted'], ['ResolvedRefs', 'False', 'BackendNotFound']]);
    expect(parent('kind')[1]).to.deep.equal(['ResolvedRefs', 'False', 'InvalidKind']);
    expect(parent('grant')[1]).to.deep.equal(['ResolvedRefs', 'False', 'RefNotPermitted']);
    expect(parent('missing-service')[0]).to.deep.equal(['Accepted', 'False', 'NoMatchingParent']);
    expect(parent('no-such-port')[0]).to.deep.equal(['Accepted', 'False', 'NoMatchingParent']);
    expect(of(writes, 'HTTPRoute', 'no-such-port')!.status.parents[0].conditions[0].message).to.equal('Service web/front has no port named grpc');
    expect(of(writes, 'Gateway', 'edge')!.status.listeners[0].attachedRoutes).to.equal(0);
  });

  it("keeps other controllers' parents, answers none of another class, and accepts GatewayClass istio of Istio's controller", () => {
    const theirs = { parentRef: { name: 'other' }, controllerName: 'example.com/controller', conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: '', lastTransitionTime: T0 }] };
    const writes = statuses([
      FRONT,
      obj('Gateway', 'other', { gatewayClassName: 'vendor', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] }),
      obj('HTTPRoute', 'shared', { parentRefs: [{ name: 'other' }, { group: '', kind: 'Service', name: 'front' }], rules: [] }, { status: { parents: [theirs] } }),
      obj('HTTPRoute', 'theirs-only', { parentRefs: [{ name: 'other' }], rules: [] }, { status: { parents: [theirs] } }),
      obj('GatewayClass', 'istio', { controllerName: GATEWAY_CONTROLLER }, { namespace: null as unknown as string }),
      obj('GatewayClass', 'vendor', { controllerName: 'example.com/controller' }, { namespace: null as unknown as string }),
    ]);
    expect(writes.map((w) => `${w.kind}/${w.name}`).sort()).to.deep.equal(['GatewayClass/istio', 'HTTPRoute/shared']);
    expect(of(writes, 'HTTPRoute', 'shared')!.status.parents.map((p: any) => p.controllerName)).to.deep.equal(['example.com/controller', MESH_CONTROLLER]);
    const cls = of(writes, 'GatewayClass', 'istio')!;
    expect(cls.namespace).to.equal(undefined);
    expect(conds(cls.status.conditions)).to.deep.equal([['Accepted', 'True', 'Accepted']]);
  });

  it('a certificate of another namespace: RefNotPermitted until a ReferenceGrant there allows it; a certificate that is not a Secret: InvalidCertificateRef', () => {
    const gw = obj('Gateway', 'edge', {
      gatewayClassName: 'istio',
      listeners: [
        { name: 'away', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'c', namespace: 'certs' }] } },
        { name: 'cm', port: 8443, protocol: 'HTTPS', tls: { certificateRefs: [{ kind: 'ConfigMap', name: 'c' }] } },
      ],
    });
    const grant = obj('ReferenceGrant', 'certs', { from: [{ group: GW, kind: 'Gateway', namespace: 'web' }], to: [{ group: '', kind: 'Secret' }] }, { namespace: 'certs', apiVersion: `${GW}/v1beta1` });
    const listeners = (objs: KubeObject[]) => of(statuses(objs), 'Gateway', 'edge')!.status.listeners.map((l: any) => [l.name, conds(l.conditions)]);
    const invalid = [['Accepted', 'True', 'Accepted'], ['Programmed', 'False', 'Invalid'], ['ResolvedRefs', 'False', 'InvalidCertificateRef']];
    expect(listeners([GATEWAY_POD, gw])).to.deep.equal([
      ['away', [['Accepted', 'True', 'Accepted'], ['Programmed', 'False', 'Invalid'], ['ResolvedRefs', 'False', 'RefNotPermitted']]],
      ['cm', invalid],
    ]);
    expect(listeners([GATEWAY_POD, gw, grant])).to.deep.equal([
      ['away', [['Accepted', 'True', 'Accepted'], ['Programmed', 'True', 'Programmed'], ['ResolvedRefs', 'True', 'ResolvedRefs']]],
      ['cm', invalid],
    ]);
  });

  it("addresses from outside the cluster when its Services have them (load balancer, externalIPs), else their hostnames; a LoadBalancer without one: AddressNotAssigned", () => {
    const gatewayOf = (svc: KubeObject) => of(statuses([FRONT, svc, GATEWAY_POD, EDGE]), 'Gateway', 'edge')!.status;
    const lb = (status?: object, extra: object = {}) => ({ ...GATEWAY_SVC, spec: { ...GATEWAY_SVC.spec, type: 'LoadBalancer', ...extra }, ...(status ? { status } : {}) }) as KubeObject;
    const pending = gatewayOf(lb());
    expect(pending.addresses).to.deep.equal([{ type: 'Hostname', value: 'edge-gw.web.svc.cluster.local' }]);
    expect(conds(pending.conditions)).to.deep.equal([['Accepted', 'True', 'Accepted'], ['Programmed', 'False', 'AddressNotAssigned']]);
    expect(pending.conditions[1].message).to.equal('address pending for Service web/edge-gw (type LoadBalancer): no load balancer has given it an address yet; on a cluster without one, give the Service another type');
    const assigned = gatewayOf(lb({ loadBalancer: { ingress: [{ ip: '203.0.113.7' }, { hostname: 'lb.example.com' }, { ip: '203.0.113.7' }] } }));
    expect(assigned.addresses).to.deep.equal([{ type: 'IPAddress', value: '203.0.113.7' }, { type: 'Hostname', value: 'lb.example.com' }]);
    expect(conds(assigned.conditions)).to.deep.equal([['Accepted', 'True', 'Accepted'], ['Programmed', 'True', 'Programmed']]);
    const external = gatewayOf({ ...GATEWAY_SVC, spec: { ...GATEWAY_SVC.spec, externalIPs: ['2001:db8::1'] } } as KubeObject);
    expect(external.addresses).to.deep.equal([{ type: 'IPAddress', value: '2001:db8::1' }]);
    expect(gatewayOf(lb(undefined, { externalIPs: ['198.51.100.1'] })).conditions[1].status, 'externalIPs are addresses').to.equal('True');
    // networking.istio.io/address-type: IPAddress reports the cluster IPs instead of the hostnames.
    const clusterIp = { ...GATEWAY_SVC, spec: { ...GATEWAY_SVC.spec, clusterIP: '10.96.0.20' } } as KubeObject;
    const byIp = { ...EDGE, metadata: { ...EDGE.metadata, annotations: { 'networking.istio.io/address-type': 'IPAddress' } } } as KubeObject;
    expect(of(statuses([FRONT, clusterIp, GATEWAY_POD, byIp]), 'Gateway', 'edge')!.status.addresses).to.deep.equal([{ type: 'IPAddress', value: '10.96.0.20' }]);
    expect(of(statuses([FRONT, clusterIp, GATEWAY_POD, EDGE]), 'Gateway', 'edge')!.status.addresses).to.deep.equal([{ type: 'Hostname', value: 'edge-gw.web.svc.cluster.local' }]);
  });

  it('tls-terminate-mode ISTIO_MUTUAL and ISTIO_SIMPLE are served without a certificate Secret', () => {
    const gw = obj('Gateway', 'edge', {
      gatewayClassName: 'istio',
      listeners: [
        { name: 'mesh', port: 443, protocol: 'HTTPS', tls: { options: { 'gateway.istio.io/tls-terminate-mode': 'ISTIO_MUTUAL' } } },
        { name: 'builtin', port: 8443, protocol: 'HTTPS', tls: { options: { 'gateway.istio.io/tls-terminate-mode': 'ISTIO_SIMPLE' } } },
      ],
    });
    const listeners = of(statuses([GATEWAY_POD, gw]), 'Gateway', 'edge')!.status.listeners;
    expect(listeners.map((l: any) => [l.name, conds(l.conditions)])).to.deep.equal([
      ['mesh', [['Accepted', 'True', 'Accepted'], ['Programmed', 'True', 'Programmed'], ['ResolvedRefs', 'True', 'ResolvedRefs']]],
      ['builtin', [['Accepted', 'True', 'Accepted'], ['Programmed', 'True', 'Programmed'], ['ResolvedRefs', 'True', 'ResolvedRefs']]],
    ]);
  });

  it('a ServiceEntry parent is answered by the mesh controller: Accepted when it exists, NoMatchingParent when not', () => {
    const se = obj('ServiceEntry', 'cnn', { hosts: ['edition.cnn.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS' }, { apiVersion: 'networking.istio.io/v1' });
    const r = obj('HTTPRoute', 'egress', { parentRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'cnn' }, { group: 'networking.istio.io', kind: 'ServiceEntry', name: 'gone' }], rules: [{ backendRefs: [{ name: 'front', port: 8080 }] }] });
    const parents = of(statuses([FRONT, se, r]), 'HTTPRoute', 'egress')!.status.parents;
    expect(parents.map((p: any) => [p.parentRef.name, p.controllerName, conds(p.conditions)[0]])).to.deep.equal([
      ['cnn', MESH_CONTROLLER, ['Accepted', 'True', 'Accepted']],
      ['gone', MESH_CONTROLLER, ['Accepted', 'False', 'NoMatchingParent']],
    ]);
    expect(parents[1].conditions[0].message).to.equal('ServiceEntry web/gone not found');
  });

  it('garbage makes no write and no throw', () => {
    const junk = [null, 3, { gatewayClassName: 'istio', listeners: 'x' }, { gatewayClassName: 'istio', listeners: [null, { name: 4 }] }];
    const objects = [...junk.map((spec, i) => obj('Gateway', `g${i}`, spec as object)), obj('HTTPRoute', 'r', { parentRefs: 'x', rules: [null] }), obj('HTTPRoute', 'r2', { parentRefs: [null, { name: 'g2' }], rules: [{ backendRefs: [null, { name: 5 }] }] })];
    const writes = statuses(objects);
    expect(writes.map((w) => `${w.kind}/${w.name}`).sort()).to.deep.equal(['Gateway/g2', 'Gateway/g3', 'HTTPRoute/r2']);
  });
});
