/** RequestAuthentication → the jwt_authn filter: which policies, what a rule becomes, where the filter goes. */
import { expect } from 'chai';
import { buildSnapshot, updateSnapshot } from '../../../src/model/snapshot.js';
import { objectKey } from '../../../src/core/kube.js';
import { generate } from '../../../src/xds/gen/index.js';
import { generateGrpc } from '../../../src/xds/gen/grpc/index.js';
import { jwtFilterOf, jwksCluster } from '../../../src/xds/gen/jwt.js';
import { TypeUrls, GrpcXds } from '../../../src/core/constants.js';
import { GATEWAY, REVIEWS_V1, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

const JWKS = '{"keys":[{"kty":"RSA","e":"AQAB","n":"abc","kid":"k1"}]}';

const ra = (name: string, spec: string, namespace = 'default') => `
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: ${name}, namespace: ${namespace} }
spec: ${spec}`;

const snapshotOf = (...docs: string[]) => buildSnapshot([...bookinfo('bookinfo-gateway.yaml'), ...docs.flatMap((d) => yamlObjects(d))]);
const inboundHttpFilters = (snap: ReturnType<typeof snapshotOf>, node = REVIEWS_V1): any[] => {
  const listeners = generate(snap, proxy(node), TypeUrls.listener);
  expectValid(TypeUrls.listener, listeners);
  const chain = byName(listeners, 'virtualInbound').filter_chains.find((c: any) => c.name === 'inbound|9080||');
  return chain.filters[0].typed_config.http_filters;
};
const jwtConfig = (filters: any[]): any => filters.find((f) => f.name === 'envoy.filters.http.jwt_authn')?.typed_config;

describe('RequestAuthentication → jwt_authn', () => {
  it('a selected workload checks tokens first, before RBAC and the router; a request without a token passes', () => {
    const snap = snapshotOf(
      ra('reviews-jwt', `{ selector: { matchLabels: { app: reviews } }, jwtRules: [{ issuer: "https://idp.example.com", audiences: [bookinfo], jwks: '${JWKS}', forwardOriginalToken: true, fromHeaders: [{ name: x-token, prefix: "Bearer " }], fromParams: [tok], fromCookies: [session], outputPayloadToHeader: x-payload, outputClaimToHeaders: [{ header: x-sub, claim: sub }], spaceDelimitedClaims: [roles] }] }`),
      `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: need-token, namespace: default }
spec: { selector: { matchLabels: { app: reviews } }, rules: [{ from: [{ source: { requestPrincipals: ["*"] } }] }] }`,
    );
    const filters = inboundHttpFilters(snap);
    expect(filters.map((f) => f.name).slice(0, 2)).to.deep.equal(['envoy.filters.http.jwt_authn', 'envoy.filters.http.rbac.allow']);
    const cfg = jwtConfig(filters);
    expect(cfg.providers['origins-0']).to.deep.equal({
      issuer: 'https://idp.example.com',
      audiences: ['bookinfo'],
      local_jwks: { inline_string: JWKS },
      forward: true,
      from_headers: [{ name: 'x-token', value_prefix: 'Bearer ' }],
      from_params: ['tok'],
      from_cookies: ['session'],
      forward_payload_header: 'x-payload',
      claim_to_headers: [{ header_name: 'x-sub', claim_name: 'sub' }],
      payload_in_metadata: 'payload',
      normalize_payload_in_metadata: { space_delimited_claims: ['scope', 'permission', 'roles'] },
    });
    expect(cfg.rules).to.deep.equal([{ match: { prefix: '/' }, requires: { requires_any: { requirements: [{ provider_name: 'origins-0' }, { allow_missing: {} }] } } }]);
    expect(cfg.bypass_cors_preflight).to.equal(true);
    // The RBAC filter reads the payload where the JWT filter leaves it.
    const rbac = JSON.stringify(filters[1]);
    expect(rbac).to.include('"filter":"envoy.filters.http.jwt_authn"').and.include('"key":"payload"');
  });

  it('several rules (mesh-wide and namespace policies): any one provider, or every provider satisfied-or-missing', () => {
    const snap = snapshotOf(ra('mesh', `{ jwtRules: [{ issuer: a, jwks: '${JWKS}' }] }`, 'istio-system'), ra('ns', `{ jwtRules: [{ issuer: b, jwks: '${JWKS}' }] }`));
    const cfg = jwtConfig(inboundHttpFilters(snap));
    expect(Object.keys(cfg.providers)).to.deep.equal(['origins-0', 'origins-1']);
    expect(cfg.providers['origins-0'].issuer).to.equal('b'); // the workload's namespace first, then the root's (policiesFor's order)
    const orMissing = (p: string) => ({ requires_any: { requirements: [{ provider_name: p }, { allow_missing: {} }] } });
    expect(cfg.rules[0].requires).to.deep.equal({
      requires_any: { requirements: [{ provider_name: 'origins-0' }, { provider_name: 'origins-1' }, { requires_all: { requirements: [orMissing('origins-0'), orMissing('origins-1')] } }] },
    });
  });

  it('jwksUri: Envoy fetches the keys through the registry service that hosts them; outside the registry no token verifies', () => {
    const se = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: idp, namespace: default }
spec: { hosts: [idp.example.com], ports: [{ number: 443, name: https, protocol: TLS }], resolution: DNS, location: MESH_EXTERNAL }`;
    const rule = (uri: string, timeout = '') => ra('r', `{ jwtRules: [{ issuer: i, jwksUri: "${uri}"${timeout ? `, timeout: ${timeout}` : ''} }] }`);
    const fetched = jwtConfig(inboundHttpFilters(snapshotOf(se, rule('https://idp.example.com/keys', '2s')))).providers['origins-0'];
    expect(fetched.remote_jwks).to.deep.equal({
      http_uri: { uri: 'https://idp.example.com/keys', cluster: 'outbound|443||idp.example.com', timeout: { seconds: 2, nanos: 0 } },
      cache_duration: { seconds: 300 },
    });
    const unknown = jwtConfig(inboundHttpFilters(snapshotOf(rule('https://elsewhere.example.com/keys')))).providers['origins-0'];
    expect(unknown).to.not.have.property('remote_jwks');
    expect(JSON.parse(unknown.local_jwks.inline_string).keys[0].kid).to.equal('mizzen-no-keys');
    const none = jwtConfig(inboundHttpFilters(snapshotOf(ra('r', '{ jwtRules: [{ issuer: i }] }')))).providers['origins-0'];
    expect(JSON.parse(none.local_jwks.inline_string).keys[0].kid).to.equal('mizzen-no-keys');
    // An inline key set that does not parse (validation refuses it; a file source may still carry it).
    const broken = jwtConfig(inboundHttpFilters(snapshotOf(ra('r', "{ jwtRules: [{ issuer: i, jwks: '{nope' }] }")))).providers['origins-0'];
    expect(JSON.parse(broken.local_jwks.inline_string).keys[0].kid).to.equal('mizzen-no-keys');
  });

  it('jwksCluster: registry host and port, default ports by scheme, nothing for a bad URI', () => {
    const snap = snapshotOf();
    expect(jwksCluster(snap, 'http://reviews.default.svc.cluster.local:9080/jwks', 'default')).to.equal('outbound|9080||reviews.default.svc.cluster.local');
    expect(jwksCluster(snap, 'http://reviews.default.svc.cluster.local/jwks', 'default')).to.equal(undefined);
    expect(jwksCluster(snap, 'not a url', 'default')).to.equal(undefined);
  });

  it('guards the ingress gateway a policy selects, on every HTTP server', () => {
    const snap = snapshotOf(ra('edge', `{ selector: { matchLabels: { istio: ingressgateway } }, jwtRules: [{ issuer: i, jwks: '${JWKS}' }] }`, 'istio-system'));
    const listeners = generate(snap, proxy(GATEWAY), TypeUrls.listener);
    expectValid(TypeUrls.listener, listeners);
    const hcm = byName(listeners, '0.0.0.0_8080').filter_chains[0].filters[0].typed_config;
    expect(hcm.http_filters[0].name).to.equal('envoy.filters.http.jwt_authn');
    // Not the sidecars: the policy selects the gateway only.
    expect(jwtConfig(inboundHttpFilters(snap))).to.equal(undefined);
  });

  it('policies of other namespaces, other workloads, or without rules add no filter', () => {
    for (const doc of [ra('x', `{ jwtRules: [{ issuer: i, jwks: '${JWKS}' }] }`, 'shop'), ra('y', `{ selector: { matchLabels: { app: ratings } }, jwtRules: [{ issuer: i, jwks: '${JWKS}' }] }`), ra('z', '{}')]) {
      expect(inboundHttpFilters(snapshotOf(doc)).map((f) => f.name)).to.not.include('envoy.filters.http.jwt_authn');
    }
  });

  it('proxyless gRPC servers get no JWT filter (gRPC has none and would refuse the listener)', () => {
    const snap = snapshotOf(ra('all', `{ jwtRules: [{ issuer: i, jwks: '${JWKS}' }] }`));
    const [l] = generateGrpc(snap, proxy('sidecar~10.244.0.13~reviews-v1.default~default.svc.cluster.local', { GENERATOR: 'grpc' }), TypeUrls.listener, [`${GrpcXds.serverListenerPrefix}10.244.0.13:9080`]);
    expect(JSON.stringify(l!.resource)).to.not.include('jwt_authn');
  });

  it('follows an edited policy in an incremental snapshot, and the registry when a ServiceEntry for the keys appears', () => {
    const v1 = yamlObjects(ra('p', '{ jwtRules: [{ issuer: first, jwksUri: "https://idp.example.com/keys" }] }'));
    const v2 = yamlObjects(ra('p', '{ jwtRules: [{ issuer: second, jwksUri: "https://idp.example.com/keys" }] }'));
    const se = yamlObjects(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: idp, namespace: default }
spec: { hosts: [idp.example.com], ports: [{ number: 443, name: https, protocol: TLS }], resolution: DNS }`);
    const first = buildSnapshot([...bookinfo(), ...v1]);
    const provider = (snap: typeof first) => jwtConfig(inboundHttpFilters(snap)).providers['origins-0'];
    expect(provider(first)).to.include({ issuer: 'first' }).and.not.have.property('remote_jwks');
    const second = updateSnapshot(first, [...bookinfo(), ...v2], [objectKey(v2[0]!)]);
    expect(provider(second).issuer).to.equal('second');
    const third = updateSnapshot(second, [...bookinfo(), ...v2, ...se], [objectKey(se[0]!)]);
    expect(provider(third).remote_jwks.http_uri.cluster).to.equal('outbound|443||idp.example.com');
  });

  it('garbage never throws, and what it yields still passes Envoy’s rules', () => {
    const snap = snapshotOf(ra('g', '{ jwtRules: [null, 5, { issuer: 7, audiences: x, fromHeaders: [null, { prefix: 1 }], outputClaimToHeaders: [{ header: 5 }], timeout: soon, jwksUri: 9 }] }'));
    const cfg = jwtConfig(inboundHttpFilters(snap));
    expect(Object.keys(cfg.providers)).to.deep.equal(['origins-0']);
    expect(jwtFilterOf(snap, [], 'default')).to.equal(undefined);
  });
});
