import { expect } from 'chai';
import { analyze, analyzeObject } from '../../src/analysis/index.js';
import type { KubeObject } from '../../src/core/kube.js';
import { composeValidator } from '../../src/cmd/serve.js';
import { type Case, brief, describeTable, svc } from './fixtures.js';


type Patch = Record<string, unknown>;

const envoyFilter = (name: string, configPatches: Patch[], opts: { priority?: number; namespace?: string } = {}): KubeObject => ({
  apiVersion: 'networking.istio.io/v1alpha3',
  kind: 'EnvoyFilter',
  metadata: { name, namespace: opts.namespace ?? 'shop' },
  spec: { workloadSelector: { labels: { app: 'cart' } }, ...(opts.priority === undefined ? {} : { priority: opts.priority }), configPatches },
});

const HCM = 'envoy.filters.network.http_connection_manager';
const LUA = { name: 'envoy.filters.http.lua', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', inlineCode: 'function envoy_on_request(h) end' } };

/** An HTTP_FILTER patch next to the router of inbound port 8080. */
const httpFilter = (operation: string, extra: { proxyVersion?: string; value?: Record<string, unknown> | null } = {}): Patch => ({
  applyTo: 'HTTP_FILTER',
  match: {
    context: 'SIDECAR_INBOUND',
    ...(extra.proxyVersion ? { proxy: { proxyVersion: extra.proxyVersion } } : {}),
    listener: { portNumber: 8080, filterChain: { filter: { name: HCM, subFilter: { name: 'envoy.filters.http.router' } } } },
  },
  patch: { operation, ...(extra.value === null ? {} : { value: extra.value ?? LUA }) },
});

const cluster = (operation: string): Patch => ({
  applyTo: 'CLUSTER',
  match: { context: 'SIDECAR_OUTBOUND' },
  patch: { operation, value: { name: 'lua_cluster', type: 'STRICT_DNS', connect_timeout: '0.5s', load_assignment: { cluster_name: 'lua_cluster', endpoints: [] } } },
});

const routes = (applyTo: 'ROUTE_CONFIGURATION' | 'VIRTUAL_HOST' | 'HTTP_ROUTE', operation: string): Patch => ({
  applyTo,
  match: { context: 'SIDECAR_INBOUND', routeConfiguration: { vhost: { name: 'inbound|http|9080', ...(applyTo === 'HTTP_ROUTE' ? { route: { name: 'default' } } : {}) } } },
  patch: operation === 'REMOVE' ? { operation } : { operation, value: applyTo === 'VIRTUAL_HOST' ? { name: 'inbound|http|9080', domains: ['*'] } : { name: 'extra', match: { prefix: '/x' }, direct_response: { status: 204 } } },
});

const op = (i: number): string => `spec.configPatches[${i}].patch.operation`;


const table: Record<string, Case[]> = {
  'relative operations without priority (IST0151)': [
    { name: 'INSERT_BEFORE and INSERT_AFTER among HTTP filters', objects: [envoyFilter('a', [httpFilter('INSERT_BEFORE')]), envoyFilter('b', [httpFilter('INSERT_AFTER')])], expect: [`IST0151 EnvoyFilter shop/a ${op(0)}`, `IST0151 EnvoyFilter shop/b ${op(0)}`] },
    { name: 'REPLACE and REMOVE where they are applied', objects: [envoyFilter('a', [httpFilter('REPLACE'), httpFilter('REMOVE', { value: null }), routes('VIRTUAL_HOST', 'REPLACE'), routes('HTTP_ROUTE', 'REMOVE'), cluster('REMOVE')])], expect: [0, 1, 2, 3, 4].map((i) => `IST0151 EnvoyFilter shop/a ${op(i)}`) },
    { name: 'a priority, negative or positive, orders them: nothing to say', objects: [envoyFilter('a', [httpFilter('INSERT_BEFORE')], { priority: 10 }), envoyFilter('b', [httpFilter('REPLACE')], { priority: -1 })], expect: [] },
    { name: 'INSERT_FIRST, ADD and MERGE are absolute', objects: [envoyFilter('a', [httpFilter('INSERT_FIRST'), httpFilter('ADD'), httpFilter('MERGE'), cluster('ADD'), routes('HTTP_ROUTE', 'ADD'), routes('HTTP_ROUTE', 'MERGE')])], expect: [] },
    // istiod reads an INSERT on a cluster, listener or virtual host as ADD (Istio's analyzer warns anyway).
    { name: 'an INSERT where it is read as ADD', objects: [envoyFilter('a', [cluster('INSERT_AFTER'), routes('VIRTUAL_HOST', 'INSERT_BEFORE')])], expect: [] },
  ],
  'operations that change nothing (IST0152, IST0153, IST0154)': [
    { name: 'REPLACE on a cluster, priority or not', objects: [envoyFilter('a', [cluster('REPLACE')], { priority: 10 }), envoyFilter('b', [cluster('REPLACE')])], expect: [`IST0152 EnvoyFilter shop/a ${op(0)}`, `IST0152 EnvoyFilter shop/b ${op(0)}`] },
    { name: 'REPLACE on route configurations and routes', objects: [envoyFilter('a', [routes('ROUTE_CONFIGURATION', 'REPLACE'), routes('HTTP_ROUTE', 'REPLACE')])], expect: [`IST0152 EnvoyFilter shop/a ${op(0)}`, `IST0152 EnvoyFilter shop/a ${op(1)}`] },
    {
      name: 'REPLACE of a listener filter is applied (Istio reports it): only the relative warning',
      objects: [envoyFilter('a', [{ applyTo: 'LISTENER_FILTER', match: { context: 'SIDECAR_INBOUND', listener: { listenerFilter: 'envoy.filters.listener.tls_inspector' } }, patch: { operation: 'REPLACE', value: { name: 'envoy.filters.listener.tls_inspector' } } }])],
      expect: [`IST0151 EnvoyFilter shop/a ${op(0)}`],
    },
    { name: 'ADD and REMOVE on a route configuration', objects: [envoyFilter('a', [routes('ROUTE_CONFIGURATION', 'ADD'), routes('ROUTE_CONFIGURATION', 'REMOVE')], { priority: 5 })], expect: [`IST0153 EnvoyFilter shop/a ${op(0)}`, `IST0154 EnvoyFilter shop/a ${op(1)}`] },
    // istiod appends and removes routes (Istio's analyzer says they are ignored); the REMOVE is relative.
    { name: 'ADD and REMOVE on routes are applied', objects: [envoyFilter('a', [routes('HTTP_ROUTE', 'ADD'), routes('HTTP_ROUTE', 'REMOVE')])], expect: [`IST0151 EnvoyFilter shop/a ${op(1)}`] },
  ],
  'relative operations on an element a patch for one proxy version also patches (IST0155)': [
    {
      name: 'in the same EnvoyFilter: the versioned patch itself is IST0151, the one after it IST0155',
      objects: [envoyFilter('a', [httpFilter('REPLACE', { proxyVersion: '^1\\.2[0-9].*' }), httpFilter('REPLACE'), cluster('REMOVE')])],
      expect: [`IST0151 EnvoyFilter shop/a ${op(0)}`, `IST0155 EnvoyFilter shop/a ${op(1)}`, `IST0151 EnvoyFilter shop/a ${op(2)}`],
    },
    {
      name: 'in another EnvoyFilter, whatever the order of the input',
      objects: [envoyFilter('late', [httpFilter('INSERT_AFTER')]), envoyFilter('versioned', [httpFilter('ADD', { proxyVersion: '^1\\.24.*' })])],
      expect: [`IST0155 EnvoyFilter shop/late ${op(0)}`],
    },
    {
      name: "the match's filter names the element when the value has no name",
      objects: [
        envoyFilter('a', [{ applyTo: 'NETWORK_FILTER', match: { proxy: { proxyVersion: '^1\\.24.*' }, listener: { filterChain: { filter: { name: 'envoy.filters.network.tcp_proxy' } } } }, patch: { operation: 'MERGE', value: { typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 'x' } } } }]),
        envoyFilter('b', [{ applyTo: 'NETWORK_FILTER', match: { listener: { filterChain: { filter: { name: 'envoy.filters.network.tcp_proxy' } } } }, patch: { operation: 'REPLACE', value: { name: 'envoy.filters.network.tcp_proxy' } } }]),
      ],
      expect: [`IST0155 EnvoyFilter shop/b ${op(0)}`],
    },
    {
      name: 'patches without a value name no element: two versioned REMOVEs are not the same one',
      objects: [envoyFilter('a', [httpFilter('REMOVE', { value: null, proxyVersion: '^1\\.24.*' }), httpFilter('REMOVE', { value: null })])],
      expect: [`IST0151 EnvoyFilter shop/a ${op(0)}`, `IST0151 EnvoyFilter shop/a ${op(1)}`],
    },
    { name: 'with a priority, nothing', objects: [envoyFilter('a', [httpFilter('ADD', { proxyVersion: '^1\\.24.*' }), httpFilter('REPLACE')], { priority: 1 })], expect: [] },
  ],
  robustness: [
    {
      name: 'malformed EnvoyFilters never throw',
      objects: [
        { apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name: 'x' }, spec: null },
        { apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name: 'y' }, spec: { configPatches: 'all' } },
        envoyFilter('z', [null as unknown as Patch, { applyTo: 'HTTP_FILTER' }, { applyTo: 7, patch: { operation: 'REPLACE' } }, { applyTo: 'HTTP_FILTER', match: 'x', patch: { operation: 'REPLACE', value: [1] } }], { priority: 'high' as unknown as number }),
      ],
      // An applyTo that is no name says nothing; a priority that is no integer is 0, as the generators read it.
      expect: [`IST0151 EnvoyFilter shop/z ${op(3)}`],
    },
  ],
};

