/**
 * EnvoyFilter (networking.istio.io/v1alpha3): patches on the generated listeners, routes and clusters of the proxies
 * a filter selects, applied as istiod applies them. Values are written as users write them (Istio's docs examples,
 * camelCase or snake_case), and every patched result must still be valid Envoy configuration.
 */
import { expect } from 'chai';
import { buildSnapshot, updateSnapshot } from '../../../src/model/snapshot.js';
import { envoyFilterStatus, generate, proxyScope } from '../../../src/xds/gen/index.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { objectKey, type KubeObject } from '../../../src/core/kube.js';
import { decode, encode } from '../../../src/xds/proto.js';
import { planReuse } from '../../../src/xds/server/reuse.js';
import { GATEWAY, PRODUCTPAGE, REVIEWS_V1, bookinfo, byName, expectValid, proxy } from './helpers.js';

const HCM = 'envoy.filters.network.http_connection_manager';
const LUA = 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua';

let created = 0;
function envoyFilter(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  created++;
  return { apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name, namespace, creationTimestamp: `2026-01-01T00:00:${String(created).padStart(2, '0')}Z` }, spec };
}

const snapshotWith = (...filters: KubeObject[]) => buildSnapshot([...bookinfo('bookinfo-gateway.yaml'), ...filters]);

function gen(typeUrl: string, filters: KubeObject[], id = PRODUCTPAGE, metadata: Record<string, unknown> = {}): any[] {
  const out = generate(snapshotWith(...filters), proxy(id, metadata), typeUrl);
  expectValid(typeUrl, out);
  return out.map((r) => r.resource);
}

const inboundHcm = (listeners: any[], port = 9080): any =>
  listeners.find((l) => l.name === 'virtualInbound').filter_chains.find((c: any) => c.filter_chain_match?.destination_port?.value === port).filters.find((f: any) => f.name === HCM).typed_config;
const outboundHcm = (listeners: any[], port = 9080): any => listeners.find((l) => l.name === `0.0.0.0_${port}`).filter_chains[0].filters.find((f: any) => f.name === HCM).typed_config;
const httpFilterNames = (hcm: any): string[] => hcm.http_filters.map((f: any) => f.name);

/** Istio's docs example: a Lua filter before the router on the inbound side of port 9080, and its cluster. */
const LUA_FILTER = {
  configPatches: [
    {
      applyTo: 'HTTP_FILTER',
      match: { context: 'SIDECAR_INBOUND', listener: { portNumber: 9080, filterChain: { filter: { name: HCM, subFilter: { name: 'envoy.filters.http.router' } } } } },
      patch: { operation: 'INSERT_BEFORE', value: { name: 'envoy.lua', typed_config: { '@type': LUA, defaultSourceCode: { inlineString: 'function envoy_on_request(h) h:headers():add("x-lua", "1") end' } } } },
    },
    {
      applyTo: 'CLUSTER',
      match: { context: 'SIDECAR_OUTBOUND' },
      patch: {
        operation: 'ADD',
        value: {
          name: 'lua_cluster',
          type: 'STRICT_DNS',
          connect_timeout: '0.5s',
          lb_policy: 'ROUND_ROBIN',
          load_assignment: { cluster_name: 'lua_cluster', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { protocol: 'TCP', address: 'internal.org.net', port_value: 8888 } } } }] }] },
        },
      },
    },
  ],
};

