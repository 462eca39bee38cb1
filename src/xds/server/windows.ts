/**
 * Wider HTTP/2 receive windows for the ADS server, so that a proxy's request arrives whole.
 *
 * Envoy repeats its whole subscription in every state-of-the-world request: the ACK of an endpoint push is 70 KB
 * for 1,200 EDS names. Node's HTTP/2 gives every connection and every stream a 64 KiB receive window, and grpc-js
 * never widens it (grpc-go grows its windows from a bandwidth estimate). So each such ACK stopped after 64 KiB
 * until the server's WINDOW_UPDATE reached the proxy: a round trip inside every ACK. After a push to 1000
 * proxies, 1000 half messages waited across event-loop turns. The young collections running meanwhile promoted
 * them, so they stayed until a full collection, and every endpoint push in bench:xds cost one or two of those.
 *
 * Each session of a server marked by widenReceiveWindows opens its connection window and its streams' initial
 * window to the given size. The windows bound what a proxy may send before the server has read it, and the
 * server reads as data comes; grpc.max_receive_message_length still bounds a message. Other grpc-js servers in
 * the process keep Node's windows. If grpc-js changes shape, nothing is replaced and the windows stay as Node sets
 * them.
 */
import type * as grpc from '@grpc/grpc-js';
import { patchGrpcJs } from './grpc-patch.js';

/** 1 MiB: a 70 KB ACK, or one naming ten times as many clusters, arrives without waiting for a WINDOW_UPDATE. */
export const RECEIVE_WINDOW_BYTES = 1024 * 1024;

const WINDOW = Symbol.for('mizzen.xds.receiveWindow');

/** What of Node's ServerHttp2Session this needs. */
interface Session {
  setLocalWindowSize(bytes: number): void;
  settings(settings: { initialWindowSize: number }): void;
}

/** Opens a session's connection window and its streams' initial window to `bytes`. */
function widen(session: Session, bytes: number): void {
  try {
    session.setLocalWindowSize(bytes);
    session.settings({ initialWindowSize: bytes });
  } catch {
    // The session is closing already: there is nothing left to widen.
  }
}

let installed: boolean | undefined;

/** Wraps grpc-js's session handlers (with and without channelz) so that marked servers widen their sessions. */
function install(): boolean {
  installed ??= ['_sessionHandler', '_channelzSessionHandler']
    .map((method) =>
      patchGrpcJs('server.js', 'Server', method, `mizzen.xds.receiveWindow.${method}`, (original) =>
        function (this: unknown, http2Server: unknown): unknown {
          const handle = (original as (this: unknown, s: unknown) => unknown).call(this, http2Server);
          const bytes = (this as Record<symbol, unknown>)[WINDOW];
          if (typeof bytes !== 'number' || typeof handle !== 'function') return handle;
          return (session: Session, ...rest: unknown[]) => {
            widen(session, bytes);
            return (handle as (s: Session, ...r: unknown[]) => unknown)(session, ...rest);
          };
        },
      ),
    )
    .every(Boolean);
  return installed;
}

/**
 * Makes every session `server` accepts from now on open its receive windows to `bytes`. Call before the server
 * binds. Returns whether it is in effect (false when grpc-js's internals are not as expected).
 */
export function widenReceiveWindows(server: grpc.Server, bytes = RECEIVE_WINDOW_BYTES): boolean {
  if (!install()) return false;
  (server as unknown as Record<symbol, unknown>)[WINDOW] = bytes;
  return true;
}
