/**
 * The Kubernetes source feeding the config store: every resource kind arrives with apiVersion/kind as the store
 * keys it, next to a file source's objects; Istio resources are validated (rejected → reported, last good kept,
 * error cleared when fixed or deleted); sync waits for every informer, a missing CRD does not hold it.
 */
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { startFakeApiServer, type FakeApiServer } from '../../support/fake-apiserver.js';
import { eventually } from '../../support/mesh.js';
import { createKubeClient, loadKubeConfig } from '../../../src/sources/kube/client.js';
import { KubeSource, KUBE_SOURCE } from '../../../src/sources/kube/source.js';
import { ConfigStore } from '../../../src/model/store.js';
import { objectKey, type KubeObject } from '../../../src/core/kube.js';

const vs = (name: string, timeout = '5s'): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name, namespace: 'default' },
  spec: { hosts: [name], http: [{ timeout, route: [{ destination: { host: name } }] }] },
});

const ap: KubeObject = {
  apiVersion: 'security.istio.io/v1',
  kind: 'AuthorizationPolicy',
  metadata: { name: 'deny-all', namespace: 'default' },
  spec: {},
};

describe('kube source → config store', function () {
  this.timeout(20_000);
  let api: FakeApiServer;
  let source: KubeSource;
  let store: ConfigStore;
  let registry: Registry;

  const until = (what: string, cond: () => boolean): Promise<true> => eventually(what, async () => (cond() ? true : undefined), 10_000, 10);
  const keys = (): string[] => store.bySource().find((s) => s.source === KUBE_SOURCE)?.keys ?? [];
  const stored = (key: string): KubeObject | undefined => store.list().find((o) => objectKey(o) === key);

  beforeEach(async () => {
    api = await startFakeApiServer({ missingCrds: ['workloadgroups'] });
    api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    api.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews', namespace: 'default' }, spec: { ports: [{ port: 9080 }] } });
    api.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'reviews-1', namespace: 'default' }, spec: {}, status: { podIP: '10.0.0.1' } });
    api.apply({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'reviews-x', namespace: 'default', labels: { 'kubernetes.io/service-name': 'reviews' } }, endpoints: [] });
    api.apply(vs('reviews'));
    api.apply(ap);
    store = new ConfigStore();
    store.setSource('file:/etc/mesh/extra.yaml', [vs('ratings')]);
    registry = new Registry();
    const client = createKubeClient(await loadKubeConfig({ kubeconfig: api.kubeconfigPath }));
    source = new KubeSource({ client, store, registry, informer: { backoff: { initialMs: 20, maxMs: 100 }, crdRetryMaxMs: 100 } });
    await source.start();
  });
  afterEach(async () => {
    source.stop();
    await api.close();
  });

  it('syncs every kind (a missing CRD counts as empty) and keys objects as the file source does', async () => {
    expect(await source.whenSynced(10_000)).to.equal(true);
    expect(keys()).to.deep.equal([
      'AuthorizationPolicy.security.istio.io/default/deny-all',
      'EndpointSlice.discovery.k8s.io/default/reviews-x',
      'Namespace/default/default',
      'Pod/default/reviews-1',
      'Service/default/reviews',
      'VirtualService.networking.istio.io/default/reviews',
    ]);
    // Both sources at once.
    expect(stored('VirtualService.networking.istio.io/default/ratings')).to.not.equal(undefined);
    expect(stored('Namespace/default/default')!.metadata.namespace).to.equal(undefined);
    expect(source.status().informers.find((i) => i.resource === 'workloadgroups.networking.istio.io')!.state).to.equal('crd-missing');
    expect(source.pod('default', 'reviews-1')!.status.podIP).to.equal('10.0.0.1');
    expect(source.namespace('default')).to.not.equal(undefined);
    expect(await registry.getSingleMetricAsString('mizzen_kube_synced')).to.match(/ 1$/m);
  });

  it("watches Istio's Gateway and the Gateway API's side by side (same kind, two groups), with the Gateway API routes", async () => {
    await source.whenSynced(10_000);
    api.apply({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'edge', namespace: 'default' }, spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] } });
    api.apply({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'edge', namespace: 'default' }, spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] } });
    api.apply({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'r', namespace: 'default' }, spec: { parentRefs: [{ name: 'edge' }] } });
    api.apply({ apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'ReferenceGrant', metadata: { name: 'g', namespace: 'default' }, spec: { from: [], to: [] } });
    const wanted = ['Gateway.networking.istio.io/default/edge', 'Gateway.gateway.networking.k8s.io/default/edge', 'HTTPRoute.gateway.networking.k8s.io/default/r', 'ReferenceGrant.gateway.networking.k8s.io/default/g'];
    await until('all four stored', () => wanted.every((k) => keys().includes(k)));
    expect(source.objects('Gateway.networking.istio.io').map((o) => o.apiVersion)).to.deep.equal(['networking.istio.io/v1']);
    expect(source.objects('Gateway.gateway.networking.k8s.io').map((o) => o.apiVersion)).to.deep.equal(['gateway.networking.k8s.io/v1']);
  });

  it('rejects an invalid Istio resource, keeps the last good one, and clears the error when fixed or deleted', async () => {
    await source.whenSynced(10_000);
    const key = 'VirtualService.networking.istio.io/default/reviews';
    api.apply(vs('reviews', 'whenever'));
    await until('rejected', () => source.errors().length === 1);
    expect(source.errors()[0]).to.include({ key, keptLastGood: true });
    expect(source.errors()[0]!.message).to.match(/spec\.http\[0\]\.timeout: invalid duration "whenever"/);
    expect(stored(key)!.spec.http[0].timeout).to.equal('5s');
    expect(await registry.getSingleMetricAsString('mizzen_kube_config_errors')).to.match(/ 1$/m);

    api.apply(vs('reviews', '7s'));
    await until('fixed', () => source.errors().length === 0 && stored(key)?.spec.http[0].timeout === '7s');

    // A new invalid resource has no last good version: reported, not applied.
    api.apply(vs('details', 'never'));
    await until('rejected new', () => source.errors().length === 1);
    expect(source.errors()[0]).to.include({ key: 'VirtualService.networking.istio.io/default/details', keptLastGood: false });
    expect(stored('VirtualService.networking.istio.io/default/details')).to.equal(undefined);
    api.delete('VirtualService', 'default', 'details');
    await until('error cleared by the delete', () => source.errors().length === 0);
  });

  it('watches Telemetry in telemetry.istio.io/v1: a valid one is stored, an invalid one rejected with its field', async () => {
    await source.whenSynced(10_000);
    const telemetry = (name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name, namespace: 'default' }, spec });
    api.apply(telemetry('logs', { accessLogging: [{ providers: [{ name: 'envoy' }] }] }));
    await until('stored', () => stored('Telemetry.telemetry.istio.io/default/logs') !== undefined);
    expect(api.requests.some((r) => r.path.startsWith('/apis/telemetry.istio.io/v1/telemetries')), 'the informer lists the collection').to.equal(true);
    expect(source.status().informers.map((i) => i.resource)).to.include('telemetries.telemetry.istio.io');
    api.apply(telemetry('sampling', { tracing: [{ randomSamplingPercentage: 101 }] }));
    await until('rejected', () => source.errors().length === 1);
    expect(source.errors()[0]).to.include({ key: 'Telemetry.telemetry.istio.io/default/sampling', keptLastGood: false });
    expect(source.errors()[0]!.message).to.match(/spec\.tracing\[0\]\.randomSamplingPercentage/);
  });

  it('watches WasmPlugin at extensions.istio.io/v1alpha1, its only version: a valid one is stored, an invalid one rejected with its field', async () => {
    await source.whenSynced(10_000);
    const plugin = (name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'extensions.istio.io/v1alpha1', kind: 'WasmPlugin', metadata: { name, namespace: 'default' }, spec });
    api.apply(plugin('headers', { selector: { matchLabels: { app: 'reviews' } }, url: 'file:///opt/filters/headers.wasm', phase: 'STATS' }));
    await until('stored', () => stored('WasmPlugin.extensions.istio.io/default/headers') !== undefined);
    expect(api.requests.some((r) => r.path.startsWith('/apis/extensions.istio.io/v1alpha1/wasmplugins')), 'the informer lists the collection at v1alpha1').to.equal(true);
    expect(source.status().informers.map((i) => i.resource)).to.include('wasmplugins.extensions.istio.io');
    api.apply(plugin('broken', { url: 'file:///opt/filters/x.wasm', sha256: 'not-a-digest' }));
    await until('rejected', () => source.errors().length === 1);
    expect(source.errors()[0]).to.include({ key: 'WasmPlugin.extensions.istio.io/default/broken', keptLastGood: false });
    expect(source.errors()[0]!.message).to.match(/spec\.sha256/);
  });

  it('watches EnvoyFilter at networking.istio.io/v1alpha3, its only version: a valid one is stored, an invalid one rejected with its field', async () => {
    await source.whenSynced(10_000);
    const envoyFilter = (name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name, namespace: 'default' }, spec });
    api.apply(envoyFilter('timeouts', { configPatches: [{ applyTo: 'CLUSTER', match: { cluster: { service: 'reviews.default.svc.cluster.local' } }, patch: { operation: 'MERGE', value: { connect_timeout: '2s' } } }] }));
    await until('stored', () => stored('EnvoyFilter.networking.istio.io/default/timeouts') !== undefined);
    expect(stored('EnvoyFilter.networking.istio.io/default/timeouts')!.apiVersion).to.equal('networking.istio.io/v1alpha3');
    expect(api.requests.some((r) => r.path.startsWith('/apis/networking.istio.io/v1alpha3/envoyfilters')), 'the informer lists the collection at v1alpha3').to.equal(true);
    expect(api.requests.some((r) => r.path.startsWith('/apis/networking.istio.io/v1/envoyfilters')), 'never at v1, which Istio does not serve').to.equal(false);
    expect(source.status().informers.map((i) => i.resource)).to.include('envoyfilters.networking.istio.io');
    api.apply(envoyFilter('broken', { configPatches: [{ applyTo: 'LISTENER', match: { cluster: { service: 'a' } }, patch: { operation: 'REMOVE' } }] }));
    await until('rejected', () => source.errors().length === 1);
    expect(source.errors()[0]).to.include({ key: 'EnvoyFilter.networking.istio.io/default/broken', keptLastGood: false });
    expect(source.errors()[0]!.message).to.match(/spec\.configPatches\[0\]\.match\.cluster/);
  });

  it('reports changes to subscribers and removes deleted objects from the store', async () => {
    await source.whenSynced(10_000);
    const changes: string[] = [];
    const off = source.onChange((type, kind, obj) => changes.push(`${type} ${kind} ${obj.metadata.name}`));
    api.delete('Pod', 'default', 'reviews-1');
    api.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'reviews-2', namespace: 'default' }, spec: {}, status: {} });
    await until('changes', () => changes.length === 2);
    off();
    expect(changes).to.deep.equal(['delete Pod reviews-1', 'add Pod reviews-2']);
    expect(stored('Pod/default/reviews-1')).to.equal(undefined);
    expect(stored('Pod/default/reviews-2')!.kind).to.equal('Pod');
  });

  it('is not synced while a list keeps failing, and says so', async () => {
    source.stop();
    api.fail('GET', '/api/v1/services', 403, 1_000_000);
    const client = createKubeClient(await loadKubeConfig({ kubeconfig: api.kubeconfigPath }));
    source = new KubeSource({ client, store: new ConfigStore(), informer: { backoff: { initialMs: 20, maxMs: 50 } } });
    await source.start();
    expect(await source.whenSynced(500)).to.equal(false);
    const services = source.status().informers.find((i) => i.resource === 'services')!;
    expect(services.synced).to.equal(false);
    expect(services.lastError).to.match(/list services: 403/);
    api.clearFaults();
    expect(await source.whenSynced(10_000)).to.equal(true);
  });
});
