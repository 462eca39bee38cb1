/** WasmPlugin of type NETWORK → Envoy's Wasm network filter: which filter chains, where among their filters, with which code. */
import { expect } from 'chai';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import type { KubeObject } from '../../../src/core/kube.js';
import { generate } from '../../../src/xds/gen/index.js';
import { WASM_FILTER_PREFIX } from '../../../src/xds/gen/wasm.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { decode, encode } from '../../../src/xds/proto.js';
import { ingress, plugin, reviews } from './wasm-fixtures.js';
import { ENVOY_TYPES, GATEWAY, MYSQL_SERVICE, PRODUCTPAGE, REVIEWS_V1, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

const SHA = '1ef0c9a92b0420cf25f7fe5d481b231464bc88f486ca3b9c83ed5cc21d2f6210';
const NETWORK_WASM = 'envoy.extensions.filters.network.wasm.v3.Wasm';
const HCM = 'envoy.filters.network.http_connection_manager';
const TCP_PROXY = 'envoy.filters.network.tcp_proxy';

/** A NETWORK plugin with a local module. */
const net = (f: string, extra: Record<string, unknown> = {}) => ({ url: `file:///opt/filters/${f}.wasm`, type: 'NETWORK', ...extra });

/** A TCP port of reviews (its inbound chain `inbound|7000||`) and the mysql service it calls (10.96.5.5_3306). */
const TCP_SERVICES = `
apiVersion: v1
kind: Service
metadata: { name: reviews-tcp, namespace: default }
spec: { selector: { app: reviews }, ports: [{ name: tcp-echo, port: 7000 }] }
---${MYSQL_SERVICE}`;

/** A gateway with a TCP server on 31400 to details, beside Bookinfo's HTTP server. */
const GATEWAY_TCP = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: tcp-gw, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 31400, name: tcp, protocol: TCP }, hosts: ['*'] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: tcp, namespace: default }
spec:
  hosts: ['*']
  gateways: [istio-system/tcp-gw]
  tcp: [{ match: [{ port: 31400 }], route: [{ destination: { host: details, port: { number: 9080 } } }] }]`;

const snapshotOf = (extra: Array<KubeObject | string>, options?: Parameters<typeof buildSnapshot>[1]) =>
  buildSnapshot([...bookinfo('bookinfo-gateway.yaml'), ...yamlObjects(TCP_SERVICES), ...extra.flatMap((e) => (typeof e === 'string' ? yamlObjects(e) : [e]))], options);

type Snap = ReturnType<typeof snapshotOf>;
interface Chain {
  at: string;
  filters: any[];
}

/** Every filter chain of a proxy's listeners (encoded and PGV-checked first), by `<listener> <chain name>`. */
function chains(snap: Snap, node: string): Chain[] {
  const listeners = generate(snap, proxy(node), TypeUrls.listener);
  expectValid(TypeUrls.listener, listeners);
  return listeners.flatMap((l) => ((l.resource as any).filter_chains as any[]).map((c) => ({ at: `${l.name} ${c.name ?? ''}`.trim(), filters: c.filters })));
}
/** A chain's network filter names, Wasm ones shortened to `wasm:<ns>.<name>`. */
const names = (filters: any[]): string[] => filters.map((f) => String(f.name).replace(WASM_FILTER_PREFIX, 'wasm:'));
const chainAt = (all: Chain[], at: string): string[] => {
  const c = all.find((x) => x.at === at);
  expect(c, `no chain ${at} among ${all.map((x) => x.at).join(', ')}`).to.not.equal(undefined);
  return names(c!.filters);
};
/** The Wasm names of every chain, by chain. */
const wasmByChain = (all: Chain[]): Record<string, string[]> => Object.fromEntries(all.map((c) => [c.at, names(c.filters).filter((n) => n.startsWith('wasm:'))]));
/** The HTTP filter names of a chain's connection manager. */
const httpFiltersAt = (all: Chain[], at: string): string[] => names(all.find((c) => c.at === at)!.filters.find((f) => f.name === HCM).typed_config.http_filters);

describe('WasmPlugin NETWORK → Envoy Wasm network filters', () => {
  it('a sidecar: SERVER on its inbound TCP, HTTP and catch-all chains, CLIENT on its outbound TCP and HTTP listeners, never virtualOutbound', () => {
    const snap = snapshotOf([plugin('server', { ...reviews, ...net('s'), match: [{ mode: 'SERVER' }] }), plugin('client', { ...reviews, ...net('c'), match: [{ mode: 'CLIENT' }] })]);
    const all = chains(snap, REVIEWS_V1);
    expect(chainAt(all, 'virtualInbound inbound|7000||')).to.deep.equal(['wasm:default.server', TCP_PROXY]);
    expect(chainAt(all, 'virtualInbound inbound|9080||')).to.deep.equal(['wasm:default.server', HCM]);
    expect(chainAt(all, 'virtualInbound virtualInbound-catchall-tcp')).to.deep.equal(['wasm:default.server', TCP_PROXY]);
    expect(chainAt(all, 'virtualInbound virtualInbound-blackhole')).to.deep.equal([TCP_PROXY]);
    expect(chainAt(all, '10.96.5.5_3306')).to.deep.equal(['wasm:default.client', TCP_PROXY]);
    expect(chainAt(all, '0.0.0.0_9080')).to.deep.equal(['wasm:default.client', HCM]);
    expect(wasmByChain(all.filter((c) => c.at.startsWith('virtualOutbound')))).to.deep.equal({ 'virtualOutbound virtualOutbound-catchall-tcp': [] });
    // A NETWORK plugin is no HTTP filter.
    const managers = all.flatMap((c) => c.filters.filter((f) => f.name === HCM).map((f) => ({ at: c.at, http: names(f.typed_config.http_filters) })));
    expect(managers.length).to.be.greaterThan(2);
    for (const m of managers) expect(m.http.filter((n) => n.startsWith('wasm:')), m.at).to.deep.equal([]);
    // Other workloads: none.
    for (const [at, wasm] of Object.entries(wasmByChain(chains(snap, PRODUCTPAGE)))) expect(wasm, at).to.deep.equal([]);
    for (const [at, wasm] of Object.entries(wasmByChain(chains(snap, GATEWAY)))) expect(wasm, at).to.deep.equal([]);
  });

  it('the filter: the network Wasm type with the PluginConfig an HTTP plugin gets, through Envoy\'s protos and back', () => {
    const spec = { ...reviews, url: 'file:///opt/filters/p.wasm', pluginName: 'root', pluginConfig: { b: 1, a: 'x' }, vmConfig: { env: [{ name: 'POD_NAME', valueFrom: 'HOST' }] }, failStrategy: 'FAIL_OPEN' };
    const snap = snapshotOf([plugin('tcp', { ...spec, type: 'NETWORK' }), plugin('http', spec)]);
    const all = chains(snap, REVIEWS_V1);
    const filter = all.find((c) => c.at === 'virtualInbound inbound|7000||')!.filters[0];
    expect(filter.name).to.equal(`${WASM_FILTER_PREFIX}default.tcp`);
    expect(filter.typed_config['@type']).to.equal(`type.googleapis.com/${NETWORK_WASM}`);
    const config = {
      name: 'default.tcp',
      root_id: 'root',
      vm_config: { runtime: 'envoy.wasm.runtime.v8', code: { local: { filename: '/opt/filters/p.wasm' } }, environment_variables: { host_env_keys: ['POD_NAME'] } },
      configuration: { '@type': 'type.googleapis.com/google.protobuf.StringValue', value: '{"a":"x","b":1}' },
      fail_open: true,
    };
    expect(filter.typed_config.config).to.deep.equal(config);
    const httpPlugin = all.find((c) => c.at === 'virtualInbound inbound|9080||')!.filters.find((f) => f.name === HCM).typed_config.http_filters[0];
    expect(httpPlugin.typed_config['@type']).to.equal('type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm');
    expect(httpPlugin.typed_config.config).to.deep.equal({ ...config, name: 'default.http' });
    const wire = decode(NETWORK_WASM, encode(NETWORK_WASM, { config: filter.typed_config.config })) as any;
    expect(wire.config).to.deep.include({ name: 'default.tcp', root_id: 'root', fail_open: true });
    expect(wire.config.configuration.value).to.equal('{"a":"x","b":1}');
  });

  it('HTTP plugins are as they were beside NETWORK ones: in the connection managers only', () => {
    const snap = snapshotOf([plugin('h', { ...reviews, url: 'file:///opt/filters/h.wasm' }), plugin('t', { ...reviews, ...net('t') }), plugin('h2', { ...reviews, url: 'file:///opt/filters/h2.wasm', type: 'HTTP' })]);
    const all = chains(snap, REVIEWS_V1);
    expect(httpFiltersAt(all, 'virtualInbound inbound|9080||')).to.deep.equal(['wasm:default.h', 'wasm:default.h2', 'envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router']);
    expect(httpFiltersAt(all, '0.0.0.0_9080')).to.deep.equal(['wasm:default.h', 'wasm:default.h2', 'envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router']);
    expect(chainAt(all, 'virtualInbound inbound|9080||')).to.deep.equal(['wasm:default.t', HCM]);
    expect(chainAt(all, 'virtualInbound inbound|7000||')).to.deep.equal(['wasm:default.t', TCP_PROXY]);
  });

  it('phases on a TCP chain: CUSTOM ext_authz, AUTHN, AUTHZ, RBAC deny and allow, STATS, UNSPECIFIED, tcp_proxy; no RBAC before a connection manager', () => {
    const snap = snapshotOf(
      [
        `
