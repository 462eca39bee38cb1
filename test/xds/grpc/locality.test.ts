/**
 * Locality failover with real grpc-js-xds clients: with outlier detection in the DestinationRule, a client stays
 * in its own zone, and goes to the next zone only when its own has no ready endpoint.
 */
import { expect } from 'chai';
import type { KubeObject } from '../../../src/core/kube.js';
import { grpcBootstrap } from '../../../src/bootstrap/grpc.js';
import { xdsClient, type EchoClient } from '../../../src/demo/echo.js';
import { startMesh, tally, eventually, type Mesh } from '../../support/mesh.js';

const TARGET = 'zonal.default.svc.cluster.local:9080';
const ZONE_A = '127.0.0.101';
const ZONE_B = '127.0.0.102';

const dr = (trafficPolicy: unknown): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'zonal', namespace: 'default' },
  spec: { host: 'zonal', trafficPolicy },
});

describe('real gRPC clients: locality failover', function () {
  this.timeout(60_000);
  let mesh: Mesh;
  let client: EchoClient;
  /** The mesh's pods, labelled with their zone (v1 in zone a, v2 in zone b); `ready` for v1. */
  const zonedPods = (v1Ready: boolean): KubeObject[] =>
    mesh.base.map((o) => {
      if (o.kind !== 'Pod') return o;
      const labels = o.metadata.labels as Record<string, string>;
      const zone = labels.version === 'v1' ? 'a' : 'b';
      const ready = zone === 'b' || v1Ready;
      return {
        ...o,
        metadata: { ...o.metadata, labels: { ...labels, 'topology.kubernetes.io/region': 'r', 'topology.kubernetes.io/zone': zone } },
        status: { ...(o.status as object), conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
      };
    });

  before(async () => {
    mesh = await startMesh([
      { service: 'zonal', version: 'v1', ip: ZONE_A },
      { service: 'zonal', version: 'v2', ip: ZONE_B },
    ]);
    await mesh.apply(zonedPods(true), 'mesh');
    const bootstrap = grpcBootstrap({ xdsAddress: mesh.xdsAddress, ip: '127.0.0.1', pod: 'zonal-client', namespace: 'default', locality: { region: 'r', zone: 'a' } });
    if (!bootstrap.ok) throw new Error(bootstrap.errors.join());
    client = xdsClient(TARGET, JSON.stringify(bootstrap.value));
  });
  after(async () => {
    client?.close();
    await mesh?.close();
  });

  it('without outlier detection, both zones serve; with it, the client keeps to its own zone', async () => {
    const both = await eventually('both zones answer', async () => {
      const t = await tally(client, 60, { concurrency: 6 });
      return t.versions.v1 && t.versions.v2 ? t : undefined;
    });
    expect(both.errors).to.deep.equal({});
    await mesh.apply([dr({ outlierDetection: { consecutive5xxErrors: 5, interval: '1s', baseEjectionTime: '30s' } })]);
    const local = await eventually('only zone a answers', async () => {
      const t = await tally(client, 60, { concurrency: 6 });
      return t.versions.v1 === 60 ? t : undefined;
    });
    expect(local.versions).to.deep.equal({ v1: 60 });
  });

  it('when its zone has no ready endpoint, the next zone serves; when it is back, the client returns', async () => {
    await mesh.apply(zonedPods(false), 'mesh');
    const away = await eventually('zone b answers', async () => {
      const t = await tally(client, 40, { concurrency: 4 });
      return t.versions.v2 === 40 ? t : undefined;
    });
    expect(away.errors).to.deep.equal({});
    await mesh.apply(zonedPods(true), 'mesh');
    await eventually('zone a answers again', async () => {
      const t = await tally(client, 40, { concurrency: 4 });
      return t.versions.v1 === 40 ? t : undefined;
    });
  });

  it('distribute weights the zones for clients of a locality: 20/80 from zone a', async () => {
    await mesh.apply([dr({ loadBalancer: { localityLbSetting: { distribute: [{ from: 'r/a/*', to: { 'r/a/*': 20, 'r/b/*': 80 } }] } } })]);
    await eventually('zone b takes most calls', async () => {
      const t = await tally(client, 200, { concurrency: 10 });
      return (t.versions.v2 ?? 0) > 130 ? t : undefined;
    });
    // Measured once the weights are in: a tally that met the wait may have begun under the previous assignment.
    const t = await tally(client, 200, { concurrency: 10 });
    expect(t.errors).to.deep.equal({});
    expect(t.versions.v2! / 200).to.be.within(0.7, 0.9);
  });

  it('localityLbSetting enabled: false turns failover off: both zones serve again', async () => {
    await mesh.apply([dr({ outlierDetection: { consecutive5xxErrors: 5 }, loadBalancer: { localityLbSetting: { enabled: false } } })]);
    await eventually('both zones answer', async () => {
      const t = await tally(client, 60, { concurrency: 6 });
      return t.versions.v1 && t.versions.v2 ? t : undefined;
    });
  });
});
