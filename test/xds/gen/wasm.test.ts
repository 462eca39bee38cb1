/** WasmPlugin → Envoy's Wasm HTTP filter: which proxies and connection managers, in which order, with which code. */
import { expect } from 'chai';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import type { KubeObject } from '../../../src/core/kube.js';
import { generate } from '../../../src/xds/gen/index.js';
import { WASM_FILTER_PREFIX } from '../../../src/xds/gen/wasm.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { decode, encode } from '../../../src/xds/proto.js';
import { ingress, plugin, reviews } from './wasm-fixtures.js';
import { ENVOY_TYPES, GATEWAY, PRODUCTPAGE, REVIEWS_V1, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

const SHA = '1ef0c9a92b0420cf25f7fe5d481b231464bc88f486ca3b9c83ed5cc21d2f6210';
const JWKS = '{"keys":[{"kty":"RSA","e":"AQAB","n":"abc","kid":"k1"}]}';

const file = (f: string) => ({ url: `file:///opt/filters/${f}.wasm` });

const snapshotOf = (...extra: Array<KubeObject | string>) =>
  buildSnapshot([...bookinfo('bookinfo-gateway.yaml'), ...extra.flatMap((e) => (typeof e === 'string' ? yamlObjects(e) : [e]))]);

/** Every connection manager of a proxy's listeners: where it is and its HTTP filter names. */
function managers(snap: ReturnType<typeof snapshotOf>, node: string): Array<{ at: string; filters: any[] }> {
  const listeners = generate(snap, proxy(node), TypeUrls.listener);
  expectValid(TypeUrls.listener, listeners);
  const out: Array<{ at: string; filters: any[] }> = [];
  for (const l of listeners) {
    for (const c of (l.resource as any).filter_chains) {
      for (const f of c.filters) if (f.typed_config?.http_filters) out.push({ at: `${l.name} ${c.name ?? ''}`.trim(), filters: f.typed_config.http_filters });
    }
  }
  return out;
}
const names = (filters: any[]): string[] => filters.map((f) => f.name);
const wasmNames = (filters: any[]): string[] => names(filters).filter((n) => n.startsWith(WASM_FILTER_PREFIX)).map((n) => n.slice(WASM_FILTER_PREFIX.length));
const inbound9080 = (snap: ReturnType<typeof snapshotOf>, node = REVIEWS_V1): any[] => managers(snap, node).find((m) => m.at === 'virtualInbound inbound|9080||')!.filters;
const wasmConfig = (filters: any[], name: string): any => filters.find((f) => f.name === WASM_FILTER_PREFIX + name)?.typed_config.config;

describe('WasmPlugin → Envoy Wasm filters', () => {
  it('a selected sidecar runs the plugin on its inbound and outbound connection managers; other sidecars do not', () => {
    const snap = snapshotOf(plugin('headers', { ...reviews, ...file('headers') }));
    const all = managers(snap, REVIEWS_V1);
    expect(all.length).to.be.greaterThan(1);
    for (const m of all) expect(names(m.filters), m.at).to.deep.equal([`${WASM_FILTER_PREFIX}default.headers`, 'envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router']);
    for (const m of managers(snap, PRODUCTPAGE)) expect(wasmNames(m.filters), m.at).to.deep.equal([]);
    for (const m of managers(snap, GATEWAY)) expect(wasmNames(m.filters), m.at).to.deep.equal([]);
  });

  it('the filter: istiod\'s names, the V8 runtime, a local file, the root id, configuration as JSON, environment, fail open', () => {
    const snap = snapshotOf(
      plugin('headers', {
        ...reviews,
        ...file('headers'),
        pluginName: 'add_header',
        pluginConfig: { header: 'x-wasm', limits: { max: 10, min: 1 }, list: [1, 'two', null] },
        vmConfig: { env: [{ name: 'POD_NAME', valueFrom: 'HOST' }, { name: 'TRUST_DOMAIN', value: 'cluster.local' }, { name: 'EMPTY' }] },
        failStrategy: 'FAIL_OPEN',
      }),
    );
    const filter = inbound9080(snap)[0];
    expect(filter.typed_config['@type']).to.equal('type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm');
    expect(filter.typed_config.config).to.deep.equal({
      name: 'default.headers',
      root_id: 'add_header',
      vm_config: {
        runtime: 'envoy.wasm.runtime.v8',
        code: { local: { filename: '/opt/filters/headers.wasm' } },
        environment_variables: { host_env_keys: ['POD_NAME'], key_values: { TRUST_DOMAIN: 'cluster.local', EMPTY: '' } },
      },
      configuration: { '@type': 'type.googleapis.com/google.protobuf.StringValue', value: '{"header":"x-wasm","limits":{"max":10,"min":1},"list":[1,"two",null]}' },
      fail_open: true,
    });
    // Through Envoy's protos and back: the configuration arrives as the StringValue Envoy hands the plugin.
    const wire = decode('envoy.extensions.filters.http.wasm.v3.Wasm', encode('envoy.extensions.filters.http.wasm.v3.Wasm', { config: filter.typed_config.config })) as any;
    expect(wire.config.configuration).to.deep.equal({ '@type': 'type.googleapis.com/google.protobuf.StringValue', value: '{"header":"x-wasm","limits":{"max":10,"min":1},"list":[1,"two",null]}' });
    expect(wire.config.fail_open).to.equal(true);
    expect(wire.config.vm_config.code.local.filename).to.equal('/opt/filters/headers.wasm');
  });

  it('no pluginConfig, FAIL_CLOSE, no env: nothing of them is written', () => {
    const snap = snapshotOf(plugin('bare', { ...reviews, ...file('bare'), pluginConfig: {}, failStrategy: 'FAIL_CLOSE' }));
    expect(wasmConfig(inbound9080(snap), 'default.bare')).to.deep.equal({ name: 'default.bare', vm_config: { runtime: 'envoy.wasm.runtime.v8', code: { local: { filename: '/opt/filters/bare.wasm' } } } });
  });

  it('https code: fetched by Envoy against the sha256, through a cluster of its own with TLS and SNI', () => {
    const snap = snapshotOf(plugin('remote', { ...reviews, url: 'https://Wasm.Example.com/filters/remote.wasm?v=2', sha256: SHA }));
    expect(wasmConfig(inbound9080(snap), 'default.remote').vm_config.code).to.deep.equal({
      remote: { http_uri: { uri: 'https://Wasm.Example.com/filters/remote.wasm?v=2', cluster: 'wasm|https|wasm.example.com|443', timeout: { seconds: 30, nanos: 0 } }, sha256: SHA },
    });
    const clusters = generate(snap, proxy(REVIEWS_V1), TypeUrls.cluster);
    expectValid(TypeUrls.cluster, clusters);
    const c = byName(clusters, 'wasm|https|wasm.example.com|443');
    expect(c).to.deep.include({ type: 'LOGICAL_DNS', dns_lookup_family: 'V4_ONLY' });
    expect(c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).to.deep.equal({ address: 'wasm.example.com', port_value: 443 });
    const tls = c.transport_socket.typed_config;
    expect(tls['@type']).to.equal('type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext');
    expect(tls.sni).to.equal('wasm.example.com');
    expect(tls.common_tls_context.validation_context).to.deep.equal({
      trusted_ca: { filename: '/etc/ssl/certs/ca-certificates.crt' },
      match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'wasm.example.com' } }],
    });
    // Only proxies with such a plugin have the cluster.
    expect(generate(snap, proxy(PRODUCTPAGE), TypeUrls.cluster).map((r) => r.name).filter((n) => n.startsWith('wasm|'))).to.deep.equal([]);
  });

  it('http code: a plaintext cluster; an IP address is a STATIC one; plugins on one server share its cluster', () => {
    const snap = snapshotOf(
      plugin('a', { ...reviews, url: 'http://10.0.0.9:8080/a.wasm', sha256: SHA }),
      plugin('b', { ...reviews, url: 'http://10.0.0.9:8080/b.wasm', sha256: SHA }),
      plugin('c', { ...reviews, url: 'http://wasm.default.svc.cluster.local/c.wasm', sha256: SHA }),
    );
    const clusters = generate(snap, proxy(REVIEWS_V1), TypeUrls.cluster);
    expectValid(TypeUrls.cluster, clusters);
    const wasm = clusters.filter((r) => r.name.startsWith('wasm|'));
    expect(wasm.map((r) => r.name)).to.deep.equal(['wasm|http|10.0.0.9|8080', 'wasm|http|wasm.default.svc.cluster.local|80']);
    expect(wasm[0]!.resource).to.deep.include({ type: 'STATIC' }).and.not.have.property('transport_socket');
    expect(wasm[1]!.resource).to.deep.include({ type: 'LOGICAL_DNS' }).and.not.have.property('transport_socket');
    expect(wasmNames(inbound9080(snap))).to.deep.equal(['default.a', 'default.b', 'default.c']);
  });

  it('plugins mizzen cannot apply are left out, with no cluster: no sha256, OCI images, target references, no file', () => {
    const snap = snapshotOf(
      plugin('no-sha', { ...reviews, url: 'https://wasm.example.com/a.wasm' }),
      plugin('bad-sha', { ...reviews, url: 'https://wasm.example.com/a.wasm', sha256: 'abc' }),
      plugin('oci', { ...reviews, url: 'oci://ghcr.io/acme/a:1' }),
      plugin('no-scheme', { ...reviews, url: 'ghcr.io/acme/a:1' }),
      plugin('waypoint', { targetRefs: [{ kind: 'Service', group: '', name: 'reviews' }], ...file('w') }),
      plugin('nothing', { ...reviews, url: 'file://' }),
      plugin('kept', { ...reviews, ...file('kept'), type: 'HTTP' }),
    );
    expect(wasmNames(inbound9080(snap))).to.deep.equal(['default.kept']);
    expect(generate(snap, proxy(REVIEWS_V1), TypeUrls.cluster).map((r) => r.name).filter((n) => n.startsWith('wasm|'))).to.deep.equal([]);
  });

  it('selection: the namespace (no selector), the root namespaces (mesh-wide), labels; never another namespace', () => {
    const snap = snapshotOf(
      plugin('ns-wide', file('a')),
      plugin('mesh-wide', file('b'), 'istio-system'),
      plugin('mesh-reviews', { ...reviews, ...file('c') }, 'istio-system'),
      plugin('elsewhere', file('d'), 'other'),
      plugin('ratings', { selector: { matchLabels: { app: 'ratings' } }, ...file('e') }),
      plugin('empty-selector', { selector: {}, ...file('f') }),
    );
    expect(wasmNames(inbound9080(snap))).to.deep.equal(['default.ns-wide', 'default.empty-selector', 'istio-system.mesh-wide', 'istio-system.mesh-reviews']);
    expect(wasmNames(inbound9080(snap, PRODUCTPAGE))).to.deep.equal(['default.ns-wide', 'default.empty-selector', 'istio-system.mesh-wide']);
    const gateway = managers(snap, GATEWAY);
    expect(gateway.length).to.be.greaterThan(0);
    for (const m of gateway) expect(wasmNames(m.filters), 'the gateway in istio-system: mesh-wide only').to.deep.equal(['istio-system.mesh-wide']);
  });

  it('order within a phase: priority, highest first (unset last); then the proxy\'s namespace before the root; then oldest first', () => {
    const snap = snapshotOf(
      plugin('young', file('a'), 'default', 30),
      plugin('old', file('b'), 'default', 10),
      plugin('root-old', file('c'), 'istio-system', 1),
      plugin('low', { ...file('d'), priority: -5 }, 'default', 40),
      plugin('high', { ...file('e'), priority: 1000 }, 'istio-system', 50),
      plugin('mid', { ...file('f'), priority: 10 }, 'default', 20),
      plugin('zero', { ...file('g'), priority: 0 }, 'default', 25),
    );
    expect(wasmNames(inbound9080(snap))).to.deep.equal(['istio-system.high', 'default.mid', 'default.zero', 'default.low', 'default.old', 'default.young', 'istio-system.root-old']);
  });

  it('phases among Istio\'s filters: AUTHN before jwt_authn, AUTHZ after CUSTOM and before RBAC, STATS then UNSPECIFIED, all before fault', () => {
    const snap = buildSnapshot(
      [
        ...bookinfo('bookinfo-gateway.yaml'),
        ...yamlObjects(`
apiVersion: v1
kind: Service
metadata: { name: authz, namespace: default }
spec: { selector: { app: authz }, ports: [{ name: grpc, port: 9000 }] }
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: jwt, namespace: default }
spec: { selector: { matchLabels: { app: reviews } }, jwtRules: [{ issuer: i, jwks: '${JWKS}' }] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny, namespace: default }
spec: { selector: { matchLabels: { app: reviews } }, action: DENY, rules: [{ to: [{ operation: { paths: [/admin] } }] }] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow, namespace: default }
spec: { selector: { matchLabels: { app: reviews } }, rules: [{}] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: custom, namespace: default }
spec: { selector: { matchLabels: { app: reviews } }, action: CUSTOM, provider: { name: ext }, rules: [{ to: [{ operation: { paths: [/ext] } }] }] }`),
        plugin('unspecified', { ...reviews, ...file('u') }),
        plugin('stats', { ...reviews, ...file('s'), phase: 'STATS' }),
        plugin('authz', { ...reviews, ...file('z'), phase: 'AUTHZ' }),
        plugin('authn', { ...reviews, ...file('n'), phase: 'AUTHN' }),
        plugin('explicit', { ...reviews, ...file('x'), phase: 'UNSPECIFIED_PHASE' }),
      ],
      { authzProviders: { ext: { kind: 'grpc', service: 'authz.default.svc.cluster.local', port: 9000, timeoutMs: 1000, failOpen: false } } },
    );
    expect(names(inbound9080(snap)).map((n) => n.replace(WASM_FILTER_PREFIX, 'wasm:'))).to.deep.equal([
      'wasm:default.authn',
      'envoy.filters.http.jwt_authn',
      'envoy.filters.http.rbac.custom',
      'envoy.filters.http.ext_authz',
      'wasm:default.authz',
      'envoy.filters.http.rbac.deny',
      'envoy.filters.http.rbac.allow',
      'wasm:default.stats',
      'wasm:default.unspecified',
      'wasm:default.explicit',
      'envoy.filters.http.fault',
      'envoy.filters.http.cors',
      'envoy.filters.http.router',
    ]);
  });

  it('a gateway: its listeners are CLIENT, so SERVER plugins stay off; phases around its JWT and RBAC filters', () => {
    const snap = snapshotOf(
      plugin('gw-authn', { ...ingress, ...file('a'), phase: 'AUTHN' }, 'istio-system'),
      plugin('gw-server', { ...ingress, ...file('b'), match: [{ mode: 'SERVER' }] }, 'istio-system'),
      plugin('gw-client', { ...ingress, ...file('c'), match: [{ mode: 'CLIENT' }] }, 'istio-system'),
      `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: gw, namespace: istio-system }
spec: { selector: { matchLabels: { istio: ingressgateway } }, action: DENY, rules: [{ to: [{ operation: { paths: [/admin] } }] }] }
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: gw, namespace: istio-system }
spec: { selector: { matchLabels: { istio: ingressgateway } }, jwtRules: [{ issuer: i, jwks: '${JWKS}' }] }`,
    );
    const gateway = managers(snap, GATEWAY);
    expect(gateway.length).to.be.greaterThan(0);
    for (const m of gateway) {
      expect(names(m.filters).map((n) => n.replace(WASM_FILTER_PREFIX, 'wasm:')), m.at).to.deep.equal([
        'wasm:istio-system.gw-authn',
        'envoy.filters.http.jwt_authn',
        'envoy.filters.http.rbac.deny',
        'wasm:istio-system.gw-client',
        'envoy.filters.http.fault',
        'envoy.filters.http.cors',
        'envoy.filters.http.router',
      ]);
    }
  });

  it('match: mode SERVER is the inbound side only, CLIENT the outbound side only; ports narrow either', () => {
    const snap = snapshotOf(
      plugin('server', { ...reviews, ...file('s'), match: [{ mode: 'SERVER' }] }),
      plugin('client', { ...reviews, ...file('c'), match: [{ mode: 'CLIENT' }] }),
      plugin('port-9080', { ...reviews, ...file('p'), match: [{ ports: [{ number: 9080 }] }] }),
      plugin('server-9999', { ...reviews, ...file('x'), match: [{ mode: 'SERVER', ports: [{ number: 9999 }] }] }),
      plugin('either', { ...reviews, ...file('e'), match: [{ mode: 'SERVER', ports: [{ number: 9999 }] }, { mode: 'CLIENT', ports: [{ number: 9080 }] }] }),
    );
    const by = Object.fromEntries(managers(snap, REVIEWS_V1).map((m) => [m.at, wasmNames(m.filters)]));
    expect(by['virtualInbound inbound|9080||']).to.deep.equal(['default.server', 'default.port-9080']);
    expect(by['0.0.0.0_9080']).to.deep.equal(['default.client', 'default.port-9080', 'default.either']);
    expect(by['0.0.0.0_80']).to.deep.equal(['default.client']);
  });

  it('the Bookinfo mesh with plugins still builds and encodes, every type for a sidecar and the gateway', () => {
    const snap = buildSnapshot([
      ...bookinfo('destination-rule-all.yaml', 'virtual-service-reviews-90-10.yaml', 'bookinfo-gateway.yaml'),
      plugin('mesh', { url: 'https://wasm.example.com/m.wasm', sha256: SHA, pluginConfig: { level: 'info' } }, 'istio-system'),
      plugin('gw', { ...ingress, ...file('gw'), phase: 'AUTHN' }, 'istio-system'),
      plugin('reviews', { ...reviews, url: 'http://10.0.0.9/r.wasm', sha256: SHA, phase: 'STATS', priority: 3 }),
    ]);
    for (const node of [PRODUCTPAGE, REVIEWS_V1, GATEWAY]) {
      for (const t of ENVOY_TYPES) expectValid(t, generate(snap, proxy(node), t));
      expect(generate(snap, proxy(node), TypeUrls.cluster).map((r) => r.name)).to.include('wasm|https|wasm.example.com|443');
    }
  });

  it('odd specs a file source could let through never throw, and give no filter where nothing can be read', () => {
    const odd: unknown[] = [
      {},
      { url: 42 },
      { url: 'file:///a.wasm', selector: 'x', match: 'all', vmConfig: { env: 'A=1' }, pluginConfig: 'x', phase: 7, priority: 'high' },
      { url: 'file:///a.wasm', match: [null, 1, { mode: 3, ports: [null, { number: 'x' }, { number: -1 }] }], vmConfig: { env: [null, 1, { name: 5 }, { name: 'A', value: 3 }] } },
      { url: 'https://h/a.wasm', sha256: 42 },
      { url: 'https://[zz]/a.wasm', sha256: SHA },
      { url: 'http://h:70000/a.wasm', sha256: SHA },
      { url: 'ftp://h/a.wasm' },
      { url: 'file:///a.wasm', targetRefs: 'x' },
      { url: 'file:///a.wasm', pluginConfig: JSON.parse('{"__proto__":{"x":1},"constructor":{"prototype":1}}') },
    ];
    const objects = odd.map((spec, i) => plugin(`odd-${i}`, spec as Record<string, unknown>));
    objects.push({ apiVersion: 'extensions.istio.io/v1alpha1', kind: 'WasmPlugin', metadata: { name: 'null-spec', namespace: 'default' }, spec: null } as unknown as KubeObject);
    const snap = snapshotOf(...objects);
    for (const node of [REVIEWS_V1, PRODUCTPAGE, GATEWAY]) for (const t of ENVOY_TYPES) expectValid(t, generate(snap, proxy(node), t));
    expect(wasmNames(inbound9080(snap))).to.deep.equal(['default.odd-2', 'default.odd-3', 'default.odd-8', 'default.odd-9']);
  });
});
