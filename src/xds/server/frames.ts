/**
 * Responses built once inside their gRPC frame, so one buffer goes to a thousand streams without a copy each.
 *
 * grpc-js frames every outgoing message by allocating length + 5 bytes and copying the serialized message in
 * (BaseServerInterceptingCall.serializeMessage). For a control plane that writes the same pre-encoded response
 * to every proxy that is one allocation and one copy per stream: 930 MB for the initial sync of 1000 proxies,
 * 390 MB for one route-table change. Here a response is built with room for the 5-byte prefix in front; the
 * message itself is a view after it (a normal Buffer: decodes, compares and measures as the message), and the
 * framed bytes are remembered for that view. A small wrapper around grpc-js's serializeMessage hands the framed
 * bytes over as they are when it recognizes the view; anything else (other services, other messages) takes
 * grpc-js's own path. If grpc-js changes shape, the wrapper is not installed and the copy simply happens again.
 */
import { patchGrpcJs } from './grpc-patch.js';

/** Message view → the same bytes with the gRPC prefix (1 byte compressed flag = 0, 4 bytes big-endian length). */
const frames = new WeakMap<Buffer, Buffer>();

/** A message made of `parts`, built inside its gRPC frame (see above). */
export function framedMessage(parts: readonly Uint8Array[]): Buffer {
  let length = 0;
  for (const p of parts) length += p.length;
  const frame = Buffer.allocUnsafe(5 + length);
  frame[0] = 0;
  frame.writeUInt32BE(length, 1);
  let offset = 5;
  for (const p of parts) {
    frame.set(p, offset);
    offset += p.length;
  }
  const message = frame.subarray(5);
  frames.set(message, frame);
  return message;
}

/** The framed bytes of a message built by framedMessage (undefined for any other buffer). */
export function frameOf(message: Buffer): Buffer | undefined {
  return frames.get(message);
}

let installed: boolean | undefined;

/**
 * Makes grpc-js servers send messages built by framedMessage without copying them (idempotent). Returns whether
 * it is in effect (false when grpc-js's internals are not as expected: messages are then copied as usual).
 */
export function sendFramedWithoutCopy(): boolean {
  installed ??= patchGrpcJs('server-interceptors.js', 'BaseServerInterceptingCall', 'serializeMessage', 'mizzen.xds.framedResponses', (original) =>
    function (this: unknown, value: unknown): Buffer {
      const frame = Buffer.isBuffer(value) ? frames.get(value) : undefined;
      return frame ?? (original as (this: unknown, v: unknown) => Buffer).call(this, value);
    },
  );
  return installed;
}
