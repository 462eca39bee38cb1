/**
 * `mizzen serve --kubeconfig` with the mesh config's discoverySelectors, against the stand-in API server: a
 * namespace the selectors leave out is not served (its Service absent from /debug/registryz; its Gateway API
 * Gateway given no status and, with --deploy-gateways, no deployment; its Ingress given no status), /debug/namespacez
 * and the log say so, and labelling the namespace into the selection serves it without a restart; labelling it out
 * drops it again.
 */
import { expect } from 'chai';
import { pino } from 'pino';
import { startFakeApiServer, type FakeApiServer } from '../../support/fake-apiserver.js';
import { eventually } from '../../support/mesh.js';
import { startKubeServe } from '../../support/kube-serve.js';
import type { RunningServe } from '../../../src/cmd/serve.js';
import type { KubeObject } from '../../../src/core/kube.js';
import { GATEWAY_CONTROLLER } from '../../../src/model/gateway-api-status.js';

const GW = 'gateway.networking.k8s.io';
const ON = { 'istio-discovery': 'enabled' };
const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const svc = (name: string, namespace: string): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 8080 }] } });
const ingress = (namespace: string): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'site', namespace },
  spec: { ingressClassName: 'istio', rules: [{ host: `${namespace}.example.com`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'front', port: { number: 8080 } } } }] } }] },
});
const ingressAddress = (api: FakeApiServer, namespace: string): unknown => (api.get('Ingress.networking.k8s.io', namespace, 'site')?.status as any)?.loadBalancer?.ingress;
const gateway: KubeObject = {
  apiVersion: `${GW}/v1`,
  kind: 'Gateway',
  metadata: { name: 'shop-gateway', namespace: 'shop' },
  spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
};