describe('EnvoyFilter: listeners', () => {
  it("Istio's Lua example: the filter goes in before the router of virtualInbound's 9080 chain only, its value read from camelCase JSON", () => {
    const listeners = gen(TypeUrls.listener, [envoyFilter('default', 'lua', LUA_FILTER)]);
    const hcm = inboundHcm(listeners);
    expect(httpFilterNames(hcm)).to.deep.equal(['envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.lua', 'envoy.filters.http.router']);
    expect(hcm.http_filters[2].typed_config).to.deep.equal({ '@type': LUA, default_source_code: { inline_string: 'function envoy_on_request(h) h:headers():add("x-lua", "1") end' } });
    expect(httpFilterNames(outboundHcm(listeners)), 'outbound is another context').to.not.include('envoy.lua');
    // The Lua config survives the wire: encoded and decoded inside the listener.
    const vi = listeners.find((l) => l.name === 'virtualInbound');
    const back = decode(TypeUrls.listener, encode(TypeUrls.listener, vi)) as any;
    const lua = back.filter_chains[1].filters[0].typed_config.http_filters[2].typed_config;
    expect(lua['@type']).to.equal(LUA);
    expect(lua.default_source_code.inline_string).to.include('x-lua');
  });

  it('each insert operation puts the filter where istiod does; REPLACE and REMOVE need a named filter', () => {
    const op = (operation: string, subFilter?: string) => ({
      applyTo: 'HTTP_FILTER',
      match: { context: 'SIDECAR_OUTBOUND', listener: { portNumber: 9080, filterChain: { filter: { name: HCM, ...(subFilter ? { subFilter: { name: subFilter } } : {}) } } } },
      patch: { operation, ...(operation === 'REMOVE' ? {} : { value: { name: `x.${operation.toLowerCase()}`, typed_config: { '@type': LUA } } }) },
    });
    const names = (...patches: unknown[]) => httpFilterNames(outboundHcm(gen(TypeUrls.listener, [envoyFilter('default', 'ops', { configPatches: patches })])));
    expect(names()).to.deep.equal(['envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router']);
    expect(names(op('INSERT_FIRST'))[0]).to.equal('x.insert_first');
    expect(names(op('INSERT_AFTER', 'envoy.filters.http.fault'))).to.deep.equal(['envoy.filters.http.fault', 'x.insert_after', 'envoy.filters.http.cors', 'envoy.filters.http.router']);
    expect(names(op('INSERT_BEFORE'))[0], 'no sub-filter named: first').to.equal('x.insert_before');
    expect(names(op('INSERT_AFTER')).at(-1), 'no sub-filter named: last').to.equal('x.insert_after');
    expect(names(op('ADD')).at(-1)).to.equal('x.add');
    expect(names(op('REPLACE', 'envoy.filters.http.cors'))).to.deep.equal(['envoy.filters.http.fault', 'x.replace', 'envoy.filters.http.router']);
    expect(names(op('REPLACE')), 'nothing named: nothing replaced').to.deep.equal(['envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router']);
    expect(names(op('REMOVE', 'envoy.filters.http.fault'))).to.deep.equal(['envoy.filters.http.cors', 'envoy.filters.http.router']);
    expect(names(op('INSERT_BEFORE', 'envoy.filters.http.nonexistent')), 'a named filter that is not there: unchanged').to.have.length(3);
  });

  it('NETWORK_FILTER MERGE merges into the connection manager field by field, keeping its routes and filters; a oneof member replaces the other', () => {
    const merge = (value: Record<string, unknown>) =>
      outboundHcm(
        gen(TypeUrls.listener, [
          envoyFilter('default', 'hcm', {
            configPatches: [{ applyTo: 'NETWORK_FILTER', match: { context: 'SIDECAR_OUTBOUND', listener: { portNumber: 9080, filterChain: { filter: { name: HCM } } } }, patch: { operation: 'MERGE', value } }],
          }),
        ]),
      );
    const hcm = merge({ typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', commonHttpProtocolOptions: { idleTimeout: '30s' }, xff_num_trusted_hops: 2, useRemoteAddress: true } });
    expect(hcm.common_http_protocol_options.idle_timeout).to.deep.equal({ seconds: 30, nanos: 0 });
    expect(hcm.xff_num_trusted_hops).to.equal(2);
    expect(hcm.use_remote_address).to.deep.equal({ value: true });
    expect(hcm.rds.route_config_name).to.equal('9080');
    expect(httpFilterNames(hcm)).to.have.length(3);
    const inline = merge({ typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', route_config: { name: 'static', virtual_hosts: [{ name: 'all', domains: ['*'] }] } } });
    expect(inline.rds, 'route_config and rds are one oneof').to.equal(undefined);
    expect(inline.route_config.name).to.equal('static');
    const otherType = merge({ typed_config: { '@type': LUA } });
    expect(otherType['@type'], 'a value of another type leaves the filter as it was').to.match(/HttpConnectionManager$/);
  });

  it('LISTENER MERGE on a gateway, FILTER_CHAIN REMOVE by port inside virtualInbound, LISTENER ADD and REMOVE', () => {
    const filters = [
      envoyFilter('istio-system', 'gw', { workloadSelector: { labels: { istio: 'ingressgateway' } }, configPatches: [{ applyTo: 'LISTENER', match: { context: 'GATEWAY', listener: { portNumber: 8080 } }, patch: { operation: 'MERGE', value: { perConnectionBufferLimitBytes: 32768 } } }] }),
    ];
    const gw = gen(TypeUrls.listener, filters, GATEWAY);
    expect(byNameOf(gw, '0.0.0.0_8080').per_connection_buffer_limit_bytes).to.deep.equal({ value: 32768 });
    expect(byNameOf(gen(TypeUrls.listener, filters), 'virtualOutbound').per_connection_buffer_limit_bytes, 'the selector picks the gateway only').to.equal(undefined);

    const sidecar = gen(TypeUrls.listener, [
      envoyFilter('default', 'chains', {
        configPatches: [
          { applyTo: 'FILTER_CHAIN', match: { context: 'SIDECAR_INBOUND', listener: { portNumber: 9080 } }, patch: { operation: 'REMOVE' } },
          { applyTo: 'LISTENER', match: { context: 'SIDECAR_OUTBOUND', listener: { portNumber: 80 } }, patch: { operation: 'REMOVE' } },
          { applyTo: 'LISTENER', match: { context: 'SIDECAR_OUTBOUND' }, patch: { operation: 'ADD', value: { name: 'extra_9999', address: { socket_address: { address: '0.0.0.0', port_value: 9999 } }, filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 'extra', cluster: 'PassthroughCluster' } }] }] } } },
        ],
      }),
    ]);
    expect(byNameOf(sidecar, 'virtualInbound').filter_chains.map((c: any) => c.name)).to.deep.equal(['virtualInbound-blackhole', 'virtualInbound-catchall-tcp']);
    expect(sidecar.map((l) => l.name)).to.not.include('0.0.0.0_80');
    expect(sidecar.map((l) => l.name)).to.include('extra_9999');
  });

  it('LISTENER_FILTER inserts and merges, matched by name', () => {
    const listeners = gen(TypeUrls.listener, [
      envoyFilter('default', 'lf', {
        configPatches: [
          {
            applyTo: 'LISTENER_FILTER',
            match: { context: 'SIDECAR_INBOUND', listener: { name: 'virtualInbound', listenerFilter: 'envoy.filters.listener.original_dst' } },
            patch: { operation: 'INSERT_AFTER', value: { name: 'envoy.filters.listener.http_inspector', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector' } } },
          },
        ],
      }),
    ]);
    expect(byNameOf(listeners, 'virtualInbound').listener_filters.map((f: any) => f.name)).to.deep.equal(['envoy.filters.listener.original_dst', 'envoy.filters.listener.http_inspector']);
  });
});

const byNameOf = (rs: any[], name: string): any => {
  const r = rs.find((x) => x.name === name);
  expect(r, name).to.not.equal(undefined);
  return r;
};

describe('EnvoyFilter: routes and clusters', () => {
  it('VIRTUAL_HOST and HTTP_ROUTE patches on the outbound route configuration named by port, and on the inline inbound one', () => {
    const filters = [
      envoyFilter('default', 'routes', {
        configPatches: [
          { applyTo: 'ROUTE_CONFIGURATION', match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { portNumber: 9080 } }, patch: { operation: 'MERGE', value: { request_headers_to_add: [{ header: { key: 'x-route', value: 'patched' } }] } } },
          { applyTo: 'VIRTUAL_HOST', match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { vhost: { name: 'reviews.default.svc.cluster.local:9080' } } }, patch: { operation: 'MERGE', value: { rateLimits: [{ actions: [{ remoteAddress: {} }] }] } } },
          { applyTo: 'HTTP_ROUTE', match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { vhost: { name: 'reviews.default.svc.cluster.local:9080' } } }, patch: { operation: 'INSERT_FIRST', value: { name: 'health', match: { prefix: '/healthz' }, direct_response: { status: 200 } } } },
          { applyTo: 'HTTP_ROUTE', match: { context: 'SIDECAR_INBOUND', routeConfiguration: { portNumber: 9080, vhost: { route: { action: 'ROUTE' } } } }, patch: { operation: 'MERGE', value: { route: { timeout: '3s' } } } },
        ],
      }),
    ];
    const rc = byNameOf(gen(TypeUrls.route, filters), '9080');
    expect(rc.request_headers_to_add).to.deep.equal([{ header: { key: 'x-route', value: 'patched' } }]);
    const vh = rc.virtual_hosts.find((v: any) => v.name === 'reviews.default.svc.cluster.local:9080');
    expect(vh.rate_limits).to.deep.equal([{ actions: [{ remote_address: {} }] }]);
    expect(vh.routes[0].name).to.equal('health');
    expect(rc.virtual_hosts.find((v: any) => v.name === 'ratings.default.svc.cluster.local:9080').routes[0].name, 'other virtual hosts untouched').to.not.equal('health');
    expect(byNameOf(gen(TypeUrls.route, filters), '80').request_headers_to_add, 'other ports untouched').to.equal(undefined);
    const inbound = inboundHcm(gen(TypeUrls.listener, filters)).route_config.virtual_hosts[0].routes[0].route;
    expect(inbound.timeout, 'inbound inline route, Duration replaced whole').to.deep.equal({ seconds: 3, nanos: 0 });
    expect(inbound.cluster).to.equal('inbound|9080||');
  });

  it('VIRTUAL_HOST REMOVE, REPLACE and ADD; a route REMOVE by name; routes of a replaced host are patched as its own', () => {
    const vhost = (name: string) => ({ routeConfiguration: { portNumber: 9080, vhost: { name } } });
    const rc = byNameOf(
      gen(TypeUrls.route, [
        envoyFilter('default', 'vh', {
          configPatches: [
            { applyTo: 'VIRTUAL_HOST', match: vhost('ratings.default.svc.cluster.local:9080'), patch: { operation: 'REMOVE' } },
            { applyTo: 'VIRTUAL_HOST', match: vhost('details.default.svc.cluster.local:9080'), patch: { operation: 'REPLACE', value: { name: 'details-static', domains: ['details'], routes: [{ name: 'a', match: { prefix: '/' }, direct_response: { status: 204 } }, { name: 'b', match: { prefix: '/b' }, direct_response: { status: 200 } }] } } },
            { applyTo: 'VIRTUAL_HOST', patch: { operation: 'ADD', value: { name: 'extra', domains: ['extra.example.com'] } } },
            { applyTo: 'HTTP_ROUTE', match: { routeConfiguration: { vhost: { name: 'details-static', route: { name: 'b' } } } }, patch: { operation: 'REMOVE' } },
          ],
        }),
      ]),
      '9080',
    );
    const names = rc.virtual_hosts.map((v: any) => v.name);
    expect(names).to.not.include('ratings.default.svc.cluster.local:9080');
    expect(names).to.not.include('details.default.svc.cluster.local:9080');
    expect(names.at(-1)).to.equal('extra');
    expect(rc.virtual_hosts.find((v: any) => v.name === 'details-static').routes.map((r: any) => r.name)).to.deep.equal(['a']);
  });

  it('gateway route configurations match by port, and a route REMOVE without a route named removes every route of the host', () => {
    const filters = [envoyFilter('istio-system', 'gw', { configPatches: [{ applyTo: 'HTTP_ROUTE', match: { context: 'GATEWAY', routeConfiguration: { portNumber: 8080 } }, patch: { operation: 'REMOVE' } }] })];
    const rc = byNameOf(gen(TypeUrls.route, filters, GATEWAY), 'http.8080');
    expect(rc.virtual_hosts.flatMap((v: any) => v.routes ?? [])).to.deep.equal([]);
    const other = [envoyFilter('istio-system', 'gw', { configPatches: [{ applyTo: 'HTTP_ROUTE', match: { context: 'GATEWAY', routeConfiguration: { portNumber: 443 } }, patch: { operation: 'REMOVE' } }] })];
    expect(byNameOf(gen(TypeUrls.route, other, GATEWAY), 'http.8080').virtual_hosts.flatMap((v: any) => v.routes ?? [])).to.not.be.empty;
  });

  it("CLUSTER patches: Istio's Lua example adds its cluster on the outbound side; MERGE by service and port, REMOVE by name, inbound clusters by their services", () => {
    const clusters = gen(TypeUrls.cluster, [
      envoyFilter('default', 'lua', LUA_FILTER),
      envoyFilter('default', 'cb', {
        configPatches: [
          { applyTo: 'CLUSTER', match: { context: 'SIDECAR_OUTBOUND', cluster: { service: 'reviews.default.svc.cluster.local', portNumber: 9080 } }, patch: { operation: 'MERGE', value: { per_connection_buffer_limit_bytes: 1024, circuitBreakers: { thresholds: [{ maxConnections: 7 }] } } } },
          { applyTo: 'CLUSTER', match: { cluster: { name: 'outbound|9080||details.default.svc.cluster.local' } }, patch: { operation: 'REMOVE' } },
          { applyTo: 'CLUSTER', match: { context: 'SIDECAR_INBOUND', cluster: { service: 'productpage.default.svc.cluster.local' } }, patch: { operation: 'MERGE', value: { connectTimeout: '2s' } } },
        ],
      }),
    ]);
    const lua = byNameOf(clusters, 'lua_cluster');
    expect(lua.type).to.equal('STRICT_DNS');
    expect(lua.connect_timeout).to.deep.equal({ seconds: 0, nanos: 500_000_000 });
    const reviews = byNameOf(clusters, 'outbound|9080||reviews.default.svc.cluster.local');
    expect(reviews.per_connection_buffer_limit_bytes).to.deep.equal({ value: 1024 });
    expect(reviews.circuit_breakers.thresholds.at(-1)).to.deep.equal({ max_connections: { value: 7 } });
    expect(clusters.map((c) => c.name)).to.not.include('outbound|9080||details.default.svc.cluster.local');
    expect(byNameOf(clusters, 'inbound|9080||').connect_timeout).to.deep.equal({ seconds: 2, nanos: 0 });
    expect(byNameOf(clusters, 'outbound|9080||ratings.default.svc.cluster.local').per_connection_buffer_limit_bytes).to.equal(undefined);
  });

  it('a cluster ADD without a context goes to sidecars (once) and gateways; MERGE_AND_REPLACE_LIST replaces lists', () => {
    const add = envoyFilter('istio-system', 'add', { configPatches: [{ applyTo: 'CLUSTER', patch: { operation: 'ADD', value: { name: 'extra', type: 'STATIC', connect_timeout: '1s' } } }] });
    expect(gen(TypeUrls.cluster, [add]).filter((c) => c.name === 'extra')).to.have.length(1);
    expect(gen(TypeUrls.cluster, [add], GATEWAY).filter((c) => c.name === 'extra')).to.have.length(1);
    const replace = envoyFilter('default', 'r', {
      configPatches: [{ applyTo: 'CLUSTER', match: { cluster: { service: 'reviews.default.svc.cluster.local' } }, patch: { operation: 'MERGE_AND_REPLACE_LIST', value: { circuitBreakers: { thresholds: [{ maxConnections: 7 }] } } } }],
    });
    expect(byNameOf(gen(TypeUrls.cluster, [replace]), 'outbound|9080||reviews.default.svc.cluster.local').circuit_breakers.thresholds).to.deep.equal([{ max_connections: { value: 7 } }]);
  });
});

