import { expect } from 'chai';
import { decideInjection } from '../../src/inject/index.js';
import { DEFAULT_MESH_CONFIG, type MeshConfig } from '../../src/config/mesh.js';
import type { KubeObject } from '../../src/core/kube.js';
import { deepFreeze } from './harness.js';

interface PodIn {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  namespace?: string;
  hostNetwork?: boolean;
  containers?: string[];
  initContainers?: Array<{ name: string; restartPolicy?: string }>;
}
const pod = (p: PodIn): KubeObject =>
  deepFreeze({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', ...(p.namespace ? { namespace: p.namespace } : {}), ...(p.labels ? { labels: p.labels } : {}), ...(p.annotations ? { annotations: p.annotations } : {}) },
    spec: { ...(p.hostNetwork !== undefined ? { hostNetwork: p.hostNetwork } : {}), containers: (p.containers ?? ['app']).map((name) => ({ name, image: 'x' })), ...(p.initContainers ? { initContainers: p.initContainers } : {}) },
  });

const mesh = (m: Partial<MeshConfig> = {}): MeshConfig => ({ ...DEFAULT_MESH_CONFIG, ...m });
const INJ = 'sidecar.istio.io/inject';
const never = [{ matchLabels: { role: 'db' } }];
const always = [{ matchExpressions: [{ key: 'mesh', operator: 'Exists' as const }] }];