describe('mizzen serve: discoverySelectors (stand-in API server)', function () {
  this.timeout(30_000);
  let api: FakeApiServer;
  let running: RunningServe;
  const lines: Array<{ level: number; msg: string }> = [];

  const debug = async (name: string): Promise<any> => (await running.monitoring.inject({ method: 'GET', url: `/debug/${name}` })).json();
  const hosts = async (): Promise<string[]> => (await debug('registryz')).services.map((s: { hostname: string }) => s.hostname).sort();
  const statusPatchesTo = (namespace: string): number => api.requests.filter((r) => r.method === 'PATCH' && r.path.includes(`/namespaces/${namespace}/gateways/`) && r.path.endsWith('/status')).length;

  before(async () => {
    api = await startFakeApiServer();
    api.apply(ns('web', ON));
    api.apply(ns('shop', { team: 'shop' }));
    api.apply(ns('istio-system', ON));
    api.apply(svc('front', 'web'));
    api.apply(svc('cart', 'shop'));
    api.apply(gateway);
    api.apply({ apiVersion: `${GW}/v1`, kind: 'GatewayClass', metadata: { name: 'istio' }, spec: { controllerName: GATEWAY_CONTROLLER } });
    // The ingress gateway Service whose address Istio's Ingresses report, and an Ingress of Istio's class in each namespace.
    api.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'istio-ingressgateway', namespace: 'istio-system' },
      spec: { type: 'LoadBalancer', selector: { istio: 'ingressgateway' }, ports: [{ name: 'http2', port: 80, targetPort: 8080 }] },
      status: { loadBalancer: { ingress: [{ ip: '203.0.113.9' }] } },
    });
    api.apply({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'istio' }, spec: { controller: 'istio.io/ingress-controller' } });
    api.apply(ingress('web'));
    api.apply(ingress('shop'));
    running = await startKubeServe(
      api,
      {
        informer: { backoff: { initialMs: 20, maxMs: 200 } },
        leader: { namespace: 'mizzen-system', identity: 'discovery-test', retryPeriodMs: 100, leaseDurationMs: 1000, renewDeadlineMs: 800 },
        gatewayStatus: { debounceMs: 50, intervalMs: 60_000 },
        deployGateways: { debounceMs: 50, intervalMs: 60_000, requestTimeoutMs: 1000 },
      },
      { mesh: { discoverySelectors: [{ matchLabels: ON }] }, log: pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) }) },
    );
    await eventually('ready', async () => ((await running.webhook.inject({ method: 'GET', url: '/readyz' })).statusCode === 200 ? true : undefined));
  });
  after(async () => {
    await running?.shutdown();
    await api?.close();
  });

  it('serves the selected namespace only; /debug/namespacez and the log say which and why', async () => {
    await eventually('front and the ingress gateway are served', async () => ((await hosts()).length >= 2 ? true : undefined));
    expect(await hosts()).to.deep.equal(['front.web.svc.cluster.local', 'istio-ingressgateway.istio-system.svc.cluster.local']);
    const view = await debug('namespacez');
    expect(view.discoverySelectors).to.deep.equal([{ matchLabels: ON }]);
    const byName = Object.fromEntries(view.namespaces.map((n: { name: string }) => [n.name, n]));
    expect(byName.web).to.deep.include({ discovered: true, objects: 2 });
    expect(byName.shop).to.deep.include({ discovered: false, why: 'its labels match no discovery selector', objects: 3 });
    expect(lines.map((l) => l.msg)).to.include('discoverySelectors: 1 selector(s) in force: only the namespaces they select are served (/debug/namespacez)');
    expect(lines.filter((l) => l.msg.startsWith('discoverySelectors: namespace(s) now discovered')).flatMap((l) => l.msg.split(': ')[2]!.split(', ')).sort()).to.deep.equal(['istio-system', 'web']);
  });

  it('writes no status to a Gateway or an Ingress of a namespace left out, nor deploys its Gateway (the class, cluster-scoped, and the selected namespace get theirs)', async () => {
    await eventually('the GatewayClass has a status', async () => ((api.get(`GatewayClass.${GW}`, undefined, 'istio')?.status as any)?.conditions?.length ? true : undefined));
    expect(await eventually('the web Ingress has a status', async () => ingressAddress(api, 'web'))).to.deep.equal([{ ip: '203.0.113.9' }]);
    await eventually('a deployment sync', async () => ((await debug('gatewaydeploy')).syncs > 0 ? true : undefined));
    expect(statusPatchesTo('shop')).to.equal(0);
    expect(api.get(`Gateway.${GW}`, 'shop', 'shop-gateway')?.status).to.equal(undefined);
    expect(ingressAddress(api, 'shop')).to.equal(undefined);
    expect((await debug('gatewaydeploy')).gateways).to.deep.equal([]);
    expect(api.get('Deployment', 'shop', 'shop-gateway-istio')).to.equal(undefined);
  });

  it('a namespace labelled into the selection is served without a restart, and dropped when labelled out', async () => {
    api.apply(ns('shop', { team: 'shop', ...ON }));
    await eventually('cart is served', async () => ((await hosts()).includes('cart.shop.svc.cluster.local') ? true : undefined));
    await eventually('the shop Gateway has a status', async () => ((api.get(`Gateway.${GW}`, 'shop', 'shop-gateway')?.status as any)?.conditions?.length ? true : undefined));
    expect(await eventually('the shop Ingress has a status', async () => ingressAddress(api, 'shop'))).to.deep.equal([{ ip: '203.0.113.9' }]);
    await eventually('the shop Gateway is deployed', async () => api.get('Deployment', 'shop', 'shop-gateway-istio'));
    expect(lines.map((l) => l.msg)).to.include('discoverySelectors: namespace(s) now discovered: shop');
    expect((await debug('namespacez')).namespaces.find((n: { name: string }) => n.name === 'shop')).to.deep.include({ discovered: true });

    api.apply(ns('shop', { team: 'shop' }));
    await eventually('cart is dropped', async () => ((await hosts()).includes('cart.shop.svc.cluster.local') ? undefined : true));
    expect(await hosts()).to.deep.equal(['front.web.svc.cluster.local', 'istio-ingressgateway.istio-system.svc.cluster.local']);
    expect(lines.map((l) => l.msg)).to.include('discoverySelectors: namespace(s) no longer discovered, their objects dropped: shop');
  });
});
