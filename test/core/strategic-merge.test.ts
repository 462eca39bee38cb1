/**
 * strategicMerge(): Kubernetes' strategic merge patch, applied locally. The expectations of the generic cases are
 * those of apimachinery's own strategicpatch test cases (mergingList merges by `name`, mergingIntList is a merged
 * list of scalars, simpleMap a map); the kind cases use the gateway kinds' patch metadata.
 */
import { expect } from 'chai';
import { type PatchSchema, strategicMerge } from '../../src/core/strategic-merge.js';
import { PATCH_SCHEMAS } from '../../src/core/strategic-merge-schemas.js';

type Json = Record<string, any>;

/** The fields of apimachinery's test struct. */
const TEST_SCHEMA: PatchSchema = {
  mergingList: { list: { key: 'name' }, fields: { mergingList: { list: { key: 'name' } } } },
  mergingIntList: { list: {} },
  retainKeysMergingList: { list: { key: 'name' } },
  replacingMap: { replace: true },
};

const merged = (original: Json, patch: Json, schema: PatchSchema = TEST_SCHEMA): Json => {
  const r = strategicMerge(original, patch, schema);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
};
const refused = (original: Json, patch: Json, schema: PatchSchema = TEST_SCHEMA): string => {
  const r = strategicMerge(original, patch, schema);
  if (r.ok) throw new Error(`merged: ${JSON.stringify(r.value)}`);
  return r.errors.join('; ');
};

