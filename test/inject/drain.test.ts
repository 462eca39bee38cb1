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
    const [shell, flag, script] = drainCommand({ router: false, native: false }, { terminationDrainMs: 5000 })!;
    expect([shell, flag]).to.deep.equal(['bash', '-c']);
    expect(script).to.include('/dev/tcp/127.0.0.1/15000').and.include('\nsleep 5\n');
    expect(drainCommand({ router: false, native: false }, { terminationDrainMs: 1500 })![2]).to.include('\nsleep 1.5\n');
    expect(drainCommand({ router: false, native: false }, { terminationDrainMs: 0 })).to.equal(undefined);
  });

  it('a sidecar drains its inbound listeners, then keeps serving for terminationDrainDuration', async () => {
    const { server, port, seen } = await admin();
    try {
      const r = await run(drainCommand({ router: false, native: false }, { terminationDrainMs: 300 }, port)!);
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
      expect((await run(drainCommand({ router: true, native: false }, { terminationDrainMs: 100 }, port)!)).code).to.equal(0);
      expect((await run(drainCommand({ router: false, native: true }, { terminationDrainMs: 60_000 }, port)!)).code).to.equal(0);
      expect(seen).to.deep.equal(['POST /drain_listeners?graceful HTTP/1.1', 'POST /drain_listeners?inboundonly&graceful HTTP/1.1']);
    } finally {
      server.close();
    }
  });

  it('EXIT_ON_ZERO_ACTIVE_CONNECTIONS: waits MINIMUM_DRAIN_DURATION, then polls until the listeners report no connection, counting as Istio agent counts', async () => {
    // Envoy's answer, chunked (no Content-Length) as its admin streams stats: the listeners' counts go 3, then 1, then 0.
    // Never counted: the admin, health (15021) and Prometheus (15090) listeners, per-worker stats, the http.* ones.
    const active = [3, 1, 0];
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.method !== 'GET') return void res.writeHead(200).end('OK\n');
      const n = active[Math.min(seen.length - 2, active.length - 1)]!;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('listener.admin.downstream_cx_active: 4\nlistener.0.0.0.0_15090.downstream_cx_active: 2\n');
      res.write(`listener.0.0.0.0_15021.downstream_cx_active: 1\nlistener.0.0.0.0_15006.worker_0.downstream_cx_active: 9\n`);
      res.end(`http.inbound_0.0.0.0_8080.downstream_cx_active: 7\nlistener.0.0.0.0_15006.downstream_cx_active: ${n}\nlistener.0.0.0.0_15001.downstream_cx_active: 0\n`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const r = await run(drainCommand({ router: false, native: false }, { terminationDrainMs: 5000, exitOnZero: { minimumDrainMs: 100 } }, port)!);
      expect(r.code).to.equal(0);
      const stats = 'GET /stats?usedonly&filter=downstream_cx_active$';
      expect(seen).to.deep.equal(['POST /drain_listeners?inboundonly&graceful', stats, stats, stats]);
      expect(r.ms, 'the minimum drain, then a second between polls').to.be.at.least(2100);
    } finally {
      server.close();
    }
  });

  it('EXIT_ON_ZERO_ACTIVE_CONNECTIONS: returns once Envoy stops answering; a native sidecar still only drains', async () => {
    const { server, port, seen } = await admin();
    await new Promise((r) => server.close(r));
    expect((await run(drainCommand({ router: false, native: false }, { terminationDrainMs: 0, exitOnZero: { minimumDrainMs: 0 } }, port)!)).code).to.equal(0);
    const native = drainCommand({ router: false, native: true }, { terminationDrainMs: 5000, exitOnZero: { minimumDrainMs: 100 } })![2]!;
    expect(native).to.not.include('sleep').and.not.include('/stats');
    expect(seen).to.deep.equal([]);
  });

  it('succeeds when Envoy is already gone (nothing listens): the kubelet then stops the container as usual', async () => {
    const { server, port } = await admin();
    await new Promise((r) => server.close(r));
    const r = await run(drainCommand({ router: false, native: false }, { terminationDrainMs: 100 }, port)!);
    expect(r.code).to.equal(0);
  });
});
