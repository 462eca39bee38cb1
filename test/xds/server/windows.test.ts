import { expect } from 'chai';
import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { RECEIVE_WINDOW_BYTES, widenReceiveWindows } from '../../../src/xds/server/windows.js';
import { startServer } from './harness.js';

/** What a peer may send to `port` before a WINDOW_UPDATE: the connection window and a new stream's initial window. */
async function windowsOf(port: number, waitMs = 5000): Promise<{ connection: number; stream: number }> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    const deadline = Date.now() + waitMs;
    // The server's first SETTINGS carries Node's defaults; the widened windows follow in a second SETTINGS frame
    // and a WINDOW_UPDATE (within tens of milliseconds here). Read until both have come, or until `waitMs` has passed.
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      const stream = session.remoteSettings?.initialWindowSize ?? 0;
      const connection = session.state.remoteWindowSize ?? 0;
      if ((stream > 65_535 && connection > 65_535) || Date.now() > deadline) return { connection, stream };
    }
  } finally {
    session.destroy();
  }
}

describe('HTTP/2 receive windows of the ADS server (windows.ts)', function () {
  this.timeout(15_000);

  it('opens 1 MiB windows, so that a 70 KB ACK arrives without waiting for a WINDOW_UPDATE', async () => {
    const h = await startServer([]);
    try {
      const w = await windowsOf(h.port);
      expect(w.stream).to.equal(RECEIVE_WINDOW_BYTES);
      expect(w.connection).to.be.at.least(RECEIVE_WINDOW_BYTES);
    } finally {
      await h.close();
    }
  });

  it("leaves the other grpc-js servers of the process with Node's 64 KiB windows", async () => {
    const plain = new grpc.Server();
    const marked = new grpc.Server();
    expect(widenReceiveWindows(marked, 256 * 1024)).to.equal(true);
    const bind = (s: grpc.Server) =>
      new Promise<number>((resolve, reject) => s.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    try {
      const [plainPort, markedPort] = [await bind(plain), await bind(marked)];
      const [p, m] = [await windowsOf(plainPort, 500), await windowsOf(markedPort)];
      expect(p).to.deep.equal({ connection: 65_535, stream: 65_535 });
      expect(m.stream).to.equal(256 * 1024);
      expect(m.connection).to.be.at.least(256 * 1024);
    } finally {
      plain.forceShutdown();
      marked.forceShutdown();
    }
  });
});
