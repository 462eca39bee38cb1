/**
 * BackendTLSPolicy status (model/gateway-api-backendtls-status.ts, written through gatewayApiStatuses): one
 * ancestor per targetRef under istio.io/mesh-controller, with Accepted and ResolvedRefs as istiod sets them;
 * other controllers' ancestors kept; a status already right is not written again.
 */
import { expect } from 'chai';
import type { KubeObject } from '../../src/core/kube.js';
import { buildSnapshot } from '../../src/model/snapshot.js';
import { gatewayApiStatuses, type StatusWrite } from '../../src/model/gateway-api-status.js';
import { GATEWAY_STATUS_RESOURCES } from '../../src/sources/kube/gateway-status.js';
import { testCerts } from '../support/certs.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-02T00:00:00.000Z';
const SERVICE: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'backend', namespace: 'default' }, spec: { selector: { app: 'backend' }, ports: [{ name: 'https', port: 8443 }] } };
const policy = (name: string, targetRefs: unknown[], validation: Record<string, unknown> = { hostname: 'b.example.com', wellKnownCACertificates: 'System' }, o: { status?: object; created?: string } = {}): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'BackendTLSPolicy',
  metadata: { name, namespace: 'default', generation: 2, resourceVersion: '9', creationTimestamp: o.created ?? '2026-01-01T00:00:00Z' },
  spec: { targetRefs, validation },
  ...(o.status ? { status: o.status } : {}),
});
const SVC = { group: '', kind: 'Service', name: 'backend' };
const statuses = (objects: KubeObject[], now = T0): StatusWrite[] => gatewayApiStatuses(objects.filter((o) => o.apiVersion.startsWith('gateway.networking.k8s.io/')), buildSnapshot(objects), now);
const summary = (w: StatusWrite | undefined) =>
  (w?.status.ancestors as any[]).map((a) => ({ ref: a.ancestorRef, controller: a.controllerName, conds: a.conditions.map((c: any) => `${c.type}=${c.status}/${c.reason}`) }));

describe('BackendTLSPolicy status', () => {
  let pem: string;
  before(async () => {
    pem = (await testCerts()).meshCa.cert;
  });

  it('the status writer patches backendtlspolicies/status at v1', () => {
    expect(GATEWAY_STATUS_RESOURCES.BackendTLSPolicy).to.deep.equal({ plural: 'backendtlspolicies', namespaced: true, version: 'v1' });
  });

  it('accepted: one ancestor per target, the mesh controller, observedGeneration and the time', () => {
    const [w] = statuses([SERVICE, policy('p', [SVC])]);
    expect(w).to.include({ kind: 'BackendTLSPolicy', namespace: 'default', name: 'p', resourceVersion: '9' });
    expect(w!.status.ancestors).to.deep.equal([
      {
        ancestorRef: SVC,
        controllerName: 'istio.io/mesh-controller',
        conditions: [
          { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Configuration is valid', observedGeneration: 2, lastTransitionTime: T0 },
          { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: 'Configuration is valid', observedGeneration: 2, lastTransitionTime: T0 },
        ],
      },
    ]);
    // Written back, it is right: nothing more to write, even later.
    expect(statuses([SERVICE, policy('p', [SVC], undefined, { status: w!.status })], T1)).to.deep.equal([]);
  });

  const table: Array<{ name: string; objects: () => KubeObject[]; want: string[][] }> = [
    { name: 'a missing Service and a wrong kind: TargetNotFound each', objects: () => [SERVICE, policy('p', [{ ...SVC, name: 'nope' }, { group: 'apps', kind: 'Deployment', name: 'backend' }])], want: [['Accepted=False/TargetNotFound', 'ResolvedRefs=True/ResolvedRefs'], ['Accepted=False/TargetNotFound', 'ResolvedRefs=True/ResolvedRefs']] },
    { name: 'a sectionName that is no port', objects: () => [SERVICE, policy('p', [{ ...SVC, sectionName: 'grpc' }])], want: [['Accepted=False/TargetNotFound', 'ResolvedRefs=True/ResolvedRefs']] },
    { name: 'a missing ConfigMap: NoValidCACertificate, InvalidCACertificateRef', objects: () => [SERVICE, policy('p', [SVC], { hostname: 'h', caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'ca' }] })], want: [['Accepted=False/NoValidCACertificate', 'ResolvedRefs=False/InvalidCACertificateRef']] },
    { name: 'a Secret reference: InvalidKind', objects: () => [SERVICE, policy('p', [SVC], { hostname: 'h', caCertificateRefs: [{ group: '', kind: 'Secret', name: 'ca' }] })], want: [['Accepted=False/NoValidCACertificate', 'ResolvedRefs=False/InvalidKind']] },
    {
      name: 'a ConfigMap with a ca.crt: accepted and resolved',
      objects: () => [SERVICE, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ca', namespace: 'default' }, data: { 'ca.crt': pem } }, policy('p', [SVC], { hostname: 'h', caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'ca' }] })],
      want: [['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']],
    },
  ];
  for (const t of table) {
    it(t.name, () => {
      expect(summary(statuses(t.objects()).find((w) => w.name === 'p')).map((a) => a.conds)).to.deep.equal(t.want);
    });
  }

  it('the younger of two policies on one target is Conflicted, naming the older', () => {
    const writes = statuses([SERVICE, policy('young', [SVC], undefined, { created: '2026-02-01T00:00:00Z' }), policy('old', [SVC])]);
    expect(summary(writes.find((w) => w.name === 'old'))[0]!.conds).to.deep.equal(['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']);
    const young = writes.find((w) => w.name === 'young')!.status.ancestors[0].conditions[0];
    expect(young).to.include({ status: 'False', reason: 'Conflicted', message: 'Conflicts with BackendTLSPolicy "old" targeting the same backend' });
  });

  it('a policy annotated istio.io/ignore-policy-attachment=true: Accepted False IgnoredByIstio on every target, alone', () => {
    const p = policy('p', [SVC, { ...SVC, name: 'nope' }]);
    const ignored = { ...p, metadata: { ...p.metadata, annotations: { 'istio.io/ignore-policy-attachment': 'true' } } };
    const [w] = statuses([SERVICE, ignored]);
    expect(summary(w).map((a) => a.conds)).to.deep.equal([['Accepted=False/IgnoredByIstio'], ['Accepted=False/IgnoredByIstio']]);
    expect(w!.status.ancestors[0].conditions[0].message).to.equal('Ignored by Istio due to annotation istio.io/ignore-policy-attachment=true');
  });

  it("keeps other controllers' ancestors in place and drops ours for a target no longer named", () => {
    const other = { ancestorRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'edge' }, controllerName: 'example.com/gateway', conditions: [] };
    const stale = { ancestorRef: { group: '', kind: 'Service', name: 'gone' }, controllerName: 'istio.io/mesh-controller', conditions: [] };
    const [w] = statuses([SERVICE, policy('p', [SVC], undefined, { status: { ancestors: [stale, other] } })]);
    expect((w!.status.ancestors as any[]).map((a) => `${a.controllerName} ${a.ancestorRef.name}`)).to.deep.equal(['example.com/gateway edge', 'istio.io/mesh-controller backend']);
  });

  it('garbage never throws', () => {
    for (const spec of [null, 7, { targetRefs: [null, 'x'] }, { targetRefs: 'x', validation: [] }]) {
      const o = { ...policy('g', []), spec } as unknown as KubeObject;
      expect(() => statuses([SERVICE, o]), JSON.stringify(spec)).not.to.throw();
    }
  });
});
