/**
 * Mesh configuration: images, proxy defaults, the xDS address, injection selectors.
 * `--mesh-config FILE` (YAML) overrides any subset of the defaults below; unknown keys are errors, and
 * the inject selectors must be Kubernetes label selectors, so that a bad one stops the start rather than
 * every pod review. Istio's MeshConfig fields that mizzen does not apply are accepted with a warning
 * (config/istio-fields.ts), so that an Istio mesh config loads as it is.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ok, fail } from '../core/result.js';
import { KUBECTL_YAML } from '../core/documents.js';
import { Issues } from '../validation/schema.js';
import { checkLabelSelector, isDns1123Label, parseDuration } from '../validation/common.js';
import { localityLbSettingErrors, zoneAwareLbSettingErrors } from '../validation/destinationrule.js';
import { isObject } from '../core/object.js';
import { parseHostPort } from '../bootstrap/envoy.js';
import { DEFAULT_TRUST_DOMAIN, Ports, TRUST_DOMAIN } from '../core/constants.js';
import { shown } from '../core/shown.js';
import type { MeshTls } from '../model/types.js';
import { ISTIO_MESH_FIELDS, sortIstioFields } from './istio-fields.js';
import { TRAFFIC_DEFAULT_FIELDS, type TrafficDefaults, takeTrafficDefaults } from './traffic-defaults.js';
import { type OutboundTrafficPolicy, checkOutboundPolicy, takeOutboundTls } from './outbound-traffic.js';
import { readAccessLogFormat } from './access-log-format.js';
import { accessLogServiceWarnings } from './remote-service.js';
import { readDefaultConfig, type DefaultProxyConfig } from './default-config.js';
import { readMeshTls } from './mesh-tls.js';
import { statNameWarnings } from './stat-names.js';
import { readCaCertificates, type CaCertificate } from './ca-certificates.js';
import { readServiceEntryVisibility, type ServiceEntryVisibility } from './serviceentry-visibility.js';
import { capturePortErrors } from './capture-ports.js';
import { collectorAddress } from './mesh-options.js';
import { DEFAULT_EXTENSION_PROVIDERS, checkDefaultProviders, mergeExtensionProviders, type DefaultProviders, type ExtensionProvider } from './providers.js';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

export interface ResourceList {
  cpu?: string;
  memory?: string;
}

/** A mesh config; the traffic defaults (config/traffic-defaults.ts) are optional fields, absent by default. */
export interface MeshConfig extends TrafficDefaults {
  /** Envoy image for the istio-proxy sidecar (also the gateway). */
  proxyImage: string;
  /** Image of the istio-init container: mizzen's own image, which carries iptables. */
  initImage: string;
  /** host:port of the control plane's xDS server as proxies reach it. */
  xdsAddress: string;
  /**
   * host:port of its xDS over TLS (15012), which sidecars with mesh certificates use instead: they check the
   * control plane's certificate (the mesh CA signs it for this host) against their root-cert.pem.
   */
  xdsTlsAddress: string;
  domainSuffix: string;
  trustDomain: string;
  /** Revision label value (istio.io/rev). */
  revision: string;
  proxyLogLevel: string;
  proxyResources: { requests: ResourceList; limits: ResourceList };
  /** Run istio-proxy as a native sidecar (init container with restartPolicy: Always). */
  nativeSidecar: boolean;
  /** Pods that say nothing themselves (no sidecar.istio.io/inject) and match any of these are not injected; checked before alwaysInjectSelector, as Istio does. */
  neverInjectSelector: LabelSelector[];
  alwaysInjectSelector: LabelSelector[];
  /** Hold the application until the proxy is ready: istio-proxy first, with a postStart hook (inject/hold.ts). A native sidecar holds it anyway. */
  holdApplicationUntilProxyStarts: boolean;
  /** Outbound IP ranges to redirect by default ("*" = all). */
  includeOutboundIPRanges: string;
  /** Istio's: the ports istio-init redirects outbound (15001) and inbound (15006) connections to (capture-ports.ts). */
  proxyListenPort: number;
  proxyInboundListenPort: number;
  /**
   * Istio's meshConfig.outboundTrafficPolicy: where sidecars send traffic for destinations outside the registry,
   * ALLOW_ANY (passed through), REGISTRY_ONLY (refused) or ALLOW_ANY_DYNAMIC_DNS (passed through, plaintext HTTP by
   * the Host the proxy resolves, with `tls` originated as it says); a Sidecar resource's own setting wins
   * (config/outbound-traffic.ts).
   */
  outboundTrafficPolicy: OutboundTrafficPolicy;
  /** Istio's accessLogFile: where every sidecar and gateway writes an access log line per request or connection ('' = none, e.g. /dev/stdout). */
  accessLogFile: string;
  /** TEXT (Envoy's default line) or JSON. */
  accessLogEncoding: 'TEXT' | 'JSON';
  /** Istio's accessLogFormat ('' = the default): an Envoy format string for TEXT, a JSON object of fields for JSON (config/access-log-format.ts). */
  accessLogFormat: string;
  /**
   * Istio's enableEnvoyAccessLogService: where no Telemetry resource or defaultProviders say how to log, every
   * connection manager and tcp_proxy also streams its log to the envoy_accesslog_service cluster, which a proxy has
   * when its ProxyConfig names envoyAccessLogService (xds/gen/access-log.ts, bootstrap/access-log-service.ts).
   */
  enableEnvoyAccessLogService: boolean;
  /**
   * Istio's disableEnvoyListenerLog: no listener-level access logs, which sidecars' virtualOutbound and
   * virtualInbound and gateways' listeners otherwise write for connections no filter chain took
   * (xds/gen/telemetry.ts), with whatever logs the connection managers and tcp_proxies have.
   */
  disableEnvoyListenerLog: boolean;
  /** Istio's enableTracing: sidecars and gateways report spans to the tracing collector below, when it is in the registry. */
  enableTracing: boolean;
  /**
   * Istio's proxy tracing settings (defaultConfig.tracing): the Zipkin-protocol collector (Zipkin, Jaeger, Tempo …)
   * as `host:port` (a Service's `name.namespace`, or a registry FQDN), and the percentage of requests traced.
   */
  tracing: { zipkin: { address: string }; sampling: number };
  /**
   * Istio's extensionProviders: named telemetry providers that Telemetry resources and defaultProviders refer to
   * (config/providers.ts). A user's list is merged by name onto the defaults (prometheus, stackdriver, envoy).
   */
  extensionProviders: ExtensionProvider[];
  /** Istio's defaultProviders: the providers in force where no Telemetry resource names one. */
  defaultProviders: DefaultProviders;
  /**
   * Istio's protocolDetectionTimeout: how long a sidecar waits for a client's first bytes on a port whose protocol
   * it sniffs before it treats the connection as TCP ('0s', the default: it waits for them, so a protocol where the
   * server speaks first must be declared in the port's name or appProtocol).
   */
  protocolDetectionTimeout: string;
  /** Istio's connectTimeout: every cluster's connect timeout where no DestinationRule sets connectionPool.tcp.connectTimeout. */
  connectTimeout: string;
  /** Istio's dnsRefreshRate: how often STRICT_DNS and LOGICAL_DNS clusters re-resolve when DNS gives no TTL or fails. */
  dnsRefreshRate: string;
  /**
   * Istio's pathNormalization: how sidecars and gateways normalize request paths before routing and authorization
   * (DEFAULT and BASE: RFC 3986 normalization; NONE; MERGE_SLASHES; DECODE_AND_MERGE_SLASHES, which also decodes
   * escaped slashes).
   */
  pathNormalization: { normalization: PathNormalization };
  /**
   * Istio's defaultServiceExportTo, defaultVirtualServiceExportTo and defaultDestinationRuleExportTo: where Services
   * (and ServiceEntries), VirtualServices and DestinationRules that set no exportTo are visible: `*` (every
   * namespace), `.` (their own), namespace names, or `~` (none); empty: every namespace.
   */
  /** Istio's trustDomainAliases: other trust domains the mesh's identities are known by (AuthorizationPolicy principals). */
  trustDomainAliases: string[];
  /**
   * Istio's caCertificates: extra roots every workload trusts (`pem`) and trust domains sidecars accept clients of
   * (`trustDomains`), config/ca-certificates.ts; spiffeBundleUrl and certSigners are warned as not applied.
   */
  caCertificates: CaCertificate[];
  /**
   * Istio's discoverySelectors: label selectors over namespaces' labels; only the namespaces one of them matches
   * are discovered (their Services, workloads and configs; model/discovery.ts). Empty: every namespace.
   */
  discoverySelectors: LabelSelector[];
  /**
   * Istio's serviceEntryVisibility: ServiceEntries' visibility by their namespace's labels, which narrows their
   * exportTo for sidecars when applyToSidecars is true (config/serviceentry-visibility.ts); absent: exportTo alone.
   */
  serviceEntryVisibility?: ServiceEntryVisibility;
  defaultServiceExportTo: string[];
  defaultVirtualServiceExportTo: string[];
  defaultDestinationRuleExportTo: string[];
  /**
   * Istio's rootNamespace: the namespace whose resources without a selector are the mesh's (model/root-namespaces.ts).
   * '' (unset): istio-system and mizzen-system; set: that namespace alone, as in Istio.
   */
  rootNamespace: string;
  /**
   * Istio's inboundClusterStatName and outboundClusterStatName: patterns naming clusters' statistics
   * (xds/gen/stat-names.ts); '' (unset): the clusters' own names.
   */
  inboundClusterStatName: string;
  outboundClusterStatName: string;
  /**
   * Istio's localityLbSetting, for every cluster whose DestinationRule sets none: `enabled` (default true: with
   * outlier detection, proxies keep to their own locality and fail over by nearness), `failover`, `distribute`.
   */
  localityLbSetting: { enabled?: boolean; failover?: Array<{ from: string; to: string }>; distribute?: Array<{ from: string; to: Record<string, number> }>; failoverPriority?: string[] };
  /**
   * Istio's zoneAwareLbSetting (unset by default): Envoy's zone-aware routing for every cluster whose DestinationRule
   * sets neither it nor a localityLbSetting, over localityLbSetting when both are set (xds/gen/zone-aware.ts).
   */
  zoneAwareLbSetting?: { enabled?: boolean; failover?: Array<{ from: string; to: string }>; failoverPriority?: string[]; minClusterSize?: number };
  /**
   * Istio's enableAutoMtls (default true): a sidecar that has mesh certificates calls, over mTLS, the endpoints that
   * accept it (security.istio.io/tlsMode=istio, injected with certificates) unless a DestinationRule sets tls.
   */
  enableAutoMtls: boolean;
  /**
   * Sidecar mTLS by Secrets (default false): the injector mounts the Secret `istio.<service account>` (cert-chain.pem,
   * key.pem, root-cert.pem) at /etc/certs in istio-proxy and names the files in the proxy's bootstrap, and
   * `mizzen serve` with the Kubernetes source issues those Secrets from the mesh CA and renews them.
   */
  workloadCertificateSecrets: boolean;
  /**
   * Istio's ingressControllerMode: which Kubernetes Ingresses the ingress gateway serves (model/ingress.ts). OFF:
   * none; STRICT (the default): those of class ingressClass (annotation) or of an IngressClass whose controller
   * is istio.io/ingress-controller; DEFAULT: those too, and those that name no class.
   */
  ingressControllerMode: 'OFF' | 'DEFAULT' | 'STRICT';
  /** Istio's ingressClass: the kubernetes.io/ingress.class annotation value that is Istio's (default istio). */
  ingressClass: string;
  /** Istio's ingressService: the gateway Service (in istio-system) whose addresses Ingresses report in their status. */
  ingressService: string;
  /** Istio's ingressSelector: the `istio` label value of the gateway workloads serving Ingresses ('': from ingressService). */
  ingressSelector: string;
  /**
   * Istio's enablePrometheusMerge (default true): a pod's own prometheus.io scrape is pointed at the sidecar (15020),
   * which forwards it (inject/probes.ts); false keeps the pod's annotations, unless it says prometheus.istio.io/merge-metrics.
   */
  enablePrometheusMerge: boolean;
  /** Istio's meshMTLS: the minProtocolVersion and cipherSuites of sidecars' inbound mesh mTLS (xds/gen/tls-params.ts). */
  meshMTLS: MeshTls;
  /**
   * Istio's tlsDefaults: the ecdhCurves and cipherSuites of Gateway servers with their own certificates and of
   * DestinationRule SIMPLE/MUTUAL clients, and those servers' minProtocolVersion; a server's own settings win.
   */
  tlsDefaults: MeshTls;
  /** Push debouncing for the xDS server. */
  debounce: { quietMs: number; maxMs: number };
  /**
   * Istio's defaultConfig, the ProxyConfig every sidecar starts from (config/default-config.ts): concurrency,
   * proxyMetadata and interceptionMode, under each pod's proxy.istio.io/config and ProxyConfig resources.
   */
  defaultConfig: DefaultProxyConfig;
}