describe('strategic merge patch', () => {
  describe('maps and lists, as apimachinery merges them', () => {
    const cases: Array<[string, Json, Json, Json]> = [
      ['a key added', { a: 1 }, { b: 2 }, { a: 1, b: 2 }],
      ['a key changed', { a: 1, b: 2 }, { b: 3 }, { a: 1, b: 3 }],
      ['null removes a key', { a: 1, b: 2 }, { b: null }, { a: 1 }],
      ['null for a key that is not there: nothing', { a: 1 }, { b: null }, { a: 1 }],
      ['maps merge recursively', { m: { a: 1, n: { x: 1 } } }, { m: { n: { y: 2 } } }, { m: { a: 1, n: { x: 1, y: 2 } } }],
      ['a nested null removes a nested key', { m: { a: 1, b: 2 } }, { m: { b: null } }, { m: { a: 1 } }],
      ['a new map loses its nulls', { a: 1 }, { m: { x: 1, y: null } }, { a: 1, m: { x: 1 } }],
      ['a value of another type replaces', { a: { x: 1 } }, { a: 'x' }, { a: 'x' }],
      ['a list without a merge strategy is replaced', { l: [{ name: 'a', v: 1 }, { name: 'b' }] }, { l: [{ name: 'a', w: 2 }] }, { l: [{ name: 'a', w: 2 }] }],
      ['a list of scalars without a merge strategy is replaced', { args: ['a', 'b'] }, { args: ['c'] }, { args: ['c'] }],
      ['a merging list merges items by key', { mergingList: [{ name: 'a', v: 1 }, { name: 'b', v: 2 }] }, { mergingList: [{ name: 'b', w: 3 }] }, { mergingList: [{ name: 'a', v: 1 }, { name: 'b', v: 2, w: 3 }] }],
      ['a null inside an item removes its key', { mergingList: [{ name: 'a', v: 1, w: 2 }] }, { mergingList: [{ name: 'a', v: null }] }, { mergingList: [{ name: 'a', w: 2 }] }],
      ['items merge recursively, nested merging lists too', { mergingList: [{ name: 'a', mergingList: [{ name: 'x', v: 1 }] }] }, { mergingList: [{ name: 'a', mergingList: [{ name: 'x', w: 2 }, { name: 'y' }] }] }, { mergingList: [{ name: 'a', mergingList: [{ name: 'x', v: 1, w: 2 }, { name: 'y' }] }] }],
      // Kubernetes' order: an item the patch adds goes before the items of the object that the patch does not name.
      ['an item added comes before the object\'s unnamed items', { mergingList: [{ name: 'a' }, { name: 'b' }] }, { mergingList: [{ name: 'c' }] }, { mergingList: [{ name: 'c' }, { name: 'a' }, { name: 'b' }] }],
      ['an item added after a named one follows it', { mergingList: [{ name: 'a' }, { name: 'b' }] }, { mergingList: [{ name: 'b' }, { name: 'c' }] }, { mergingList: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] }],
      ['the patch\'s order wins for the items it names', { mergingList: [{ name: '1' }, { name: '2', value: 'b' }, { name: '3' }] }, { mergingList: [{ name: '3', value: 'c' }, { name: '1', value: 'a' }, { name: '2', other: 'x' }] }, { mergingList: [{ name: '3', value: 'c' }, { name: '1', value: 'a' }, { name: '2', value: 'b', other: 'x' }] }],
      ['the others fit in where the object had them', { mergingList: [{ name: '1' }, { name: '2', value: 'b' }, { name: '3' }] }, { mergingList: [{ name: '3', value: 'c' }, { name: '1', value: 'a' }] }, { mergingList: [{ name: '2', value: 'b' }, { name: '3', value: 'c' }, { name: '1', value: 'a' }] }],
      ['a merging list of scalars is a union', { mergingIntList: [1, 2] }, { mergingIntList: [2, 3] }, { mergingIntList: [1, 2, 3] }],
      ['a merging list of scalars in the patch\'s order', { mergingIntList: [1, 2, 3] }, { mergingIntList: [3, 1] }, { mergingIntList: [2, 3, 1] }],
      ['two empty merging lists', { mergingList: [] }, { mergingList: [] }, { mergingList: [] }],
      ['a merging list the object lacks: taken as it is', {}, { mergingList: [{ name: 'a', v: null, w: 1 }] }, { mergingList: [{ name: 'a', w: 1 }] }],
      ['a replace-strategy map is replaced, not merged', { replacingMap: { a: 1, b: 2 } }, { replacingMap: { c: 3 } }, { replacingMap: { c: 3 } }],
    ];
    for (const [name, original, patch, want] of cases) {
      it(name, () => expect(merged(original, patch)).to.deep.equal(want));
    }

    it('leaves its inputs as they were', () => {
      const original = { m: { a: 1 }, mergingList: [{ name: 'a', v: 1 }] };
      const patch = { m: { a: null }, mergingList: [{ name: 'a', v: 2 }, { name: 'b', $patch: 'delete' }] };
      const [o, p] = [structuredClone(original), structuredClone(patch)];
      merged(original, patch);
      expect([original, patch]).to.deep.equal([o, p]);
    });
  });

  describe('directives', () => {
    const cases: Array<[string, Json, Json, Json]> = [
      ['$patch: replace on a map: the patch\'s map', { m: { a: 1, b: 2 } }, { m: { $patch: 'replace', c: 3 } }, { m: { c: 3 } }],
      ['$patch: replace on the whole object', { name: 1, value: 1 }, { other: 'a', $patch: 'replace' }, { other: 'a' }],
      ['$patch: delete on a map: emptied', { simpleMap: { key1: 1, key2: 1 } }, { simpleMap: { $patch: 'delete' } }, { simpleMap: {} }],
      ['$patch: delete on a list item: removed by merge key', { mergingList: [{ name: 'a' }, { name: 'b', v: 1 }] }, { mergingList: [{ name: 'a', $patch: 'delete' }] }, { mergingList: [{ name: 'b', v: 1 }] }],
      ['$patch: delete removes every item with that key', { mergingList: [{ name: 1 }, { name: 1 }, { name: 2, value: 'a' }, { name: 3 }, { name: 3 }] }, { mergingList: [{ name: 1, $patch: 'delete' }, { name: 3, $patch: 'delete' }] }, { mergingList: [{ name: 2, value: 'a' }] }],
      ['$patch: delete of an item the list lacks: nothing', { mergingList: [{ name: 'a' }] }, { mergingList: [{ name: 'z', $patch: 'delete' }] }, { mergingList: [{ name: 'a' }] }],
      ['$patch: delete and a merged item together', { mergingList: [{ name: 'a' }, { name: 'b' }] }, { mergingList: [{ name: 'a', $patch: 'delete' }, { name: 'b', v: 1 }] }, { mergingList: [{ name: 'b', v: 1 }] }],
      ['$patch: replace as a list item: the patch\'s other items', { mergingList: [{ name: 'a', v: 1 }, { name: 'b' }] }, { mergingList: [{ $patch: 'replace' }, { name: 'c' }, { name: 'a' }] }, { mergingList: [{ name: 'c' }, { name: 'a' }] }],
      ['$patch: replace alone empties the list', { mergingList: [{ name: 1 }, { name: 2 }] }, { mergingList: [{ $patch: 'replace' }] }, { mergingList: [] }],
      ['a map with $patch where the object has nothing: left out (as Kubernetes)', { a: 1 }, { m: { $patch: 'replace', x: 1 } }, { a: 1 }],
      ['$retainKeys: the map keeps only the keys listed', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } }, { strategy: { $retainKeys: ['type'], type: 'Recreate' } }, { strategy: { type: 'Recreate' } }],
      ['$retainKeys may list keys the patch does not set', { m: { a: 1, b: 2, c: 3 } }, { m: { $retainKeys: ['a', 'b'], b: 5 } }, { m: { a: 1, b: 5 } }],
      ['$retainKeys in a value the object lacks: dropped', {}, { m: { $retainKeys: ['a'], a: 1 } }, { m: { a: 1 } }],
    ];
    for (const [name, original, patch, want] of cases) {
      it(name, () => expect(merged(original, patch)).to.deep.equal(want));
    }
  });

  describe('refused, with where and why', () => {
    const cases: Array<[string, Json, Json, RegExp]> = [
      ['a merging list item without its merge key', { mergingList: [{ name: 'a' }] }, { mergingList: [{ v: 1 }] }, /^mergingList\[0\]: has no name, the key this list merges by$/],
      ['$patch: delete without the merge key', { mergingList: [{ name: 'a' }] }, { mergingList: [{ $patch: 'delete' }] }, /^mergingList\[0\]: \$patch: delete needs the merge key name/],
      ['$patch: merge as a list item', { mergingList: [{ name: 'a' }] }, { mergingList: [{ $patch: 'merge' }] }, /^mergingList\[0\]: "merge" is not a directive for a list item/],
      ['an unknown $patch on a map', { m: { a: 1 } }, { m: { $patch: 'drop' } }, /^m\.\$patch: "drop" is not a directive for a map \(replace or delete\)$/],
      ['a $patch that is no string', { m: {} }, { m: { $patch: true } }, /^m\.\$patch: must be replace or delete, not true$/],
      ['$setElementOrder', { mergingList: [{ name: 'a' }] }, { '$setElementOrder/mergingList': [{ name: 'a' }] }, /^\$setElementOrder\/mergingList: the \$setElementOrder directive is not supported/],
      ['$deleteFromPrimitiveList, deep inside', { spec: {} }, { spec: { x: [{ '$deleteFromPrimitiveList/finalizers': ['a'] }] } }, /^spec\.x\[0\]\.\$deleteFromPrimitiveList\/finalizers: the \$deleteFromPrimitiveList directive is not supported/],
      ['an unknown $ key', {}, { spec: { $merge: 1 } }, /^spec\.\$merge: unknown directive/],
      ['$retainKeys that is no list of names', { m: { a: 1 } }, { m: { $retainKeys: 'a' } }, /^m\.\$retainKeys: must be a list of field names$/],
      ['a key set but not retained', { m: { a: 1 } }, { m: { $retainKeys: ['a'], b: 2 } }, /^m\.\$retainKeys: the patch sets b, which it does not list$/],
      ['a merging list mixing maps and scalars', { mergingList: [{ name: 'a' }] }, { mergingList: ['b'] }, /^mergingList: the list and the patch's list mix items of different types \(map, string\)$/],
      ['a merging list of scalars mixing types', { mergingIntList: [1] }, { mergingIntList: ['1'] }, /mix items of different types \(number, string\)/],
      ['an item of the object without the merge key', { mergingList: [{ v: 1 }] }, { mergingList: [{ name: 'a' }] }, /^mergingList: an item of the object's list has no name/],
    ];
    for (const [name, original, patch, error] of cases) {
      it(name, () => expect(refused(original, patch)).to.match(error));
    }
  });

  describe('the gateway kinds\' merge keys', () => {
    const deployment = (): Json => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'gw', labels: { a: '1' }, finalizers: ['x'] },
      spec: {
        selector: { matchLabels: { gw: 'gw' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
        template: {
          metadata: { labels: { gw: 'gw' } },
          spec: {
            containers: [
              {
                name: 'istio-proxy',
                image: 'envoy',
                args: ['proxy', 'router'],
                ports: [{ containerPort: 15021, name: 'status-port' }, { containerPort: 15090, name: 'prom' }],
                env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }],
                volumeMounts: [{ name: 'certs', mountPath: '/etc/certs' }],
                resources: { requests: { cpu: '100m', memory: '128Mi' } },
              },
            ],
            volumes: [{ name: 'certs', emptyDir: {} }],
            tolerations: [{ key: 'a', operator: 'Exists' }],
          },
        },
      },
    });
    const pod = (d: Json): Json => d.spec.template.spec;
    const proxy = (d: Json): Json => pod(d).containers[0];
    const patchDeployment = (patch: Json): Json => merged(deployment(), patch, PATCH_SCHEMAS.Deployment);
    const inProxy = (fields: Json): Json => ({ spec: { template: { spec: { containers: [{ name: 'istio-proxy', ...fields }] } } } });

    it('containers by name: a resource request changed, the rest of the container kept', () => {
      const d = patchDeployment(inProxy({ resources: { requests: { cpu: '222m' } } }));
      expect(proxy(d).resources).to.deep.equal({ requests: { cpu: '222m', memory: '128Mi' } });
      expect(proxy(d).image).to.equal('envoy');
      expect(pod(d).containers).to.have.length(1);
    });

    it('a container of another name is added (before the proxy, as Kubernetes orders it)', () => {
      const d = patchDeployment({ spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox' }] } } } });
      expect(pod(d).containers.map((c: Json) => c.name)).to.deep.equal(['sidecar', 'istio-proxy']);
    });

    it('env by name, ports by containerPort, volumeMounts by mountPath; args (no strategy) replaced', () => {
      const d = patchDeployment(inProxy({ env: [{ name: 'B', value: 'two' }, { name: 'C', value: '3' }], ports: [{ containerPort: 15021, protocol: 'TCP' }], volumeMounts: [{ mountPath: '/etc/certs', readOnly: true }], args: ['proxy'] }));
      expect(proxy(d).env).to.deep.equal([{ name: 'A', value: '1' }, { name: 'B', value: 'two' }, { name: 'C', value: '3' }]);
      expect(proxy(d).ports).to.deep.equal([{ containerPort: 15021, name: 'status-port', protocol: 'TCP' }, { containerPort: 15090, name: 'prom' }]);
      expect(proxy(d).volumeMounts).to.deep.equal([{ name: 'certs', mountPath: '/etc/certs', readOnly: true }]);
      expect(proxy(d).args).to.deep.equal(['proxy']);
    });

    it('an env var deleted by $patch; volumes by name; tolerations (no strategy) replaced; finalizers a union', () => {
      const d = patchDeployment({
        metadata: { finalizers: ['y'] },
        spec: { template: { spec: { containers: [{ name: 'istio-proxy', env: [{ name: 'A', $patch: 'delete' }] }], volumes: [{ name: 'extra', configMap: { name: 'x' } }], tolerations: [{ key: 'b', operator: 'Exists' }] } } },
      });
      expect(proxy(d).env).to.deep.equal([{ name: 'B', value: '2' }]);
      expect(pod(d).volumes.map((v: Json) => v.name)).to.deep.equal(['extra', 'certs']);
      expect(pod(d).tolerations).to.deep.equal([{ key: 'b', operator: 'Exists' }]);
      expect(d.metadata.finalizers, 'the new one first, as items added are').to.deep.equal(['y', 'x']);
    });

    it('the Deployment strategy with $retainKeys, as kubectl switches it to Recreate', () => {
      const d = patchDeployment({ spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } });
      expect(d.spec.strategy).to.deep.equal({ type: 'Recreate' });
    });

    it('a container without a name is refused, with its path', () => {
      expect(refused(deployment(), { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }, PATCH_SCHEMAS.Deployment)).to.equal('spec.template.spec.containers[0]: has no name, the key this list merges by');
    });

    it('Service ports by port', () => {
      const svc = { spec: { type: 'LoadBalancer', ports: [{ name: 'status-port', port: 15021 }, { name: 'http', port: 80 }] } };
      const out = merged(svc, { spec: { type: 'ClusterIP', ports: [{ port: 80, nodePort: 30080 }, { port: 443, name: 'https' }] } }, PATCH_SCHEMAS.Service);
      expect(out.spec).to.deep.equal({ type: 'ClusterIP', ports: [{ name: 'status-port', port: 15021 }, { name: 'http', port: 80, nodePort: 30080 }, { port: 443, name: 'https' }] });
    });

    it('a PodDisruptionBudget selector is replaced whole (patchStrategy replace)', () => {
      const pdb = { spec: { selector: { matchLabels: { gw: 'a' } } } };
      expect(merged(pdb, { spec: { selector: { matchExpressions: [{ key: 'x', operator: 'Exists' }] }, minAvailable: 1 } }, PATCH_SCHEMAS.PodDisruptionBudget).spec).to.deep.equal({ selector: { matchExpressions: [{ key: 'x', operator: 'Exists' }] }, minAvailable: 1 });
    });

    it('an HPA\'s metrics list (no strategy) is replaced', () => {
      const hpa = { spec: { maxReplicas: 1, metrics: [{ type: 'Resource', resource: { name: 'cpu' } }] } };
      expect(merged(hpa, { spec: { maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'memory' } }] } }, PATCH_SCHEMAS.HorizontalPodAutoscaler).spec).to.deep.equal({ maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'memory' } }] });
    });

    it('owner references merge by uid', () => {
      const sa = { metadata: { ownerReferences: [{ uid: 'u1', kind: 'Gateway' }] } };
      expect(merged(sa, { metadata: { ownerReferences: [{ uid: 'u2', kind: 'Thing' }] } }, PATCH_SCHEMAS.ServiceAccount).metadata.ownerReferences.map((r: Json) => r.uid)).to.deep.equal(['u2', 'u1']);
    });
  });
});
