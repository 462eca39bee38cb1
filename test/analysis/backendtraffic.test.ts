/**
 * `mizzen analyze` over Gateway API XBackendTrafficPolicies (MZ0024, MZ0003): targets that get no retry budget from a
 * policy and fields mizzen does not apply, as the conversion mizzen serves them decides
 * (model/gateway-api-backendtraffic.ts).
 */
import { expect } from 'chai';
import { analyze } from '../../src/analysis/index.js';
import type { KubeObject } from '../../src/core/kube.js';
import { describeTable, leveled, svc } from './fixtures.js';

const policy = (name: string, targetRefs: unknown[], o: { ns?: string; spec?: Record<string, unknown>; annotations?: Record<string, string> } = {}): KubeObject =>
  ({
    apiVersion: 'gateway.networking.x-k8s.io/v1alpha1',
    kind: 'XBackendTrafficPolicy',
    metadata: { name, namespace: o.ns ?? 'default', ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: { targetRefs, retryConstraint: { budget: { percent: 20 } }, ...o.spec },
  }) as KubeObject;
const service = (name: string) => ({ group: '', kind: 'Service', name });

describeTable(
  'analysis: XBackendTrafficPolicies (MZ0024, MZ0003)',
  {
    targets: [
      { name: 'a Service of its namespace: clean', objects: [svc('backend'), policy('p', [service('backend')])], expect: [] },
      { name: 'no such Service where the input has Services', objects: [svc('backend'), policy('p', [service('gone')])], expect: ['Warning MZ0024 XBackendTrafficPolicy default/p spec.targetRefs[0]'] },
      { name: 'no such Service, and no Services in its namespace to check against', objects: [policy('p', [service('gone')], { ns: 'empty' })], expect: ['Warning MZ0003 XBackendTrafficPolicy empty/p spec.targetRefs[0]'] },
      { name: 'another kind, even where nothing can be checked', objects: [policy('p', [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'ext' }], { ns: 'empty' })], expect: ['Warning MZ0024 XBackendTrafficPolicy empty/p spec.targetRefs[0]'] },
      { name: 'a policy that asks to be ignored: nothing said', objects: [svc('backend'), policy('p', [service('gone')], { annotations: { 'istio.io/ignore-policy-attachment': 'true' } })], expect: [] },
    ],
    fields: [
      { name: 'sessionPersistence is not applied', objects: [svc('backend'), policy('p', [service('backend')], { spec: { sessionPersistence: { type: 'Cookie' } } })], expect: ['Warning MZ0024 XBackendTrafficPolicy default/p spec.sessionPersistence'] },
    ],
  },
  leveled,
);

describe('analysis: XBackendTrafficPolicy messages', () => {
  it('say what the traffic gets', () => {
    const found = analyze([svc('backend'), policy('p', [service('gone')], { spec: { sessionPersistence: { type: 'Cookie' } } })]);
    expect(found.filter((f) => f.code === 'MZ0024').map((f) => f.message)).to.have.members([
      'This target gets no retry budget from the policy: targetRefs invalid: Service default/gone not found',
      "sessionPersistence is not applied (Istio does not apply it either); the policy's other fields are",
    ]);
  });

  it('garbage never throws', () => {
    const bad = { apiVersion: 'gateway.networking.x-k8s.io/v1alpha1', kind: 'XBackendTrafficPolicy', metadata: { name: 'x', namespace: 'default' }, spec: { targetRefs: [null, 5, 'x'], retryConstraint: 'often' } } as unknown as KubeObject;
    expect(() => analyze([svc('backend'), bad])).to.not.throw();
  });
});
