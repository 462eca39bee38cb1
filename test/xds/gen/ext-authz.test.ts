/**
 * AuthorizationPolicy action CUSTOM with the mesh config's envoyExtAuthzHttp / envoyExtAuthzGrpc providers:
 * the requests the policies match are checked by the external service (Envoy's ext_authz), as istiod builds it.
 */
import { expect } from 'chai';
import { generate } from '../../../src/xds/gen/index.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { GATEWAY, PRODUCTPAGE, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

const AUTHZ_SERVICES = `
apiVersion: v1
kind: Service
metadata: { name: ext-authz, namespace: foo }
spec: { selector: { app: ext-authz }, ports: [{ name: http, port: 8000 }, { name: grpc, port: 9000 }] }`;

const PROVIDERS = [
  {
    name: 'sample-ext-authz-http',
    envoyExtAuthzHttp: {
      service: 'ext-authz.foo.svc.cluster.local',
      port: 8000,
      includeRequestHeadersInCheck: ['x-ext-authz', 'x-user-*'],
      headersToUpstreamOnAllow: ['x-ext-authz-check-result'],
      headersToDownstreamOnDeny: ['x-ext-authz-check-result', '*-reason'],
      includeAdditionalHeadersInCheck: { 'x-mesh': 'mizzen' },
      timeout: '2s',
      statusOnError: '503',
      pathPrefix: '/check',
    },
  },
  { name: 'sample-ext-authz-grpc', envoyExtAuthzGrpc: { service: 'foo/ext-authz', port: 9000, failOpen: true, includeRequestBodyInCheck: { maxRequestBytes: 4096, packAsBytes: true } } },
  { name: 'nowhere', envoyExtAuthzHttp: { service: 'ghost.foo.svc.cluster.local', port: 8000 } },
];

const custom = (name: string, provider: string, extra = '') => `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ${name} }
spec:
  selector: { matchLabels: { app: productpage } }
  action: CUSTOM
  provider: { name: ${provider} }
  rules: [{ to: [{ operation: { paths: ['/headers'] } }] }]${extra}`;

function inbound(yaml: string, id = PRODUCTPAGE): { http: any[]; tcp: any[] } {
  const mesh = resolveMeshConfig({ extensionProviders: PROVIDERS });
  if (!mesh.ok) throw new Error(mesh.errors.join());
  const snap = buildSnapshot([...bookinfo('bookinfo-gateway.yaml'), ...yamlObjects(AUTHZ_SERVICES), ...yamlObjects(yaml)], snapshotOptions(mesh.value));
  const listeners = generate(snap, proxy(id), TypeUrls.listener);
  expectValid(TypeUrls.listener, listeners);
  const chains = id === GATEWAY ? listeners.flatMap((l: any) => l.resource.filter_chains) : byName(listeners, 'virtualInbound').filter_chains;
  const http = chains.find((c: any) => c.filters[0].name === 'envoy.filters.network.http_connection_manager')?.filters[0].typed_config.http_filters ?? [];
  const tcp = id === GATEWAY ? [] : chains.find((c: any) => c.name === 'virtualInbound-catchall-tcp').filters;
  return { http, tcp };
}

