/**
 * WasmPlugin (extensions.istio.io) → Envoy's Wasm filters on the listeners of the sidecars and gateways a plugin
 * selects, as istiod places them: an HTTP plugin (type HTTP or unset) is an `envoy.filters.http.wasm` HTTP filter of
 * the connection managers, a NETWORK plugin an `envoy.filters.network.wasm` network filter of the filter chains. The
 * module's code is given to Envoy inline (istiod sends it by ECDS and its agent fetches the module; plain Envoy has
 * neither).
 *
 * Which plugins: those in the proxy's namespace and in the root namespaces (model/root-namespaces.ts) whose
 * `selector.matchLabels` is absent, empty or matches the proxy's labels, or whose targetRefs name the Gateway API
 * Gateway the proxy serves (model/policy-attachment.ts). Plugins mizzen cannot apply (validation warns,
 * wasmPluginSkips) are left out: OCI images, http(s) code without a valid sha256, URLs naming nothing. Order, as
 * istiod's: the proxy's namespace first, then the root namespaces, each oldest first, then by `priority`, highest
 * first (unset below any set value), keeping that order between equals.
 *
 * Where: every connection manager (HTTP) or filter chain (NETWORK) whose direction and port a plugin's `match`
 * selects (no match: all of them) — a sidecar's inbound chains are SERVER (the workload's port; the catch-all chain
 * of undeclared ports is port 0, so only plugins without ports), its outbound listeners CLIENT (the service port), a
 * gateway's listeners CLIENT (the listener port). Within a connection manager, by phase (phased()): AUTHN before the
 * JWT filter, AUTHZ after it and before authorization (after the CUSTOM external authorization, before the DENY and
 * ALLOW RBAC filters, as istiod), then STATS, then UNSPECIFIED_PHASE, all before fault, CORS and the router. istiod
 * puts CUSTOM before JWT and so AUTHN plugins after CUSTOM; mizzen checks the token first, so they run before both.
 * Within a filter chain (networkPhased()): the CUSTOM network filters, AUTHN, AUTHZ, the RBAC network filters, STATS,
 * UNSPECIFIED_PHASE, then the chain's tcp_proxy or connection manager (which has no RBAC network filters before it).
 *
 * The filter: named `extensions.istio.io/wasmplugin/<ns>.<name>` (istiod's name for it), plugin name
 * `<ns>.<name>`, root id = pluginName, configuration = pluginConfig as JSON in a google.protobuf.StringValue, the
 * V8 runtime, environment variables from vmConfig.env (INLINE as key/values, HOST as the proxy's own), fail_open
 * for FAIL_OPEN. Code: `file://` → a local file of the proxy; `http(s)://` → remote code Envoy fetches (30 s
 * timeout, as istiod writes it) through a cluster of its own for the URL's host and port (wasmClusters(), for HTTP
 * and NETWORK plugins alike), TLS with SNI and the system CAs for https, checked against the sha256. Pure; odd specs
 * give no filter, never throw.
 */
