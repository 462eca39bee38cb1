import { expect } from 'chai';
import { JsonTemplate } from '../../src/inject/json-template.js';

describe('JsonTemplate', () => {
  const keys = ['a', 'b', 'c'] as const;
  const build = (v: Record<(typeof keys)[number], unknown>) => ({ fixed: 'x "quoted"', list: [1, v.a, { deep: v.b }], again: v.a, c: v.c, n: null });
  const t = new JsonTemplate(keys, build);
  const cases: Array<{ name: string; values: Record<(typeof keys)[number], unknown> }> = [
    { name: 'strings', values: { a: 'one', b: 'two', c: 'three' } },
    { name: 'strings that need escaping', values: { a: 'q"uo\\te\n', b: '\u0000hole0\u0000', c: 'ünïcode ✓ \u2028' } },
    { name: 'objects, arrays, numbers, booleans and null', values: { a: { k: [1, 2] }, b: [true, null], c: 12.5 } },
    { name: 'empty values', values: { a: '', b: {}, c: [] } },
  ];
  for (const c of cases) {
    it(`equals JSON.stringify of the built object: ${c.name}`, async () => {
      expect(t.json(c.values)).to.equal(JSON.stringify(build(c.values)));
    });
  }

  it('uses given texts for values already serialized', async () => {
    const values = { a: 'one', b: { x: 1 }, c: 'three' };
    expect(t.json(values, { b: '{"x":1}' })).to.equal(JSON.stringify(build(values)));
  });

  it('refuses a builder that puts a value inside a larger string', async () => {
    expect(() => new JsonTemplate(['a'] as const, (v) => ({ s: `prefix-${String(v.a)}` }))).to.throw(/inside a larger string/);
  });

  it('refuses a value JSON cannot hold', async () => {
    expect(() => t.json({ a: undefined, b: 1, c: 2 })).to.throw(/not JSON/);
  });
});
