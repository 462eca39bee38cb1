import { expect } from 'chai';
import { analyze, analyzeObject } from '../../src/analysis/index.js';
import type { KubeObject } from '../../src/core/kube.js';
import { type Case, brief, describeTable, leveled, pod, se, sidecar } from './fixtures.js';

/** Sidecars (IST0110, IST0111) and Telemetries (IST0159) whose selectors take one another's place. */
const DAY1 = '2026-01-01T00:00:00Z';
const DAY2 = '2026-01-02T00:00:00Z';

const created = <T extends KubeObject>(o: T, at: string): T => ({ ...o, metadata: { ...o.metadata, creationTimestamp: at } });

const telemetry = (name: string, matchLabels: Record<string, string> | undefined, extra: Record<string, unknown> = {}, namespace = 'default'): KubeObject => ({
  apiVersion: 'telemetry.istio.io/v1',
  kind: 'Telemetry',
  metadata: { name, namespace },
  spec: { ...(matchLabels ? { selector: { matchLabels } } : {}), accessLogging: [{ providers: [{ name: 'envoy' }] }], ...extra },
});

const ADDR = { addresses: ['240.0.0.1'] };

const table: Record<string, Case[]> = {
  'IST0110 ConflictingSidecarWorkloadSelectors': [
    {
      name: 'two Sidecars select one pod: both reported',
      objects: [pod('p', { app: 'a', v: '1' }), sidecar('s1', { app: 'a' }), sidecar('s2', { app: 'a', v: '1' })],
      expect: ['Error IST0110 Sidecar default/s1 spec.workloadSelector.labels', 'Error IST0110 Sidecar default/s2 spec.workloadSelector.labels'],
    },
    { name: 'disjoint selectors', objects: [pod('p1', { app: 'a' }), pod('p2', { app: 'b' }), sidecar('s1', { app: 'a' }), sidecar('s2', { app: 'b' })], expect: [] },
    { name: 'selectors that could overlap, but no workload of the input has both labels', objects: [pod('p1', { app: 'a' }), pod('p2', { v: '1' }), sidecar('s1', { app: 'a' }), sidecar('s2', { v: '1' })], expect: [] },
    { name: 'the same selector in two namespaces', objects: [pod('p', { app: 'a' }), pod('p', { app: 'a' }, 'other'), sidecar('s1', { app: 'a' }), sidecar('s2', { app: 'a' }, {}, 'other')], expect: [] },
    { name: 'one with a selector and one without', objects: [pod('p', { app: 'a' }), sidecar('s1', { app: 'a' }), sidecar('s2', undefined)], expect: [] },
    {
      name: "a ServiceEntry's inline endpoint runs no proxy",
      objects: [se('db', ['db.example.com'], { ...ADDR, endpoints: [{ address: '10.0.0.9', labels: { app: 'a' } }] }), sidecar('s1', { app: 'a' }), sidecar('s2', { app: 'a' }), pod('other', { app: 'b' })],
      expect: ['Warning IST0127 Sidecar default/s1 spec.workloadSelector.labels', 'Warning IST0127 Sidecar default/s2 spec.workloadSelector.labels'],
    },
  ],
  'IST0111 MultipleSidecarsWithoutWorkloadSelectors': [
    { name: 'two without a selector in a namespace: both reported', objects: [sidecar('s1', undefined), sidecar('s2', undefined)], expect: ['Error IST0111 Sidecar default/s1', 'Error IST0111 Sidecar default/s2'] },
    { name: 'empty selector labels are no selector', objects: [sidecar('s1', undefined), sidecar('s2', {})], expect: ['Error IST0111 Sidecar default/s1', 'Error IST0111 Sidecar default/s2'] },
    { name: 'one per namespace', objects: [sidecar('s1', undefined), sidecar('s2', undefined, {}, 'other'), sidecar('root', undefined, {}, 'istio-system')], expect: [] },
    { name: 'two documents of one Sidecar are one resource', objects: [sidecar('s1', undefined), sidecar('s1', undefined, { egress: [{ hosts: ['./*'] }] })], expect: ['Warning MZ0001 Sidecar default/s1'] },
  ],
  'IST0159 ConflictingTelemetryWorkloadSelectors': [
    { name: 'two Telemetries select one pod: both warned of', objects: [pod('p', { app: 'a' }), telemetry('t1', { app: 'a' }), telemetry('t2', { app: 'a' })], expect: ['Warning IST0159 Telemetry default/t1 spec.selector.matchLabels', 'Warning IST0159 Telemetry default/t2 spec.selector.matchLabels'] },
    { name: 'a namespace-wide one and a selecting one compose, as meant', objects: [pod('p', { app: 'a' }), telemetry('t1', undefined), telemetry('t2', { app: 'a' })], expect: [] },
    {
      name: 'one attached by targetRefs takes no part',
      objects: [pod('p', { app: 'a' }), telemetry('t1', { app: 'a' }), telemetry('t2', undefined, { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }] })],
      expect: ['Warning MZ0003 Telemetry default/t2 spec.targetRefs[0].name'],
    },
    { name: 'disjoint selectors', objects: [pod('p1', { app: 'a' }), pod('p2', { app: 'b' }), telemetry('t1', { app: 'a' }), telemetry('t2', { app: 'b' })], expect: [] },
  ],
};

