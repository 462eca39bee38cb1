import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fjp from 'fast-json-patch';
import { parseDocuments } from '../../src/core/documents.js';
import { DEFAULT_MESH_CONFIG, type MeshConfig } from '../../src/config/mesh.js';
import { injectPod } from '../../src/inject/index.js';
import { createPatch } from '../../src/admission/patch.js';
import type { KubeObject } from '../../src/core/kube.js';
import { deepFreeze, readHeader } from './harness.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const TESTDATA = join(HERE, 'testdata');
const BOOKINFO = join(HERE, '../../../shared/samples/bookinfo/platform');
const files = [...readdirSync(TESTDATA).filter((f) => f.endsWith('.yaml')).map((f) => join(TESTDATA, f)), ...readdirSync(BOOKINFO).filter((f) => f.endsWith('.yaml')).map((f) => join(BOOKINFO, f))];

const apply = (doc: unknown, ops: unknown): unknown => fjp.applyPatch(structuredClone(doc), ops as fjp.Operation[], true, false).newDocument;

/** Pods of a case file: top-level Pods, and the pod templates of workloads (as the webhook would see them). */
function podsOf(file: string): Array<{ name: string; pod: KubeObject; namespace: string; mesh: MeshConfig }> {
  const text = readFileSync(file, 'utf8');
  const h = readHeader(text);
  const out: Array<{ name: string; pod: KubeObject; namespace: string; mesh: MeshConfig }> = [];
  for (const d of parseDocuments(text, file)) {
    const o = d.value as KubeObject;
    const name = `${file.slice(file.lastIndexOf('/') + 1)}#${d.index}`;
    if (o?.kind === 'Pod') out.push({ name, pod: o, namespace: h.namespace, mesh: h.mesh });
    const template = (o?.spec as { template?: { metadata?: KubeObject['metadata']; spec?: unknown } } | undefined)?.template;
    if (template?.spec) out.push({ name: `${name} template`, pod: { apiVersion: 'v1', kind: 'Pod', metadata: template.metadata ?? {}, spec: template.spec } as KubeObject, namespace: h.namespace, mesh: h.mesh });
  }
  return out;
}

/** The injector's own patch, checked: applied to the original it gives exactly the injected pod. */
function checkPatch(pod: KubeObject, namespace: string, mesh: MeshConfig): { patch?: string; injected: unknown } {
  const r = injectPod(deepFreeze(structuredClone(pod)), { namespace, mesh });
  if (!r.ok) return { injected: undefined };
  if (r.value.patch === undefined) {
    expect(r.value.decision.inject).to.equal(false);
    return { injected: r.value.pod };
  }
  const ops = JSON.parse(r.value.patch) as unknown[];
  expect(ops.length).to.be.greaterThan(0);
  const applied = apply(pod, ops);
  expect(applied).to.deep.equal(r.value.pod);
  // The same pod as the general diff gives.
  expect(applied).to.deep.equal(apply(pod, structuredClone(createPatch(pod, r.value.pod))));
  return { patch: r.value.patch, injected: r.value.pod };
}

const base = (metadata: Record<string, unknown>, spec: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', ...metadata }, spec: { containers: [{ name: 'app', image: 'a:1', ports: [{ containerPort: 8080 }] }], ...spec } }) as KubeObject;

describe('the injector\'s own JSON patch', () => {
  describe('applied with fast-json-patch, turns every golden pod into its injected form', () => {
    for (const file of files) {
      it(file.slice(file.lastIndexOf('/') + 1), async () => {
        for (const p of podsOf(file)) {
          try {
            checkPatch(p.pod, p.namespace, p.mesh);
          } catch (e) {
            throw new Error(`${p.name}: ${(e as Error).message}`);
          }
        }
      });
    }
  });

  const cases: Array<{ name: string; pod: KubeObject; mesh?: Partial<MeshConfig>; want?: (ops: Array<{ op: string; path: string }>) => void }> = [
    { name: 'no labels, no annotations: both maps added whole', pod: base({}), want: (ops) => expect(ops.map((o) => o.path)).to.include.members(['/metadata/labels', '/metadata/annotations']) },
    { name: 'null labels and annotations', pod: base({ labels: null, annotations: null }) },
    { name: 'empty maps get one operation per key', pod: base({ labels: {}, annotations: {} }), want: (ops) => expect(ops.map((o) => o.path)).to.include('/metadata/labels/security.istio.io~1tlsMode') },
    {
      name: 'a skip reason from an earlier pass is removed',
      pod: base({ annotations: { 'sidecar.mizzen.io/skip-reason': 'host-network', keep: 'me' } }),
      want: (ops) => expect(ops).to.deep.include({ op: 'remove', path: '/metadata/annotations/sidecar.mizzen.io~1skip-reason' }),
    },
    { name: 'an existing istio.io/rev annotation is overwritten', pod: base({ annotations: { 'istio.io/rev': 'canary' } }) },
    { name: 'user labels with / and ~ in keys', pod: base({ labels: { 'a/b~c': 'x', app: 'web', version: 'v2' } }) },
    { name: 'null initContainers and volumes', pod: base({}, { initContainers: null, volumes: null }) },
    { name: 'empty initContainers and volumes', pod: base({}, { initContainers: [], volumes: [] }) },
    { name: 'existing initContainers and volumes are appended to', pod: base({}, { initContainers: [{ name: 'setup', image: 's' }], volumes: [{ name: 'v', emptyDir: {} }] }) },
    { name: 'native sidecar (proxy among the init containers)', pod: base({ annotations: { 'sidecar.istio.io/nativeSidecar': 'true' } }) },
    { name: 'interception NONE: no istio-init', pod: base({ annotations: { 'sidecar.istio.io/interceptionMode': 'NONE' } }) },
    { name: 'native and NONE: the proxy is the only init container', pod: base({ annotations: { 'sidecar.istio.io/interceptionMode': 'NONE', 'sidecar.istio.io/nativeSidecar': 'true' } }, { initContainers: null }) },
    { name: 'non-ASCII label values and annotations', pod: base({ labels: { app: 'wëb' }, annotations: { note: 'ünïcode ✓ "quoted" \\ back' } }) },
    { name: 'a $( in labels is escaped in the bootstrap, not in the patch paths', pod: base({ labels: { app: 'a$(b)' } }) },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const mesh = { ...DEFAULT_MESH_CONFIG, ...c.mesh };
      const { patch } = checkPatch(c.pod, 'default', mesh);
      expect(patch, 'a patch').to.be.a('string');
      c.want?.(JSON.parse(patch!));
    });
  }

  it('the injected pod is made once, on first access', async () => {
    const r = injectPod(base({}), { namespace: 'default', mesh: DEFAULT_MESH_CONFIG });
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.value.pod).to.equal(r.value.pod);
    expect(r.value.pod.spec.containers).to.have.length(2);
  });

  it('is absent when nothing is injected (skips and already injected pods go through the general diff)', async () => {
    const skipped = injectPod(base({ annotations: { 'sidecar.istio.io/inject': 'false' } }), { namespace: 'default', mesh: DEFAULT_MESH_CONFIG });
    expect(skipped.ok && skipped.value.patch).to.equal(undefined);
    const once = injectPod(base({}), { namespace: 'default', mesh: DEFAULT_MESH_CONFIG });
    if (!once.ok) throw new Error(once.errors.join());
    const twice = injectPod(once.value.pod, { namespace: 'default', mesh: DEFAULT_MESH_CONFIG });
    expect(twice.ok && twice.value.patch).to.equal(undefined);
  });
});
