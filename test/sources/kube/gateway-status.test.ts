/**
 * `mizzen serve --kubeconfig` writes the status of the Gateway API objects it serves, as the leader, through the
 * status subresource (the generation stays), and stops writing once the status is right: Istio's Bookinfo
 * Gateway API sample gets Programmed once a gateway workload runs, which is what `kubectl wait
 * --for=condition=programmed` waits for.
 */
import { expect } from 'chai';
import { startFakeApiServer, type FakeApiServer } from '../../support/fake-apiserver.js';
import { eventually } from '../../support/mesh.js';
import { startKubeServe } from '../../support/kube-serve.js';
import type { RunningServe } from '../../../src/cmd/serve.js';
import type { KubeObject } from '../../../src/core/kube.js';
import { GATEWAY_CONTROLLER } from '../../../src/model/gateway-api-status.js';

const GW = 'gateway.networking.k8s.io';
const GATEWAY_KEY = `Gateway.${GW}`;

// Istio's samples/bookinfo/gateway-api/bookinfo-gateway.yaml, in namespace default.
const gateway: KubeObject = {
  apiVersion: `${GW}/v1`,
  kind: 'Gateway',
  metadata: { name: 'bookinfo-gateway', namespace: 'default' },
  spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' } } }] },
};
const route: KubeObject = {
  apiVersion: `${GW}/v1`,
  kind: 'HTTPRoute',
  metadata: { name: 'bookinfo', namespace: 'default' },
  spec: { parentRefs: [{ name: 'bookinfo-gateway' }], rules: [{ matches: [{ path: { type: 'Exact', value: '/productpage' } }], backendRefs: [{ name: 'productpage', port: 9080 }] }] },
};
const productpage: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'productpage', namespace: 'default' }, spec: { selector: { app: 'productpage' }, ports: [{ name: 'http', port: 9080 }] } };
const gatewayPod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'bookinfo-gateway-istio-1', namespace: 'default', labels: { [`${GW}/gateway-name`]: 'bookinfo-gateway' } },
  spec: { containers: [{ name: 'istio-proxy', image: 'envoy' }] },
  status: { phase: 'Running', podIP: '10.0.0.50', conditions: [{ type: 'Ready', status: 'True' }] },
};

const condition = (o: KubeObject | undefined, type: string): Record<string, unknown> | undefined => ((o?.status as any)?.conditions ?? []).find((c: any) => c.type === type);
const statusPatches = (api: FakeApiServer): number => api.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/status')).length;

