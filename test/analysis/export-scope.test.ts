import { expect } from 'chai';
import type { KubeObject } from '../../src/core/kube.js';
import { exportScope, scopesOverlap, visibleIn, type ExportScope } from '../../src/analysis/export-scope.js';

const vs = (exportTo?: unknown, namespace = 'a'): KubeObject => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'v', namespace }, spec: exportTo === undefined ? {} : { exportTo } });
const service = (annotation?: string, namespace = 'a'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 's', namespace, ...(annotation === undefined ? {} : { annotations: { 'networking.istio.io/exportTo': annotation } }) },
  spec: { exportTo: ['ignored'] },
});
const show = (s: ExportScope): string | string[] => (s === '*' ? s : [...s].sort());

describe('analysis: exportTo scopes', () => {
  const cases: Array<{ name: string; obj: KubeObject; want: string | string[] }> = [
    { name: 'nothing said: everywhere', obj: vs(), want: '*' },
    { name: 'an empty list: everywhere', obj: vs([]), want: '*' },
    { name: '* among others: everywhere', obj: vs(['.', '*']), want: '*' },
    { name: '. is the own namespace', obj: vs(['.', 'b']), want: ['a', 'b'] },
    { name: '~ alone: nowhere', obj: vs(['~']), want: [] },
    { name: 'not a list: everywhere (validation reports it)', obj: vs('b'), want: '*' },
    { name: 'non-strings are skipped', obj: vs([3, 'b', null]), want: ['b'] },
    { name: 'a Service reads its annotation, not spec.exportTo', obj: service(' ., c ,'), want: ['a', 'c'] },
    { name: 'a Service without the annotation: everywhere', obj: service(), want: '*' },
    { name: 'a Service annotated ~', obj: service('~'), want: [] },
  ];
  for (const c of cases) it(c.name, () => expect(show(exportScope(c.obj))).to.deep.equal(c.want));

  it('overlap and visibility', () => {
    const none = new Set<string>();
    expect(scopesOverlap('*', '*')).to.equal(true);
    expect(scopesOverlap('*', new Set(['b']))).to.equal(true);
    expect(scopesOverlap(new Set(['b']), '*')).to.equal(true);
    expect(scopesOverlap('*', none)).to.equal(false);
    expect(scopesOverlap(none, '*')).to.equal(false);
    expect(scopesOverlap(new Set(['a', 'b']), new Set(['b']))).to.equal(true);
    expect(scopesOverlap(new Set(['a']), new Set(['b']))).to.equal(false);
    expect(visibleIn('*', 'x')).to.equal(true);
    expect(visibleIn(new Set(['x']), 'x')).to.equal(true);
    expect(visibleIn(none, 'x')).to.equal(false);
  });
});
