/**
 * The status of the Ingresses mizzen serves (src/model/ingress-status.ts): the ingress gateway Service's
 * addresses, IPs then hostnames, an ExternalName Service's name; nothing for Ingresses of another class, nothing
 * when the status already says it, nothing when ingressService is unset.
 */
import { expect } from 'chai';
import type { KubeObject } from '../../src/core/kube.js';
import { buildSnapshot } from '../../src/model/snapshot.js';
import { DEFAULT_INGRESS_SETTINGS, type IngressSettings } from '../../src/model/ingress.js';
import { ingressStatuses } from '../../src/model/ingress-status.js';

const gatewayService = (extra: { spec?: object; status?: object } = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'istio-ingressgateway', namespace: 'istio-system' }, spec: { type: 'LoadBalancer', selector: { istio: 'ingressgateway' }, ports: [{ name: 'http2', port: 80 }], ...extra.spec }, ...(extra.status ? { status: extra.status } : {}) }) as KubeObject;
const ingress = (name: string, className: string, status?: object): KubeObject =>
  ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: 'web', resourceVersion: '7', annotations: { 'kubernetes.io/ingress.class': className } }, spec: {}, ...(status ? { status } : {}) }) as KubeObject;
const LB = { loadBalancer: { ingress: [{ hostname: 'lb.example.com' }, { ip: '203.0.113.9' }, { ip: '203.0.113.10' }] } };

function writes(objects: KubeObject[], ingresses: KubeObject[], settings: Partial<IngressSettings> = {}) {
  const snap = buildSnapshot([...objects, ...ingresses], { ingress: { ...DEFAULT_INGRESS_SETTINGS, ...settings } });
  return ingressStatuses(ingresses, snap);
}

describe('Ingress status', () => {
  it("the gateway Service's load balancer addresses then external IPs, IPs first, each sorted, for Istio's Ingresses only", () => {
    const svc = gatewayService({ spec: { externalIPs: ['198.51.100.1'] }, status: LB });
    expect(writes([svc], [ingress('mine', 'istio'), ingress('theirs', 'nginx')])).to.deep.equal([
      { namespace: 'web', name: 'mine', resourceVersion: '7', ingress: [{ ip: '198.51.100.1' }, { ip: '203.0.113.10' }, { ip: '203.0.113.9' }, { hostname: 'lb.example.com' }] },
    ]);
  });

  it('no write when the status already says it; a write that empties a stale status', () => {
    const svc = gatewayService({ status: { loadBalancer: { ingress: [{ ip: '203.0.113.9' }] } } });
    expect(writes([svc], [ingress('mine', 'istio', { loadBalancer: { ingress: [{ ip: '203.0.113.9' }] } })])).to.deep.equal([]);
    expect(writes([], [ingress('mine', 'istio', { loadBalancer: { ingress: [{ ip: '203.0.113.9' }] } })])).to.deep.equal([{ namespace: 'web', name: 'mine', resourceVersion: '7', ingress: [] }]);
    expect(writes([], [ingress('mine', 'istio')]), 'no Service, no status: nothing to write').to.deep.equal([]);
  });

  it("an ExternalName Service gives its name; another ingressService is read; an unset one, or mode OFF, writes nothing", () => {
    const external = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'edge', namespace: 'istio-system' }, spec: { type: 'ExternalName', externalName: 'edge.example.net' } } as KubeObject;
    expect(writes([external], [ingress('mine', 'istio')], { ingressService: 'edge' }).map((w) => w.ingress)).to.deep.equal([[{ hostname: 'edge.example.net' }]]);
    const svc = gatewayService({ status: LB });
    expect(writes([svc], [ingress('mine', 'istio')], { ingressService: '' })).to.deep.equal([]);
    expect(writes([svc], [ingress('mine', 'istio')], { mode: 'OFF' })).to.deep.equal([]);
  });

  it('garbage among the objects is skipped, never thrown', () => {
    const svc = gatewayService({ status: LB });
    const junk = [null, 1, { kind: 'Ingress' }, { kind: 'Ingress', metadata: { name: 'x', annotations: 5 }, spec: 'x', status: 'x' }, { kind: 'Ingress', metadata: { name: 'y', annotations: { 'kubernetes.io/ingress.class': 'istio' } }, status: { loadBalancer: { ingress: 'x' } } }] as unknown as KubeObject[];
    const snap = buildSnapshot([svc]);
    expect(() => ingressStatuses(junk, snap)).not.to.throw();
    expect(ingressStatuses(junk, snap).map((w) => `${w.namespace}/${w.name}`)).to.deep.equal(['default/y']);
  });
});
