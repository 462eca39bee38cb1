/**
 * `mizzen serve --kubeconfig` end to end, in process (startServe: the same components the CLI runs), against the
 * stand-in API server, with real @grpc/grpc-js-xds clients configured only by mizzen. The steps share one
 * control plane and run in order, as a cluster's life would: sync, traffic, readiness changes, routing, and what
 * the API server does to watches (drops, 410 with a delete in the gap, stalls).
 */
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { startFakeApiServer, type FakeApiServer } from '../../support/fake-apiserver.js';
import { eventually, tally, until } from '../../support/mesh.js';
import { RawAds, struct } from '../../xds/server/harness.js';
import { run as serveCli, type RunningServe } from '../../../src/cmd/serve.js';
import { startKubeServe } from '../../support/kube-serve.js';
import { TypeUrls } from '../../../src/core/constants.js';
import type { KubeObject } from '../../../src/core/kube.js';
import { grpcBootstrap } from '../../../src/bootstrap/grpc.js';
import { startBackends, xdsClient, type Backend, type EchoClient } from '../../../src/demo/echo.js';
import type { XdsComponent } from '../../../src/xds/server/component.js';
import type { KubeSourceStatus } from '../../../src/sources/kube/source.js';
import { captureOutput } from '../../support/cli.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from '../../support/tmp.js';

const HOST = 'echo.default.svc.cluster.local';
const TARGET = `${HOST}:9080`;

const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } });

const pod = (name: string, ip: string, labels: Record<string, string>, ready = true): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels },
  spec: { containers: [{ name: 'app', image: 'echo' }, { name: 'istio-proxy', image: 'proxy' }] },
  status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

const service = (port: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'echo', namespace: 'default', labels: { app: 'echo' } },
  spec: { selector: { app: 'echo' }, clusterIP: '10.96.0.10', ports: [{ name: 'grpc', port: 9080, targetPort: port, protocol: 'TCP' }] },
});

const slice = (port: number, ready: Record<string, boolean>): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 'echo-abcde', namespace: 'default', labels: { 'kubernetes.io/service-name': 'echo' } },
  addressType: 'IPv4',
  ports: [{ name: 'grpc', port, protocol: 'TCP' }],
  endpoints: Object.entries(ready).map(([ip, r]) => ({ addresses: [ip], conditions: { ready: r, serving: r, terminating: false }, targetRef: { kind: 'Pod', namespace: 'default', name: ip === '127.0.0.2' ? 'echo-v1-0' : 'echo-v2-0' } })),
});

const destinationRule: KubeObject = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'echo', namespace: 'default' },
  spec: { host: 'echo', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] },
};

const virtualService = (weights: { v1: number; v2: number }): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'echo', namespace: 'default' },
  spec: {
    hosts: ['echo'],
    http: [{ route: Object.entries(weights).filter(([, w]) => w > 0).map(([subset, weight]) => ({ destination: { host: 'echo', subset }, weight })) }],
  },
});

