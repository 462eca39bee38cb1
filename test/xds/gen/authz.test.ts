/** AuthorizationPolicy → RBAC: which policies apply, what one rule becomes (HTTP and TCP), and where the filters go. */
import { expect } from 'chai';
import { buildSnapshot, updateSnapshot } from '../../../src/model/snapshot.js';
import { objectKey } from '../../../src/core/kube.js';
import { generate } from '../../../src/xds/gen/index.js';
import { policiesFor, rulePolicy } from '../../../src/xds/gen/authz.js';
import { ROOT_NAMESPACES, TypeUrls, GrpcXds } from '../../../src/core/constants.js';
import type { Config } from '../../../src/model/types.js';
import { GATEWAY, REVIEWS_V1, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';
import { grpcDecode } from './grpc/grpc-accepts.js';

const cfg = (name: string, namespace: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}): Config =>
  ({ kind: 'AuthorizationPolicy', apiVersion: 'security.istio.io/v1', name, namespace, labels: {}, annotations, revision: 1, spec }) as Config;

const yaml = (name: string, spec: string, namespace = 'default') => `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ${name}, namespace: ${namespace} }
spec: ${spec}`;

const inbound = (...docs: string[]) => byName(generate(buildSnapshot([...bookinfo(), ...docs.flatMap((d) => yamlObjects(d))]), proxy(REVIEWS_V1), TypeUrls.listener), 'virtualInbound');
const chainFilters = (listener: any, name: string): any[] => listener.filter_chains.find((c: any) => c.name === name).filters;

