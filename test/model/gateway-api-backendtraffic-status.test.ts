/**
 * XBackendTrafficPolicy status (model/gateway-api-backendtraffic-status.ts, written through gatewayApiStatuses):
 * one ancestor per targetRef under istio.io/mesh-controller with Accepted as istiod sets it; other controllers'
 * ancestors kept; a status already right is not written again.
 */
import { expect } from 'chai';
import type { KubeObject } from '../../src/core/kube.js';
import { buildSnapshot } from '../../src/model/snapshot.js';
import { gatewayApiStatuses, type StatusWrite } from '../../src/model/gateway-api-status.js';
import { GATEWAY_STATUS_RESOURCES } from '../../src/sources/kube/gateway-status.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-02T00:00:00.000Z';
const SERVICE: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'backend', namespace: 'default' }, spec: { selector: { app: 'backend' }, ports: [{ name: 'http', port: 8080 }] } };
const SVC = { group: '', kind: 'Service', name: 'backend' };
const policy = (targetRefs: unknown[], spec: Record<string, unknown> = { retryConstraint: { budget: { percent: 20 } } }, o: { status?: object; annotations?: Record<string, string> } = {}): KubeObject => ({
  apiVersion: 'gateway.networking.x-k8s.io/v1alpha1',
  kind: 'XBackendTrafficPolicy',
  metadata: { name: 'p', namespace: 'default', generation: 3, resourceVersion: '7', creationTimestamp: '2026-01-01T00:00:00Z', ...(o.annotations ? { annotations: o.annotations } : {}) },
  spec: { targetRefs, ...spec },
  ...(o.status ? { status: o.status } : {}),
});
const statuses = (objects: KubeObject[], now = T0): StatusWrite[] => gatewayApiStatuses(objects, buildSnapshot(objects), now);
const accepted = (w: StatusWrite | undefined) => (w?.status.ancestors as any[]).map((a) => ({ ref: a.ancestorRef, controller: a.controllerName, conds: a.conditions.map((c: any) => `${c.type}=${c.status}/${c.reason}: ${c.message}`) }));

describe('XBackendTrafficPolicy status', () => {
  it('the status writer patches xbackendtrafficpolicies/status of the experimental group at v1alpha1', () => {
    expect(GATEWAY_STATUS_RESOURCES.XBackendTrafficPolicy).to.deep.equal({ plural: 'xbackendtrafficpolicies', namespaced: true, version: 'v1alpha1', group: 'gateway.networking.x-k8s.io' });
  });

  it('accepted: one ancestor per target, Accepted alone, the mesh controller, observedGeneration and the time; not written again', () => {
    const [w] = statuses([SERVICE, policy([SVC])]);
    expect(w).to.include({ kind: 'XBackendTrafficPolicy', namespace: 'default', name: 'p', resourceVersion: '7' });
    expect(w!.status.ancestors).to.deep.equal([
      { ancestorRef: SVC, controllerName: 'istio.io/mesh-controller', conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Configuration is valid', observedGeneration: 3, lastTransitionTime: T0 }] },
    ]);
    expect(statuses([SERVICE, policy([SVC], undefined, { status: w!.status })], T1)).to.deep.equal([]);
  });

  it('sessionPersistence: Accepted, the message naming it', () => {
    const [w] = statuses([SERVICE, policy([SVC], { sessionPersistence: { type: 'Cookie' } })]);
    expect(accepted(w)[0]!.conds).to.deep.equal(['Accepted=True/Accepted: Configuration is valid, but Istio does not support the following fields: sessionPersistence']);
  });

  it('a missing Service and another kind: TargetNotFound per target', () => {
    const [w] = statuses([SERVICE, policy([{ ...SVC, name: 'nope' }, { group: 'networking.istio.io', kind: 'ServiceEntry', name: 'backend' }, SVC])]);
    expect(accepted(w)).to.deep.equal([
      { ref: { ...SVC, name: 'nope' }, controller: 'istio.io/mesh-controller', conds: ['Accepted=False/TargetNotFound: targetRefs invalid: Service default/nope not found'] },
      { ref: { group: 'networking.istio.io', kind: 'ServiceEntry', name: 'backend' }, controller: 'istio.io/mesh-controller', conds: ['Accepted=False/TargetNotFound: targetRefs invalid: unsupported reference kind: ServiceEntry'] },
      { ref: SVC, controller: 'istio.io/mesh-controller', conds: ['Accepted=True/Accepted: Configuration is valid'] },
    ]);
  });

  it('istio.io/ignore-policy-attachment=true: IgnoredByIstio on every target, even one that does not exist', () => {
    const [w] = statuses([SERVICE, policy([SVC, { ...SVC, name: 'nope' }], undefined, { annotations: { 'istio.io/ignore-policy-attachment': 'true' } })]);
    const ignored = 'Accepted=False/IgnoredByIstio: Ignored by Istio due to annotation istio.io/ignore-policy-attachment=true';
    expect(accepted(w).map((a) => a.conds)).to.deep.equal([[ignored], [ignored]]);
  });

  it("other controllers' ancestors are kept; ours for a target no longer listed are dropped", () => {
    const theirs = { ancestorRef: SVC, controllerName: 'example.com/other', conditions: [] };
    const stale = { ancestorRef: { ...SVC, name: 'gone' }, controllerName: 'istio.io/mesh-controller', conditions: [] };
    const [w] = statuses([SERVICE, policy([SVC], undefined, { status: { ancestors: [theirs, stale] } })]);
    expect((w!.status.ancestors as any[]).map((a) => `${a.controllerName} ${a.ancestorRef.name}`)).to.deep.equal(['example.com/other backend', 'istio.io/mesh-controller backend']);
  });

  it('the same kind in the standard group gets no status from this', () => {
    const wrong = { ...policy([SVC]), apiVersion: 'gateway.networking.k8s.io/v1alpha1' };
    expect(statuses([SERVICE, wrong])).to.deep.equal([]);
  });
});
