/**
 * The fields of Istio's MeshConfig (and of the ProxyConfig under its defaultConfig) that mizzen accepts but does not
 * apply, each with its coarse type and why mizzen leaves it alone. A mesh config pasted from Istio loads with a
 * warning per field named here; a key neither mizzen's nor Istio's stays an error, so typos are still caught. The
 * fields mizzen applies are its own keys (config/mesh.ts, default-config.ts), not listed here. Pure.
 */
import { parseDuration } from '../core/duration.js';
import { isObject } from '../core/object.js';
import { shown } from '../core/shown.js';

/** A coarse proto3 JSON type: enough to catch a value pasted under the wrong key. A list of strings is an enum. */
export type FieldKind = 'string' | 'bool' | 'int' | 'duration' | 'strings' | 'list' | 'mapping' | readonly string[];

export interface IstioField {
  kind: FieldKind;
  /** Why mizzen does not apply it, shortly. */
  why: string;
}

const AGENT = "read by Istio's node agent (pilot-agent), which mizzen's sidecars do not run";
const STATS = "Istio's standard metrics and stats names come from its own Envoy build and agent";
const ports = (what: string): string => `mizzen's sidecars keep Istio's fixed ${what}`;

/** Istio's MeshConfig fields that mizzen does not apply, by their JSON names. */
export const ISTIO_MESH_FIELDS: Readonly<Record<string, IstioField>> = {
  proxyHttpPort: { kind: 'int', why: 'mizzen serves no HTTP proxy port' },
  hboneIdleTimeout: { kind: 'duration', why: 'mizzen has no ambient (HBONE) data plane' },
  configSources: { kind: 'list', why: 'mizzen reads config from --config-dir or Kubernetes, not MCP sources' },
  certificates: { kind: 'list', why: 'deprecated in Istio; mizzen issues workload certificates itself' },
  serviceSettings: { kind: 'list', why: 'every service is cluster-wide in mizzen (no clusterLocal hosts)' },
  serviceScopeConfigs: { kind: 'list', why: 'mizzen has no ambient multi-network service scopes' },
  verifyCertificateAtClient: { kind: 'bool', why: 'deprecated in Istio; DestinationRule tls settings decide' },
  ca: { kind: 'mapping', why: 'mizzen signs workload certificates with its own mesh CA' },
};

/** Istio's ProxyConfig fields (defaultConfig) that mizzen does not apply, by their JSON names. */
export const ISTIO_PROXY_CONFIG_FIELDS: Readonly<Record<string, IstioField>> = {
  configPath: { kind: 'string', why: AGENT },
  binaryPath: { kind: 'string', why: AGENT },
  serviceCluster: { kind: 'string', why: AGENT },
  discoveryRefreshDelay: { kind: 'duration', why: 'deprecated in Istio' },
  zipkinAddress: { kind: 'string', why: 'deprecated in Istio; use tracing.zipkin.address' },
  statsdUdpAddress: { kind: 'string', why: STATS },
  envoyMetricsServiceAddress: { kind: 'string', why: 'deprecated in Istio' },
  proxyAdminPort: { kind: 'int', why: ports('admin port 15000') },
  availabilityZone: { kind: 'string', why: 'deprecated in Istio; localities come from node and pod labels' },
  controlPlaneAuthPolicy: { kind: ['NONE', 'MUTUAL_TLS'], why: 'sidecars with mesh certificates reach xDS over TLS on 15012 anyway' },
  customConfigFile: { kind: 'string', why: AGENT },
  statNameLength: { kind: 'int', why: STATS },
  proxyBootstrapTemplatePath: { kind: 'string', why: AGENT },
  envoyMetricsService: { kind: 'mapping', why: STATS },
  runtimeValues: { kind: 'mapping', why: AGENT },
  statusPort: { kind: 'int', why: ports('health port 15021') },
  extraStatTags: { kind: 'strings', why: STATS },
  meshId: { kind: 'string', why: 'mizzen runs a single mesh' },
  readinessProbe: { kind: 'mapping', why: "istio-proxy's readiness is Envoy's own" },
  proxyStatsMatcher: { kind: 'mapping', why: STATS },
  caCertificatesPem: { kind: 'strings', why: 'mizzen trusts its own mesh CA' },
  image: { kind: 'mapping', why: 'the proxy image is proxyImage in the mesh config' },
  privateKeyProvider: { kind: 'mapping', why: 'keys stay in software' },
  fileFlushInterval: { kind: 'duration', why: AGENT },
  fileFlushMinSizeKb: { kind: 'int', why: AGENT },
  statsCompression: { kind: 'bool', why: STATS },
  connectionSettings: { kind: 'mapping', why: "HTTP connections keep Envoy's default timeouts" },
  sds: { kind: 'mapping', why: 'deprecated in Istio' },
};