describe('AuthorizationPolicy → RBAC', () => {
  it('applies the root namespace and own namespace policies whose selector matches, not dry-run or targetRef ones', () => {
    const all = [
      cfg('mesh-wide', 'istio-system', {}),
      cfg('mesh-selecting', 'istio-system', { selector: { matchLabels: { app: 'reviews' } } }),
      cfg('ns-wide', 'default', {}),
      cfg('for-reviews', 'default', { selector: { matchLabels: { app: 'reviews' } } }),
      cfg('for-ratings', 'default', { selector: { matchLabels: { app: 'ratings' } } }),
      cfg('elsewhere', 'shop', {}),
      cfg('dry', 'default', {}, { 'istio.io/dry-run': 'true' }),
      cfg('waypoint', 'default', { targetRefs: [{ kind: 'Gateway', name: 'w' }] }),
    ];
    expect(policiesFor(all, 'default', { app: 'reviews' }, ROOT_NAMESPACES).map((p) => p.name)).to.deep.equal(['for-reviews', 'ns-wide', 'mesh-selecting', 'mesh-wide']);
  });

  it('turns one rule into a policy: to → permissions, from → principals, when split by side, not-values negated', () => {
    const rule = {
      from: [{ source: { principals: ['cluster.local/ns/default/sa/productpage'], notIpBlocks: ['10.0.0.0/8'] } }],
      to: [{ operation: { methods: ['GET', 'HEAD'], paths: ['/api/*'], notPorts: ['8443'] } }],
      when: [
        { key: 'request.headers[x-env]', values: ['prod'] },
        { key: 'destination.port', values: ['9080'] },
      ],
    };
    expect(rulePolicy(rule, 'default', false, 'ALLOW')).to.deep.equal({
      permissions: [
        {
          and_rules: {
            rules: [
              { or_rules: { rules: [{ header: { name: ':method', string_match: { exact: 'GET' } } }, { header: { name: ':method', string_match: { exact: 'HEAD' } } }] } },
              { or_rules: { rules: [{ url_path: { path: { prefix: '/api/' } } }] } },
              { not_rule: { or_rules: { rules: [{ destination_port: 8443 }] } } },
              { or_rules: { rules: [{ destination_port: 9080 }] } },
            ],
          },
        },
      ],
      principals: [
        {
          and_ids: {
            ids: [
              { or_ids: { ids: [{ authenticated: { principal_name: { exact: 'spiffe://cluster.local/ns/default/sa/productpage' } } }] } },
              { not_id: { or_ids: { ids: [{ direct_remote_ip: { address_prefix: '10.0.0.0', prefix_len: { value: 8 } } }] } } },
              { or_ids: { ids: [{ header: { name: 'x-env', string_match: { exact: 'prod' } } }] } },
            ],
          },
        },
      ],
    });
  });

  it('string forms as Istio writes them: * any, prefixes, suffixes, namespaces, hosts ignoring case, path templates', () => {
    const p = rulePolicy(
      { from: [{ source: { principals: ['*', '*/sa/web'], namespaces: ['team-*'] } }], to: [{ operation: { hosts: ['*.example.com'], paths: ['/v1/{*}/items/{**}'] } }] },
      'default',
      false,
      'ALLOW',
    )!;
    const text = JSON.stringify(p);
    expect(text).to.include('{"safe_regex":{"regex":".+"}}');
    expect(text).to.include('{"safe_regex":{"regex":"spiffe://.*/sa/web"}}');
    expect(text).to.include('{"safe_regex":{"regex":".*/ns/team-.*/.*"}}');
    expect(text).to.include('{"name":":authority","string_match":{"suffix":".example.com","ignore_case":true}}');
    expect(text).to.include('{"safe_regex":{"regex":"/v1/[^/]+/items/.*"}}');
  });

  it('on TCP, an ALLOW rule with an HTTP-only field is dropped, a DENY rule loses the field; unknown keys drop the rule', () => {
    const rule = { to: [{ operation: { paths: ['/admin'], ports: ['9080'] } }] };
    expect(rulePolicy(rule, 'default', true, 'ALLOW')).to.equal(undefined);
    expect(rulePolicy(rule, 'default', true, 'DENY')).to.deep.equal({
      permissions: [{ and_rules: { rules: [{ or_rules: { rules: [{ destination_port: 9080 }] } }] } }],
      principals: [{ and_ids: { ids: [{ any: true }] } }],
    });
    expect(rulePolicy({ when: [{ key: 'request.magic', values: ['x'] }] }, 'default', false, 'DENY')).to.equal(undefined);
    expect(rulePolicy({ from: [{ source: { ipBlocks: ['not-an-ip'] } }] }, 'default', false, 'ALLOW')).to.equal(undefined);
  });

  it('puts DENY then ALLOW filters first on every inbound chain: HTTP, TCP and the passthrough; the output stays valid', () => {
    const l = inbound(
      yaml('deny-admin', '{ action: DENY, rules: [{ to: [{ operation: { paths: [/admin] } }] }] }'),
      yaml('allow-get', '{ rules: [{ to: [{ operation: { methods: [GET] } }] }] }'),
    );
    const http = chainFilters(l, 'inbound|9080||')[0].typed_config.http_filters.map((f: any) => f.name);
    expect(http.slice(0, 2)).to.deep.equal(['envoy.filters.http.rbac.deny', 'envoy.filters.http.rbac.allow']);
    expect(http.at(-1)).to.equal('envoy.filters.http.router');
    const tcp = chainFilters(l, 'virtualInbound-catchall-tcp').map((f: any) => f.name);
    // The DENY rule's path cannot be checked on TCP, so it denies every connection; the ALLOW rule's method is dropped.
    expect(tcp).to.deep.equal(['envoy.filters.network.rbac.deny', 'envoy.filters.network.rbac.allow', 'envoy.filters.network.tcp_proxy']);
    const tcpDeny = chainFilters(l, 'virtualInbound-catchall-tcp')[0].typed_config.rules;
    expect(tcpDeny.policies['ns[default]-policy[deny-admin]-rule[0]'].permissions).to.deep.equal([{ and_rules: { rules: [{ any: true }] } }]);
    expect(chainFilters(l, 'virtualInbound-catchall-tcp')[1].typed_config.rules.policies).to.deep.equal({});
    expectValid(TypeUrls.listener, [{ name: 'virtualInbound', resource: l }]);
  });

  it('a policy without rules allows nothing (ALLOW) or denies nothing (DENY); CUSTOM denies what it would send away; AUDIT changes nothing', () => {
    const l = inbound(yaml('allow-nothing', '{}'), yaml('deny-nothing', '{ action: DENY }'), yaml('ext', '{ action: CUSTOM, provider: { name: opa }, rules: [{ to: [{ operation: { paths: [/x] } }] }] }'), yaml('audit', '{ action: AUDIT, rules: [{}] }'));
    const [deny, allow] = chainFilters(l, 'inbound|9080||')[0].typed_config.http_filters.map((f: any) => f.typed_config.rules);
    expect(Object.keys(deny.policies)).to.deep.equal(['ns[default]-policy[deny-nothing]-rule[0]', 'ns[default]-policy[ext]-rule[0]-deny-due-to-bad-CUSTOM-action']);
    expect(deny.policies['ns[default]-policy[deny-nothing]-rule[0]']).to.deep.equal({ permissions: [{ not_rule: { any: true } }], principals: [{ not_id: { any: true } }] });
    expect(allow).to.deep.equal({ action: 'ALLOW', policies: { 'ns[default]-policy[allow-nothing]-rule[0]': { permissions: [{ not_rule: { any: true } }], principals: [{ not_id: { any: true } }] } } });
    expectValid(TypeUrls.listener, [{ name: 'virtualInbound', resource: l }]);
  });

  it('changes nothing for workloads no policy selects', () => {
    const before = inbound();
    expect(inbound(yaml('for-ratings', '{ selector: { matchLabels: { app: ratings } }, action: DENY, rules: [{}] }'))).to.deep.equal(before);
  });

  it('gives xDS-enabled gRPC servers the HTTP filters, which gRPC itself accepts', () => {
    const snap = buildSnapshot([...bookinfo(), ...yamlObjects(yaml('deny-header', '{ action: DENY, rules: [{ when: [{ key: "request.headers[x-user]", values: [mallory] }] }] }')), ...yamlObjects(yaml('allow-echo', '{ rules: [{ to: [{ operation: { paths: ["/mizzen.demo.Echo/*"] } }] }] }'))]);
    const name = `${GrpcXds.serverListenerPrefix}10.244.0.13:9080`;
    const [l] = generate(snap, proxy(REVIEWS_V1, { GENERATOR: 'grpc' }), TypeUrls.listener, [name]);
    const filters = (l!.resource as any).default_filter_chain.filters[0].typed_config.http_filters.map((f: any) => f.name);
    expect(filters).to.deep.equal(['envoy.filters.http.rbac.deny', 'envoy.filters.http.rbac.allow', 'envoy.filters.http.router']);
    const verdict = grpcDecode(TypeUrls.listener, l!.resource);
    expect(verdict.error, verdict.error).to.equal(undefined);
  });

  it('guards the ingress gateway a policy selects (istio-system, istio: ingressgateway)', () => {
    const policy = yaml('ingress-deny-admin', '{ selector: { matchLabels: { istio: ingressgateway } }, action: DENY, rules: [{ to: [{ operation: { paths: [/admin*] } }] }] }', 'istio-system');
    const snap = buildSnapshot([...bookinfo('bookinfo-gateway.yaml'), ...yamlObjects(policy)]);
    const listeners = generate(snap, proxy(GATEWAY), TypeUrls.listener);
    const hcm = byName(listeners, '0.0.0.0_8080').filter_chains[0].filters[0].typed_config;
    expect(hcm.http_filters[0].name).to.equal('envoy.filters.http.rbac.deny');
    expect(JSON.stringify(hcm.http_filters[0])).to.include('"prefix":"/admin"');
    expectValid(TypeUrls.listener, listeners);
    const plain = generate(buildSnapshot(bookinfo('bookinfo-gateway.yaml')), proxy(GATEWAY), TypeUrls.listener);
    expect(byName(plain, '0.0.0.0_8080').filter_chains[0].filters[0].typed_config.http_filters.map((f: any) => f.name)).to.not.include('envoy.filters.http.rbac.deny');
  });

  it('follows an edited policy that carries no resourceVersion (a file), in an incremental snapshot', () => {
    const v1 = yamlObjects(yaml('p', '{ action: DENY, rules: [{ to: [{ operation: { paths: [/a] } }] }] }'));
    const v2 = yamlObjects(yaml('p', '{ action: DENY, rules: [{ to: [{ operation: { paths: [/b] } }] }] }'));
    const first = buildSnapshot([...bookinfo(), ...v1]);
    const second = updateSnapshot(first, [...bookinfo(), ...v2], [objectKey(v2[0]!)]);
    const text = (snap: typeof first) => JSON.stringify(byName(generate(snap, proxy(REVIEWS_V1), TypeUrls.listener), 'virtualInbound'));
    expect(text(first)).to.include('"/a"');
    expect(text(second)).to.include('"/b"').and.not.include('"/a"');
  });
});

