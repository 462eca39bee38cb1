/** The postStart hook of holdApplicationUntilProxyStarts, run for real with bash against a local HTTP server. */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { holdCommand, HOLD_ATTEMPTS } from '../../src/inject/hold.js';

function run(command: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command[0]!, command.slice(1), { timeout: 20_000 }, (err, _stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stderr }));
  });
}

/** A server whose answers to GET are `statuses` in turn (the last one repeats); records each request line. */
async function readiness(statuses: number[]): Promise<{ server: Server; port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} HTTP/${req.httpVersion}`);
    res.writeHead(statuses[Math.min(seen.length - 1, statuses.length - 1)]!).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

describe('holdApplicationUntilProxyStarts hook', function () {
  this.timeout(30_000);

  it('is bash, waiting on Envoy readiness port 15021 for about a minute', () => {
    const [shell, flag, script] = holdCommand();
    expect([shell, flag]).to.deep.equal(['bash', '-c']);
    expect(script).to.include('/dev/tcp/127.0.0.1/15021').and.include('GET /healthz/ready HTTP/1.1');
    expect(HOLD_ATTEMPTS / 2).to.equal(60);
  });

  it('returns 0 once the proxy answers 200, after waiting through 503s', async () => {
    const { server, port, seen } = await readiness([503, 503, 200]);
    try {
      const r = await run(holdCommand(port, 10));
      expect(r.code).to.equal(0);
      expect(seen).to.deep.equal(Array(3).fill('GET /healthz/ready HTTP/1.1'));
    } finally {
      server.close();
    }
  });

  it('fails, saying why, when the proxy never becomes ready', async () => {
    const { server, port, seen } = await readiness([503]);
    try {
      const r = await run(holdCommand(port, 3));
      expect(r.code).to.equal(1);
      expect(seen).to.have.length(3);
      expect(r.stderr).to.match(/Envoy was not ready on 127\.0\.0\.1:\d+\/healthz\/ready/);
    } finally {
      server.close();
    }
  });

  it('keeps trying while nothing listens yet, then fails', async () => {
    const { server, port } = await readiness([200]);
    await new Promise((r) => server.close(r)); // the port is now closed: connections are refused
    const r = await run(holdCommand(port, 2));
    expect(r.code).to.equal(1);
    expect(r.stderr).to.not.include('Connection refused');
  });
});
