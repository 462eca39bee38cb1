/**
 * Configs nobody should write, as the Kubernetes source may still hold them (admitted before mizzen's webhook, or
 * past another one): malformed AuthorizationPolicies, RequestAuthentications, PeerAuthentications, Sidecars,
 * DestinationRules (selectors, tls, subsets) and delegating VirtualServices never make a generator throw, and
 * what comes out stays valid for Envoy (PGV) and for gRPC.
 */
import { expect } from 'chai';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { TypeUrls, GrpcXds } from '../../../src/core/constants.js';
import { ENVOY_TYPES, GATEWAY, PRODUCTPAGE, REVIEWS_V1, bookinfo, expectValid, proxy, yamlObjects } from './helpers.js';
import { grpcDecode } from './grpc/grpc-accepts.js';
import { certMetadata } from '../../../src/bootstrap/envoy.js';

const GARBAGE = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: a1, namespace: default }
spec: { action: 7, rules: x }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: a2, namespace: default }
spec:
  selector: { matchLabels: 5 }
  rules: [null, 5, { from: 3, to: [null, { operation: 2 }], when: [{ key: 5 }, { key: source.ip, values: [1, "300.1.1.1/99", "::1/200"] }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: a3, namespace: istio-system }
spec:
  action: DENY
  rules: [{ from: [{ source: { ipBlocks: [x], principals: [5, "*"], namespaces: "ns" } }], to: [{ operation: { ports: ["0", "70000", "x"], paths: ["{*}", "/a{**}"], hosts: [""] } }] }]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: s1, namespace: default }
spec: { workloadSelector: { labels: [] }, egress: [null, { hosts: [5, "/", "a/b/c", "~/"], port: { number: x } }], outboundTrafficPolicy: { mode: 9 } }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: root, namespace: default }
spec: { hosts: [reviews], http: [{ delegate: 5 }, { delegate: { name: d } , match: 7 }, { delegate: { name: d, namespace: 3 } }, null] }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: d, namespace: default }
spec: { http: [null, 5, { match: [null, { uri: 7 }], route: x }, { route: [{ destination: { host: 9 } }], mirrors: 3 }] }
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: r1, namespace: default }
spec: { selector: { matchLabels: 3 }, jwtRules: [null, 7, { issuer: [], jwks: 5, jwksUri: "::", fromHeaders: x, fromParams: [1], outputClaimToHeaders: [null, { header: 1, claim: [] }], timeout: -3s, spaceDelimitedClaims: x }] }
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: r2, namespace: istio-system }
spec: { jwtRules: x }
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: p1, namespace: default }
spec: { selector: { matchLabels: [] }, mtls: { mode: [] }, portLevelMtls: { "x": 5, "9080": { mode: STRICT } } }
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: p2, namespace: istio-system }
spec: { mtls: 4 }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: dr1, namespace: default }
spec: { host: reviews, workloadSelector: { matchLabels: 5 }, trafficPolicy: { tls: { mode: [] } }, subsets: [null, 4, { name: 7 }, { name: v1, labels: x }] }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: dr2, namespace: default }
spec: { host: reviews, workloadSelector: 5, trafficPolicy: { tls: { mode: ISTIO_MUTUAL } }, subsets: x }
`;

describe('malformed security, scope and delegation configs', () => {
  const snap = buildSnapshot([...bookinfo('bookinfo-gateway.yaml'), ...yamlObjects(GARBAGE)]);
  it('holds the configs (the test is not vacuous), and the readable parts still apply', () => {
    expect(snap.authorizationPolicies.map((p) => p.name).sort()).to.deep.equal(['a1', 'a2', 'a3']);
    expect(snap.requestAuthentications.map((p) => p.name).sort()).to.deep.equal(['r1', 'r2']);
    expect(snap.peerAuthentications.map((p) => p.name).sort()).to.deep.equal(['p1', 'p2']);
    expect(snap.destinationRules.map((p) => p.name)).to.include.members(['dr1', 'dr2']);
    expect(snap.sidecars.map((p) => p.name)).to.deep.equal(['s1']);
    // a3 (root namespace, DENY) guards every inbound chain; its unreadable values are left out, not thrown.
    const inbound = generate(snap, proxy(REVIEWS_V1), TypeUrls.listener).find((l) => l.name === 'virtualInbound')!.resource as any;
    expect(JSON.stringify(inbound)).to.include('ns[istio-system]-policy[a3]-rule[0]');
  });
  for (const id of [PRODUCTPAGE, REVIEWS_V1, GATEWAY]) {
    it(`${id.split('~')[0]} ${id.split('~')[2]}: every Envoy type generates, valid`, () => {
      for (const t of ENVOY_TYPES) expectValid(t, generate(snap, proxy(id), t));
    });
    it(`${id.split('~')[0]} ${id.split('~')[2]} with mesh certificates (mTLS in play): every Envoy type and SDS generates, valid`, () => {
      const withCerts = proxy(id, { ...certMetadata('/etc/certs'), ...(id === GATEWAY ? { LABELS: { istio: 'ingressgateway' } } : {}) });
      for (const t of [...ENVOY_TYPES, TypeUrls.secret]) expectValid(t, generate(snap, withCerts, t));
    });
  }
  it('proxyless gRPC clients and servers: every type generates, and gRPC accepts it', () => {
    const node = proxy(REVIEWS_V1, { GENERATOR: 'grpc' });
    for (const t of ENVOY_TYPES) {
      const names = t === TypeUrls.listener ? ['reviews:9080', `${GrpcXds.serverListenerPrefix}10.244.0.13:9080`] : undefined;
      for (const r of generate(snap, node, t, names)) expect(grpcDecode(t, r.resource).error, r.name).to.equal(undefined);
    }
  });
});