apiVersion: v1
kind: Service
metadata: { name: authz, namespace: default }
spec: { selector: { app: authz }, ports: [{ name: grpc, port: 9000 }] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny, namespace: default }
spec: { selector: { matchLabels: { app: reviews } }, action: DENY, rules: [{ from: [{ source: { ipBlocks: [192.0.2.1] } }] }] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow, namespace: default }
spec: { selector: { matchLabels: { app: reviews } }, rules: [{}] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: custom, namespace: default }
spec: { selector: { matchLabels: { app: reviews } }, action: CUSTOM, provider: { name: ext }, rules: [{ to: [{ operation: { ports: ['7000'] } }] }] }`,
        plugin('unspecified', { ...reviews, ...net('u') }),
        plugin('stats', { ...reviews, ...net('s', { phase: 'STATS' }) }),
        plugin('authz', { ...reviews, ...net('z', { phase: 'AUTHZ' }) }),
        plugin('authn', { ...reviews, ...net('n', { phase: 'AUTHN' }) }),
        plugin('high', { ...reviews, ...net('h', { phase: 'AUTHZ', priority: 10 }) }),
      ],
      { authzProviders: { ext: { kind: 'grpc', service: 'authz.default.svc.cluster.local', port: 9000, timeoutMs: 1000, failOpen: false } } },
    );
    const all = chains(snap, REVIEWS_V1);
    const tcp = [
      'envoy.filters.network.rbac.custom',
      'envoy.filters.network.ext_authz',
      'wasm:default.authn',
      'wasm:default.high',
      'wasm:default.authz',
      'envoy.filters.network.rbac.deny',
      'envoy.filters.network.rbac.allow',
      'wasm:default.stats',
      'wasm:default.unspecified',
      TCP_PROXY,
    ];
    expect(chainAt(all, 'virtualInbound inbound|7000||')).to.deep.equal(tcp);
    expect(chainAt(all, 'virtualInbound virtualInbound-catchall-tcp')).to.deep.equal(tcp);
    expect(chainAt(all, 'virtualInbound inbound|9080||')).to.deep.equal(['wasm:default.authn', 'wasm:default.high', 'wasm:default.authz', 'wasm:default.stats', 'wasm:default.unspecified', HCM]);
    // The outbound side has no authorization filters: the phases alone.
    expect(chainAt(all, '10.96.5.5_3306')).to.deep.equal(['wasm:default.authn', 'wasm:default.high', 'wasm:default.authz', 'wasm:default.stats', 'wasm:default.unspecified', TCP_PROXY]);
  });

  it('ports narrow it: a chain\'s port (the workload\'s inbound, the service\'s outbound); the inbound catch-all takes only plugins without ports', () => {
    const snap = snapshotOf([
      plugin('in-7000', { ...reviews, ...net('a'), match: [{ mode: 'SERVER', ports: [{ number: 7000 }] }] }),
      plugin('out-3306', { ...reviews, ...net('b'), match: [{ mode: 'CLIENT', ports: [{ number: 3306 }] }] }),
      plugin('any-9080', { ...reviews, ...net('c'), match: [{ ports: [{ number: 9080 }] }] }),
      plugin('both', { ...reviews, ...net('d'), match: [{ mode: 'SERVER', ports: [{ number: 9080 }] }, { mode: 'CLIENT', ports: [{ number: 3306 }] }] }),
    ]);
    const by = wasmByChain(chains(snap, REVIEWS_V1));
    expect(by['virtualInbound inbound|7000||']).to.deep.equal(['wasm:default.in-7000']);
    expect(by['virtualInbound inbound|9080||']).to.deep.equal(['wasm:default.any-9080', 'wasm:default.both']);
    expect(by['virtualInbound virtualInbound-catchall-tcp']).to.deep.equal([]);
    expect(by['10.96.5.5_3306']).to.deep.equal(['wasm:default.out-3306', 'wasm:default.both']);
    expect(by['0.0.0.0_9080']).to.deep.equal(['wasm:default.any-9080']);
    expect(by['0.0.0.0_80']).to.deep.equal([]);
  });

  it('a gateway: CLIENT on its HTTP and TCP chains (listener port), phases around its RBAC network filter; SERVER stays off', () => {
    const snap = snapshotOf([
      GATEWAY_TCP,
      `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: gw, namespace: istio-system }
