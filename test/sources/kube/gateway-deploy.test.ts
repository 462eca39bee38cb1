/**
 * `mizzen serve --kubeconfig --deploy-gateways` against the stand-in API server: the leader deploys Istio's
 * Bookinfo Gateway API sample (ServiceAccount, Deployment, Service owned by the Gateway), then keeps them, writing
 * only what differs; leaves what is not its own alone; survives API errors; and, once a pod of that Deployment runs,
 * the Gateway is Programmed behind the new Service and a router~ node of that pod gets the Bookinfo routes.
 * Without the flag, and on a replica that does not lead, nothing is made.
 */
import { expect } from 'chai';
import { startFakeApiServer, type FakeApiServer } from '../../support/fake-apiserver.js';
import { eventually } from '../../support/mesh.js';
import { startKubeServe } from '../../support/kube-serve.js';
import { bookinfoGateway, bookinfoRoute, bookinfoServices } from '../../support/gateway-api-samples.js';
import { withServerDefaults } from '../../support/apiserver-defaults.js';
import { RawAds, struct } from '../../xds/server/harness.js';
import { run as serveCli, type RunningServe } from '../../../src/cmd/serve.js';
import { captureOutput } from '../../support/cli.js';
import type { KubeObject } from '../../../src/core/kube.js';
import { TypeUrls } from '../../../src/core/constants.js';
import type { XdsComponent } from '../../../src/xds/server/component.js';
import { GatewayDeployer, type GatewayDeployReport } from '../../../src/sources/kube/gateway-deploy.js';
import type { ApiResponse, KubeClient } from '../../../src/sources/kube/client.js';
import { DEFAULT_MESH_CONFIG } from '../../../src/config/mesh.js';
import { silentLogger } from '../../../src/core/log.js';
import { GATEWAY_CONTROLLER } from '../../../src/model/gateway-api-status.js';

const GW = 'gateway.networking.k8s.io';
const GATEWAY_KEY = `Gateway.${GW}`;
const NAME = 'bookinfo-gateway-istio';
const istioClass: KubeObject = { apiVersion: `${GW}/v1`, kind: 'GatewayClass', metadata: { name: 'istio' }, spec: { controllerName: GATEWAY_CONTROLLER } };
const PATHS = { ServiceAccount: '/api/v1/namespaces/default/serviceaccounts', Deployment: '/apis/apps/v1/namespaces/default/deployments', Service: '/api/v1/namespaces/default/services' };
/** Requests that write one of the kinds the deployer makes. */
const writes = (api: FakeApiServer, since = 0) => api.requests.slice(since).filter((r) => r.method !== 'GET' && Object.values(PATHS).some((p) => r.path.startsWith(p)));
const condition = (o: KubeObject | undefined, type: string): any => ((o?.status as any)?.conditions ?? []).find((c: any) => c.type === type);

/** Istio's Bookinfo Gateway API sample, the Bookinfo Services and the class, in namespace default. */
function bookinfo(api: FakeApiServer): void {
  api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  for (const s of bookinfoServices()) api.apply(s);
  api.apply(istioClass);
  api.apply(bookinfoGateway);
  api.apply(bookinfoRoute);
}

const LEADER = { namespace: 'mizzen-system', retryPeriodMs: 100, leaseDurationMs: 1000, renewDeadlineMs: 800 };
const FAST = { informer: { backoff: { initialMs: 20, maxMs: 200 } }, gatewayStatus: { debounceMs: 50, intervalMs: 60_000 } };