describe('mizzen serve --kubeconfig (stand-in API server, real gRPC xDS clients)', function () {
  this.timeout(60_000);
  let api: FakeApiServer;
  let running: RunningServe;
  let backends: Backend[];
  let port: number;
  let client: EchoClient;
  let xdsPort: number;
  const raws: RawAds[] = [];

  const readyz = async (): Promise<number> => (await running.webhook.inject({ method: 'GET', url: '/readyz' })).statusCode;
  const kubez = async (): Promise<KubeSourceStatus> => JSON.parse((await running.monitoring.inject({ method: 'GET', url: '/debug/kubez' })).body);
  const versions = async (n = 60): Promise<string[]> => {
    const t = await tally(client, n, { concurrency: 10 });
    expect(t.errors, JSON.stringify(t.errors)).to.deep.equal({});
    return Object.keys(t.versions).sort();
  };
  /** Polls until `n` calls are answered by exactly the versions in `want`. */
  const served = (want: string[], what: string): Promise<true> =>
    eventually(what, async () => {
      const t = await tally(client, 40, { concurrency: 10, deadlineMs: 2000 });
      return Object.keys(t.errors).length === 0 && JSON.stringify(Object.keys(t.versions).sort()) === JSON.stringify(want) ? true : undefined;
    }, 20_000, 50);

  before(async () => {
    ({ port, backends } = await startBackends([
      { service: 'echo', version: 'v1', ip: '127.0.0.2' },
      { service: 'echo', version: 'v2', ip: '127.0.0.3' },
    ]));
    api = await startFakeApiServer();
    api.apply(ns('default'));
    api.apply(ns('kube-system'));
    api.apply(service(port));
    api.apply(slice(port, { '127.0.0.2': true, '127.0.0.3': true }));
    api.apply(pod('echo-v1-0', '127.0.0.2', { app: 'echo', version: 'v1' }));
    api.apply(pod('echo-v2-0', '127.0.0.3', { app: 'echo', version: 'v2' }));
    api.apply(pod('client-0', '127.0.0.1', { app: 'client', version: 'v1' }));
    api.apply(destinationRule);
    // Pods cannot be listed at first: the control plane must not be ready.
    api.fail('GET', '/api/v1/pods', 500, 1_000_000);
    running = await startKubeServe(api, {
      informer: { idleMs: 400, backoff: { initialMs: 20, maxMs: 200 } },
      leader: { namespace: 'mizzen-system', identity: 'serve-test', retryPeriodMs: 100, leaseDurationMs: 1000, renewDeadlineMs: 800 },
      watchdog: { debounceMs: 20 },
      heal: true,
    });
    xdsPort = (running.components.find((c) => c.name === 'xds') as XdsComponent).port();
  });

  after(async () => {
    client?.close();
    for (const r of raws) r.close();
    await running?.shutdown();
    await api?.close();
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  it('is not ready until every informer has listed', async () => {
    await eventually('a failed pod list', async () => (api.requests.some((r) => r.path === '/api/v1/pods') ? true : undefined));
    expect(await readyz()).to.equal(503);
    const status = await kubez();
    expect(status.synced).to.equal(false);
    expect(status.informers.find((i) => i.resource === 'pods')!.synced).to.equal(false);
    api.clearFaults();
    await eventually('ready', async () => ((await readyz()) === 200 ? true : undefined));
    expect((await kubez()).informers.every((i) => i.synced)).to.equal(true);
  });

  it('a Service with EndpointSlices appears and the client reaches both pods', async () => {
    const r = grpcBootstrap({ xdsAddress: `127.0.0.1:${xdsPort}`, ip: '127.0.0.1', pod: 'client-0', namespace: 'default' });
    if (!r.ok) throw new Error(r.errors.join('; '));
    client = xdsClient(TARGET, JSON.stringify(r.value));
    await until(client, 'first reply', (x) => x.reply !== undefined, { timeoutMs: 20_000 });
    await served(['v1', 'v2'], 'both versions');
  });

  it('the proxy is tied to its pod: labels come from the pod', async () => {
    const conn = running.components.find((c): c is XdsComponent => c.name === 'xds')!.server()!.connections().find((c) => c.proxy?.podName === 'client-0')!;
    expect(conn.proxy!.labels).to.deep.equal({ app: 'client', version: 'v1' });
  });

  it('a pod that goes unready leaves the endpoints, and comes back', async () => {
    api.apply(pod('echo-v2-0', '127.0.0.3', { app: 'echo', version: 'v2' }, false));
    api.apply(slice(port, { '127.0.0.2': true, '127.0.0.3': false }));
    await served(['v1'], 'v2 gone');
    api.apply(pod('echo-v2-0', '127.0.0.3', { app: 'echo', version: 'v2' }, true));
    api.apply(slice(port, { '127.0.0.2': true, '127.0.0.3': true }));
    await served(['v1', 'v2'], 'v2 back');
  });

  it('a VirtualService is applied and the route follows; an invalid edit is rejected and the last good one stays', async () => {
    api.apply(virtualService({ v1: 0, v2: 100 }));
    await served(['v2'], 'all to v2');
    const bad = virtualService({ v1: 0, v2: 100 });
    bad.spec.http[0].timeout = 'soon';
    api.apply(bad);
    await eventually('rejection reported', async () => ((await kubez()).errors.length === 1 ? true : undefined));
    const err = (await kubez()).errors[0]!;
    expect(err.key).to.equal('VirtualService.networking.istio.io/default/echo');
    expect(err.message).to.match(/spec\.http\[0\]\.timeout: invalid duration "soon"/);
    expect(err.keptLastGood).to.equal(true);
    expect(await versions()).to.deep.equal(['v2']);
  });

  it('the watches drop and the state recovers (an edit made meanwhile arrives)', async () => {
    // One watch per informer of a resource the stand-in serves (a missing CRD is listed again, never watched).
    const watched = (await kubez()).informers.filter((i: { state: string }) => i.state !== 'crd-missing').length;
    expect(watched).to.be.greaterThan(10);
    await eventually('every watch open', async () => (api.watchCount() === watched ? true : undefined));
    expect(api.dropWatches()).to.equal(watched);
    api.apply(virtualService({ v1: 100, v2: 0 }));
    await served(['v1'], 'all to v1 after the drop');
    expect((await kubez()).errors).to.deep.equal([]);
  });

  it('410 Gone forces a relist, and a delete that happened in the gap is seen', async () => {
    const lists = (await kubez()).informers.find((i) => i.resource === 'virtualservices.networking.istio.io')!.lists;
    api.stallWatches();
    api.delete('VirtualService', 'default', 'echo');
    api.compact();
    api.dropWatches();
    await served(['v1', 'v2'], 'default routing once the VirtualService is gone');
    const vs = (await kubez()).informers.find((i) => i.resource === 'virtualservices.networking.istio.io')!;
    expect(vs.lists).to.equal(lists + 1);
    expect(running.ctx.world().some((o) => o.kind === 'VirtualService')).to.equal(false);
  });

  it('a stalled watch is detected and restarted', async () => {
    await eventually('watching again', async () => (api.watchCount('virtualservices') === 1 ? true : undefined));
    api.stallWatches();
    api.apply(virtualService({ v1: 0, v2: 100 }));
    await served(['v2'], 'all to v2 after the stall');
    const vs = (await kubez()).informers.find((i) => i.resource === 'virtualservices.networking.istio.io')!;
    expect(vs.watch.stalls).to.be.greaterThanOrEqual(1);
  });

  const refused = async (nodeId: string): Promise<grpc.StatusObject> => {
    const c = new RawAds(xdsPort);
    raws.push(c);
    c.send({ node: { id: nodeId, metadata: struct({ GENERATOR: 'grpc' }) }, type_url: TypeUrls.listener, resource_names: [TARGET] });
    return c.ended();
  };

  it('a node claiming a pod that does not exist is refused with PERMISSION_DENIED', async () => {
    const s = await refused('sidecar~127.0.0.9~ghost-0.default~default.svc.cluster.local');
    expect(s.code).to.equal(grpc.status.PERMISSION_DENIED);
    expect(s.details).to.match(/claims pod default\/ghost-0, which does not exist/);
  });

  it("a node claiming another pod's name from a different IP is refused", async () => {
    const s = await refused('sidecar~127.0.0.9~echo-v1-0.default~default.svc.cluster.local');
    expect(s.code).to.equal(grpc.status.PERMISSION_DENIED);
    expect(s.details).to.match(/but the pod's IP is 127\.0\.0\.2/);
  });

  const uninjected = async (): Promise<any> => JSON.parse((await running.monitoring.inject({ method: 'GET', url: '/debug/uninjected' })).body);

  it('holds the leader Lease and reports no uninjected pods when there are none', async () => {
    await eventually('leader', async () => (api.get('Lease', 'mizzen-system', 'mizzen-leader')?.spec?.holderIdentity === 'serve-test' ? true : undefined));
    // The Lease is written before the elector reads the answer and tells the watchdog: wait for that too.
    const dog = await eventually('the watchdog leading', async () => {
      const d = await uninjected();
      return d.leader === true ? d : undefined;
    });
    expect(dog.heal).to.equal(true);
    expect(dog.pods).to.deep.equal([]);
  });

  it('the watchdog finds a pod without a sidecar in an injection-enabled namespace, reports it and (--heal) restarts its Deployment', async () => {
    api.apply(ns('apps', { 'istio-injection': 'enabled' }));
    api.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'apps' }, spec: { template: { metadata: { labels: { app: 'web' } } } } });
    api.apply({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-7c9', namespace: 'apps', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', controller: true }] } });
    const bare = pod('web-7c9-q2', '10.1.0.5', { app: 'web' });
    bare.metadata.namespace = 'apps';
    bare.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7c9', controller: true }];
    bare.spec.containers = [{ name: 'web', image: 'web' }];
    api.apply(bare);
    await eventually('reported and evented', async () => ((await uninjected()).pods[0]?.evented === true ? true : undefined));
    const [found] = (await uninjected()).pods;
    expect(found).to.include({ namespace: 'apps', name: 'web-7c9-q2', evented: true });
    expect(found.heal).to.match(/Deployment web: restarted at/);
    const event = (api.list('Event') as any[]).find((e) => e.involvedObject.name === 'web-7c9-q2');
    expect(event.reason).to.equal('SidecarMissing');
    expect(api.get('Deployment', 'apps', 'web')!.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).to.be.a('string');
    const metrics = (await running.monitoring.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).to.match(/^mizzen_uninjected_pods 1$/m);
    expect(metrics).to.match(/^mizzen_kube_synced 1$/m);
  });

  it('releases the Lease on shutdown', async () => {
    await running.shutdown();
    expect(api.get('Lease', 'mizzen-system', 'mizzen-leader')!.spec.holderIdentity).to.equal('');
  });
});