import type { Config, Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { asArray, asObject, policySelector } from '../../model/selectors.js';
import { policyAttaches } from '../../model/policy-attachment.js';
import { rootNamespacesOf, rootsKey } from '../../model/root-namespaces.js';
import { wasmSource } from '../../model/wasm-url.js';
import { isIpAddress } from '../../validation/common.js';
import { wasmPluginSkips } from '../../validation/wasmplugin.js';
import { duration } from '../proto.js';
import { type Json, DEFAULT_CONNECT_TIMEOUT_MS, any, byString } from './common.js';
import { labelsKey, memoOn, proxyLabels } from './context.js';
import { SYSTEM_CA_BUNDLE } from './policy.js';

export const WASM_FILTER_PREFIX = 'extensions.istio.io/wasmplugin/';
/** The filter's type by the plugin's type: the same PluginConfig in either. */
const WASM_TYPES = { HTTP: 'envoy.extensions.filters.http.wasm.v3.Wasm', NETWORK: 'envoy.extensions.filters.network.wasm.v3.Wasm' } as const;
const RUNTIME = 'envoy.wasm.runtime.v8';
/** How long Envoy waits for remote code (istiod's value). */
const FETCH_TIMEOUT_MS = 30_000;
const SHA256 = /^[a-f0-9]{64}$/;

export type Mode = 'CLIENT' | 'SERVER';
export type Phase = 'AUTHN' | 'AUTHZ' | 'STATS' | 'UNSPECIFIED_PHASE';
/** HTTP plugins filter a connection manager's requests, NETWORK plugins a filter chain's connections. */
export type PluginType = keyof typeof WASM_TYPES;
/** The Wasm filters of one connection manager or filter chain, by phase, each list in order. */
export type WasmPhases = Readonly<Record<Phase, readonly Json[]>>;

/** A plugin as the generator uses it: its filter, where it runs, and the cluster its remote code comes through. */
interface Plugin {
  config: Config;
  type: PluginType;
  filter: Json;
  phase: Phase;
  priority: number | undefined;
  /** Each entry: a mode (undefined: both) and ports (empty: all). Empty list: every connection manager. */
  match: Array<{ mode: Mode | undefined; ports: number[] }>;
  cluster?: Json;
}

/** The cluster remote code comes through: one per scheme, host and port. */
export const wasmClusterName = (scheme: string, host: string, port: number): string => `wasm|${scheme}|${host}|${port}`;

/** Struct values as JSON with keys sorted (one text per content, as protobuf's JSON of a Struct). */
function sortedJson(v: unknown): string {
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (typeof x === 'object' && x !== null) return Object.fromEntries(Object.keys(x).sort(byString).map((k) => [k, sort((x as Json)[k])]));
    return x;
  };
  return JSON.stringify(sort(v));
}

function environment(spec: Json): Json | undefined {
  const host: string[] = [];
  const values: Record<string, string> = {};
  for (const e of asArray(asObject(spec.vmConfig).env).map(asObject)) {
    if (typeof e.name !== 'string' || e.name === '') continue;
    if (e.valueFrom === 'HOST') host.push(e.name);
    else values[e.name] = typeof e.value === 'string' ? e.value : '';
  }
  if (host.length === 0 && Object.keys(values).length === 0) return undefined;
  return { ...(host.length ? { host_env_keys: host } : {}), ...(Object.keys(values).length ? { key_values: values } : {}) };
}

function remoteCluster(name: string, scheme: string, host: string, port: number): Json {
  const ip = isIpAddress(host);
  const cluster: Json = {
    name,
    type: ip ? 'STATIC' : 'LOGICAL_DNS',
    connect_timeout: duration(DEFAULT_CONNECT_TIMEOUT_MS),
    ...(ip ? {} : { dns_lookup_family: 'V4_ONLY' }),
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: port } } } }] }] },
  };
  if (scheme === 'https') {
    cluster.transport_socket = {
      name: 'envoy.transport_sockets.tls',
      typed_config: any('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', {
        ...(ip ? {} : { sni: host }),
        common_tls_context: {
          validation_context: { trusted_ca: { filename: SYSTEM_CA_BUNDLE }, match_typed_subject_alt_names: [{ san_type: ip ? 'IP_ADDRESS' : 'DNS', matcher: { exact: host } }] },
        },
      }),
    };
  }
  return cluster;
}

const PHASES: readonly Phase[] = ['AUTHN', 'AUTHZ', 'STATS', 'UNSPECIFIED_PHASE'];

function matchOf(spec: Json): Plugin['match'] {
  return asArray(spec.match).map((raw) => {
    const m = asObject(raw);
    const mode = m.mode === 'CLIENT' || m.mode === 'SERVER' ? m.mode : undefined;
    const ports = asArray(m.ports).map((p) => asObject(p).number).filter((n): n is number => Number.isInteger(n) && n > 0);
    return { mode, ports };
  });
}