describe('mizzen serve --deploy-gateways (stand-in API server)', function () {
  this.timeout(30_000);
  let api: FakeApiServer;
  let running: RunningServe;
  const raws: RawAds[] = [];
  const debug = async (): Promise<GatewayDeployReport> => JSON.parse((await running.monitoring.inject({ method: 'GET', url: '/debug/gatewaydeploy' })).body);
  const metrics = async (): Promise<string> => (await running.monitoring.inject({ method: 'GET', url: '/metrics' })).body;
  /** Makes a sync happen (a GatewayClass change) and waits until it has run. */
  const resync = async (): Promise<GatewayDeployReport> => {
    const before = (await debug()).syncs;
    api.apply({ ...istioClass, metadata: { ...istioClass.metadata, labels: { touched: String(Date.now()) } } });
    return eventually('another sync', async () => {
      const d = await debug();
      return d.syncs > before ? d : undefined;
    });
  };

  before(async () => {
    api = await startFakeApiServer();
    bookinfo(api);
    running = await startKubeServe(api, { ...FAST, leader: { ...LEADER, identity: 'deploy-test' }, deployGateways: { debounceMs: 50, intervalMs: 60_000, requestTimeoutMs: 300 } });
  });
  after(async () => {
    for (const r of raws) r.close();
    await running?.shutdown();
    await api?.close();
  });

  it('creates the ServiceAccount, Deployment and Service of the Bookinfo Gateway, owned by it', async () => {
    await eventually('the Service', async () => api.get('Service', 'default', NAME));
    await eventually('the sync done', async () => ((await debug()).syncs > 0 ? true : undefined));
    const uid = api.get(GATEWAY_KEY, 'default', 'bookinfo-gateway')!.metadata.uid;
    for (const kind of ['ServiceAccount', 'Deployment', 'Service']) {
      const o = api.get(kind, 'default', NAME);
      expect(o, kind).to.not.equal(undefined);
      expect(o!.metadata.ownerReferences, kind).to.deep.equal([{ apiVersion: `${GW}/v1`, kind: 'Gateway', name: 'bookinfo-gateway', uid }]);
    }
    const dep = api.get('Deployment', 'default', NAME)!;
    expect(dep.metadata.labels).to.include({ 'gateway.istio.io/managed': 'istio.io-gateway-controller' });
    expect(dep.spec.template.spec.serviceAccountName).to.equal(NAME);
    expect(api.get('Service', 'default', NAME)!.spec.ports.map((p: any) => `${p.name}:${p.port}`)).to.deep.equal(['status-port:15021', 'http:80']);
    expect(writes(api).map((r) => `${r.method} ${r.path}`)).to.deep.equal([`POST ${PATHS.ServiceAccount}`, `POST ${PATHS.Deployment}`, `POST ${PATHS.Service}`]);
    expect(await metrics()).to.match(/^mizzen_gateway_deployments_total\{kind="Deployment",outcome="created"\} 1$/m);
  });

  it('a second sync writes nothing, even after the API server filled in its defaults', async () => {
    // What a real API server would have stored (clusterIP, nodePorts, container defaults, canonical quantities…).
    for (const kind of ['Deployment', 'Service']) api.apply(withServerDefaults(api.get(kind, 'default', NAME)!));
    const since = api.requests.length;
    const d = await resync();
    expect(writes(api, since)).to.deep.equal([]);
    expect(d.gateways).to.deep.equal([{ gateway: 'default/bookinfo-gateway', objects: [`ServiceAccount ${NAME}: unchanged`, `Deployment ${NAME}: unchanged`, `Service ${NAME}: unchanged`] }]);
  });

  it('the Gateway is NoResources while the Deployment has no pod, then AddressNotAssigned until its load balancer has an address, then Programmed at that address', async () => {
    const pending = await eventually('NoResources', async () => condition(api.get(GATEWAY_KEY, 'default', 'bookinfo-gateway'), 'Programmed'));
    expect(pending).to.deep.include({ status: 'False', reason: 'NoResources' });
    expect(pending.message).to.match(/the gateway mizzen deploys for it has no running pod yet/);
    // What the ReplicaSet controller would make of the template, once the kubelet has started it.
    const template = api.get('Deployment', 'default', NAME)!.spec.template;
    api.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${NAME}-6c5f8-abcde`, namespace: 'default', labels: template.metadata.labels, annotations: template.metadata.annotations },
      spec: template.spec,
      status: { phase: 'Running', podIP: '10.0.0.50', podIPs: [{ ip: '10.0.0.50' }], conditions: [{ type: 'Ready', status: 'True' }] },
    });
    // The Service is a LoadBalancer (the default): until a load balancer gives it an address, as Istio says.
    const waiting = await eventually('AddressNotAssigned', async () => {
      const o = api.get(GATEWAY_KEY, 'default', 'bookinfo-gateway');
      return condition(o, 'Programmed')?.reason === 'AddressNotAssigned' ? o : undefined;
    });
    expect(condition(waiting, 'Programmed')!.message).to.contain(`address pending for Service default/${NAME} (type LoadBalancer)`).and.contain('networking.istio.io/service-type: ClusterIP');
    expect((waiting.status as any).addresses).to.deep.equal([{ type: 'Hostname', value: `${NAME}.default.svc.cluster.local` }]);
    // What a cloud's load balancer controller writes.
    const svc = api.get('Service', 'default', NAME)!;
    api.apply({ ...svc, status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } } });
    const gw = await eventually('Programmed', async () => {
      const o = api.get(GATEWAY_KEY, 'default', 'bookinfo-gateway');
      return condition(o, 'Programmed')?.status === 'True' ? o : undefined;
    });
    expect((gw.status as any).addresses).to.deep.equal([{ type: 'IPAddress', value: '203.0.113.7' }]);
  });

  it('a router~ node of that pod gets the Bookinfo routes', async () => {
    const c = new RawAds((running.components.find((x) => x.name === 'xds') as XdsComponent).port());
    raws.push(c);
    const node = { id: `router~10.0.0.50~${NAME}-6c5f8-abcde.default~default.svc.cluster.local`, metadata: struct({ NAMESPACE: 'default', SERVICE_ACCOUNT: NAME }) };
    c.send({ node, type_url: TypeUrls.listener, resource_names: [] });
    const lds = await c.next();
    expect(lds.resources.map((l: any) => l.name)).to.include('0.0.0.0_80');
    c.send({ node, type_url: TypeUrls.route, resource_names: ['http.80'] });
    const rds = await c.next();
    const routes = (rds.resources[0] as any).virtual_hosts.flatMap((v: any) => v.routes);
    const matched = routes.map((r: any) => r.match.path ?? r.match.prefix ?? r.match.path_separated_prefix);
    expect(matched).to.include.members(['/productpage', '/login', '/logout']);
    expect(routes.find((r: any) => r.match.path === '/productpage').route.cluster).to.equal('outbound|9080||productpage.default.svc.cluster.local');
  });

  it('a changed listener port patches the Service (conditionally), nothing else', async () => {
    const since = api.requests.length;
    const gw = api.get(GATEWAY_KEY, 'default', 'bookinfo-gateway')!;
    api.apply({ ...gw, spec: { ...gw.spec, listeners: [{ ...gw.spec.listeners[0], port: 8080 }] } });
    const svc = await eventually('port 8080', async () => {
      const s = api.get('Service', 'default', NAME);
      return s?.spec.ports.some((p: any) => p.port === 8080) ? s : undefined;
    });
    expect(svc.spec.ports.map((p: any) => `${p.name}:${p.port}->${p.targetPort}`)).to.deep.equal(['status-port:15021->15021', 'http:8080->8080']);
    const patches = writes(api, since);
    expect(patches.map((r) => `${r.method} ${r.path}`)).to.deep.equal([`PATCH ${PATHS.Service}/${NAME}`]);
    expect(patches[0]!.body.metadata.resourceVersion, 'a precondition').to.be.a('string');
  });

  it('leaves alone a Deployment of the same name that is not the controller\'s, counted every sync', async () => {
    const theirs = api.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'edge-istio', namespace: 'default', labels: { app: 'edge' } }, spec: { selector: { matchLabels: { app: 'edge' } }, template: { metadata: { labels: { app: 'edge' } }, spec: { containers: [{ name: 'edge', image: 'edge:1' }] } } } });
    api.apply({ ...bookinfoGateway, metadata: { ...bookinfoGateway.metadata, name: 'edge' } });
    await eventually('the edge Service', async () => api.get('Service', 'default', 'edge-istio'));
    await resync();
    const d = await resync();
    expect(d.gateways.find((g) => g.gateway === 'default/edge')!.objects).to.deep.equal(['ServiceAccount edge-istio: unchanged', 'Deployment edge-istio: foreign', 'Service edge-istio: unchanged']);
    const now = api.get('Deployment', 'default', 'edge-istio')!;
    expect(now.metadata.resourceVersion, 'never written').to.equal(theirs.metadata.resourceVersion);
    const foreign = Number(/^mizzen_gateway_deployments_total\{kind="Deployment",outcome="foreign"\} (\d+)$/m.exec(await metrics())?.[1]);
    expect(foreign).to.be.greaterThanOrEqual(2);
  });

  it('an unknown service type: nothing deployed for that Gateway, counted as invalid', async () => {
    api.apply({ ...bookinfoGateway, metadata: { ...bookinfoGateway.metadata, name: 'odd', annotations: { 'networking.istio.io/service-type': 'ExternalName' } } });
    const d = await eventually('reported', async () => {
      const r = await debug();
      return r.gateways.some((g) => g.gateway === 'default/odd') ? r : undefined;
    });
    expect(d.gateways.find((g) => g.gateway === 'default/odd')!.errors![0]).to.match(/"ExternalName" is not one of ClusterIP, NodePort, LoadBalancer/);
    expect(api.get('Deployment', 'default', 'odd-istio')).to.equal(undefined);
    expect(await metrics()).to.match(/^mizzen_gateway_deployments_total\{kind="Gateway",outcome="invalid"\} [1-9]/m);
  });

  it('API errors (403 on create, no answer on read) are counted; the server keeps serving; the next sync makes it', async () => {
    api.fail('POST', PATHS.ServiceAccount, 403, 1_000);
    api.hang('GET', `${PATHS.Deployment}/third-istio`, 1);
    api.apply({ ...bookinfoGateway, metadata: { ...bookinfoGateway.metadata, name: 'third' } });
    const d = await eventually('the failures', async () => {
      const r = await debug();
      const g = r.gateways.find((x) => x.gateway === 'default/third');
      return g?.objects?.some((l) => l.startsWith('Deployment third-istio: failed')) ? r : undefined;
    });
    const [sa, dep, svc] = d.gateways.find((g) => g.gateway === 'default/third')!.objects!;
    expect(sa).to.match(/^ServiceAccount third-istio: failed \(create: 403: .*apply manifests\/gateway-deploy\//);
    expect(dep).to.match(/^Deployment third-istio: failed \(read: .*no answer within 300 ms\)$/);
    expect(svc).to.equal('Service third-istio: created');
    expect(await metrics()).to.match(/^mizzen_gateway_deployments_total\{kind="ServiceAccount",outcome="failed"\} [1-9]/m);
    expect((await running.webhook.inject({ method: 'GET', url: '/readyz' })).statusCode).to.equal(200);
    api.clearFaults();
    await resync();
    expect(api.get('ServiceAccount', 'default', 'third-istio')).to.not.equal(undefined);
    expect(api.get('Deployment', 'default', 'third-istio')).to.not.equal(undefined);
  });
});

describe('mizzen serve --deploy-gateways: customization ConfigMaps (stand-in API server)', function () {
  this.timeout(30_000);
  let api: FakeApiServer;
  let running: RunningServe;
  const HPA = '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers';
  const CUSTOM = 'custom-istio';
  const debug = async (): Promise<GatewayDeployReport> => JSON.parse((await running.monitoring.inject({ method: 'GET', url: '/debug/gatewaydeploy' })).body);
  const ofGateway = async (gw: string) => (await debug()).gateways.find((g) => g.gateway === `default/${gw}`);
  const configMap = (name: string, data: Record<string, string>, o: { namespace?: string; labels?: Record<string, string> } = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: o.namespace ?? 'default', ...(o.labels ? { labels: o.labels } : {}) }, data });
  const OPTIONS = {
    horizontalPodAutoscaler: 'spec:\n  minReplicas: 2\n  maxReplicas: 3',
    podDisruptionBudget: 'spec:\n  minAvailable: 1',
    deployment: 'metadata:\n  annotations:\n    cm-annotation: yes-quoted-or-not\nspec:\n  replicas: 4',
  };
  const custom = { ...bookinfoGateway, metadata: { ...bookinfoGateway.metadata, name: 'custom' }, spec: { ...bookinfoGateway.spec, infrastructure: { parametersRef: { group: '', kind: 'ConfigMap', name: 'gw-options' } } } };
  const writesTo = (since: number, prefix: string) => api.requests.slice(since).filter((r) => r.method !== 'GET' && r.path.startsWith(prefix));
  const accepted = (name: string): any => condition(api.get(GATEWAY_KEY, 'default', name), 'Accepted');

  before(async () => {
    api = await startFakeApiServer();
    bookinfo(api);
    api.apply(configMap('gw-options', OPTIONS));
    api.apply(custom);
    running = await startKubeServe(api, { ...FAST, leader: { ...LEADER, identity: 'custom-test' }, deployGateways: { debounceMs: 30, intervalMs: 60_000, requestTimeoutMs: 1000 } });
  });
  after(async () => {
    await running?.shutdown();
    await api?.close();
  });

  it('makes the HPA and the PDB the Gateway\'s ConfigMap asks for, owned by it; the Deployment with its overlay', async () => {
    const uid = (await eventually('the Gateway', async () => api.get(GATEWAY_KEY, 'default', 'custom')))!.metadata.uid;
    const hpa = await eventually('the HPA', async () => api.get('HorizontalPodAutoscaler', 'default', CUSTOM));
    const pdb = await eventually('the PDB', async () => api.get('PodDisruptionBudget', 'default', CUSTOM));
    expect(hpa.spec).to.deep.equal({ scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: CUSTOM }, maxReplicas: 3, minReplicas: 2 });
    expect(pdb.spec).to.deep.equal({ selector: { matchLabels: { [`${GW}/gateway-name`]: 'custom' } }, minAvailable: 1 });
    for (const o of [hpa, pdb]) expect(o.metadata.ownerReferences).to.deep.equal([{ apiVersion: `${GW}/v1`, kind: 'Gateway', name: 'custom', uid }]);
    const dep = api.get('Deployment', 'default', CUSTOM)!;
    expect(dep.spec.replicas).to.equal(4);
    expect(dep.metadata.annotations).to.deep.equal({ 'cm-annotation': 'yes-quoted-or-not' });
    // A later sync (a status write changes the Gateway) may have said "unchanged" since: the outcomes are in the metric.
    const report = await eventually('reported', async () => (await ofGateway('custom'))?.objects);
    expect(report.map((l) => l.replace(/: (created|unchanged)$/, ''))).to.deep.equal(['ServiceAccount', 'Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget'].map((k) => `${k} ${CUSTOM}`));
    const metrics = await (await running.monitoring.inject({ method: 'GET', url: '/metrics' })).body;
    for (const kind of ['HorizontalPodAutoscaler', 'PodDisruptionBudget']) expect(metrics).to.match(new RegExp(`^mizzen_gateway_deployments_total\\{kind="${kind}",outcome="created"\\} 1$`, 'm'));
    expect((await ofGateway('bookinfo-gateway'))!.objects, 'a Gateway without customization: the three').to.have.length(3);
  });

  it('the HPA sizes the Deployment: replicas it set are not written back', async () => {
    api.apply({ ...api.get('Deployment', 'default', CUSTOM)!, spec: { ...api.get('Deployment', 'default', CUSTOM)!.spec, replicas: 2 } });
    const since = api.requests.length;
    const before = (await debug()).syncs;
    api.apply({ ...istioClass, metadata: { ...istioClass.metadata, labels: { touched: 'hpa' } } });
    await eventually('a sync', async () => ((await debug()).syncs > before ? true : undefined));
    expect(writesTo(since, '/apis/apps/v1/namespaces/default/deployments')).to.deep.equal([]);
    expect(api.get('Deployment', 'default', CUSTOM)!.spec.replicas).to.equal(2);
  });

  it('a class defaults ConfigMap in the control plane\'s namespace: its creation alone brings the sync, for every Gateway of the class; its deletion too', async () => {
    const DEFAULTS = { 'gateway.istio.io/defaults-for-class': 'istio' };
    api.apply(configMap('istio-defaults', { service: 'spec:\n  type: ClusterIP' }, { namespace: 'mizzen-system', labels: DEFAULTS }));
    const types = (type: string) => async () => (['bookinfo-gateway-istio', CUSTOM].every((n) => api.get('Service', 'default', n)?.spec.type === type) ? true : undefined);
    await eventually('ClusterIP Services', types('ClusterIP'));
    api.delete('ConfigMap', 'mizzen-system', 'istio-defaults');
    await eventually('LoadBalancer Services', types('LoadBalancer'));
  });

  it('a CA bundle labelled as class defaults refuses the class\'s Gateways (ca.crt is no overlay); the label removed, the ConfigMap stays (its ca.crt) and the sync it brings clears that', async () => {
    api.apply(configMap('ca-bundle', { 'ca.crt': 'PEM' }, { namespace: 'mizzen-system', labels: { 'gateway.istio.io/defaults-for-class': 'istio' } }));
    const refused = await eventually('refused', async () => (await ofGateway('bookinfo-gateway'))?.errors);
    expect(refused).to.deep.equal(['ConfigMap mizzen-system/ca-bundle: unsupported overlay "ca.crt" (supported: deployment, horizontalPodAutoscaler, podDisruptionBudget, service, serviceAccount)']);
    api.apply(configMap('ca-bundle', { 'ca.crt': 'PEM' }, { namespace: 'mizzen-system' }));
    await eventually('deployed again', async () => ((await ofGateway('bookinfo-gateway'))?.objects ? true : undefined));
  });

  it('the HPA overlay removed: the HPA it made is deleted (conditionally), the Deployment\'s replicas are the overlay\'s again; a user\'s own HPA is never deleted', async () => {
    const theirs = api.apply({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'bookinfo-gateway-istio', namespace: 'default' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'bookinfo-gateway-istio' }, maxReplicas: 5 } });
    const since = api.requests.length;
    const { horizontalPodAutoscaler: _, ...rest } = OPTIONS;
    api.apply(configMap('gw-options', rest));
    await eventually('the HPA deleted', async () => (api.get('HorizontalPodAutoscaler', 'default', CUSTOM) ? undefined : true));
    const deletes = api.requests.slice(since).filter((r) => r.method === 'DELETE');
    expect(deletes.map((r) => r.path)).to.deep.equal([`${HPA}/${CUSTOM}`]);
    expect(deletes[0]!.body.preconditions).to.have.keys('uid', 'resourceVersion');
    expect(api.get('PodDisruptionBudget', 'default', CUSTOM)).to.not.equal(undefined);
    await eventually('replicas 4 again', async () => (api.get('Deployment', 'default', CUSTOM)!.spec.replicas === 4 ? true : undefined));
    // Counted once the API server's answer is in, after the deletion shows.
    await eventually('counted', async () => ((await debug()).counts.deleted ? true : undefined));
    expect((await debug()).counts.deleted, 'once').to.equal(1);
    expect(await (await running.monitoring.inject({ method: 'GET', url: '/metrics' })).body).to.match(/^mizzen_gateway_deployments_total\{kind="HorizontalPodAutoscaler",outcome="deleted"\} 1$/m);
    expect(api.get('HorizontalPodAutoscaler', 'default', 'bookinfo-gateway-istio')!.metadata.resourceVersion, 'the user\'s HPA untouched').to.equal(theirs.metadata.resourceVersion);
    expect((await ofGateway('bookinfo-gateway'))!.objects, 'and not listed').to.have.length(3);
  });

  it('a bad overlay: nothing written for that Gateway, the error in /debug, the metric, and Accepted False InvalidParameters; fixed, Accepted again', async () => {
    const since = api.requests.length;
    api.apply(configMap('gw-options', { ...OPTIONS, deploymnet: 'spec: {}' }));
    const g = await eventually('the error', async () => {
      const r = await ofGateway('custom');
      return r?.errors ? r : undefined;
    });
    expect(g.errors).to.deep.equal(['ConfigMap default/gw-options: unsupported overlay "deploymnet" (supported: deployment, horizontalPodAutoscaler, podDisruptionBudget, service, serviceAccount)']);
    expect(writesTo(since, '/api').filter((r) => r.path.includes(CUSTOM)), 'the HPA it asks for again is not made').to.deep.equal([]);
    const cond = await eventually('Accepted False', async () => (accepted('custom')?.status === 'False' ? accepted('custom') : undefined));
    expect(cond).to.deep.include({ reason: 'InvalidParameters' });
    expect(cond.message).to.contain('unsupported overlay "deploymnet"');
    expect(accepted('bookinfo-gateway')).to.deep.include({ status: 'True' });
    expect(await (await running.monitoring.inject({ method: 'GET', url: '/metrics' })).body).to.match(/^mizzen_gateway_deployments_total\{kind="Gateway",outcome="invalid"\} [1-9]/m);
    api.apply(configMap('gw-options', OPTIONS));
    await eventually('Accepted again', async () => (accepted('custom')?.status === 'True' ? true : undefined));
    await eventually('the HPA made again', async () => api.get('HorizontalPodAutoscaler', 'default', CUSTOM));
  });

  it('a parametersRef to a ConfigMap not there yet: refused until its creation, which brings the sync', async () => {
    api.apply({ ...custom, metadata: { ...custom.metadata, name: 'later' }, spec: { ...custom.spec, infrastructure: { parametersRef: { group: '', kind: 'ConfigMap', name: 'later-options' } } } });
    const g = await eventually('refused', async () => (await ofGateway('later'))?.errors);
    expect(g).to.deep.equal(['spec.infrastructure.parametersRef: ConfigMap default/later-options not found']);
    expect(api.get('Deployment', 'default', 'later-istio')).to.equal(undefined);
    api.apply(configMap('later-options', { podDisruptionBudget: '' }));
    await eventually('the PDB', async () => api.get('PodDisruptionBudget', 'default', 'later-istio'));
    expect(api.get('Deployment', 'default', 'later-istio')).to.not.equal(undefined);
  });
});

describe('mizzen serve --deploy-gateways: who deploys', function () {
  this.timeout(30_000);
  let api: FakeApiServer;
  let running: RunningServe | undefined;
  beforeEach(async () => {
    api = await startFakeApiServer();
    bookinfo(api);
  });
  afterEach(async () => {
    await running?.shutdown();
    running = undefined;
    await api?.close();
  });

  it('a replica that does not lead writes nothing', async () => {
    api.apply({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'mizzen-leader', namespace: 'mizzen-system' }, spec: { holderIdentity: 'the-other-replica', leaseDurationSeconds: 3600, renewTime: new Date().toISOString() } });
    running = await startKubeServe(api, { ...FAST, leader: { ...LEADER, identity: 'follower' }, deployGateways: { debounceMs: 20 } });
    await eventually('synced', async () => ((await running!.webhook.inject({ method: 'GET', url: '/readyz' })).statusCode === 200 ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    const d = JSON.parse((await running.monitoring.inject({ method: 'GET', url: '/debug/gatewaydeploy' })).body);
    expect(d).to.deep.include({ leader: false, syncs: 0 });
    expect(writes(api)).to.deep.equal([]);
  });

  it('without --deploy-gateways nothing is made (the status is written as before)', async () => {
    running = await startKubeServe(api, { ...FAST, leader: { ...LEADER, identity: 'no-deploy' } });
    const pending = await eventually('the Gateway status', async () => condition(api.get(GATEWAY_KEY, 'default', 'bookinfo-gateway'), 'Programmed'));
    expect(pending.message).to.match(/mizzen deploys no gateway/);
    expect(writes(api)).to.deep.equal([]);
    expect((await running.monitoring.inject({ method: 'GET', url: '/debug/gatewaydeploy' })).statusCode).to.equal(404);
  });
});

describe('mizzen serve --deploy-gateways: flags', () => {
  it('needs the Kubernetes source, and says so in the help', async () => {
    const r = await captureOutput(() => serveCli(['--deploy-gateways', '--config-dir', '/tmp']));
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/--deploy-gateways needs the Kubernetes source/);
    const help = await captureOutput(() => serveCli(['--help']));
    expect(help.out).to.match(/--deploy-gateways .*\n.*\n.*manifests\/gateway-deploy\//);
  });
});

describe('GatewayDeployer: what it says and survives (a stub API server)', () => {
  /** Objects by path; `answer` may replace what a request gets. */
  const stub = (answer: (method: string, path: string) => ApiResponse | undefined = () => undefined) => {
    const objects = new Map<string, KubeObject>();
    const calls: string[] = [];
    const client = {
      request: async (method: string, path: string, body?: any): Promise<ApiResponse> => {
        calls.push(`${method} ${path}`);
        const forced = answer(method, path);
        if (forced) return forced;
        if (method === 'GET') return objects.has(path) ? { status: 200, body: structuredClone(objects.get(path)), message: 'OK' } : { status: 404, body: undefined, message: '404: not found' };
        if (method === 'POST') {
          objects.set(`${path}/${body.metadata.name}`, { ...body, metadata: { ...body.metadata, resourceVersion: '1' } });
          return { status: 201, body, message: 'OK' };
        }
        return { status: 200, body: {}, message: 'OK' };
      },
    } as unknown as KubeClient;
    return { objects, calls, client };
  };
  const warnings: string[] = [];
  const log = { ...silentLogger, warn: (...a: unknown[]) => void warnings.push(String(a.at(-1))), info: () => undefined, child: () => log } as unknown as typeof silentLogger;
  const gateway = { ...bookinfoGateway, metadata: { ...bookinfoGateway.metadata, uid: 'u-1' } };
  const deployer = (client: KubeClient) => new GatewayDeployer({ client, isLeader: () => true, objects: () => ({ gateways: [gateway], classes: [istioClass] }), mesh: () => DEFAULT_MESH_CONFIG, log });
  const theirs: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: NAME, namespace: 'default', resourceVersion: '7' }, spec: {} };
  beforeEach(() => (warnings.length = 0));

  it('says once that an object is not its own, for as long as it stays so, and again when it comes back', async () => {
    const s = stub();
    s.objects.set(`${PATHS.Deployment}/${NAME}`, theirs);
    const d = deployer(s.client);
    await d.sync();
    await d.sync();
    expect(warnings.filter((w) => w.includes('not the gateway controller'))).to.have.length(1);
    expect(d.report().counts).to.deep.include({ foreign: 2 });
    s.objects.delete(`${PATHS.Deployment}/${NAME}`);
    await d.sync();
    expect(d.report().gateways[0]!.objects).to.deep.equal([`ServiceAccount ${NAME}: unchanged`, `Deployment ${NAME}: created`, `Service ${NAME}: unchanged`]);
    s.objects.set(`${PATHS.Deployment}/${NAME}`, theirs);
    await d.sync();
    expect(warnings.filter((w) => w.includes('not the gateway controller'))).to.have.length(2);
  });

  it('an answer that is no object, a 500, a 409 on the patch: values in the report, never a throw', async () => {
    const s = stub((method, path) => {
      if (method === 'GET' && path.endsWith(`/serviceaccounts/${NAME}`)) return { status: 200, body: 'not json', message: 'OK' };
      if (method === 'GET' && path.endsWith(`/deployments/${NAME}`)) return { status: 500, body: undefined, message: '500: injected' };
      if (method === 'PATCH') return { status: 409, body: undefined, message: '409: conflict' };
      return undefined;
    });
    // A Service of ours with another port: it needs a patch, which loses the race.
    s.objects.set(`${PATHS.Service}/${NAME}`, { apiVersion: 'v1', kind: 'Service', metadata: { name: NAME, namespace: 'default', resourceVersion: '3', labels: { [`${GW}/gateway-name`]: 'bookinfo-gateway' }, ownerReferences: [{ apiVersion: `${GW}/v1`, kind: 'Gateway', name: 'bookinfo-gateway', uid: 'u-1' }] }, spec: { ports: [] } });
    const d = deployer(s.client);
    await d.sync();
    expect(d.report().gateways[0]!.objects).to.deep.equal([
      `ServiceAccount ${NAME}: failed (read: the answer is not an object with metadata)`,
      `Deployment ${NAME}: failed (read: 500: injected)`,
      `Service ${NAME}: conflict`,
    ]);
    expect(s.calls.filter((c) => c.startsWith('PATCH'))).to.deep.equal([`PATCH ${PATHS.Service}/${NAME}`]);
  });
});

describe('GatewayDeployer: customization errors and leftovers (a stub API server)', () => {
  const HPA_PATH = `/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/${NAME}`;
  const PDB_PATH = `/apis/policy/v1/namespaces/default/poddisruptionbudgets/${NAME}`;
  const gateway = { ...bookinfoGateway, metadata: { ...bookinfoGateway.metadata, uid: 'u-1' }, spec: { ...bookinfoGateway.spec, infrastructure: { parametersRef: { group: '', kind: 'ConfigMap', name: 'opts' } } } };
  const options = (data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'opts', namespace: 'default' }, data });
  const ours = (kind: string): KubeObject => ({
    apiVersion: 'autoscaling/v2',
    kind,
    metadata: { name: NAME, namespace: 'default', uid: 'obj-uid', resourceVersion: '9', labels: { [`${GW}/gateway-name`]: 'bookinfo-gateway', 'gateway.istio.io/managed': 'istio.io-gateway-controller' }, ownerReferences: [{ apiVersion: `${GW}/v1`, kind: 'Gateway', name: 'bookinfo-gateway', uid: 'u-1' }] },
    spec: {},
  });
  /** Answers GETs from `objects` (404 otherwise), and every write with `writes` (default 200). */
  const client = (objects: Record<string, KubeObject>, writes: (method: string, path: string) => ApiResponse = () => ({ status: 200, body: {}, message: 'OK' })) => {
    const calls: Array<{ method: string; path: string; body?: any }> = [];
    const c = {
      request: async (method: string, path: string, body?: any): Promise<ApiResponse> => {
        calls.push({ method, path, body });
        if (method !== 'GET') return writes(method, path);
        return objects[path] ? { status: 200, body: structuredClone(objects[path]), message: 'OK' } : { status: 404, body: undefined, message: '404: not found' };
      },
    } as unknown as KubeClient;
    return { c, calls };
  };
  const deployer = (c: KubeClient, configMaps: () => KubeObject[], onInvalidParameters?: () => void) =>
    new GatewayDeployer({ client: c, isLeader: () => true, objects: () => ({ gateways: [gateway], classes: [istioClass], configMaps: configMaps() }), mesh: () => DEFAULT_MESH_CONFIG, ...(onInvalidParameters ? { onInvalidParameters } : {}) });

  it('a customization error: no request at all for that Gateway, the error offered to the status (callback once per change)', async () => {
    const { c, calls } = client({});
    let cms = [options({ hpa: 'x' })];
    let told = 0;
    const d = deployer(c, () => cms, () => (told += 1));
    await d.sync();
    await d.sync();
    expect(calls).to.deep.equal([]);
    expect(d.invalidParameters('default/bookinfo-gateway')).to.equal('ConfigMap default/opts: unsupported overlay "hpa" (supported: deployment, horizontalPodAutoscaler, podDisruptionBudget, service, serviceAccount)');
    expect(told, 'the same error twice: said once').to.equal(1);
    cms = [options({ pdb: 'y' })];
    await d.sync();
    expect(told, 'another error').to.equal(2);
    cms = [options({})];
    await d.sync();
    expect(d.invalidParameters('default/bookinfo-gateway')).to.equal(undefined);
    expect(told, 'fixed').to.equal(3);
    expect(d.report().counts).to.deep.include({ invalid: 3, created: 3 });
  });

  it('without ConfigMaps from the source, no customization: a Gateway\'s parametersRef is not read at all', async () => {
    const { c } = client({});
    const d = new GatewayDeployer({ client: c, isLeader: () => true, objects: () => ({ gateways: [gateway], classes: [istioClass] }), mesh: () => DEFAULT_MESH_CONFIG });
    await d.sync();
    expect(d.report().gateways[0]!.objects).to.have.length(3);
  });

  it('a leftover HPA whose delete is forbidden: failed, with the RBAC hint; a 409: conflict; a PDB that is a user\'s: not touched, not listed', async () => {
    const objects = { [HPA_PATH]: ours('HorizontalPodAutoscaler'), [PDB_PATH]: { ...ours('PodDisruptionBudget'), metadata: { name: NAME, namespace: 'default' } } };
    let answer: ApiResponse = { status: 403, body: undefined, message: '403: forbidden' };
    const { c, calls } = client(objects, () => answer);
    const d = deployer(c, () => [options({})]);
    await d.sync();
    const line = (): string | undefined => d.report().gateways[0]!.objects!.find((l) => l.startsWith('HorizontalPodAutoscaler'));
    expect(line()).to.match(/^HorizontalPodAutoscaler bookinfo-gateway-istio: failed \(delete: 403: forbidden \(apply manifests\/gateway-deploy\/.*and delete on the last two\)\)$/);
    expect(calls.filter((x) => x.method === 'DELETE').map((x) => [x.path, x.body.preconditions])).to.deep.equal([[HPA_PATH, { uid: 'obj-uid', resourceVersion: '9' }]]);
    answer = { status: 409, body: undefined, message: '409: conflict' };
    await d.sync();
    expect(line()).to.equal(`HorizontalPodAutoscaler ${NAME}: conflict`);
    expect(d.report().gateways[0]!.objects!.some((l) => l.startsWith('PodDisruptionBudget'))).to.equal(false);
  });
});
