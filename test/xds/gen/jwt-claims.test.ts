/**
 * Routing and authorization on JWT claims, as istiod writes them for Envoy's JWT filter: a claim is read from the
 * payload the filter leaves in the request's metadata, and matches when its value, or one element of a list value,
 * matches. A gateway's JWT providers clear the route cache, so that its routes see the claims of the token they
 * verified. Before, a VirtualService's @request.auth.claims match became a header match no request could carry,
 * and an AuthorizationPolicy's request.auth.claims matched list claims only (a plain string claim never).
 */
import { expect } from 'chai';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { GATEWAY, REVIEWS_V1, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

const JWKS = '{"keys":[{"kty":"RSA","e":"AQAB","n":"abc","kid":"k1"}]}';
const CLAIMS = `
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: ingress-jwt, namespace: istio-system }
spec: { selector: { matchLabels: { istio: ingressgateway } }, jwtRules: [{ issuer: "https://idp.example.com", jwks: '${JWKS}' }] }
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: reviews-jwt, namespace: default }
spec: { selector: { matchLabels: { app: reviews } }, jwtRules: [{ issuer: "https://idp.example.com", jwks: '${JWKS}' }] }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: by-claims, namespace: default }
spec:
  hosts: ['*']
  gateways: [bookinfo-gateway]
  http:
  - match:
    - uri: { prefix: /admin }
      headers:
        '@request.auth.claims.group': { exact: admin }
        '@request.auth.claims[sub]': {}
      withoutHeaders:
        '@request.auth.claims[role][level]': { prefix: guest }
    route: [{ destination: { host: reviews, port: { number: 9080 } } }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: admins, namespace: default }
spec:
  selector: { matchLabels: { app: reviews } }
  rules: [{ when: [{ key: 'request.auth.claims[group]', values: [admin] }, { key: request.auth.audiences, values: [bookinfo] }] }]`;

const snap = () => buildSnapshot([...bookinfo('bookinfo-gateway.yaml'), ...yamlObjects(CLAIMS)]);
const gateway = () => proxy(GATEWAY, { LABELS: { istio: 'ingressgateway' } });
/** The payload claim `path` matching `value` (a ValueMatcher), or an element of it when it is a list. */
const claim = (path: string[], value: object) => ({
  filter: 'envoy.filters.http.jwt_authn',
  path: [{ key: 'payload' }, ...path.map((key) => ({ key }))],
  value: { or_match: { value_matchers: [{ list_match: { one_of: value } }, value] } },
});

describe('JWT claims, as istiod matches them', () => {
  it("a gateway route's @request.auth.claims matches (either form, presence, withoutHeaders) read the verified payload", () => {
    const routes = generate(snap(), gateway(), TypeUrls.route);
    expectValid(TypeUrls.route, routes);
    const vh = byName(routes, 'http.8080').virtual_hosts[0];
    const route = vh.routes.find((r: any) => r.match.prefix === '/admin');
    expect(route.match).to.not.have.property('headers');
    expect(route.match.dynamic_metadata).to.deep.equal([
      claim(['group'], { string_match: { exact: 'admin' } }),
      claim(['sub'], { present_match: true }),
      { ...claim(['role', 'level'], { string_match: { prefix: 'guest' } }), invert: true },
    ]);
  });

  it("a gateway's JWT providers clear the route cache (its routes may read the claims); a sidecar's do not", () => {
    const jwt = (listeners: any[]) => JSON.stringify(listeners.map((l) => l.resource)).match(/"clear_route_cache":true/g)?.length ?? 0;
    const gw = generate(snap(), gateway(), TypeUrls.listener);
    expectValid(TypeUrls.listener, gw);
    expect(jwt(gw)).to.be.greaterThan(0);
    const provider = JSON.stringify(gw.map((l) => l.resource));
    expect(provider).to.include('"payload_in_metadata":"payload"');
    expect(jwt(generate(snap(), proxy(REVIEWS_V1), TypeUrls.listener))).to.equal(0);
  });

  it("an AuthorizationPolicy's request.auth.claims and audiences match a string claim as well as a list claim's element", () => {
    const listeners = generate(snap(), proxy(REVIEWS_V1), TypeUrls.listener);
    expectValid(TypeUrls.listener, listeners);
    const chain = byName(listeners, 'virtualInbound').filter_chains.find((c: any) => c.name === 'inbound|9080||');
    const rbac = chain.filters[0].typed_config.http_filters.find((f: any) => f.name === 'envoy.filters.http.rbac.allow');
    const ids = JSON.stringify(rbac.typed_config.rules.policies);
    expect(ids).to.include(JSON.stringify({ metadata: claim(['group'], { string_match: { exact: 'admin' } }) }));
    expect(ids).to.include(JSON.stringify({ metadata: claim(['aud'], { string_match: { exact: 'bookinfo' } }) }));
    expect(ids).to.not.include('"list_match":{"one_of":{"string_match":{"exact":"admin"}}}},"filter"');
  });
});