describe('AuthorizationPolicy: experimental.envoy.filters when keys', () => {
  it("match an Envoy filter's dynamic metadata (a [v] value: one element of a list); a DENY rule with one is kept, not dropped", () => {
    const l = inbound(yaml('geo', "{ action: DENY, rules: [{ when: [{ key: 'experimental.envoy.filters.http.geoip[country]', values: [XX, '[banned]'] }] }] }"));
    const hcm = chainFilters(l, 'inbound|9080||').find((f: any) => f.name === 'envoy.filters.network.http_connection_manager').typed_config;
    const deny = hcm.http_filters.find((f: any) => f.name === 'envoy.filters.http.rbac.deny').typed_config.rules;
    const rule = deny.policies['ns[default]-policy[geo]-rule[0]'];
    expect(rule.permissions[0]).to.deep.equal({
      and_rules: {
        rules: [
          {
            or_rules: {
              rules: [
                { metadata: { filter: 'envoy.filters.http.geoip', path: [{ key: 'country' }], value: { string_match: { exact: 'XX' } } } },
                { metadata: { filter: 'envoy.filters.http.geoip', path: [{ key: 'country' }], value: { list_match: { one_of: { string_match: { exact: 'banned' } } } } } },
              ],
            },
          },
        ],
      },
    });
  });
});