const table: Array<{ name: string; in: PodIn; mesh?: Partial<MeshConfig>; ns?: string; want: string }> = [
  { name: 'nothing set: default', in: {}, want: 'inject:default' },
  { name: 'label false', in: { labels: { [INJ]: 'false' } }, want: 'skip:disabled-by-label' },
  { name: 'label true', in: { labels: { [INJ]: 'true' } }, want: 'inject:enabled-by-label' },
  { name: 'annotation false', in: { annotations: { [INJ]: 'false' } }, want: 'skip:disabled-by-annotation' },
  { name: 'annotation true', in: { annotations: { [INJ]: 'true' } }, want: 'inject:enabled-by-annotation' },
  { name: 'label true wins over annotation false', in: { labels: { [INJ]: 'true' }, annotations: { [INJ]: 'false' } }, want: 'inject:enabled-by-label' },
  { name: 'label false wins over annotation true', in: { labels: { [INJ]: 'false' }, annotations: { [INJ]: 'true' } }, want: 'skip:disabled-by-label' },
  ...['y', 'Y', 'yes', 'YES', 'True', 'TRUE', 'on', 'On'].map((v) => ({ name: `label ${v}: inject (case-insensitive, as in Istio)`, in: { labels: { [INJ]: v } }, want: 'inject:enabled-by-label' })),
  ...['False', 'FALSE', 'no', 'n', 'off', 'disabled', '0'].map((v) => ({ name: `label ${v}: any other value opts out, as in Istio`, in: { labels: { [INJ]: v } }, want: 'skip:disabled-by-label' })),
  { name: 'annotation YES: inject', in: { annotations: { [INJ]: 'YES' } }, want: 'inject:enabled-by-annotation' },
  { name: 'annotation disabled: opts out', in: { annotations: { [INJ]: 'disabled' } }, want: 'skip:disabled-by-annotation' },
  { name: 'label no wins over annotation true', in: { labels: { [INJ]: 'no' }, annotations: { [INJ]: 'true' } }, want: 'skip:disabled-by-label' },
  { name: 'empty label: default, and the annotation is not read', in: { labels: { [INJ]: '' }, annotations: { [INJ]: 'false' } }, want: 'inject:default' },
  { name: 'empty annotation: default', in: { annotations: { [INJ]: '' } }, want: 'inject:default' },
  { name: 'empty label: the mesh selectors decide', in: { labels: { role: 'db', [INJ]: '' } }, mesh: { neverInjectSelector: never }, want: 'skip:never-inject-selector' },
  { name: 'label on beats neverInjectSelector', in: { labels: { role: 'db', [INJ]: 'on' } }, mesh: { neverInjectSelector: never }, want: 'inject:enabled-by-label' },
  { name: 'annotation Off beats alwaysInjectSelector', in: { labels: { mesh: 'x' }, annotations: { [INJ]: 'Off' } }, mesh: { alwaysInjectSelector: always }, want: 'skip:disabled-by-annotation' },
  { name: 'hostNetwork', in: { hostNetwork: true }, want: 'skip:host-network' },
  { name: 'hostNetwork beats label true', in: { hostNetwork: true, labels: { [INJ]: 'true' } }, want: 'skip:host-network' },
  { name: 'hostNetwork false', in: { hostNetwork: false }, want: 'inject:default' },
  ...['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage'].map((ns) => ({ name: `system namespace ${ns} (metadata)`, in: { namespace: ns, labels: { [INJ]: 'true' } }, want: 'skip:system-namespace' })),
  { name: 'system namespace from the request', in: {}, ns: 'kube-system', want: 'skip:system-namespace' },
  { name: 'pod metadata namespace wins over the request', in: { namespace: 'shop' }, ns: 'kube-system', want: 'inject:default' },
  // An istio-proxy of the pod's own, without the status annotation, customizes the sidecar (Istio): injected.
  { name: 'istio-proxy container without the status annotation: a customization', in: { containers: ['app', 'istio-proxy'] }, want: 'inject:default' },
  { name: 'native istio-proxy without the status annotation: a customization', in: { initContainers: [{ name: 'istio-proxy', restartPolicy: 'Always' }] }, want: 'inject:default' },
  { name: 'already injected: status annotation', in: { annotations: { 'sidecar.istio.io/status': '{}' } }, want: 'skip:already-injected' },
  { name: 'already injected beats hostNetwork', in: { hostNetwork: true, annotations: { 'sidecar.istio.io/status': '{}' } }, want: 'skip:already-injected' },
  { name: 'neverInjectSelector matches', in: { labels: { role: 'db' } }, mesh: { neverInjectSelector: never }, want: 'skip:never-inject-selector' },
  { name: 'neverInjectSelector does not match', in: { labels: { role: 'web' } }, mesh: { neverInjectSelector: never }, want: 'inject:default' },
  { name: 'label true beats neverInjectSelector', in: { labels: { role: 'db', [INJ]: 'true' } }, mesh: { neverInjectSelector: never }, want: 'inject:enabled-by-label' },
  { name: 'neverInjectSelector is checked before alwaysInjectSelector (Istio)', in: { labels: { role: 'db', mesh: 'x' } }, mesh: { neverInjectSelector: never, alwaysInjectSelector: always }, want: 'skip:never-inject-selector' },
  { name: 'alwaysInjectSelector alone', in: { labels: { mesh: '' } }, mesh: { alwaysInjectSelector: always }, want: 'inject:always-inject-selector' },
  { name: 'annotation false beats alwaysInjectSelector', in: { labels: { mesh: 'x' }, annotations: { [INJ]: 'false' } }, mesh: { alwaysInjectSelector: always }, want: 'skip:disabled-by-annotation' },
  { name: 'empty selectors are ignored', in: { labels: { a: 'b' } }, mesh: { neverInjectSelector: [{}, { matchLabels: {} }] }, want: 'inject:default' },
  {
    name: 'selector expressions: In/NotIn/DoesNotExist all required',
    in: { labels: { tier: 'db', zone: 'a' } },
    mesh: { neverInjectSelector: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['db', 'cache'] }, { key: 'zone', operator: 'NotIn', values: ['b'] }, { key: 'legacy', operator: 'DoesNotExist' }] }] },
    want: 'skip:never-inject-selector',
  },
  {
    name: 'selector expressions: one requirement fails',
    in: { labels: { tier: 'db', zone: 'b' } },
    mesh: { neverInjectSelector: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }, { key: 'zone', operator: 'NotIn', values: ['b'] }] }] },
    want: 'inject:default',
  },
  { name: 'selector with an unknown operator never matches', in: { labels: { a: 'b' } }, mesh: { neverInjectSelector: [{ matchExpressions: [{ key: 'a', operator: 'Bogus' as 'In' }] }] }, want: 'inject:default' },
];

describe('injection policy', () => {
  for (const t of table) {
    it(t.name, async () => {
      const d = decideInjection(pod(t.in), { namespace: t.ns ?? 'default', mesh: mesh(t.mesh) });
      expect(`${d.inject ? 'inject' : 'skip'}:${d.reason}`).to.equal(t.want);
      if (!d.inject) expect(d.message).to.be.a('string').and.not.equal('');
    });
  }
  it('survives pods with missing or odd metadata', async () => {
    const odd = [{ apiVersion: 'v1', kind: 'Pod', metadata: {} }, { apiVersion: 'v1', kind: 'Pod', metadata: { labels: null, annotations: null }, spec: null }];
    for (const p of odd) expect(decideInjection(p as unknown as KubeObject, { namespace: 'default', mesh: mesh() }).inject).to.equal(true);
  });
});
