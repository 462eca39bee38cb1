import { expect } from 'chai';
import { createRequire } from 'node:module';
import { frameOf, framedMessage, sendFramedWithoutCopy } from '../../../src/xds/server/frames.js';

describe('framed responses (no grpc-js copy per stream)', () => {
  const cases: Array<{ name: string; parts: Buffer[] }> = [
    { name: 'empty', parts: [] },
    { name: 'small parts', parts: [Buffer.from('ab'), Buffer.from([0, 1, 2]), Buffer.from('')] },
    { name: 'large (own allocation, not the pool)', parts: [Buffer.alloc(70_000, 7), Buffer.from('tail')] },
  ];
  for (const c of cases) {
    it(`the message is the parts; its frame is the gRPC prefix and the same bytes: ${c.name}`, () => {
      const msg = framedMessage(c.parts);
      expect(msg.equals(Buffer.concat(c.parts))).to.equal(true);
      const frame = frameOf(msg)!;
      expect(frame.length).to.equal(msg.length + 5);
      expect(frame[0]).to.equal(0);
      expect(frame.readUInt32BE(1)).to.equal(msg.length);
      expect(frame.subarray(5).equals(msg)).to.equal(true);
    });
  }

  it('only messages built here have a frame', () => {
    expect(frameOf(Buffer.from('x'))).to.equal(undefined);
    expect(frameOf(Buffer.concat([framedMessage([Buffer.from('x')])]))).to.equal(undefined);
  });

  it("grpc-js's server framing hands a framed message over as is, and still frames anything else itself", () => {
    expect(sendFramedWithoutCopy()).to.equal(true);
    expect(sendFramedWithoutCopy()).to.equal(true); // idempotent
    const { BaseServerInterceptingCall } = createRequire(import.meta.url)('@grpc/grpc-js/build/src/server-interceptors.js');
    const call = { handler: { serialize: (v: Buffer) => v } };
    const serialize = (v: Buffer): Buffer => BaseServerInterceptingCall.prototype.serializeMessage.call(call, v);
    const msg = framedMessage([Buffer.from('hello')]);
    expect(serialize(msg)).to.equal(frameOf(msg));
    const plain = Buffer.from('hello');
    const out = serialize(plain);
    expect(out).to.not.equal(plain);
    expect(out.equals(frameOf(msg)!)).to.equal(true);
  });
});