spec: { selector: { matchLabels: { istio: ingressgateway } }, action: DENY, rules: [{ from: [{ source: { ipBlocks: [192.0.2.1] } }] }] }`,
      plugin('gw-stats', { ...ingress, ...net('s', { phase: 'STATS' }) }, 'istio-system'),
      plugin('gw-authz', { ...ingress, ...net('z', { phase: 'AUTHZ' }) }, 'istio-system'),
      plugin('gw-server', { ...ingress, ...net('x'), match: [{ mode: 'SERVER' }] }, 'istio-system'),
      plugin('gw-31400', { ...ingress, ...net('p'), match: [{ mode: 'CLIENT', ports: [{ number: 31400 }] }] }, 'istio-system'),
    ]);
    const all = chains(snap, GATEWAY);
    expect(all.map((c) => c.at)).to.deep.equal(['0.0.0.0_8080', '0.0.0.0_31400']);
    expect(chainAt(all, '0.0.0.0_8080')).to.deep.equal(['wasm:istio-system.gw-authz', 'wasm:istio-system.gw-stats', HCM]);
    expect(chainAt(all, '0.0.0.0_31400')).to.deep.equal(['wasm:istio-system.gw-authz', 'envoy.filters.network.rbac.deny', 'wasm:istio-system.gw-stats', 'wasm:istio-system.gw-31400', TCP_PROXY]);
    expect(httpFiltersAt(all, '0.0.0.0_8080').filter((n) => n.startsWith('wasm:'))).to.deep.equal([]);
  });

  it('remote code: https with a sha256 is fetched through a cluster of its own, which only proxies with the plugin get', () => {
    const snap = snapshotOf([plugin('remote', { ...reviews, url: 'https://wasm.example.com/tcp.wasm', sha256: SHA, type: 'NETWORK' })]);
    const filter = chains(snap, REVIEWS_V1).find((c) => c.at === 'virtualInbound inbound|7000||')!.filters[0];
    expect(filter.typed_config.config.vm_config.code).to.deep.equal({
      remote: { http_uri: { uri: 'https://wasm.example.com/tcp.wasm', cluster: 'wasm|https|wasm.example.com|443', timeout: { seconds: 30, nanos: 0 } }, sha256: SHA },
    });
    const clusters = generate(snap, proxy(REVIEWS_V1), TypeUrls.cluster);
    expectValid(TypeUrls.cluster, clusters);
    expect(byName(clusters, 'wasm|https|wasm.example.com|443')).to.deep.include({ type: 'LOGICAL_DNS' });
    expect(generate(snap, proxy(PRODUCTPAGE), TypeUrls.cluster).map((r) => r.name).filter((n) => n.startsWith('wasm|'))).to.deep.equal([]);
  });

  it('left out like HTTP plugins: no sha256, OCI images, target references; proxyless gRPC clients get none', () => {
    const snap = snapshotOf([
      plugin('no-sha', { ...reviews, url: 'https://wasm.example.com/a.wasm', type: 'NETWORK' }),
      plugin('oci', { ...reviews, url: 'oci://ghcr.io/acme/a:1', type: 'NETWORK' }),
      plugin('waypoint', { targetRefs: [{ kind: 'Service', group: '', name: 'reviews' }], ...net('w') }),
      plugin('kept', { ...reviews, ...net('k') }),
    ]);
    expect(wasmByChain(chains(snap, REVIEWS_V1))['virtualInbound inbound|7000||']).to.deep.equal(['wasm:default.kept']);
    expect(generate(snap, proxy(REVIEWS_V1), TypeUrls.cluster).map((r) => r.name).filter((n) => n.startsWith('wasm|'))).to.deep.equal([]);
    const grpc = generate(snap, proxy(REVIEWS_V1, { GENERATOR: 'grpc' }), TypeUrls.listener);
    expect(grpc.length).to.be.greaterThan(0);
    expect(JSON.stringify(grpc.map((l) => l.resource))).to.not.include(WASM_FILTER_PREFIX);
  });

  it('the Bookinfo mesh with NETWORK plugins everywhere still builds and encodes, every type for sidecars and the gateway', () => {
    const snap = snapshotOf([
      GATEWAY_TCP,
      plugin('mesh', { url: 'https://wasm.example.com/m.wasm', sha256: SHA, type: 'NETWORK', pluginConfig: { level: 'info' } }, 'istio-system'),
      plugin('mesh-http', { url: 'http://10.0.0.9/h.wasm', sha256: SHA, phase: 'STATS' }, 'istio-system'),
      plugin('gw', { ...ingress, ...net('gw', { phase: 'AUTHN' }) }, 'istio-system'),
    ]);
    for (const node of [PRODUCTPAGE, REVIEWS_V1, GATEWAY]) {
      for (const t of ENVOY_TYPES) expectValid(t, generate(snap, proxy(node), t));
      const wasm = Object.values(wasmByChain(chains(snap, node)));
      expect(wasm.filter((w) => w.includes('wasm:istio-system.mesh')).length, node).to.be.greaterThan(1);
      expect(generate(snap, proxy(node), TypeUrls.cluster).map((r) => r.name)).to.include.members(['wasm|https|wasm.example.com|443', 'wasm|http|10.0.0.9|80']);
    }
  });
});
