import { expect } from 'chai';
import { fieldNames, protoFields, protoName, uint32 } from '../../src/core/proto-json.js';

describe('core: proto3 JSON fields', () => {
  it('names a field by its JSON and its proto name', () => {
    expect(protoName('preserveHttp1HeaderCase')).to.equal('preserve_http1_header_case');
    expect([...fieldNames(['xForwardedHost', 'server'])]).to.deep.equal([
      ['xForwardedHost', 'xForwardedHost'],
      ['x_forwarded_host', 'xForwardedHost'],
      ['server', 'server'],
    ]);
  });

  it('yields each known field once, leaves nulls out, and hands other keys back', () => {
    const errors: string[] = [];
    const unknown: string[] = [];
    const got = [...protoFields({ a_b: 1, aB: 2, c: null, d: 3 }, fieldNames(['aB', 'c']), 'x.', errors, (k) => unknown.push(k))];
    expect(got).to.deep.equal([
      ['aB', 'a_b', 1],
      ['aB', 'aB', 2],
    ]);
    expect(errors).to.deep.equal(['x.aB: given again as x.a_b (set one of them)']);
    expect(unknown).to.deep.equal(['d']);
  });

  it('reads a uint32 as a number or a string of digits, and says what else is wrong', () => {
    expect([0, 7, '42', 2 ** 32 - 1].map(uint32)).to.deep.equal([0, 7, 42, 2 ** 32 - 1]);
    for (const bad of [-1, 1.5, '4x', '', 2 ** 32, null, true]) expect(uint32(bad), String(bad)).to.be.a('string').and.match(/^must be a whole number from 0 to 4294967295, got /);
  });
});
