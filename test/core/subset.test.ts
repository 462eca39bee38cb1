/** holds(): does an object as the API server returns it still hold what a controller set? */
import { expect } from 'chai';
import { holds } from '../../src/core/subset.js';

describe('holds (what the API server returns still holds what was set)', () => {
  const cases: Array<[string, unknown, unknown, boolean]> = [
    ['equal scalars', 80, 80, true],
    ['a different scalar', 80, 8080, false],
    ['a number is not its string', 80, '80', false],
    ['keys the server added (defaults)', { type: 'ClusterIP' }, { type: 'ClusterIP', clusterIP: '10.96.0.1', sessionAffinity: 'None' }, true],
    ['a key we set, missing', { type: 'ClusterIP', selector: { a: 'b' } }, { type: 'ClusterIP' }, false],
    ['nested: defaults inside list elements', { ports: [{ port: 80 }] }, { ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] }, true],
    ['a list is set whole: an extra element', { ports: [{ port: 80 }] }, { ports: [{ port: 80 }, { port: 81 }] }, false],
    ['a list is set whole: another order', { args: ['a', 'b'] }, { args: ['b', 'a'] }, false],
    ['omitempty: an empty string is held by its absence', { env: [{ name: 'X', value: '' }] }, { env: [{ name: 'X' }] }, true],
    ['omitempty: false, 0, [], {} likewise', { a: false, b: 0, c: [], d: {} }, {}, true],
    ['but a zero value is not held by another value', { a: false }, { a: true }, false],
    ['a map where a scalar was set', { a: 'x' }, { a: { x: 1 } }, false],
  ];
  for (const [name, wanted, actual, expected] of cases) {
    it(`${name}: ${expected}`, () => expect(holds(actual, wanted)).to.equal(expected));
  }

  it('scalars are compared by the given equality, which sees where they are', () => {
    const seen: unknown[] = [];
    const eq = (w: unknown, a: unknown, path: readonly (string | number)[]) => (seen.push(path.join('.')), w === a || (path.at(-2) === 'limits' && w === '2000m' && a === '2'));
    expect(holds({ resources: { limits: { cpu: '2' } } }, { resources: { limits: { cpu: '2000m' } } }, eq)).to.equal(true);
    expect(seen).to.deep.equal(['resources.limits.cpu']);
  });
});
