import { expect } from 'chai';
import { analyzeObject, type Finding } from '../../src/analysis/index.js';
import type { KubeObject } from '../../src/core/kube.js';
import { reviewsBase, route } from './fixtures.js';

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
  { name: 'an object without metadata gives nothing', world: reviewsBase(), obj: { kind: 'VirtualService' } as unknown as KubeObject, expect: [] },
];

describe('analysis: analyzeObject', () => {
  for (const c of cases) {
    it(c.name, async () => {
      expect(analyzeObject(c.obj, c.world).map(brief)).to.deep.equal(c.expect);
    });
  }
});