const ZIPKIN_ONLY = 'mizzen\'s proxies report spans to a Zipkin-protocol collector (tracing.zipkin) only';

/** Istio's ProxyConfig tracing fields (defaultConfig.tracing) that mizzen does not apply; it keeps zipkin, sampling, customTags and maxPathTagLength. */
export const ISTIO_TRACING_FIELDS: Readonly<Record<string, IstioField>> = {
  lightstep: { kind: 'mapping', why: ZIPKIN_ONLY },
  datadog: { kind: 'mapping', why: ZIPKIN_ONLY },
  stackdriver: { kind: 'mapping', why: ZIPKIN_ONLY },
  openCensusAgent: { kind: 'mapping', why: ZIPKIN_ONLY },
  tlsSettings: { kind: 'mapping', why: 'the collector is reached in plaintext' },
};

/** The fields of `table` named by `key` in its JSON name or its proto name (foo_bar for fooBar). */
export function istioField(table: Readonly<Record<string, IstioField>>, key: string): [string, IstioField] | undefined {
  const name = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const field = Object.hasOwn(table, name) ? table[name] : undefined;
  return field ? [name, field] : undefined;
}

/** What is wrong with `value` for a field of this kind (a message without the field's name), or undefined. */
export function kindIssue(kind: FieldKind, value: unknown): string | undefined {
  if (value === null) return undefined; // proto3 JSON: null leaves the field at its default
  if (typeof kind !== 'string') return typeof value === 'string' && kind.includes(value) ? undefined : `${shown(value)} must be one of ${kind.join(', ')}`;
  switch (kind) {
    case 'string':
      return typeof value === 'string' ? undefined : `must be a string, got ${shown(value)}`;
    case 'bool':
      return typeof value === 'boolean' ? undefined : `must be true or false, got ${shown(value)}`;
    case 'int': {
      const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
      return typeof n === 'number' && Number.isInteger(n) ? undefined : `must be a whole number, got ${shown(value)}`;
    }
    case 'duration':
      return typeof value === 'string' && (parseDuration(value) ?? -1n) >= 0n ? undefined : `${shown(value)} must be a duration like 100ms or 10s`;
    case 'strings':
      return Array.isArray(value) && value.every((s) => typeof s === 'string') ? undefined : `must be a list of strings, got ${shown(value)}`;
    case 'list':
      return Array.isArray(value) ? undefined : `must be a list, got ${shown(value)}`;
    case 'mapping':
      return isObject(value) ? undefined : `must be a mapping, got ${shown(value)}`;
  }
}

/**
 * Sorts the keys of `input` that mizzen does not know: an Istio field of `table` with a good value is a warning, one
 * with a bad value an error naming it, anything else an unknown field. Returns the Istio fields' names.
 */
export function sortIstioFields(input: Record<string, unknown>, known: (key: string) => boolean, table: Readonly<Record<string, IstioField>>, prefix: string, errors: string[], warnings: string[]): Set<string> {
  const istio = new Set<string>();
  for (const [key, value] of Object.entries(input)) {
    if (known(key)) continue;
    const field = istioField(table, key);
    if (!field) continue; // left to the caller, which reports it as unknown
    istio.add(key);
    const issue = kindIssue(field[1].kind, value);
    if (issue) errors.push(`${prefix}${key}: ${issue}`);
    else warnings.push(`${prefix}${key}: Istio's field is accepted but not applied by mizzen: ${field[1].why}`);
  }
  return istio;
}
