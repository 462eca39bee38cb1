import { expect } from 'chai';
import { createServer } from 'node:net';
import { Registry } from 'prom-client';
import { TypeUrls } from '../../src/core/constants.js';
import { buildMonitoringApp } from '../../src/monitoring/index.js';
import { run as proxyStatus, formatStatusTable } from '../../src/cmd/proxy-status.js';
import { run as proxyConfig } from '../../src/cmd/proxy-config.js';
import { startServer, node, type Harness } from '../xds/server/harness.js';
import { smallMesh } from '../xds/server/fixtures.js';
import { captureOutput } from '../support/cli.js';

describe('mizzen proxy-status and proxy-config', () => {
  let h: Harness;
  let monitoring: ReturnType<typeof buildMonitoringApp>;
  let addr: string;
  let closed: string;
  before(async () => {
    // A port nobody listens on (fetch refuses well-known "bad ports" such as 1 before even trying).
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    closed = `127.0.0.1:${(probe.address() as { port: number }).port}`;
    await new Promise((r) => probe.close(r));
    h = await startServer(smallMesh());
    monitoring = buildMonitoringApp({ registry: new Registry(), debug: h.server.debug });
    await monitoring.listen({ port: 0, host: '127.0.0.1' });
    addr = `127.0.0.1:${(monitoring.server.address() as { port: number }).port}`;
    const c = h.connect();
    c.send({ node: node('productpage-v1'), type_url: TypeUrls.cluster });
    const cds = await c.next();
    c.ack(cds);
    c.send({ type_url: TypeUrls.listener });
    const lds = await c.next();
    c.send({ type_url: TypeUrls.listener, response_nonce: lds.nonce, error_detail: { code: 3, message: 'bad listener' } });
    c.send({ type_url: TypeUrls.endpoint, resource_names: ['outbound|9080||reviews.default.svc.cluster.local'] });
    await c.next(); // EDS sent, never ACKed: STALE
    while (!(h.server.debug.syncz!({}) as any)[0]?.types.lds?.lastNack) await new Promise((r) => setTimeout(r, 5));
  });
  after(async () => {
    await monitoring.close();
    await h.close();
  });

  it('prints SYNCED, NACKED, STALE and NOT SENT per type', async () => {
    const r = await captureOutput(() => proxyStatus(['--addr', addr]));
    expect(r.code).to.equal(0);
    const [header, row] = r.out.split('\n');
    expect(header!.split(/\s{2,}/)).to.deep.equal(['NAME', 'TYPE', 'STREAM', 'CDS', 'LDS', 'EDS', 'RDS', 'CONNECTED']);
    expect(row!.split(/\s{2,}/).slice(0, 7)).to.deep.equal(['productpage-v1.default', 'sidecar', 'sotw', 'SYNCED', 'NACKED', 'STALE', 'NOT SENT']);
    expect(r.out).to.contain('productpage-v1.default LDS NACK: bad listener');
  });

  it('proxy-config prints the clusters a proxy was sent, as JSON', async () => {
    const r = await captureOutput(() => proxyConfig(['productpage-v1.default', 'clusters', '--addr', addr]));
    expect(r.code).to.equal(0);
    const clusters = JSON.parse(r.out) as Array<{ name: string }>;
    expect(clusters.map((c) => c.name)).to.include('outbound|9080||reviews.default.svc.cluster.local');
    const names = await captureOutput(() => proxyConfig(['productpage-v1', 'endpoints', '--names', '--addr', addr]));
    expect(names.out).to.equal('outbound|9080||reviews.default.svc.cluster.local\n');
  });

  const failures: Array<{ name: string; argv: () => string[]; code: number; err: RegExp; cmd?: 'status' }> = [
    { name: 'unknown proxy', argv: () => ['nobody', 'clusters', '--addr', addr], code: 1, err: /no connected proxy "nobody"\nconnected: sidecar~/ },
    { name: 'unknown kind', argv: () => ['productpage-v1', 'certificates', '--addr', addr], code: 2, err: /"certificates" is not one of clusters, listeners, routes, endpoints, secrets, envoyfilters/ },
    { name: 'missing arguments', argv: () => ['productpage-v1'], code: 2, err: /expected <proxy> and one of/ },
    { name: 'control plane unreachable (config)', argv: () => ['x', 'clusters', '--addr', closed], code: 1, err: /cannot reach the control plane at http:\/\/127.0.0.1:\d+\/debug\/config_dump.*ECONNREFUSED.*--addr/ },
    { name: 'control plane unreachable (status)', argv: () => ['--addr', closed], code: 1, err: /mizzen proxy-status: cannot reach the control plane/, cmd: 'status' },
  ];
  for (const t of failures) {
    it(`fails clearly: ${t.name}`, async () => {
      const r = await captureOutput(() => (t.cmd === 'status' ? proxyStatus(t.argv()) : proxyConfig(t.argv())));
      expect(r.code).to.equal(t.code);
      expect(r.err).to.match(t.err);
    });
  }

  it('formats gRPC proxies and no-proxy lists', async () => {
    const table = formatStatusTable([{ id: 'sidecar~1~client.ns~ns.svc.cluster.local', type: 'sidecar', generator: 'grpc', stream: 'delta', connectedAt: 't', types: {} }]);
    expect(table.split('\n')[1]!.split(/\s{2,}/)).to.deep.equal(['client.ns', 'grpc', 'delta', 'NOT SENT', 'NOT SENT', 'NOT SENT', 'NOT SENT', 't']);
  });
});
