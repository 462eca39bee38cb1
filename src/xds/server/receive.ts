/**
 * Requests read into reused buffers: the receiving counterpart of frames.ts.
 *
 * Envoy repeats its whole subscription in every SotW request, so each ACK of an endpoint push is tens of
 * kilobytes (70 KB for 1,200 EDS names), from every proxy, after every push. grpc-js reassembles each message by
 * collecting its pieces and concatenating them into a new buffer (StreamDecoder.write): 70 MB of fresh memory
 * outside V8's heap per push to 1000 proxies, which V8 answers with full garbage collections (tens of
 * milliseconds of marking) while the ACKs come in.
 *
 * Here a complete message of 4 KiB or more is put together in a block taken from a pool (blocks in 4 KiB size
 * steps). The request reader (wire.ts) gives a block back once it has read the request and kept nothing that
 * points into it; a block that is never given back (a request read by the generic decoder, a compressed message,
 * a client's message) is simply collected as before. If grpc-js changes shape, the decoder is not replaced and
 * messages are concatenated as usual.
 */
import { patchGrpcJs } from './grpc-patch.js';

const STEP = 4096;
/** Messages from this size on come from the pool (smaller ones come from Node's own 8 KiB slabs). */
export const POOLED_FROM = STEP;
/** Larger messages are rare (a first request with a big node): allocated as usual. */
const POOLED_UP_TO = 1024 * 1024;
/** Bytes of free blocks kept at most; beyond that a given-back block is left to the garbage collector. */
const KEEP_BYTES = 16 * 1024 * 1024;

interface Block {
  buf: Buffer;
  inUse: boolean;
}

/** Free blocks by size, and every pooled block by its memory (to recognise a view given back). */
export class ReceivePool {
  private readonly free = new Map<number, Buffer[]>();
  private readonly blocks = new WeakMap<ArrayBufferLike, Block>();
  private freeBytes = 0;
  /** Blocks allocated (not reused), for tests. */
  allocated = 0;

  /** A buffer of exactly `n` bytes (a view of a pooled block when `n` is in the pooled range). */
  take(n: number): Buffer {
    if (n < POOLED_FROM || n > POOLED_UP_TO) return Buffer.allocUnsafe(n);
    const size = Math.ceil(n / STEP) * STEP;
    let buf = this.free.get(size)?.pop();
    if (buf) this.freeBytes -= size;
    else {
      buf = Buffer.allocUnsafeSlow(size);
      this.blocks.set(buf.buffer, { buf, inUse: false });
      this.allocated += 1;
    }
    this.blocks.get(buf.buffer)!.inUse = true;
    return buf.subarray(0, n);
  }

  /** Gives back the block under `view` (any view of it); nothing happens for other buffers or a block given back already. */
  give(view: Uint8Array): void {
    const block = this.blocks.get(view.buffer);
    if (!block || !block.inUse) return;
    block.inUse = false;
    const size = block.buf.length;
    if (this.freeBytes + size > KEEP_BYTES) return;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(block.buf);
    this.freeBytes += size;
  }
}

/** The pool the replaced grpc-js decoder takes from. */
export const receivePool = new ReceivePool();

interface Reassembly {
  /** The 5-byte gRPC prefix being read (compressed flag, length). */
  prefix: Buffer;
  have: number;
  /** The length of the message being read (-1 between messages), and its pieces received so far. */
  size: number;
  parts: Buffer[];
  received: number;
}

const STATE = Symbol('mizzen.receive');
/** grpc-js's decoder: its maximum, and its own state (readState 0 = between messages). */
type Decoder = { maxReadMessageLength: number; readState?: number; [STATE]?: Reassembly };

/**
 * StreamDecoder.write with the same contract as grpc-js's: the complete framed messages (prefix included) found
 * so far, in order; throws when a message is larger than the decoder's maximum. As in grpc-js, a message's pieces
 * are kept as they arrive (views of the received data) and copied together once it is complete, so memory follows
 * what was received, not what a prefix announces; the copy goes into a pooled block instead of a new buffer.
 */
export function decoderWrite(this: Decoder, data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  const s = (this[STATE] ??= { prefix: Buffer.alloc(5), have: 0, size: -1, parts: [], received: 0 });
  let at = 0;
  while (at < data.length) {
    if (s.size < 0) {
      const n = Math.min(5 - s.have, data.length - at);
      data.copy(s.prefix, s.have, at, at + n);
      s.have += n;
      at += n;
      if (s.have < 5) break;
      s.have = 0;
      const size = s.prefix.readUInt32BE(1);
      const max = this.maxReadMessageLength;
      if (max !== -1 && size > max) throw new Error(`Received message larger than max (${size} vs ${max})`);
      s.size = size;
    }
    const n = Math.min(s.size - s.received, data.length - at);
    if (n > 0) s.parts.push(data.subarray(at, at + n));
    s.received += n;
    at += n;
    if (s.received < s.size) break;
    const message = receivePool.take(s.size + 5);
    s.prefix.copy(message, 0, 0, 5);
    let offset = 5;
    for (const p of s.parts) {
      message.set(p, offset);
      offset += p.length;
    }
    out.push(message);
    s.size = -1;
    // Emptied, not replaced: the array lives as long as the stream, so it sits in V8's old space. A replaced one
    // would stay there until the next full collection with its last pieces in it, and young collections treat old
    // space as live: every piece, and the whole socket read it is a view of, would be kept and promoted. At 1000
    // ACKs of 70 KB that was ~50 MB of dead reads per push, and a full collection (30–45 ms of marking) per push.
    s.parts.length = 0;
    s.received = 0;
  }
  return out;
}

let installed: boolean | undefined;

/**
 * Makes grpc-js decode incoming messages into pooled blocks (idempotent). Returns whether it is in effect (false
 * when grpc-js's decoder is not as expected: messages are then concatenated as usual).
 */
export function receiveIntoPool(): boolean {
  installed ??= patchGrpcJs('stream-decoder.js', 'StreamDecoder', 'write', 'mizzen.xds.pooledReceive', (original, cls) => {
    // The fields the replacement reads must be where it expects them.
    const probe = new (cls as unknown as new (max: number) => Decoder)(123);
    if (probe.maxReadMessageLength !== 123 || probe.readState !== 0) return undefined;
    const write = original as unknown as (this: Decoder, data: Buffer) => Buffer[];
    // A decoder that was in the middle of a message when this was installed finishes with grpc-js's own code.
    return function (this: Decoder, data: Buffer): Buffer[] {
      return this[STATE] === undefined && this.readState !== 0 ? write.call(this, data) : decoderWrite.call(this, data);
    } as unknown as (this: unknown, ...args: never[]) => unknown;
  });
  return installed;
}