describeTable('analysis: EnvoyFilter patch operations', table);

describe('analysis: EnvoyFilter patch operations, messages and apply time', () => {
  it('messages say what happens and what to do', async () => {
    const [relative, versioned] = analyze([envoyFilter('a', [httpFilter('INSERT_BEFORE', { proxyVersion: '^1\\.24.*' }), httpFilter('REMOVE')])]);
    expect(relative!.message).to.match(/^INSERT_BEFORE places this HTTP filter next to the one its match names.*Set spec\.priority.*INSERT_FIRST or ADD/);
    expect(versioned!.message).to.match(/^REMOVE acts on the HTTP filter.*"envoy\.filters\.http\.lua" is also patched by this EnvoyFilter \(spec\.configPatches\[0\]\) for proxies whose version matches \^1\\\.24\.\* only.*Set spec\.priority/);
    expect(versioned!.message).not.to.match(/INSERT_FIRST/);
    const [replace] = analyze([envoyFilter('b', [cluster('REPLACE')])]);
    expect(replace!.level).to.equal('Error');
    expect(replace!.message).to.match(/this CLUSTER patch changes nothing \(to change the cluster, MERGE into it, or REMOVE it and ADD yours\)$/);
  });
});

describe('analysis: EnvoyFilter patch operations at apply time', () => {
  const versioned = envoyFilter('lua', [httpFilter('ADD', { proxyVersion: '^1\\.24.*' })]);

  it('a patch for one proxy version elsewhere in the world makes it IST0155', async () => {
    expect(analyzeObject(envoyFilter('tweak', [httpFilter('REPLACE')]), [versioned, svc('cart')]).map(brief)).to.deep.equal([`IST0155 EnvoyFilter shop/tweak ${op(0)}`]);
  });

  it('the stored version of the EnvoyFilter being applied does not count', async () => {
    expect(analyzeObject(envoyFilter('lua', [httpFilter('REPLACE')]), [versioned, svc('cart')]).map(brief)).to.deep.equal([`IST0151 EnvoyFilter shop/lua ${op(0)}`]);
  });

  it('the webhook returns the findings as warnings after the validators accept it', async () => {
    const validate = composeValidator(() => [svc('cart')]);
    const report = await validate(envoyFilter('e', [routes('ROUTE_CONFIGURATION', 'ADD')]) as any, { namespace: 'shop' } as any);
    expect(report.errors).to.deep.equal([]);
    expect(report.warnings.some((w: string) => w.startsWith(`IST0153 ${op(0)}: ADD is not applied to ROUTE_CONFIGURATION patches`))).to.equal(true);
  });
});
