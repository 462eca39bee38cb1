import { expect } from 'chai';
import { policyAttaches, targetRefsOf } from '../../src/model/policy-attachment.js';

const GW = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'edge' };
const GATEWAY_POD = { 'gateway.networking.k8s.io/gateway-name': 'edge', app: 'edge' };
const SIDECAR = { app: 'reviews' };

describe('policy attachment: selector or targetRefs (sidecars and Gateway API gateways)', () => {
  const table: Array<{ name: string; spec: Record<string, unknown>; selector?: Record<string, string>; policyNs?: string; ns?: string; labels: Record<string, string>; want: boolean }> = [
    { name: 'no selector, no targetRefs: a sidecar', spec: {}, labels: SIDECAR, want: true },
    { name: 'a selector that matches the sidecar', spec: {}, selector: { app: 'reviews' }, labels: SIDECAR, want: true },
    { name: 'a selector that does not', spec: {}, selector: { app: 'ratings' }, labels: SIDECAR, want: false },
    { name: 'a selector on a Gateway API gateway (selector policies reach gateways too)', spec: {}, selector: { app: 'edge' }, labels: GATEWAY_POD, want: true },
    { name: 'targetRefs to the Gateway: its gateway', spec: { targetRefs: [GW] }, labels: GATEWAY_POD, want: true },
    { name: 'the older single targetRef', spec: { targetRef: GW }, labels: GATEWAY_POD, want: true },
    { name: 'targetRefs to another Gateway', spec: { targetRefs: [{ ...GW, name: 'other' }] }, labels: GATEWAY_POD, want: false },
    { name: 'one of several targetRefs names it', spec: { targetRefs: [{ ...GW, name: 'other' }, GW] }, labels: GATEWAY_POD, want: true },
    { name: 'targetRefs never reach sidecars', spec: { targetRefs: [GW] }, labels: SIDECAR, want: false },
    { name: 'a policy of another namespace (the root one too) does not attach by targetRef', spec: { targetRefs: [GW] }, policyNs: 'istio-system', labels: GATEWAY_POD, want: false },
    { name: "a reference naming the gateway's namespace", spec: { targetRefs: [{ ...GW, namespace: 'web' }] }, labels: GATEWAY_POD, want: true },
    { name: 'a reference naming another namespace', spec: { targetRefs: [{ ...GW, namespace: 'shop' }] }, labels: GATEWAY_POD, want: false },
    { name: 'a Gateway without its group is not a Gateway API Gateway', spec: { targetRefs: [{ kind: 'Gateway', name: 'edge' }] }, labels: GATEWAY_POD, want: false },
    { name: 'a Service target (waypoints)', spec: { targetRefs: [{ group: '', kind: 'Service', name: 'edge' }] }, labels: GATEWAY_POD, want: false },
    { name: 'a GatewayClass target (waypoints)', spec: { targetRefs: [{ group: GW.group, kind: 'GatewayClass', name: 'istio' }] }, labels: GATEWAY_POD, want: false },
    { name: 'garbage targetRefs attach nowhere and do not throw', spec: { targetRefs: [null, 'x', 5] }, labels: GATEWAY_POD, want: false },
  ];
  for (const c of table) {
    it(c.name, () => {
      expect(policyAttaches(c.spec, c.selector ?? {}, c.policyNs ?? 'web', c.ns ?? 'web', c.labels)).to.equal(c.want);
    });
  }

  it('targetRefsOf: targetRefs, else targetRef, else none', () => {
    expect(targetRefsOf({ targetRefs: [GW], targetRef: { name: 'x' } })).to.deep.equal([GW]);
    expect(targetRefsOf({ targetRef: GW })).to.deep.equal([GW]);
    expect(targetRefsOf({})).to.deep.equal([]);
    expect(targetRefsOf(undefined)).to.deep.equal([]);
  });
});