describe('mizzen serve --kubeconfig: a reloaded mesh config reaches the watchdog at once', function () {
  this.timeout(20_000);
  let api: FakeApiServer;
  let running: RunningServe;
  let meshFile: string;
  const uninjected = async (): Promise<any> => JSON.parse((await running.monitoring.inject({ method: 'GET', url: '/debug/uninjected' })).body);

  before(async () => {
    api = await startFakeApiServer();
    api.apply(ns('apps', { 'istio-injection': 'enabled' }));
    const batch = pod('batch-0', '10.1.0.9', { app: 'batch', batch: 'true' });
    batch.metadata.namespace = 'apps';
    batch.spec.containers = [{ name: 'batch', image: 'batch' }];
    api.apply(batch);
    meshFile = join(scratchDir('mizzen-kube-mesh-'), 'mesh.yaml');
    writeFileSync(meshFile, 'enableTracing: true\n');
    running = await startKubeServe(
      api,
      // Scans come from pod and namespace events, and leadership; the periodic one not within the test.
      { leader: { namespace: 'mizzen-system', identity: 'reload-test', retryPeriodMs: 100, leaseDurationMs: 1000, renewDeadlineMs: 800 }, watchdog: { debounceMs: 20, intervalMs: 600_000 } },
      { meshFile },
    );
  });
  after(async () => {
    await running?.shutdown();
    await api?.close();
  });

  it('a pod a new neverInjectSelector leaves out is no longer reported, without waiting for the next interval', async () => {
    // Reported by the leader, its SidecarMissing event written: the scans of start-up and leadership are done.
    await eventually('reported by the leader', async () => {
      const d = await uninjected();
      return d.leader === true && d.pods[0]?.evented === true ? true : undefined;
    });
    writeFileSync(meshFile, 'enableTracing: true\nneverInjectSelector: [{ matchLabels: { batch: "true" } }]\n');
    await eventually('no longer reported', async () => ((await uninjected()).pods.length === 0 ? true : undefined));
    expect(running.ctx.mesh.current().neverInjectSelector).to.deep.equal([{ matchLabels: { batch: 'true' } }]);
  });
});

describe('mizzen serve: Kubernetes flags', () => {
  const stderr = (argv: string[]) => captureOutput(() => serveCli(argv));
  it('--kubeconfig with --in-cluster, and --heal without a cluster, are usage errors', async () => {
    const both = await stderr(['--kubeconfig', '/tmp/x', '--in-cluster']);
    expect(both.code).to.equal(2);
    expect(both.err).to.match(/--kubeconfig and --in-cluster: choose one/);
    const heal = await stderr(['--heal', '--config-dir', '/tmp']);
    expect(heal.code).to.equal(2);
    expect(heal.err).to.match(/--heal needs the Kubernetes source/);
  });
});
