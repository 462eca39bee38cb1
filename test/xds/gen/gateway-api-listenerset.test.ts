/**
 * What a Gateway's proxies receive for a ListenerSet of another namespace attached to it: its listener merged onto
 * the Gateway's port, with a virtual host for its hostname routing the HTTPRoute attached to the ListenerSet; a
 * ListenerSet the Gateway does not allow adds nothing. All of it encodes and passes Envoy's validate rules.
 */
import { expect } from 'chai';
import { generate } from '../../../src/xds/gen/index.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { bookinfo, expectValid, proxy, yamlObjects } from './helpers.js';

const CONFIG = (allowed: string) => `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: bookinfo-gateway, namespace: default }
spec:
  gatewayClassName: istio
  allowedListeners: { namespaces: { from: ${allowed} } }
  listeners: [{ name: http, port: 80, protocol: HTTP, hostname: bookinfo.example.com }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: { name: shop, namespace: team-a }
spec:
  parentRef: { name: bookinfo-gateway, namespace: default }
  listeners: [{ name: shop, protocol: HTTP, hostname: shop.example.com }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: shop, namespace: team-a }
spec:
  parentRefs: [{ kind: ListenerSet, name: shop }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: /shop } }], backendRefs: [{ name: productpage, namespace: default, port: 9080 }] }]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: team-a-routes, namespace: default }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: team-a }]
  to: [{ group: '', kind: Service }]
`;
const GATEWAY_POD = proxy('router~10.244.0.30~bookinfo-gateway-istio-7c9d-x1.default~default.svc.cluster.local', { LABELS: { 'gateway.networking.k8s.io/gateway-name': 'bookinfo-gateway' } });

function served(allowed: string): { listeners: string[]; hosts: Record<string, unknown[]> } {
  const snap = buildSnapshot([...bookinfo(), ...yamlObjects(CONFIG(allowed))]);
  const listeners = generate(snap, GATEWAY_POD, TypeUrls.listener);
  const routes = generate(snap, GATEWAY_POD, TypeUrls.route);
  expectValid(TypeUrls.listener, listeners);
  expectValid(TypeUrls.route, routes);
  const hosts: Record<string, unknown[]> = {};
  for (const r of routes) for (const vh of (r.resource as any).virtual_hosts) hosts[vh.domains[0]] = vh.routes.map((x: any) => [x.match, x.route?.cluster]);
  return { listeners: listeners.map((l) => l.name), hosts };
}

describe("Envoy config of a Gateway's proxies from a ListenerSet", () => {
  it("the ListenerSet's hostname is served on the Gateway's port 80 listener, with the route attached to the ListenerSet", () => {
    const { listeners, hosts } = served('All');
    expect(listeners).to.deep.equal(['0.0.0.0_80']);
    expect(Object.keys(hosts)).to.deep.equal(['shop.example.com']);
    expect(hosts['shop.example.com']).to.deep.equal([[{ path_separated_prefix: '/shop' }, 'outbound|9080||productpage.default.svc.cluster.local']]);
  });

  it('a ListenerSet the Gateway does not allow adds nothing (the Gateway keeps its own listener)', () => {
    const { listeners, hosts } = served('Same');
    expect(listeners).to.deep.equal(['0.0.0.0_80']);
    expect(hosts).to.deep.equal({});
  });
});
