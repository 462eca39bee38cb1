/** The preStop hook that drains a proxy when its pod stops, run for real with bash against a local HTTP server. */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drainCommand } from '../../src/inject/drain.js';

function run(command: string[]): Promise<{ code: number; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(command[0]!, command.slice(1), { timeout: 20_000 }, (err) => resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, ms: Date.now() - started }));
  });
}

/** Envoy's admin as far as the hook sees it: records each request line, answers 200. */
async function admin(): Promise<{ server: Server; port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} HTTP/${req.httpVersion}`);
    res.writeHead(200).end('OK\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

describe('the drain hook (preStop): a proxy drains when its pod stops, as Istio agent drains it', function () {
  this.timeout(30_000);

  it("is bash against Envoy's admin port 15000; none when terminationDrainDuration is 0", () => {
    const [shell, flag, script] = drainCommand({ router: false, native: false }, 5000)!;
    expect([shell, flag]).to.deep.equal(['bash', '-c']);
    expect(script).to.include('/dev/tcp/127.0.0.1/15000').and.include('\nsleep 5\n');
    expect(drainCommand({ router: false, native: false }, 1500)![2]).to.include('\nsleep 1.5\n');
    expect(drainCommand({ router: false, native: false }, 0)).to.equal(undefined);
  });

  it('a sidecar drains its inbound listeners, then keeps serving for terminationDrainDuration', async () => {
    const { server, port, seen } = await admin();
    try {
      const r = await run(drainCommand({ router: false, native: false }, 300, port)!);
      expect(r.code).to.equal(0);
      expect(seen).to.deep.equal(['POST /drain_listeners?inboundonly&graceful HTTP/1.1']);
      expect(r.ms, 'the hook returns only after the drain duration').to.be.at.least(300);
    } finally {
      server.close();
    }
  });

  it('a gateway drains every listener; a native sidecar drains and returns (the kubelet stops it after the application)', async () => {
    const { server, port, seen } = await admin();
    try {
      expect((await run(drainCommand({ router: true, native: false }, 100, port)!)).code).to.equal(0);
      expect((await run(drainCommand({ router: false, native: true }, 60_000, port)!)).code).to.equal(0);
      expect(seen).to.deep.equal(['POST /drain_listeners?graceful HTTP/1.1', 'POST /drain_listeners?inboundonly&graceful HTTP/1.1']);
    } finally {
      server.close();
    }
  });

  it('succeeds when Envoy is already gone (nothing listens): the kubelet then stops the container as usual', async () => {
    const { server, port } = await admin();
    await new Promise((r) => server.close(r));
    const r = await run(drainCommand({ router: false, native: false }, 100, port)!);
    expect(r.code).to.equal(0);
  });
});
