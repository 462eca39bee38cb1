/**
 * proxyScope(): proxies with equal scopes must get identical output of every type, since the server generates
 * once per scope. A named targetPort resolves per pod (its own container port, found by the proxy's IP), so two
 * pods of one service in one namespace may need different inbound config.
 */
import { expect } from 'chai';
import type { KubeObject } from '../../../src/core/kube.js';
import { buildSnapshot, updateSnapshot } from '../../../src/model/snapshot.js';
import { generate, proxyScope } from '../../../src/xds/gen/index.js';
import { ENVOY_TYPES, proxy } from './helpers.js';

const service = (targetPort: number | string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort }] },
});
const pod = (name: string, ip: string, containerPort: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'shop', labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', ports: [{ name: 'web', containerPort }] }] },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
});
const sidecar = (ip: string, name: string, labels = true) => proxy(`sidecar~${ip}~${name}.shop~shop.svc.cluster.local`, labels ? { LABELS: { app: 'web' } } : {});

const all = (snap: ReturnType<typeof buildSnapshot>, p: ReturnType<typeof sidecar>): string =>
  JSON.stringify(ENVOY_TYPES.map((t) => generate(snap, p, t)));

describe('proxyScope', () => {
  const table: Array<{ name: string; targetPort: number | string; ports: [number, number]; labels: boolean; shared: boolean }> = [
    { name: 'named targetPort, pods listening on different ports: separate scopes', targetPort: 'web', ports: [8080, 9090], labels: true, shared: false },
    { name: 'the same, labels found by IP in the registry', targetPort: 'web', ports: [8080, 9090], labels: false, shared: false },
    { name: 'named targetPort, pods listening on the same port: one scope', targetPort: 'web', ports: [8080, 8080], labels: true, shared: true },
    { name: 'numeric targetPort: one scope whatever the container ports', targetPort: 8080, ports: [8080, 9090], labels: true, shared: true },
  ];
  for (const t of table) {
    it(t.name, () => {
      const snap = buildSnapshot([service(t.targetPort), pod('web-a', '10.0.0.1', t.ports[0]), pod('web-b', '10.0.0.2', t.ports[1])]);
      const a = sidecar('10.0.0.1', 'web-a', t.labels);
      const b = sidecar('10.0.0.2', 'web-b', t.labels);
      expect(proxyScope(snap, a) === proxyScope(snap, b)).to.equal(t.shared);
      // The invariant the server relies on: equal scopes, equal output.
      if (proxyScope(snap, a) === proxyScope(snap, b)) expect(all(snap, a)).to.equal(all(snap, b));
      const inbound = (p: typeof a): string[] => generate(snap, p, ENVOY_TYPES[0]).map((r) => r.name).filter((n) => n.startsWith('inbound|'));
      const want = (port: number): number => (typeof t.targetPort === 'number' ? t.targetPort : port);
      expect(inbound(a)).to.deep.equal([`inbound|${want(t.ports[0])}||`]);
      expect(inbound(b)).to.deep.equal([`inbound|${want(t.ports[1])}||`]);
    });
  }

  it('is computed again when a later snapshot moves the pod to another named port', () => {
    const a = sidecar('10.0.0.1', 'web-a');
    const snap = buildSnapshot([service('web'), pod('web-a', '10.0.0.1', 8080)]);
    const before = proxyScope(snap, a);
    const next = updateSnapshot(snap, [service('web'), pod('web-a', '10.0.0.1', 8081)], ['Pod/shop/web-a']);
    expect(next.services).to.equal(snap.services);
    expect(proxyScope(next, a)).to.not.equal(before);
    expect(proxyScope(snap, a)).to.equal(before);
  });
});