/** The plugin as the generator uses it, or undefined when mizzen cannot apply it. */
function pluginOf(c: Config): Plugin | undefined {
  const spec = asObject(c.spec);
  if (typeof spec.url !== 'string' || wasmPluginSkips(spec).length > 0) return undefined;
  const source = wasmSource(spec.url);
  let code: Json;
  let cluster: Json | undefined;
  if (source.kind === 'file') code = { local: { filename: source.filename } };
  else if (source.kind === 'remote') {
    if (typeof spec.sha256 !== 'string' || !SHA256.test(spec.sha256)) return undefined;
    const name = wasmClusterName(source.scheme, source.host, source.port);
    cluster = remoteCluster(name, source.scheme, source.host, source.port);
    code = { remote: { http_uri: { uri: source.uri, cluster: name, timeout: duration(FETCH_TIMEOUT_MS) }, sha256: spec.sha256 } };
  } else return undefined;
  let configuration: Json | undefined;
  const pc = spec.pluginConfig;
  if (typeof pc === 'object' && pc !== null && !Array.isArray(pc) && Object.keys(pc).length > 0) {
    try {
      configuration = { '@type': 'type.googleapis.com/google.protobuf.StringValue', value: sortedJson(pc) };
    } catch {
      return undefined; // too deep to write out: not applied rather than half applied
    }
  }
  const env = environment(spec);
  const name = `${c.namespace}.${c.name}`;
  const type: PluginType = spec.type === 'NETWORK' ? 'NETWORK' : 'HTTP';
  const filter = {
    name: WASM_FILTER_PREFIX + name,
    typed_config: any(WASM_TYPES[type], {
      config: {
        name,
        ...(typeof spec.pluginName === 'string' && spec.pluginName !== '' ? { root_id: spec.pluginName } : {}),
        vm_config: { runtime: RUNTIME, code, ...(env ? { environment_variables: env } : {}) },
        ...(configuration ? { configuration } : {}),
        ...(spec.failStrategy === 'FAIL_OPEN' ? { fail_open: true } : {}),
      },
    }),
  };
  const phase = PHASES.includes(spec.phase) ? (spec.phase as Phase) : 'UNSPECIFIED_PHASE';
  const priority = Number.isInteger(spec.priority) ? (spec.priority as number) : undefined;
  return { config: c, type, filter, phase, priority, match: matchOf(spec), ...(cluster ? { cluster } : {}) };
}

const pluginMemo = new WeakMap<Config, { plugin: Plugin | undefined }>();
function memoPlugin(c: Config): Plugin | undefined {
  let m = pluginMemo.get(c);
  if (!m) pluginMemo.set(c, (m = { plugin: pluginOf(c) }));
  return m.plugin;
}

const NONE: readonly Plugin[] = [];
const applicable = new WeakMap<readonly Config[], Map<string, readonly Plugin[]>>();

/** The plugins mizzen applies to a workload with these labels in `namespace` (`roots`: the root namespaces), in istiod's order. */
export function wasmPluginsFor(plugins: readonly Config[], namespace: string, labels: Readonly<Record<string, string>>, roots: readonly string[]): readonly Plugin[] {
  if (plugins.length === 0) return NONE;
  return memoOn(applicable, plugins, `${rootsKey(roots)}\n${namespace}\n${labelsKey(labels)}`, () => {
    const namespaces = [...new Set([namespace, ...roots])];
    const out: Plugin[] = [];
    for (const ns of namespaces) {
      for (const c of plugins) {
        if (c.namespace !== ns || !policyAttaches(c.spec, policySelector(c.spec), c.namespace, namespace, labels)) continue;
        const p = memoPlugin(c);
        if (p) out.push(p);
      }
    }
    // Stable: equal priorities keep the namespace-then-age order.
    const prio = (p: Plugin): number => p.priority ?? -Infinity;
    return out.length === 0 ? NONE : out.sort((a, b) => (prio(a) === prio(b) ? 0 : prio(a) > prio(b) ? -1 : 1));
  });
}

