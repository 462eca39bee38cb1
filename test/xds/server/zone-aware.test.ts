/**
 * Zone-aware routing through the ADS server: a sidecar with self-discovery gets its local_cluster by EDS; one
 * without it, whose clusters ask for zone-aware routing, is logged once per stream, as istiod warns.
 */
import { expect } from 'chai';
import { TypeUrls } from '../../../src/core/constants.js';
import type { KubeObject } from '../../../src/core/kube.js';
import { silentLogger } from '../../../src/core/log.js';
import { startServer, struct, type Harness } from './harness.js';
import { smallMesh } from './fixtures.js';

const zoneAware: KubeObject = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'ratings', namespace: 'default' },
  spec: { host: 'ratings', trafficPolicy: { loadBalancer: { zoneAwareLbSetting: { minClusterSize: 1 } } } },
};

const node = (pod: string, ip: string, meta: Record<string, string>) => ({
  id: `sidecar~${ip}~${pod}.default~default.svc.cluster.local`,
  metadata: struct({ NAMESPACE: 'default', LABELS: { app: 'reviews' }, ...meta }),
});

describe('ADS: zone-aware routing and self-discovery', () => {
  let h: Harness;
  const logged: string[] = [];
  const log = { ...silentLogger, warn: (...a: unknown[]) => void logged.push(String(a.at(-1))), child: () => log } as unknown as typeof silentLogger;
  before(async () => {
    h = await startServer([...smallMesh(), zoneAware], { log });
  });
  after(async () => h.close());

  it("serves local_cluster to a proxy with self-discovery: its own workload's instances", async () => {
    const c = h.connect();
    c.send({ node: node('reviews-v1', '10.1.0.1', { ENABLE_SELF_DISCOVERY: 'true', WORKLOAD_NAME: 'reviews-v1' }), type_url: TypeUrls.endpoint, resource_names: ['local_cluster'] });
    const r = await c.next();
    const la = r.resources.find((x: any) => x.cluster_name === 'local_cluster') as any;
    const addresses = la.endpoints.flatMap((g: any) => g.lb_endpoints.map((e: any) => e.endpoint.address.socket_address.address));
    expect(addresses).to.deep.equal(['10.1.0.1']);
    c.ack(r, ['local_cluster']);
  });

  it('logs, once per stream, a proxy whose clusters ask for zone-aware routing without self-discovery', async () => {
    logged.length = 0;
    const c = h.connect();
    c.send({ node: node('reviews-v2', '10.1.0.2', {}), type_url: TypeUrls.cluster });
    const r = await c.next();
    expect((r.resources.find((x: any) => x.name === 'outbound|9080||ratings.default.svc.cluster.local') as any).common_lb_config.zone_aware_lb_config).to.deep.equal({ min_cluster_size: { value: 1 } });
    c.ack(r);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(logged.filter((w) => w.includes('zone-aware'))).to.deep.equal([
      'xds: zone-aware load balancing is on for outbound|9080||ratings.default.svc.cluster.local, but the proxy has no self-discovery (proxyMetadata ISTIO_META_ENABLE_SELF_DISCOVERY: "true"): Envoy cannot route by zone there',
    ]);
    const sd = h.connect();
    sd.send({ node: node('reviews-v1', '10.1.0.1', { ENABLE_SELF_DISCOVERY: 'true', WORKLOAD_NAME: 'reviews-v1' }), type_url: TypeUrls.cluster });
    sd.ack(await sd.next());
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(logged.filter((w) => w.includes('zone-aware')), 'not for a proxy with self-discovery').to.have.length(1);
  });
});
