import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { analyze, analyzeObject, type Finding } from '../../src/analysis/index.js';
import { expandLists, readDocuments } from '../../src/core/documents.js';
import { objectKey, type KubeObject } from '../../src/core/kube.js';
import { dr, gw, reviewsBase, route, sidecar, svc } from './fixtures.js';

const brief = (f: Finding): string => `${f.code} ${f.resource.kind} ${f.resource.namespace}/${f.resource.name}${f.path ? ` ${f.path}` : ''}`;

interface Case {
  name: string;
  world: KubeObject[];
  obj: KubeObject;
  expect: string[];
}

const cases: Case[] = [
  { name: 'a consistent new VirtualService', world: reviewsBase(), obj: route('r', 'reviews', { subset: 'v1' }), expect: [] },
  { name: 'a subset no DestinationRule defines', world: reviewsBase(), obj: route('r', 'reviews', { subset: 'v7' }), expect: ['IST0101 VirtualService default/r spec.http[0].route[0].destination.subset'] },
  { name: 'an update replaces the object of the same key (no duplicate, no self-conflict)', world: [...reviewsBase(), route('r', 'reviews', { subset: 'v7' })], obj: route('r', 'reviews', { subset: 'v1' }), expect: [] },
  { name: 'a conflict is reported on the new object only', world: [...reviewsBase(), route('a', 'reviews', { subset: 'v7' })], obj: route('b', 'reviews'), expect: ['IST0109 VirtualService default/b spec.hosts'] },
  { name: 'a DestinationRule subset that selects nothing', world: reviewsBase(), obj: dr('reviews', 'reviews', { v1: { version: 'v1' }, v5: { version: 'v5' } }), expect: ['IST0173 DestinationRule default/reviews spec.subsets[1]'] },
  { name: 'a Gateway whose proxy is not in the world', world: reviewsBase(), obj: gw('g'), expect: ['MZ0005 Gateway default/g spec.selector'] },
  { name: 'a Sidecar selecting nothing', world: reviewsBase(), obj: sidecar('s', { app: 'ghost' }), expect: ['IST0127 Sidecar default/s spec.workloadSelector.labels'] },
  { name: 'a Service port without protocol', world: reviewsBase(), obj: svc('web', { ports: [{ port: 80, name: 'web' }] }), expect: ['IST0118 Service default/web spec.ports[0].name'] },
  { name: 'an object without metadata gives nothing', world: reviewsBase(), obj: { kind: 'VirtualService' } as unknown as KubeObject, expect: [] },
];

describe('analysis: analyzeObject', () => {
  for (const c of cases) {
    it(c.name, async () => {
      expect(analyzeObject(c.obj, c.world).map(brief)).to.deep.equal(c.expect);
    });
  }
});

describe('analysis: analyzeObject agrees with analyze', () => {
  it('for every Bookinfo object (last version of each), applied into the rest', async () => {
    const dir = fileURLToPath(new URL('../../../shared/samples/bookinfo', import.meta.url));
    const byKey = new Map<string, KubeObject>();
    for (const d of expandLists(readDocuments([dir]))) byKey.set(objectKey(d.value as KubeObject), d.value as KubeObject);
    const world = [...byKey.values()];
    const all = analyze(world);
    let reported = 0;
    for (const o of world) {
      const about = all.filter((f) => f.resource.kind === o.kind && f.resource.name === o.metadata.name && f.resource.namespace === (o.kind === 'Namespace' ? '' : (o.metadata.namespace ?? 'default')));
      expect(analyzeObject(o, world), objectKey(o)).to.deep.equal(about);
      reported += about.length;
    }
    expect(reported).to.equal(all.length);
    expect(reported).to.be.greaterThan(0);
  });
});
