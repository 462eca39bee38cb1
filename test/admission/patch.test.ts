import { expect } from 'chai';
import fjp from 'fast-json-patch';
import { createPatch, escapePointerToken, jsonEqual, type PatchOperation } from '../../src/admission/patch.js';

const apply = (doc: unknown, ops: PatchOperation[]): unknown =>
  fjp.applyPatch(structuredClone(doc), structuredClone(ops) as fjp.Operation[], true, false).newDocument;

const pod = (extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { generateName: 'reviews-v1-', labels: { app: 'reviews' } },
  spec: { containers: [{ name: 'reviews', image: 'r:1', env: [{ name: 'A', value: '1' }] }] },
  ...extra,
});

interface Case {
  name: string;
  a: unknown;
  b: unknown;
  /** Expected operations, when the exact form matters. */
  ops?: PatchOperation[];
}

const cases: Case[] = [
  { name: 'equal documents give no operations', a: pod(), b: pod(), ops: [] },
  {
    name: 'missing metadata.annotations is created whole',
    a: pod(),
    b: { ...pod(), metadata: { ...pod().metadata, annotations: { 'sidecar.istio.io/status': '{}' } } },
    ops: [{ op: 'add', path: '/metadata/annotations', value: { 'sidecar.istio.io/status': '{}' } }],
  },
  {
    name: 'annotation keys with / and ~ are escaped',
    a: { metadata: { annotations: { x: '1' } } },
    b: { metadata: { annotations: { x: '1', 'a/b~c': '2' } } },
    ops: [{ op: 'add', path: '/metadata/annotations/a~1b~0c', value: '2' }],
  },
  {
    name: 'changed scalar is replaced, removed key removed',
    a: { metadata: { labels: { app: 'x', gone: 'y' } } },
    b: { metadata: { labels: { app: 'z' } } },
    ops: [
      { op: 'remove', path: '/metadata/labels/gone' },
      { op: 'replace', path: '/metadata/labels/app', value: 'z' },
    ],
  },
  {
    name: 'appended containers go as /-',
    a: pod(),
    b: { ...pod(), spec: { containers: [...pod().spec.containers, { name: 'istio-proxy' }] } },
    ops: [{ op: 'add', path: '/spec/containers/-', value: { name: 'istio-proxy' } }],
  },
  {
    name: 'missing initContainers and volumes are created',
    a: pod(),
    b: { ...pod(), spec: { ...pod().spec, initContainers: [{ name: 'istio-init' }], volumes: [{ name: 'v', emptyDir: {} }] } },
    ops: [
      { op: 'add', path: '/spec/initContainers', value: [{ name: 'istio-init' }] },
      { op: 'add', path: '/spec/volumes', value: [{ name: 'v', emptyDir: {} }] },
    ],
  },
  {
    name: 'insertion at the front of an array is an index add',
    a: { spec: { initContainers: [{ name: 'user' }] } },
    b: { spec: { initContainers: [{ name: 'istio-proxy' }, { name: 'user' }] } },
    ops: [{ op: 'add', path: '/spec/initContainers/0', value: { name: 'istio-proxy' } }],
  },
  {
    name: 'insertion in the middle of an array',
    a: { l: [1, 2, 3] },
    b: { l: [1, 9, 8, 2, 3] },
    ops: [
      { op: 'add', path: '/l/1', value: 9 },
      { op: 'add', path: '/l/2', value: 8 },
    ],
  },
  { name: 'removal from the middle of an array', a: { l: [1, 2, 3, 4] }, b: { l: [1, 4] } },
  { name: 'arrays changed everywhere', a: { l: [1, 2, 3, 4] }, b: { l: [5, 6] } },
  { name: 'arrays grown and changed', a: { l: [1, { a: 1 }] }, b: { l: [2, { a: 2 }, 3, 4] } },
  { name: 'type change object to array', a: { x: { a: 1 } }, b: { x: [1] }, ops: [{ op: 'replace', path: '/x', value: [1] }] },
  { name: 'null vs object', a: { x: null }, b: { x: {} }, ops: [{ op: 'replace', path: '/x', value: {} }] },
  { name: 'root replaced when types differ', a: [1], b: { a: 1 }, ops: [{ op: 'replace', path: '', value: { a: 1 } }] },
  { name: 'undefined-valued keys count as absent', a: { x: 1 }, b: { x: 1, y: undefined }, ops: [] },
  { name: 'empty key', a: { m: {} }, b: { m: { '': 1 } }, ops: [{ op: 'add', path: '/m/', value: 1 }] },
  {
    name: 'unknown fields are preserved (no operations)',
    a: { spec: { weird: { nested: [1, { k: true }] } } },
    b: { spec: { weird: { nested: [1, { k: true }] }, added: 1 } },
    ops: [{ op: 'add', path: '/spec/added', value: 1 }],
  },
];

describe('admission/patch: createPatch', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const ops = createPatch(c.a, c.b);
      if (c.ops) expect(ops).to.deep.equal(c.ops);
      expect(jsonEqual(apply(c.a, ops), JSON.parse(JSON.stringify(c.b)))).to.equal(true, JSON.stringify(ops));
    });
  }

  it('a 2000-env-var pod with one container added patches only that container', async () => {
    const big = pod();
    big.spec.containers[0].env = Array.from({ length: 2000 }, (_, i) => ({ name: `VAR_${i}`, value: `value-${i}` }));
    const mutated = structuredClone(big) as ReturnType<typeof pod>;
    mutated.spec.containers.push({ name: 'istio-proxy', image: 'envoy', env: [] });
    const ops = createPatch(big, mutated);
    expect(ops).to.have.length(1);
    expect(apply(big, ops)).to.deep.equal(mutated);
  });
});

describe('admission/patch: escapePointerToken', () => {
  const table: Array<[string, string]> = [
    ['plain', 'plain'],
    ['a/b', 'a~1b'],
    ['a~b', 'a~0b'],
    ['~/', '~0~1'],
    ['sidecar.istio.io/status', 'sidecar.istio.io~1status'],
  ];
  for (const [input, want] of table) it(`${input} → ${want}`, async () => expect(escapePointerToken(input)).to.equal(want));
});