describe('EnvoyFilter: which proxies, in which order', () => {
  const marker = (namespace: string, name: string, value: number, extra: Record<string, unknown> = {}) =>
    envoyFilter(namespace, name, { ...extra, configPatches: [{ applyTo: 'LISTENER', match: { listener: { name: 'virtualOutbound' } }, patch: { operation: 'MERGE', value: { per_connection_buffer_limit_bytes: value } } }] });
  const limit = (filters: KubeObject[], id = PRODUCTPAGE, metadata: Record<string, unknown> = {}) => byNameOf(gen(TypeUrls.listener, filters, id, metadata), 'virtualOutbound').per_connection_buffer_limit_bytes?.value;

  it('namespace filters reach their own namespace; root namespace filters every namespace; selectors pick workloads; targetRefs pick nothing', () => {
    expect(limit([marker('default', 'a', 1)])).to.equal(1);
    expect(limit([marker('other', 'a', 1)])).to.equal(undefined);
    expect(limit([marker('istio-system', 'a', 2)])).to.equal(2);
    expect(limit([marker('istio-system', 'a', 2, { workloadSelector: { labels: { app: 'reviews' } } })])).to.equal(undefined);
    expect(limit([marker('istio-system', 'a', 2, { workloadSelector: { labels: { app: 'reviews' } } })], REVIEWS_V1)).to.equal(2);
    expect(limit([marker('default', 'a', 3, { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }] })])).to.equal(undefined);
  });

  it('the last patch applied wins: order is priority, then root namespace first, then oldest', () => {
    expect(limit([marker('default', 'old', 1), marker('default', 'new', 2)])).to.equal(2);
    expect(limit([marker('default', 'ns', 1), marker('istio-system', 'root', 2)]), 'root first, the namespace one after').to.equal(1);
    expect(limit([marker('default', 'high', 1, { priority: 10 }), marker('default', 'low', 2, { priority: -1 })])).to.equal(1);
  });

  it('a proxy match needs the metadata and, for proxyVersion, an ISTIO_VERSION the expression matches; such proxies get their own scope', () => {
    const gated = marker('default', 'v', 5, {});
    (gated.spec as any).configPatches[0].match.proxy = { proxyVersion: '^1\\.2[0-9].*', metadata: { ROLE: 'edge' } };
    expect(limit([gated]), 'plain Envoy sends no ISTIO_VERSION').to.equal(undefined);
    expect(limit([gated], PRODUCTPAGE, { ISTIO_VERSION: '1.24.1' }), 'metadata missing').to.equal(undefined);
    expect(limit([gated], PRODUCTPAGE, { ISTIO_VERSION: '1.24.1', ROLE: 'edge' })).to.equal(5);
    const snap = snapshotWith(gated);
    expect(proxyScope(snap, proxy(PRODUCTPAGE, { ISTIO_VERSION: '1.24.1', ROLE: 'edge' }))).to.not.equal(proxyScope(snap, proxy(PRODUCTPAGE)));
    expect(proxyScope(snapshotWith(marker('default', 'plain', 1)), proxy(PRODUCTPAGE)), 'no proxy match: scope as before').to.equal(proxyScope(snapshotWith(), proxy(PRODUCTPAGE)));
  });

  it('patches that would not validate are skipped, not thrown; proxyless gRPC clients and endpoints get no patches', () => {
    const bad = envoyFilter('default', 'bad', {
      configPatches: [
        { applyTo: 'LISTENER', match: { listener: { name: 'virtualOutbound' } }, patch: { operation: 'MERGE', value: { per_connection_buffer_limit_bytes: 'lots' } } },
        { applyTo: 'HTTP_FILTER', patch: { operation: 'ADD', value: { name: 'x', typed_config: { '@type': 'type.googleapis.com/no.such.Type' } } } },
        { applyTo: 'NOT_A_THING', patch: { operation: 'ADD', value: {} } },
        { applyTo: 'CLUSTER', patch: { operation: 'ADD' } },
        'garbage',
      ],
    });
    expect(limit([bad])).to.equal(undefined);
    expect(httpFilterNames(outboundHcm(gen(TypeUrls.listener, [bad])))).to.not.include('x');
    const grpcNode = proxy(PRODUCTPAGE, { GENERATOR: 'grpc' });
    const snap = snapshotWith(marker('default', 'a', 1));
    expect(JSON.stringify(generate(snap, grpcNode, TypeUrls.listener, ['reviews.default.svc.cluster.local:9080']))).to.not.include('per_connection_buffer_limit_bytes');
    expect(generate(snap, proxy(PRODUCTPAGE), TypeUrls.endpoint)).to.deep.equal(generate(snapshotWith(), proxy(PRODUCTPAGE), TypeUrls.endpoint));
  });

  it('patches never change what other proxies share: the generated resources are copied before patching', () => {
    const snap = snapshotWith(marker('default', 'a', 9, { workloadSelector: { labels: { app: 'productpage' } } }));
    const before = JSON.stringify(generate(snap, proxy(REVIEWS_V1), TypeUrls.listener));
    generate(snap, proxy(PRODUCTPAGE), TypeUrls.listener);
    expect(JSON.stringify(generate(snap, proxy(REVIEWS_V1), TypeUrls.listener))).to.equal(before);
  });

  it('an EnvoyFilter change regenerates listeners, routes and clusters (never endpoints or secrets), equal to a full build', () => {
    const prev = snapshotWith();
    const ef = marker('default', 'a', 4);
    const next = updateSnapshot(prev, [...bookinfo('bookinfo-gateway.yaml'), ef], [objectKey(ef)]);
    const plan = planReuse(prev, next);
    expect(plan.changed).to.deep.equal(['envoyFilters']);
    expect([...plan.reuse].sort()).to.deep.equal([TypeUrls.endpoint, TypeUrls.secret].sort());
    for (const t of [TypeUrls.listener, TypeUrls.route, TypeUrls.cluster]) expect(generate(next, proxy(PRODUCTPAGE), t)).to.deep.equal(generate(snapshotWith(ef), proxy(PRODUCTPAGE), t));
    expect(byName(generate(next, proxy(PRODUCTPAGE), TypeUrls.listener), 'virtualOutbound').per_connection_buffer_limit_bytes).to.deep.equal({ value: 4 });
  });
});

