import { expect } from 'chai';
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { decoderWrite, POOLED_FROM, ReceivePool, receiveIntoPool, receivePool } from '../../../src/xds/server/receive.js';
import { adsClientDefinition, adsServiceDefinition } from '../../../src/xds/server/wire.js';
import { TypeUrls } from '../../../src/core/constants.js';

/** A message framed as gRPC sends it: flag 0, 4-byte big-endian length, bytes. */
function framed(body: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(body.length, 1);
  return Buffer.concat([prefix, body]);
}

const bodyOf = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

describe('requests read into pooled blocks (receive.ts)', () => {
  const messages = [0, 1, 10, POOLED_FROM - 6, POOLED_FROM, 70_000, 5].map((n, i) => framed(bodyOf(n, i)));
  const stream = Buffer.concat(messages);

  for (const chunk of [1, 3, 5, 7, 4096, 16_384, stream.length]) {
    it(`gives back every framed message whole and in order, the stream cut in pieces of ${chunk} bytes`, () => {
      const decoder = { maxReadMessageLength: -1 };
      const out: Buffer[] = [];
      for (let at = 0; at < stream.length; at += chunk) out.push(...decoderWrite.call(decoder, stream.subarray(at, at + chunk)));
      expect(out.length).to.equal(messages.length);
      out.forEach((m, i) => expect(m.equals(messages[i]!), `message ${i}`).to.equal(true));
    });
  }

  it('refuses a message over the maximum with the words grpc-js uses (answered RESOURCE_EXHAUSTED)', () => {
    expect(() => decoderWrite.call({ maxReadMessageLength: 100 }, framed(bodyOf(101, 0)))).to.throw('Received message larger than max (101 vs 100)');
    expect(decoderWrite.call({ maxReadMessageLength: 100 }, framed(bodyOf(100, 0)))[0]!.length).to.equal(105);
  });

  it('holds only what has arrived: a prefix announcing 16 MB allocates nothing until the bytes come', () => {
    const decoders = Array.from({ length: 50 }, () => ({ maxReadMessageLength: -1 }));
    const pool = receivePool.allocated;
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(16 * 1024 * 1024, 1);
    const before = process.memoryUsage().arrayBuffers;
    for (const d of decoders) expect(decoderWrite.call(d, Buffer.concat([prefix, Buffer.alloc(10)]))).to.deep.equal([]);
    // 50 streams (alive, mid-message) announcing 16 MB each would hold 800 MB if the announcement were believed.
    expect(process.memoryUsage().arrayBuffers - before).to.be.lessThan(50 * 1024 * 1024);
    expect(receivePool.allocated).to.equal(pool);
    expect(decoders.length).to.equal(50);
  });

  it('reuses a block given back, ignores other buffers and a second give, and leaves small messages to Node', () => {
    const pool = new ReceivePool();
    const a = pool.take(70_000);
    expect(a.length).to.equal(70_000);
    pool.give(Buffer.alloc(70_000)); // not from the pool
    pool.give(a.subarray(5)); // a view of the block (what the request reader holds) gives it back
    pool.give(a); // already given back: nothing happens
    const b = pool.take(72_000); // the same 4 KiB size step (69,633 to 73,728 bytes)
    expect(b.buffer).to.equal(a.buffer);
    const c = pool.take(70_000); // the block is in use again: a new one
    expect(c.buffer).to.not.equal(a.buffer);
    expect(pool.allocated).to.equal(2);
    const small = pool.take(POOLED_FROM - 1);
    pool.give(small);
    expect(pool.allocated).to.equal(2);
  });

  it("is installed in grpc-js's decoder, and a request read by the fast reader gives its block back with nothing of it kept", () => {
    expect(receiveIntoPool()).to.equal(true);
    const { StreamDecoder } = createRequire(import.meta.url)('@grpc/grpc-js/build/src/stream-decoder.js') as { StreamDecoder: new (max: number) => { write(b: Buffer): Buffer[] } };
    const client = (adsClientDefinition() as any).StreamAggregatedResources;
    const server = (adsServiceDefinition() as any).StreamAggregatedResources;
    const names = Array.from({ length: 200 }, (_, i) => `outbound|9080||service-${i}.default.svc.cluster.local`);
    const ack = (nonce: string) => framed(client.requestSerialize({ type_url: TypeUrls.endpoint, version_info: 'v1', response_nonce: nonce, resource_names: names }));
    const read = (bytes: Buffer): Buffer => new StreamDecoder(-1).write(bytes)[0]!;

    const first = read(ack('n1'));
    expect(first.length).to.be.greaterThan(POOLED_FROM);
    const req = server.requestDeserialize(first.subarray(5));
    expect(req.response_nonce).to.equal('n1');
    // The block went back to the pool: the next message of that size is read into the same memory...
    const second = read(ack('n2'));
    expect(second.buffer).to.equal(first.buffer);
    const again = server.requestDeserialize(second.subarray(5));
    // ...and what the first request kept is intact: its names are a shared copy, the same Buffer for equal lists.
    expect(req.resource_names).to.deep.equal(names);
    expect(again.names_bytes).to.equal(req.names_bytes);
    expect(req.names_bytes.buffer).to.not.equal(first.buffer);
    second.fill(0);
    expect(req.resource_names).to.deep.equal(names);
    expect(receivePool).to.be.an.instanceOf(ReceivePool);
  });

  it('lets a young collection free the pieces of a message read across two chunks, on a stream whose state is old', async () => {
    // Regression: the pieces were kept in an array that was replaced after each message. A stream's array lives
    // from one ACK to the next and so reaches old space; replaced, it stayed there until a full collection with
    // the pieces in it, and young collections kept every piece (and the socket read behind it) alive.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (o?: { type: 'minor' | 'major' }) => void;
    const settle = () => new Promise((r) => setTimeout(r, 10));
    const decoders = Array.from({ length: 50 }, () => ({ maxReadMessageLength: -1 }));
    for (const d of decoders) decoderWrite.call(d, framed(bodyOf(10, 0)));
    gc();
    gc(); // the streams' states now live in old space
    await settle();
    const before = process.memoryUsage().arrayBuffers;
    const whole = framed(bodyOf(70_000, 1));
    for (const d of decoders) {
      // Each piece in its own memory, as socket reads are; the reader gives the message's block back.
      expect(decoderWrite.call(d, Buffer.from(whole.subarray(0, 40_000)))).to.deep.equal([]);
      for (const m of decoderWrite.call(d, Buffer.from(whole.subarray(40_000)))) receivePool.give(m);
    }
    for (let i = 0; i < 3; i++) {
      gc({ type: 'minor' });
      await settle();
    }
    // 50 messages of 70 KB were received (3.4 MB); the replaced arrays kept them all.
    expect(process.memoryUsage().arrayBuffers - before).to.be.lessThan(1024 * 1024);
  });
});
