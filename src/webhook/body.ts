/**
 * Request bodies read into reusable buffers. Fastify's own reader copies every body into a new Buffer: for a
 * 64 KB pod that is 64 KB outside V8's heap per request, and V8 answers external memory with full collections
 * (a mark-compact every 100 ms or so under bench:inject's load, whose pauses make the latency tail). Here the
 * bytes are copied into a pooled buffer and the handler gets a view of them; it gives the buffer back once it has
 * decoded the body (decoding copies whatever it keeps). The limits and errors are Fastify's: 413 over the body
 * limit (announced or received), 400 when the received length is not the announced one or the upload breaks off.
 */
import type { IncomingMessage } from 'node:http';
import { errorCodes } from 'fastify';

/** A body read into a pooled buffer: `bytes` is valid until release() (idempotent). */
export interface PooledBody {
  bytes: Buffer;
  release(): void;
}

export class BodyPool {
  private readonly free: Buffer[] = [];

  constructor(
    /** Buffers kept for reuse at most. */
    private readonly keep = 32,
    /** Larger buffers are not kept (a rare 7 MiB body should not pin 7 MiB). */
    private readonly keepUpTo = 1024 * 1024,
  ) {}

  /** A buffer of at least `size` bytes. */
  take(size: number): Buffer {
    for (let i = this.free.length - 1; i >= 0; i--) {
      if (this.free[i]!.length >= size) return this.free.splice(i, 1)[0]!;
    }
    let n = 16 * 1024;
    while (n < size) n *= 2;
    return Buffer.allocUnsafeSlow(n);
  }

  give(buf: Buffer): void {
    if (buf.length <= this.keepUpTo && this.free.length < this.keep) this.free.push(buf);
  }
}

/** Reads `payload` into a buffer from `pool`, as a Fastify content-type parser does (same limits and errors). */
export function readPooledBody(payload: IncomingMessage, limit: number, pool: BodyPool, done: (err: Error | null, body?: PooledBody) => void): void {
  const declared = Number(payload.headers['content-length']);
  if (declared > limit) {
    done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    return;
  }
  let buf = pool.take(Number.isFinite(declared) && declared > 0 ? declared : 16 * 1024);
  let received = 0;
  const stop = (): void => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onEnd);
  };
  function onData(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (received + bytes.length > limit) {
      stop();
      pool.give(buf);
      done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      return;
    }
    if (received + bytes.length > buf.length) {
      const bigger = pool.take(Math.min(limit, Math.max(received + bytes.length, buf.length * 2)));
      buf.copy(bigger, 0, 0, received);
      pool.give(buf);
      buf = bigger;
    }
    // Chunks are views of the socket's read buffer: copied now, never kept.
    bytes.copy(buf, received);
    received += bytes.length;
  }
  function onEnd(err?: Error & { statusCode?: number }): void {
    stop();
    if (err) {
      pool.give(buf);
      if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
      done(err);
      return;
    }
    if (Number.isFinite(declared) && received !== declared) {
      pool.give(buf);
      done(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
      return;
    }
    let held: Buffer | undefined = buf;
    done(null, {
      bytes: buf.subarray(0, received),
      release: () => {
        if (held) pool.give(held);
        held = undefined;
      },
    });
  }
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onEnd);
  payload.resume();
}