const selects = (p: Plugin, mode: Mode, port: number): boolean =>
  p.match.length === 0 || p.match.some((m) => (m.mode === undefined || m.mode === mode) && (m.ports.length === 0 || m.ports.includes(port)));

const phaseMemo = new WeakMap<readonly Plugin[], Map<string, WasmPhases | null>>();

/** The filters of the proxy's `type` plugins for one connection manager or chain (`mode`, `port`); undefined when none. */
function filtersFor(snap: Snapshot, proxy: Proxy, type: PluginType, mode: Mode, port: number): WasmPhases | undefined {
  if (snap.wasmPlugins.length === 0 || proxy.generator === 'grpc') return undefined;
  const plugins = wasmPluginsFor(snap.wasmPlugins, proxy.namespace, proxyLabels(snap, proxy), rootNamespacesOf(snap.mesh));
  if (plugins.length === 0) return undefined;
  const hit = memoOn(phaseMemo, plugins, `${type}\n${mode}\n${port}`, () => {
    const chosen = plugins.filter((p) => p.type === type && selects(p, mode, port));
    if (chosen.length === 0) return null;
    const byPhase = (phase: Phase): Json[] => chosen.filter((p) => p.phase === phase).map((p) => p.filter);
    return { AUTHN: byPhase('AUTHN'), AUTHZ: byPhase('AUTHZ'), STATS: byPhase('STATS'), UNSPECIFIED_PHASE: byPhase('UNSPECIFIED_PHASE') };
  });
  return hit ?? undefined;
}

/** The Wasm HTTP filters for one connection manager of the proxy (`mode`, `port`); undefined when there are none. */
export const wasmFilters = (snap: Snapshot, proxy: Proxy, mode: Mode, port: number): WasmPhases | undefined => filtersFor(snap, proxy, 'HTTP', mode, port);

/** The Wasm network filters for one filter chain of the proxy (`mode`, `port`); undefined when there are none. */
export const wasmNetworkFilters = (snap: Snapshot, proxy: Proxy, mode: Mode, port: number): WasmPhases | undefined => filtersFor(snap, proxy, 'NETWORK', mode, port);

/**
 * The filters that go before fault, CORS and the router: `jwt` (authentication), `custom` (CUSTOM external
 * authorization), `rbac` (DENY, ALLOW), with the Wasm filters in their phases.
 */
export function phased(jwt: readonly Json[], custom: readonly Json[], rbac: readonly Json[], wasm: WasmPhases | undefined): Json[] {
  if (!wasm) return [...jwt, ...custom, ...rbac];
  return [...wasm.AUTHN, ...jwt, ...custom, ...wasm.AUTHZ, ...rbac, ...wasm.STATS, ...wasm.UNSPECIFIED_PHASE];
}

/**
 * The network filters that go before a chain's tcp_proxy or connection manager: `custom` (CUSTOM external
 * authorization), `rbac` (DENY, ALLOW; both empty before a connection manager), with the Wasm network filters in
 * their phases.
 */
export function networkPhased(custom: readonly Json[], rbac: readonly Json[], wasm: WasmPhases | undefined): Json[] {
  if (!wasm) return [...custom, ...rbac];
  return [...custom, ...wasm.AUTHN, ...wasm.AUTHZ, ...rbac, ...wasm.STATS, ...wasm.UNSPECIFIED_PHASE];
}

/** The clusters the proxy's plugins (HTTP and NETWORK) fetch remote code through, by name. */
export function wasmClusters(snap: Snapshot, proxy: Proxy): Json[] {
  if (snap.wasmPlugins.length === 0 || proxy.generator === 'grpc') return [];
  const byName = new Map<string, Json>();
  for (const p of wasmPluginsFor(snap.wasmPlugins, proxy.namespace, proxyLabels(snap, proxy), rootNamespacesOf(snap.mesh))) {
    if (p.cluster && !byName.has(p.cluster.name)) byName.set(p.cluster.name, p.cluster);
  }
  return [...byName.values()].sort((a, b) => byString(a.name, b.name));
}
