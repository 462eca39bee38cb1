/**
 * `mizzen serve --kubeconfig` writes the ingress gateway's addresses into the status of the Ingresses it serves,
 * as the leader, through the status subresource, and stops writing once the status is right; a new load balancer
 * address is written again; an Ingress of another class is left alone.
 */
import { expect } from 'chai';
import { startFakeApiServer, type FakeApiServer } from '../../support/fake-apiserver.js';
import { eventually } from '../../support/mesh.js';
import { startKubeServe } from '../../support/kube-serve.js';
import type { RunningServe } from '../../../src/cmd/serve.js';
import type { KubeObject } from '../../../src/core/kube.js';

const KEY = 'Ingress.networking.k8s.io';
const ingress = (name: string, className: string): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: 'default' },
  spec: { ingressClassName: className, rules: [{ host: `${name}.example.com`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
});
const gatewayService = (ip: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'istio-ingressgateway', namespace: 'istio-system' },
  spec: { type: 'LoadBalancer', selector: { istio: 'ingressgateway' }, ports: [{ name: 'http2', port: 80, targetPort: 8080 }] },
  status: { loadBalancer: { ingress: [{ hostname: 'lb.example.com' }, { ip }] } },
});
const lb = (api: FakeApiServer, name: string): unknown => (api.get(KEY, 'default', name)?.status as any)?.loadBalancer?.ingress;
const statusPatches = (api: FakeApiServer): string[] => api.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/ingresses/') && r.path.endsWith('/status')).map((r) => r.path);

describe('mizzen serve: Ingress status (stand-in API server)', function () {
  this.timeout(30_000);
  let api: FakeApiServer;
  let running: RunningServe;

  before(async () => {
    api = await startFakeApiServer();
    for (const ns of ['default', 'istio-system']) api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    api.apply(gatewayService('203.0.113.9'));
    api.apply({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'istio' }, spec: { controller: 'istio.io/ingress-controller' } });
    api.apply({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } });
    api.apply(ingress('mine', 'istio'));
    api.apply(ingress('theirs', 'nginx'));
    running = await startKubeServe(api, {
      informer: { backoff: { initialMs: 20, maxMs: 200 } },
      leader: { namespace: 'mizzen-system', identity: 'ingress-status-test', retryPeriodMs: 100, leaseDurationMs: 1000, renewDeadlineMs: 800 },
      gatewayStatus: { debounceMs: 50, intervalMs: 60_000 },
    });
  });
  after(async () => {
    await running?.shutdown();
    await api?.close();
  });

  it("writes the gateway Service's addresses (IPs first) into Istio's Ingresses only, then stops writing", async () => {
    const got = await eventually('the Ingress has a status', async () => lb(api, 'mine'));
    expect(got).to.deep.equal([{ ip: '203.0.113.9' }, { hostname: 'lb.example.com' }]);
    expect(api.get(KEY, 'default', 'mine')!.metadata.generation, 'a status write leaves the generation').to.equal(1);
    expect(lb(api, 'theirs')).to.equal(undefined);
    // A sync that started before the write's watch event came back may write the same status once more (its
    // resourceVersion precondition then fails): let those settle before counting.
    await new Promise((r) => setTimeout(r, 600));
    const writes = statusPatches(api).length;
    expect(statusPatches(api).every((p) => p.endsWith('/namespaces/default/ingresses/mine/status'))).to.equal(true);
    // Another snapshot (any change) brings no write: the status is already right.
    api.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80 }] } });
    await new Promise((r) => setTimeout(r, 600));
    expect(statusPatches(api).length).to.equal(writes);
  });

  it('a new load balancer address is written again', async () => {
    api.apply(gatewayService('203.0.113.77'));
    const got = await eventually('the new address', async () => {
      const v = lb(api, 'mine') as Array<{ ip?: string }> | undefined;
      return v?.some((e) => e.ip === '203.0.113.77') ? v : undefined;
    });
    expect(got).to.deep.equal([{ ip: '203.0.113.77' }, { hostname: 'lb.example.com' }]);
  });
});