export const DEFAULT_MESH_CONFIG: MeshConfig = {
  proxyImage: 'envoyproxy/envoy:v1.32.3',
  initImage: 'ghcr.io/mizzen-mesh/mizzen:0.1.0',
  xdsAddress: 'mizzen.mizzen-system.svc:15010',
  xdsTlsAddress: 'mizzen.mizzen-system.svc:15012',
  domainSuffix: 'cluster.local',
  trustDomain: DEFAULT_TRUST_DOMAIN,
  revision: 'default',
  proxyLogLevel: 'warning',
  proxyResources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2000m', memory: '1Gi' } },
  nativeSidecar: false,
  neverInjectSelector: [],
  alwaysInjectSelector: [],
  holdApplicationUntilProxyStarts: false,
  includeOutboundIPRanges: '*',
  proxyListenPort: Ports.proxyOutbound,
  proxyInboundListenPort: Ports.proxyInbound,
  outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
  accessLogFile: '',
  accessLogEncoding: 'TEXT',
  accessLogFormat: '',
  enableEnvoyAccessLogService: false,
  disableEnvoyListenerLog: false,
  enableTracing: true,
  tracing: { zipkin: { address: 'zipkin.istio-system:9411' }, sampling: 1 },
  extensionProviders: DEFAULT_EXTENSION_PROVIDERS.map((p) => structuredClone(p)),
  defaultProviders: { tracing: [], accessLogging: [], metrics: [] },
  protocolDetectionTimeout: '0s',
  connectTimeout: '10s',
  dnsRefreshRate: '60s',
  pathNormalization: { normalization: 'DEFAULT' },
  trustDomainAliases: [],
  caCertificates: [],
  discoverySelectors: [],
  defaultServiceExportTo: [],
  defaultVirtualServiceExportTo: [],
  defaultDestinationRuleExportTo: [],
  rootNamespace: '',
  inboundClusterStatName: '',
  outboundClusterStatName: '',
  localityLbSetting: { enabled: true },
  enableAutoMtls: true,
  workloadCertificateSecrets: false,
  ingressControllerMode: 'STRICT',
  ingressClass: 'istio',
  ingressService: 'istio-ingressgateway',
  ingressSelector: '',
  enablePrometheusMerge: true,
  meshMTLS: {},
  tlsDefaults: {},
  debounce: { quietMs: 100, maxMs: 10_000 },
  defaultConfig: {},
};