describe('mizzen serve: Gateway API status (stand-in API server)', function () {
  this.timeout(30_000);
  let api: FakeApiServer;
  let running: RunningServe;

  before(async () => {
    api = await startFakeApiServer();
    api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    api.apply(productpage);
    api.apply(gateway);
    api.apply(route);
    api.apply({ apiVersion: `${GW}/v1`, kind: 'GatewayClass', metadata: { name: 'istio' }, spec: { controllerName: GATEWAY_CONTROLLER } });
    running = await startKubeServe(api, {
      informer: { backoff: { initialMs: 20, maxMs: 200 } },
      leader: { namespace: 'mizzen-system', identity: 'status-test', retryPeriodMs: 100, leaseDurationMs: 1000, renewDeadlineMs: 800 },
      gatewayStatus: { debounceMs: 50, intervalMs: 60_000 },
    });
  });
  after(async () => {
    await running?.shutdown();
    await api?.close();
  });

  it('accepts the class and the Gateway, not programmed while no gateway workload runs; the route is accepted', async () => {
    const gw = await eventually('the Gateway has a status', async () => {
      const o = api.get(GATEWAY_KEY, 'default', 'bookinfo-gateway');
      return condition(o, 'Programmed') ? o : undefined;
    });
    expect(condition(gw, 'Accepted')).to.deep.include({ status: 'True', observedGeneration: 1 });
    expect(condition(gw, 'Programmed')).to.deep.include({ status: 'False', reason: 'NoResources' });
    expect(gw.metadata.generation, 'a status write leaves the generation').to.equal(1);
    const r = await eventually('the route has a status', async () => {
      const o = api.get(`HTTPRoute.${GW}`, 'default', 'bookinfo');
      return (o?.status as any)?.parents?.length ? o : undefined;
    });
    expect((r.status as any).parents.map((p: any) => [p.controllerName, p.conditions.map((c: any) => `${c.type}=${c.status}`)])).to.deep.equal([[GATEWAY_CONTROLLER, ['Accepted=True', 'ResolvedRefs=True']]]);
    const cls = await eventually('the class is accepted', async () => condition(api.get(`GatewayClass.${GW}`, undefined, 'istio'), 'Accepted'));
    expect(cls).to.deep.include({ status: 'True' });
  });

  it('Programmed once a workload labelled with the Gateway name runs; then no more writes', async () => {
    api.apply(gatewayPod);
    const programmed = await eventually('Programmed', async () => {
      const c = condition(api.get(GATEWAY_KEY, 'default', 'bookinfo-gateway'), 'Programmed');
      return c?.status === 'True' ? c : undefined;
    });
    expect(programmed.reason).to.equal('Programmed');
    const gw = api.get(GATEWAY_KEY, 'default', 'bookinfo-gateway')!;
    expect((gw.status as any).listeners[0]).to.deep.include({ name: 'http', attachedRoutes: 1 });
    // Settled: another change that alters no status writes nothing.
    const before = statusPatches(api);
    api.apply({ ...productpage, metadata: { ...productpage.metadata, labels: { touched: 'yes' } } });
    await new Promise((r) => setTimeout(r, 600));
    expect(statusPatches(api) - before).to.equal(0);
  });

  it('writes a BackendTLSPolicy its ancestors through backendtlspolicies/status', async () => {
    api.apply({
      apiVersion: `${GW}/v1`,
      kind: 'BackendTLSPolicy',
      metadata: { name: 'productpage-tls', namespace: 'default' },
      spec: { targetRefs: [{ group: '', kind: 'Service', name: 'productpage' }, { group: '', kind: 'Service', name: 'nope' }], validation: { hostname: 'productpage.example.com', wellKnownCACertificates: 'System' } },
    });
    const p = await eventually('the policy has ancestors', async () => {
      const o = api.get(`BackendTLSPolicy.${GW}`, 'default', 'productpage-tls');
      return (o?.status as any)?.ancestors?.length ? o : undefined;
    });
    expect((p.status as any).ancestors.map((a: any) => [a.controllerName, a.ancestorRef.name, a.conditions.map((c: any) => `${c.type}=${c.status}/${c.reason}`)])).to.deep.equal([
      ['istio.io/mesh-controller', 'productpage', ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']],
      ['istio.io/mesh-controller', 'nope', ['Accepted=False/TargetNotFound', 'ResolvedRefs=True/ResolvedRefs']],
    ]);
    expect(api.requests.some((r) => r.method === 'PATCH' && r.path === '/apis/gateway.networking.k8s.io/v1/namespaces/default/backendtlspolicies/productpage-tls/status')).to.equal(true);
  });

  it('writes an XBackendTrafficPolicy its ancestors through xbackendtrafficpolicies/status of the experimental group', async () => {
    const XGW = 'gateway.networking.x-k8s.io';
    api.apply({
      apiVersion: `${XGW}/v1alpha1`,
      kind: 'XBackendTrafficPolicy',
      metadata: { name: 'productpage-budget', namespace: 'default' },
      spec: { targetRefs: [{ group: '', kind: 'Service', name: 'productpage' }, { group: '', kind: 'Service', name: 'nope' }], retryConstraint: { budget: { percent: 20 } }, sessionPersistence: { type: 'Cookie' } },
    });
    const p = await eventually('the policy has ancestors', async () => {
      const o = api.get(`XBackendTrafficPolicy.${XGW}`, 'default', 'productpage-budget');
      return (o?.status as any)?.ancestors?.length ? o : undefined;
    });
    expect((p.status as any).ancestors.map((a: any) => [a.controllerName, a.ancestorRef.name, a.conditions.map((c: any) => `${c.type}=${c.status}/${c.reason}`)])).to.deep.equal([
      ['istio.io/mesh-controller', 'productpage', ['Accepted=True/Accepted']],
      ['istio.io/mesh-controller', 'nope', ['Accepted=False/TargetNotFound']],
    ]);
    expect(api.requests.some((r) => r.method === 'PATCH' && r.path === `/apis/${XGW}/v1alpha1/namespaces/default/xbackendtrafficpolicies/productpage-budget/status`)).to.equal(true);
  });
  it('writes a ListenerSet its status through listenersets/status, and the parent Gateway counts it', async () => {
    api.apply({ ...gateway, spec: { ...(gateway.spec as object), allowedListeners: { namespaces: { from: 'Same' } } } });
    api.apply({
      apiVersion: `${GW}/v1`,
      kind: 'ListenerSet',
      metadata: { name: 'extra', namespace: 'default' },
      spec: { parentRef: { name: 'bookinfo-gateway' }, listeners: [{ name: 'alt', port: 8080, protocol: 'HTTP' }, { name: 'clash', port: 80, protocol: 'HTTP' }] },
    });
    const ls = await eventually('the ListenerSet has listeners', async () => {
      const o = api.get(`ListenerSet.${GW}`, 'default', 'extra');
      return (o?.status as any)?.listeners?.length ? o : undefined;
    });
    expect((ls.status as any).listeners.map((l: any) => [l.name, l.conditions.map((c: any) => `${c.type}=${c.status}/${c.reason}`)])).to.deep.equal([
      ['alt', ['Accepted=True/Accepted', 'Conflicted=False/NoConflicts', 'Programmed=True/Programmed', 'ResolvedRefs=True/ResolvedRefs']],
      ['clash', ['Accepted=False/HostnameConflict', 'Conflicted=True/HostnameConflict', 'Programmed=False/HostnameConflict']],
    ]);
    expect(api.requests.some((r) => r.method === 'PATCH' && r.path === `/apis/${GW}/v1/namespaces/default/listenersets/extra/status`)).to.equal(true);
    await eventually('the Gateway counts it', async () => (api.get(GATEWAY_KEY, 'default', 'bookinfo-gateway')?.status as any)?.attachedListenerSets === 1 || undefined);
  });
});