describe('EnvoyFilter: the debug view of which patches do something to a proxy', () => {
  it('applied, unmatched, skipped with the reason; proxyless gRPC clients get none', () => {
    const ef = envoyFilter('default', 'mixed', {
      configPatches: [
        { applyTo: 'CLUSTER', match: { cluster: { service: 'reviews.default.svc.cluster.local' } }, patch: { operation: 'MERGE', value: { per_connection_buffer_limit_bytes: 1 } } },
        { applyTo: 'HTTP_FILTER', match: { listener: { portNumber: 9999, filterChain: { filter: { name: HCM } } } }, patch: { operation: 'REMOVE' } },
        { applyTo: 'LISTENER', match: { proxy: { proxyVersion: '^1\\.2.*' } }, patch: { operation: 'MERGE', value: { per_connection_buffer_limit_bytes: 2 } } },
        { applyTo: 'EXTENSION_CONFIG', patch: { operation: 'ADD', value: { name: 'x' } } },
        { applyTo: 'CLUSTER', match: { context: 'WAYPOINT' }, patch: { operation: 'REMOVE' } },
      ],
    });
    const snap = snapshotWith(ef);
    const brief = (id = PRODUCTPAGE, meta: Record<string, unknown> = {}) => envoyFilterStatus(snap, proxy(id, meta)).map((s) => `${s.index} ${s.status}${s.reason ? `: ${s.reason}` : ''}`);
    expect(brief()).to.deep.equal([
      '0 applied',
      '1 unmatched: its match finds nothing in what this proxy gets',
      '2 skipped: the proxy match does not hold for this node (ISTIO_VERSION null)',
      '3 skipped: EXTENSION_CONFIG: mizzen writes the bootstrap at injection and serves no extension configs',
      '4 skipped: context "WAYPOINT": mizzen runs no such proxies',
    ]);
    expect(brief(PRODUCTPAGE, { ISTIO_VERSION: '1.24.0' })[2]).to.equal('2 applied');
    expect(brief(PRODUCTPAGE, { GENERATOR: 'grpc' })[0]).to.equal('0 skipped: proxyless gRPC clients get no EnvoyFilter patches');
    expect(envoyFilterStatus(snapshotWith(), proxy(PRODUCTPAGE))).to.deep.equal([]);
  });
});