/** The fields mizzen applies that are unset by default (so not keys of DEFAULT_MESH_CONFIG). */
export const OPTIONAL_MESH_FIELDS = ['zoneAwareLbSetting', 'serviceEntryVisibility'] as const;

/** Lists whose items need more than the type check of the merge: each item is checked by this. */
const LIST_ITEMS: Record<string, (item: unknown, path: string, issues: Issues) => void> = {
  neverInjectSelector: checkLabelSelector,
  alwaysInjectSelector: checkLabelSelector,
  discoverySelectors: checkLabelSelector,
};

/** A resolved mesh config, with warnings (Istio's fields that mizzen accepts but does not apply) when there are any. */
export type MeshResult = { ok: true; value: MeshConfig; warnings?: string[] } | { ok: false; errors: string[] };

/**
 * Merges user overrides onto the defaults, checking that every key is known (mizzen's or Istio's) and every type
 * matches.
 */
export function resolveMeshConfig(input: unknown, base: MeshConfig = DEFAULT_MESH_CONFIG): MeshResult {
  if (input === null || input === undefined) return ok(structuredClone(base));
  if (!isObject(input)) return fail('mesh config: must be a mapping');
  const errors: string[] = [];
  const warnings: string[] = [];
  const named = jsonNames(input, new Set([...Object.keys(base), ...TRAFFIC_DEFAULT_FIELDS, ...OPTIONAL_MESH_FIELDS, 'meshMTLS', 'tlsDefaults']), errors);
  const merge = (def: unknown, val: unknown, path: string): unknown => {
    if (val === undefined) return structuredClone(def);
    if (Array.isArray(def)) {
      if (!Array.isArray(val)) {
        errors.push(`${path}: must be a list`);
        return def;
      }
      const checkItem = LIST_ITEMS[path];
      if (checkItem) {
        const issues = new Issues();
        val.forEach((item, i) => checkItem(item, `${path}[${i}]`, issues));
        errors.push(...issues.errors);
      }
      return val;
    }
    if (isObject(def)) {
      if (!isObject(val)) {
        errors.push(`${path}: must be a mapping`);
        return def;
      }
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(val)) {
        if (!(k in def) && !(path === 'proxyResources.requests' || path === 'proxyResources.limits')) errors.push(`${path ? path + '.' : ''}${k}: unknown field`);
      }
      for (const k of new Set([...Object.keys(def), ...Object.keys(val)])) out[k] = merge(def[k], val[k], path ? `${path}.${k}` : k);
      return out;
    }
    if (def !== undefined && typeof val !== typeof def) {
      errors.push(`${path}: must be a ${typeof def}`);
      return def;
    }
    return val;
  };
  // Providers merge by name onto the base's, not as a list that replaces the base's list.
  const { extensionProviders, localityLbSetting, zoneAwareLbSetting, defaultConfig, meshMTLS, tlsDefaults, caCertificates, serviceEntryVisibility, ...all } = named;
  const traffic = takeTrafficDefaults(all, base, errors, warnings);
  const outboundTls = takeOutboundTls(all);
  const istio = sortIstioFields(all, (k) => k in base, ISTIO_MESH_FIELDS, '', errors, warnings);
  const rest = Object.fromEntries(Object.entries(all).filter(([k]) => !istio.has(k)));
  const merged = Object.assign(merge(base, rest, '') as MeshConfig, traffic);
  // Read before the checks below: it may set xdsAddress, holdApplicationUntilProxyStarts and tracing.
  merged.defaultConfig = defaultConfig === undefined ? structuredClone(base.defaultConfig) : readDefaultConfig(defaultConfig, merged, new Set(Object.keys(rest)), errors, warnings);
  // A localityLbSetting replaces the default one whole, as in Istio; checked as a DestinationRule's is.
  if (localityLbSetting !== undefined) {
    const before = errors.length;
    errors.push(...localityLbSettingErrors(localityLbSetting, 'localityLbSetting'));
    merged.localityLbSetting = errors.length === before ? (structuredClone(localityLbSetting) as MeshConfig['localityLbSetting']) : structuredClone(base.localityLbSetting);
  } else merged.localityLbSetting = structuredClone(base.localityLbSetting);
  // So does a zoneAwareLbSetting (null: unset, as proto3 JSON reads it).
  const zoneAware = zoneAwareLbSetting === undefined ? base.zoneAwareLbSetting : zoneAwareLbSetting;
  if (zoneAware === undefined || zoneAware === null) delete merged.zoneAwareLbSetting;
  else {
    const before = errors.length;
    errors.push(...zoneAwareLbSettingErrors(zoneAware, 'zoneAwareLbSetting'));
    if (errors.length === before) merged.zoneAwareLbSetting = structuredClone(zoneAware) as MeshConfig['zoneAwareLbSetting'];
  }
  merged.meshMTLS = meshMTLS === undefined ? structuredClone(base.meshMTLS) : readMeshTls(meshMTLS, 'meshMTLS', errors, warnings);
  merged.tlsDefaults = tlsDefaults === undefined ? structuredClone(base.tlsDefaults) : readMeshTls(tlsDefaults, 'tlsDefaults', errors, warnings);
  merged.caCertificates = caCertificates === undefined ? structuredClone(base.caCertificates) : readCaCertificates(caCertificates, errors, warnings);
  const visibility = serviceEntryVisibility === undefined ? structuredClone(base.serviceEntryVisibility) : readServiceEntryVisibility(serviceEntryVisibility, errors, warnings);
  if (visibility) merged.serviceEntryVisibility = visibility;
  else delete merged.serviceEntryVisibility;
  merged.extensionProviders = mergeExtensionProviders(base.extensionProviders, extensionProviders, errors);
  checkDefaultProviders(merged.defaultProviders, merged.extensionProviders, errors);
  for (const field of EXPORT_DEFAULTS) errors.push(...exportToErrors(merged[field], field));
  if (Array.isArray(merged.trustDomainAliases)) {
    merged.trustDomainAliases.forEach((a, i) => {
      if (typeof a !== 'string' || !TRUST_DOMAIN_PATTERN.test(a)) errors.push(`trustDomainAliases[${i}]: ${shown(a)} must be a trust domain (a leading or trailing * allowed)`);
    });
  }
  // Unset is mizzen's default pair; a value written must name a namespace ('' too: Istio would then have no root).
  if (typeof all.rootNamespace === 'string' && !isDns1123Label(all.rootNamespace)) errors.push(`rootNamespace: ${shown(all.rootNamespace)} must be a namespace name (a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters)`);
  for (const field of ['inboundClusterStatName', 'outboundClusterStatName'] as const) warnings.push(...statNameWarnings(merged[field], field));
  const normalization: unknown = merged.pathNormalization?.normalization;
  if (!PATH_NORMALIZATIONS.includes(normalization as PathNormalization)) errors.push(`pathNormalization.normalization: ${JSON.stringify(normalization)} must be one of ${PATH_NORMALIZATIONS.join(', ')}`);
  merged.outboundTrafficPolicy = checkOutboundPolicy(merged.outboundTrafficPolicy, outboundTls, errors, warnings);
  if (typeof merged.trustDomain === 'string' && !TRUST_DOMAIN.test(merged.trustDomain)) {
    errors.push(`trustDomain: ${JSON.stringify(merged.trustDomain)} must be a SPIFFE trust domain (lowercase letters, digits, '.', '-', '_')`);
  }
  for (const f of ['xdsAddress', 'xdsTlsAddress'] as const) {
    const address = parseHostPort(String(merged[f]));
    if (!address.ok) errors.push(address.errors[0]!.replace(/^xdsAddress:/, `${f}:`));
  }
  const sampling: unknown = merged.tracing?.sampling;
  if (typeof sampling === 'number' && !(sampling >= 0 && sampling <= 100)) errors.push(`tracing.sampling: ${sampling} must be a percentage, 0 to 100`);
  const address: unknown = merged.tracing?.zipkin?.address;
  if (typeof address === 'string' && !collectorAddress(address)) errors.push(`tracing.zipkin.address: ${JSON.stringify(address)} must be host:port`);
  if (!['OFF', 'DEFAULT', 'STRICT'].includes(merged.ingressControllerMode)) errors.push(`ingressControllerMode: ${JSON.stringify(merged.ingressControllerMode)} must be OFF, DEFAULT or STRICT`);
  if (merged.accessLogEncoding !== 'TEXT' && merged.accessLogEncoding !== 'JSON') errors.push(`accessLogEncoding: ${JSON.stringify(merged.accessLogEncoding)} must be TEXT or JSON`);
  else if (typeof merged.accessLogFormat === 'string') {
    const format = readAccessLogFormat(merged.accessLogFormat, merged.accessLogEncoding);
    if (!format.ok) errors.push(...format.errors);
  }
  const detection = typeof merged.protocolDetectionTimeout === 'string' ? parseDuration(merged.protocolDetectionTimeout) : undefined;
  if (detection === undefined || detection < 0n) {
    errors.push(`protocolDetectionTimeout: ${JSON.stringify(merged.protocolDetectionTimeout)} must be a duration like 100ms or 1s`);
  }
  checkDurations(merged, errors);
  warnings.push(...accessLogServiceWarnings(merged.enableEnvoyAccessLogService === true, merged.defaultConfig.envoyAccessLogService, merged.workloadCertificateSecrets === true));
  errors.push(...capturePortErrors(merged));
  if (errors.length) return { ok: false, errors };
  return warnings.length ? { ok: true, value: merged, warnings } : ok(merged);
}