describe('AuthorizationPolicy CUSTOM: external authorization', () => {
  it("an HTTP provider: a shadow RBAC filter marks the matched requests, ext_authz checks them (Istio's ext-authz sample)", () => {
    const { http, tcp } = inbound(custom('ext', 'sample-ext-authz-http'));
    expect(http.map((f: any) => f.name).slice(0, 2)).to.deep.equal(['envoy.filters.http.rbac.custom', 'envoy.filters.http.ext_authz']);
    const rbac = http[0].typed_config;
    expect(rbac.rules, 'never enforced').to.equal(undefined);
    expect(rbac.shadow_rules_stat_prefix).to.equal('istio_ext_authz_');
    expect(Object.keys(rbac.shadow_rules.policies)).to.deep.equal(['istio-ext-authz-sample-ext-authz-http-ns[default]-policy[ext]-rule[0]']);
    const ext = http[1].typed_config;
    expect(ext.http_service).to.deep.equal({
      server_uri: { uri: 'http://ext-authz.foo.svc.cluster.local', cluster: 'outbound|8000||ext-authz.foo.svc.cluster.local', timeout: { seconds: 2, nanos: 0 } },
      path_prefix: '/check',
      authorization_request: { headers_to_add: [{ key: 'x-mesh', value: 'mizzen' }] },
      authorization_response: {
        allowed_upstream_headers: { patterns: [{ exact: 'x-ext-authz-check-result', ignore_case: true }] },
        allowed_client_headers: { patterns: [{ exact: 'x-ext-authz-check-result', ignore_case: true }, { suffix: '-reason', ignore_case: true }] },
      },
    });
    expect(ext.allowed_headers).to.deep.equal({ patterns: [{ exact: 'x-ext-authz', ignore_case: true }, { prefix: 'x-user-', ignore_case: true }] });
    expect(ext.status_on_error).to.deep.equal({ code: 503 });
    expect(ext.filter_enabled_metadata).to.deep.equal({
      filter: 'envoy.filters.http.rbac',
      path: [{ key: 'istio_ext_authz_shadow_effective_policy_id' }],
      value: { string_match: { prefix: 'istio-ext-authz-sample-ext-authz-http' } },
    });
    expect(http.map((f: any) => f.name), 'nothing denied outright').to.not.include('envoy.filters.http.rbac.deny');
    // An HTTP service cannot check TCP connections: on TCP chains the policy denies, as in Istio.
    expect(tcp.map((f: any) => f.name)).to.deep.equal(['envoy.filters.network.rbac.deny', 'envoy.filters.network.tcp_proxy']);
    expect(Object.keys(tcp[0].typed_config.rules.policies)).to.deep.equal(['ns[default]-policy[ext]-rule[0]-deny-due-to-bad-CUSTOM-action']);
  });

  it('a gRPC provider checks HTTP requests and TCP connections; CUSTOM comes before DENY and ALLOW', () => {
    const deny = `
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-admin }
spec: { selector: { matchLabels: { app: productpage } }, action: DENY, rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] }`;
    const { http, tcp } = inbound(custom('ext', 'sample-ext-authz-grpc') + deny);
    expect(http.map((f: any) => f.name).slice(0, 3)).to.deep.equal(['envoy.filters.http.rbac.custom', 'envoy.filters.http.ext_authz', 'envoy.filters.http.rbac.deny']);
    const ext = http[1].typed_config;
    expect(ext.grpc_service).to.deep.equal({ envoy_grpc: { cluster_name: 'outbound|9000||ext-authz.foo.svc.cluster.local', authority: 'ext-authz.foo.svc.cluster.local' }, timeout: { seconds: 600, nanos: 0 } });
    expect(ext.failure_mode_allow).to.equal(true);
    expect(ext.with_request_body).to.deep.equal({ max_request_bytes: 4096, allow_partial_message: false, pack_as_bytes: true });
    expect(tcp.map((f: any) => f.name)).to.deep.equal(['envoy.filters.network.rbac.custom', 'envoy.filters.network.ext_authz', 'envoy.filters.network.rbac.deny', 'envoy.filters.network.tcp_proxy']);
    expect(tcp[1].typed_config.filter_enabled_metadata.filter).to.equal('envoy.filters.network.rbac');
  });

  it('an unknown provider, a provider whose service the proxy does not see, or two providers on one workload: the matched requests are denied', () => {
    for (const yaml of [custom('ext', 'opa'), custom('ext', 'nowhere'), custom('a', 'sample-ext-authz-http') + '\n---' + custom('b', 'sample-ext-authz-grpc')]) {
      const { http } = inbound(yaml);
      expect(http.map((f: any) => f.name)).to.not.include('envoy.filters.http.ext_authz');
      expect(Object.keys(http[0].typed_config.rules.policies).every((n) => n.endsWith('-deny-due-to-bad-CUSTOM-action'))).to.equal(true);
    }
  });

  it('gateways check too; proxyless gRPC servers have no ext_authz, so they deny', () => {
    const gw = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ext, namespace: istio-system }
spec:
  selector: { matchLabels: { istio: ingressgateway } }
  action: CUSTOM
  provider: { name: sample-ext-authz-http }
  rules: [{ to: [{ operation: { paths: ['/productpage'] } }] }]`;
    expect(inbound(gw, GATEWAY).http.map((f: any) => f.name)).to.include('envoy.filters.http.ext_authz');
    const mesh = resolveMeshConfig({ extensionProviders: PROVIDERS });
    if (!mesh.ok) throw new Error(mesh.errors.join());
    const snap = buildSnapshot([...bookinfo(), ...yamlObjects(AUTHZ_SERVICES), ...yamlObjects(custom('ext', 'sample-ext-authz-grpc'))], snapshotOptions(mesh.value));
    const grpc = JSON.stringify(generate(snap, proxy(PRODUCTPAGE, { GENERATOR: 'grpc' }), TypeUrls.listener, ['xds.istio.io/grpc/lds/inbound/10.244.0.16:9080']));
    expect(grpc).to.not.include('ext_authz');
    expect(grpc).to.include('deny-due-to-bad-CUSTOM-action');
  });
});

describe('mesh config: envoyExtAuthzHttp and envoyExtAuthzGrpc providers', () => {
  it('are checked field by field', () => {
    const r = resolveMeshConfig({
      extensionProviders: [
        { name: 'a', envoyExtAuthzHttp: { service: '', port: 0, timeout: 'soon', statusOnError: 'five', pathPrefix: 'check', includeRequestHeadersInCheck: ['*'], typo: 1 } },
        { name: 'b', envoyExtAuthzGrpc: { service: 's', port: 9000, pathPrefix: '/x', includeRequestBodyInCheck: { maxRequestBytes: 0 } } },
      ],
    });
    expect(r.ok).to.equal(false);
    if (r.ok) return;
    expect(r.errors).to.have.members([
      'extensionProviders[0].envoyExtAuthzHttp.typo: unknown field',
      "extensionProviders[0].envoyExtAuthzHttp.service: required, the authorization service's host (e.g. ext-authz.foo.svc.cluster.local or foo/ext-authz)",
      'extensionProviders[0].envoyExtAuthzHttp.port: required, a port from 1 to 65535',
      'extensionProviders[0].envoyExtAuthzHttp.timeout: must be a positive duration like 1s',
      'extensionProviders[0].envoyExtAuthzHttp.statusOnError: must be an HTTP status code as text, like "503"',
      'extensionProviders[0].envoyExtAuthzHttp.pathPrefix: must begin with /',
      'extensionProviders[0].envoyExtAuthzHttp.includeRequestHeadersInCheck: a lone "*" is not supported: use a prefix ("x-*") or a suffix ("*-id")',
      'extensionProviders[1].envoyExtAuthzGrpc.pathPrefix: unknown field',
      'extensionProviders[1].envoyExtAuthzGrpc.includeRequestBodyInCheck.maxRequestBytes: must be a whole number above 0',
    ]);
  });
});