describeTable('analysis: Sidecars and Telemetries selecting one workload (IST0110, IST0111, IST0159)', table, leveled);

describe('analysis: IST0110, IST0111, IST0159 messages and apply time', () => {
  it('IST0110 and IST0111 name the Sidecar that applies: the oldest', () => {
    const found = analyze([pod('p', { app: 'a' }), created(sidecar('s1', { app: 'a' }), DAY2), created(sidecar('s2', { app: 'a' }), DAY1)]);
    expect(found.map((f) => f.message)).to.have.length(2);
    for (const f of found) expect(f.message).to.include('"s1", "s2"').and.include('the oldest that selects it ("s2")').and.include('Pod p');
    const wide = analyze([created(sidecar('b', undefined), DAY1), created(sidecar('a', undefined), DAY2)]);
    expect(wide[0]!.message).to.include('take the oldest ("b")');
  });

  it('at apply time a Sidecar replaces its stored version, and a new one is reported alone', () => {
    const world = [pod('p', { app: 'a' }), created(sidecar('s1', { app: 'a' }), DAY1), created(sidecar('w', undefined), DAY1)];
    expect(analyzeObject(created(sidecar('s1', { app: 'a' }, { egress: [{ hosts: ['./*'] }] }), DAY1), world)).to.deep.equal([]);
    expect(analyzeObject(created(sidecar('w', undefined, { egress: [{ hosts: ['./*'] }] }), DAY1), world)).to.deep.equal([]);
    expect(analyzeObject(sidecar('s2', { app: 'a' }), world).map(brief)).to.deep.equal(['IST0110 Sidecar default/s2 spec.workloadSelector.labels']);
    expect(analyzeObject(sidecar('w2', undefined), world).map(brief)).to.deep.equal(['IST0111 Sidecar default/w2']);
  });

  it('IST0159 lists the workloads the Telemetries share and says the oldest applies first', () => {
    const found = analyze([pod('p1', { app: 'a' }), pod('p2', { app: 'a' }), created(telemetry('t1', { app: 'a' }), DAY2), created(telemetry('t2', { app: 'a' }), DAY1)]);
    expect(found).to.have.length(2);
    expect(found[0]!.message).to.include('Pod p1, Pod p2').and.include('oldest first ("t2")');
  });

  it('malformed selectors are read defensively: no exception, nothing made up', () => {
    const bad = (kind: string, name: string, spec: unknown): KubeObject => ({ apiVersion: kind === 'Telemetry' ? 'telemetry.istio.io/v1' : 'networking.istio.io/v1', kind, metadata: { name, namespace: 'default' }, spec }) as KubeObject;
    const objects = [pod('p', { app: 'a' }), bad('Sidecar', 's1', { workloadSelector: { labels: [1, 2] } }), bad('Sidecar', 's2', { workloadSelector: 'app' }), bad('Sidecar', 's3', null), bad('Telemetry', 't1', { selector: { matchLabels: 'app' } }), bad('Telemetry', 't2', { selector: [] })];
    expect(() => analyze(objects)).not.to.throw();
    // Selectors that do not read are none: the Sidecars are namespace-wide ones, the Telemetries too (the younger, t2, changes nothing).
    expect(analyze(objects).map(brief)).to.have.members(['IST0111 Sidecar default/s1', 'IST0111 Sidecar default/s2', 'IST0111 Sidecar default/s3', 'IST0160 Telemetry default/t2']);
    for (const o of objects) expect(() => analyzeObject(o, objects)).not.to.throw();
  });
});