/**
 * The top-level keys with the fields mizzen applies under their JSON names: Istio reads its mesh config as proto3
 * JSON, which takes a field's proto name (`connect_timeout`, `mesh_mTLS`) as well. Istio's other fields keep the
 * name given (istio-fields.ts knows both); a field given under both names is an error.
 */
function jsonNames(input: Record<string, unknown>, own: ReadonlySet<string>, errors: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const given = new Map<string, string>();
  for (const [key, value] of Object.entries(input)) {
    const camel = key.replace(/_([a-zA-Z])/g, (_, c: string) => c.toUpperCase());
    const name = camel !== key && own.has(camel) ? camel : key;
    const before = given.get(name);
    if (before !== undefined) errors.push(`${key}: the field ${before} names too, given twice`);
    given.set(name, key);
    out[name] = value;
  }
  return out;
}

/** Reads and resolves a mesh config file; errors and warnings name the file. */
export function loadMeshConfig(file?: string): MeshResult {
  if (!file) return ok(structuredClone(DEFAULT_MESH_CONFIG));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return fail(`mesh config ${file}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text, KUBECTL_YAML);
  } catch (e) {
    return fail(`mesh config ${file}: ${(e as Error).message}`);
  }
  const r = resolveMeshConfig(doc);
  if (!r.ok) return fail(...r.errors.map((e) => `mesh config ${file}: ${e}`));
  return r.warnings ? { ...r, warnings: r.warnings.map((w) => `mesh config ${file}: ${w}`) } : r;
}

/**
 * connectTimeout as istiod checks it (1ms to 1h, whole milliseconds); dnsRefreshRate as Envoy takes it (over 1ms),
 * in whole milliseconds too.
 */
function checkDurations(mesh: MeshConfig, errors: string[]): void {
  const HOUR = 3_600_000n * 1_000_000n;
  for (const [field, min, max, range] of [['connectTimeout', 1_000_000n, HOUR, '1ms to 1h'], ['dnsRefreshRate', 2_000_000n, undefined, 'more than 1ms']] as const) {
    const value: unknown = mesh[field];
    if (typeof value !== 'string') continue; // named by the merge
    const ns = parseDuration(value);
    if (ns === undefined) errors.push(`${field}: ${shown(value)} must be a duration like 100ms or 10s`);
    else if (ns % 1_000_000n !== 0n) errors.push(`${field}: ${shown(value)} must be whole milliseconds`);
    else if (ns < min || (max !== undefined && ns > max)) errors.push(`${field}: ${shown(value)} must be ${range}`);
  }
}

/** A trust domain alias: a SPIFFE trust domain, or one with a leading or trailing `*` (Istio matches those as patterns). */
const TRUST_DOMAIN_PATTERN = /^\*?[a-z0-9._-]+\*?$|^\*$/;

const EXPORT_DEFAULTS = ['defaultServiceExportTo', 'defaultVirtualServiceExportTo', 'defaultDestinationRuleExportTo'] as const;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** An exportTo list as Istio checks it: `*`, `.`, namespace names, or `~` alone. */
function exportToErrors(list: unknown, field: string): string[] {
  if (!Array.isArray(list)) return []; // named by the merge
  const errors = list.flatMap((v, i) => (typeof v === 'string' && (v === '*' || v === '.' || v === '~' || NAMESPACE.test(v)) ? [] : [`${field}[${i}]: ${shown(v)} must be *, ., ~ or a namespace name`]));
  if (list.includes('~') && list.length > 1) errors.push(`${field}: ~ (visible nowhere) cannot be combined with other entries`);
  return errors;
}

export type PathNormalization = 'DEFAULT' | 'NONE' | 'BASE' | 'MERGE_SLASHES' | 'DECODE_AND_MERGE_SLASHES';
const PATH_NORMALIZATIONS: readonly PathNormalization[] = ['DEFAULT', 'NONE', 'BASE', 'MERGE_SLASHES', 'DECODE_AND_MERGE_SLASHES'];

// What of a resolved mesh config each part reads: config/mesh-options.ts.
export { analysisOptions, collectorAddress, ingressSettings, snapshotOptions } from './mesh-options.js';
