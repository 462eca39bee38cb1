import { expect } from 'chai';
import { Counter } from 'prom-client';
import { buildMonitoringApp } from '../../src/monitoring/index.js';
import { createRegistry } from '../../src/metrics.js';

describe('monitoring app', () => {
  const registry = createRegistry();
  new Counter({ name: 'mizzen_test_total', help: 'test', registers: [registry] }).inc(3);
  const app = buildMonitoringApp({
    registry,
    debug: {
      syncz: () => [{ proxy: 'sidecar~10.0.0.1~p.ns~ns.svc.cluster.local', cds: 'SYNCED' }],
      configz: async (q) => ({ kind: q.kind ?? 'all' }),
      broken: () => {
        throw new Error('nope');
      },
    },
  });
  after(async () => app.close());

  it('serves Prometheus text with default and registered metrics', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).to.equal(200);
    expect(res.headers['content-type']).to.match(/text\/plain/);
    expect(res.body).to.match(/mizzen_test_total 3/);
    expect(res.body).to.match(/process_cpu_user_seconds_total/);
  });

  const table: Array<{ url: string; status: number; body: unknown }> = [
    { url: '/debug/syncz', status: 200, body: [{ proxy: 'sidecar~10.0.0.1~p.ns~ns.svc.cluster.local', cds: 'SYNCED' }] },
    { url: '/debug/configz?kind=VirtualService', status: 200, body: { kind: 'VirtualService' } },
    { url: '/debug', status: 200, body: { handlers: ['/debug/broken', '/debug/configz', '/debug/syncz'] } },
    { url: '/debug/nothing', status: 404, body: { error: 'no debug handler "nothing"', handlers: ['/debug/broken', '/debug/configz', '/debug/syncz'] } },
    { url: '/debug/toString', status: 404, body: { error: 'no debug handler "toString"', handlers: ['/debug/broken', '/debug/configz', '/debug/syncz'] } },
    { url: '/debug/broken', status: 500, body: { error: 'debug handler "broken" failed: nope' } },
  ];
  for (const c of table) {
    it(`GET ${c.url} → ${c.status}`, async () => {
      const res = await app.inject({ method: 'GET', url: c.url });
      expect(res.statusCode).to.equal(c.status);
      expect(res.json()).to.deep.equal(c.body);
    });
  }
});
