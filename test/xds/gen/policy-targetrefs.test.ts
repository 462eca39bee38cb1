/**
 * Policies attached to a Gateway API Gateway by targetRefs, as Istio's docs write them for ingress: an
 * AuthorizationPolicy, a RequestAuthentication and a Telemetry in the Gateway's namespace, each naming the Gateway.
 * They reach the proxies of the gateway mizzen deploys for it (label gateway.networking.k8s.io/gateway-name), and
 * neither the sidecars of that namespace nor the gateway of another Gateway.
 */
import { expect } from 'chai';
import { TypeUrls } from '../../../src/core/constants.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import { generate } from '../../../src/xds/gen/index.js';
import { PRODUCTPAGE, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

const TARGET = '[{ group: gateway.networking.k8s.io, kind: Gateway, name: bookinfo-gateway }]';
const WORLD = yamlObjects(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: bookinfo-gateway, namespace: default }
spec:
  gatewayClassName: istio
  listeners: [{ name: http, port: 80, protocol: HTTP, allowedRoutes: { namespaces: { from: Same } } }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: other-gateway, namespace: default }
spec:
  gatewayClassName: istio
  listeners: [{ name: http, port: 80, protocol: HTTP, allowedRoutes: { namespaces: { from: Same } } }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: bookinfo, namespace: default }
spec:
  parentRefs: [{ name: bookinfo-gateway }, { name: other-gateway }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: / } }], backendRefs: [{ name: productpage, port: 9080 }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: no-admin, namespace: default }
spec:
  targetRefs: ${TARGET}
  action: DENY
  rules: [{ to: [{ operation: { paths: [/admin*] } }] }]
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: tokens, namespace: default }
spec:
  targetRefs: ${TARGET}
  jwtRules: [{ issuer: https://issuer.example.com, jwks: '{"keys":[]}' }]
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: { name: edge-logs, namespace: default }
spec:
  targetRefs: ${TARGET}
  accessLogging: [{ providers: [{ name: envoy }] }]
`);

const gatewayOf = (name: string, ip: string) => proxy(`router~${ip}~${name}-istio-5d8f-x1.default~default.svc.cluster.local`, { LABELS: { 'gateway.networking.k8s.io/gateway-name': name } });

// The Telemetry's provider: a file access log, as Istio's default install defines `envoy`.
const mesh = resolveMeshConfig({ extensionProviders: [{ name: 'envoy', envoyFileAccessLog: { path: '/dev/stdout' } }] });
if (!mesh.ok) throw new Error(mesh.errors.join('; '));
const snapshot = () => buildSnapshot([...bookinfo(), ...WORLD], snapshotOptions(mesh.value));

function httpFilters(p: ReturnType<typeof proxy>, listener: string): { names: string[]; hcm: any } {
  const listeners = generate(snapshot(), p, TypeUrls.listener);
  expectValid(TypeUrls.listener, listeners);
  const hcm = byName(listeners, listener).filter_chains.flatMap((c: any) => c.filters).find((f: any) => f.name === 'envoy.filters.network.http_connection_manager').typed_config;
  return { names: hcm.http_filters.map((f: any) => f.name), hcm };
}

describe('policies attached to a Gateway API Gateway by targetRefs', () => {
  it("reach the Gateway's own gateway: token check, then the DENY policy, and its access log", () => {
    const { names, hcm } = httpFilters(gatewayOf('bookinfo-gateway', '10.244.0.50'), '0.0.0.0_80');
    expect(names).to.include.members(['envoy.filters.http.jwt_authn', 'envoy.filters.http.rbac.deny']);
    expect(names.indexOf('envoy.filters.http.jwt_authn')).to.be.lessThan(names.indexOf('envoy.filters.http.rbac.deny'));
    expect(hcm.access_log, 'the Telemetry').to.have.length.greaterThan(0);
  });

  it("do not reach another Gateway's gateway, nor the sidecars of the namespace", () => {
    const other = httpFilters(gatewayOf('other-gateway', '10.244.0.51'), '0.0.0.0_80');
    expect(other.names).to.not.include.members(['envoy.filters.http.jwt_authn']);
    expect(other.names).to.not.include('envoy.filters.http.rbac.deny');
    expect(other.hcm.access_log ?? []).to.deep.equal([]);
    const listeners = generate(snapshot(), proxy(PRODUCTPAGE), TypeUrls.listener);
    const text = JSON.stringify(byName(listeners, 'virtualInbound'));
    expect(text).to.not.contain('rbac.deny');
    expect(text).to.not.contain('jwt_authn');
  });
});
