/**
 * What of a resolved mesh config (config/mesh.ts) each part reads: the snapshot options the xDS generators take
 * (model/snapshot.ts), the analysis options, the ingress settings, and the telemetry providers as the generators
 * read them. Pure.
 */
import { isObject } from '../core/object.js';
import { Ports } from '../core/constants.js';
import { parseDuration } from '../validation/common.js';
import { rootNamespacesOf } from '../model/root-namespaces.js';
import type { SnapshotOptions } from '../model/snapshot.js';
import type { AnalyzeOptions } from '../analysis/world.js';
import type { ExtAuthzProvider, TelemetryProvider } from '../model/types.js';
import type { IngressSettings } from '../model/ingress.js';
import type { MeshConfig } from './mesh.js';
import { trafficSettings } from './traffic-defaults.js';
import { dynamicDnsSettings } from './outbound-traffic.js';
import { readAccessLogFormat } from './access-log-format.js';
import { EXT_AUTHZ_KINDS, extAuthzProvider } from './ext-authz.js';
import { meshTlsOptions } from './mesh-tls.js';
import { caTrustDomains } from './ca-certificates.js';
import { entryVisibilitySettings } from './serviceentry-visibility.js';
import type { ExtensionProvider } from './providers.js';

/** `host:port` of a tracing collector; undefined when it is not one. */
export function collectorAddress(address: string): { host: string; port: number } | undefined {
  const m = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?):(\d{1,5})$/i.exec(address);
  const port = Number(m?.[3]);
  return m && port >= 1 && port <= 65535 ? { host: m[1]!.toLowerCase(), port } : undefined;
}

/** The exportTo defaults the mesh config sets (none: every namespace, so nothing to carry). */
function exportDefaults(mesh: MeshConfig): { defaultExportTo?: NonNullable<SnapshotOptions['defaultExportTo']> } {
  const out: NonNullable<SnapshotOptions['defaultExportTo']> = {};
  if (mesh.defaultServiceExportTo.length > 0) out.services = [...mesh.defaultServiceExportTo];
  if (mesh.defaultVirtualServiceExportTo.length > 0) out.virtualServices = [...mesh.defaultVirtualServiceExportTo];
  if (mesh.defaultDestinationRuleExportTo.length > 0) out.destinationRules = [...mesh.defaultDestinationRuleExportTo];
  return Object.keys(out).length > 0 ? { defaultExportTo: out } : {};
}

/** The serviceEntryVisibility policies sidecars follow (none unless applyToSidecars is true). */
function entryVisibilityOption(mesh: MeshConfig): Pick<SnapshotOptions, 'serviceEntryVisibility'> {
  const settings = entryVisibilitySettings(mesh.serviceEntryVisibility);
  return settings ? { serviceEntryVisibility: settings } : {};
}

/** Where ServiceEntries without exportTo are visible, and the visibility sidecars give them, for the analyzers. */
function serviceExports(mesh: MeshConfig): NonNullable<AnalyzeOptions['serviceExports']> {
  const visibility = entryVisibilitySettings(mesh.serviceEntryVisibility);
  return { ...(mesh.defaultServiceExportTo.length > 0 ? { defaults: [...mesh.defaultServiceExportTo] } : {}), ...(visibility ? { visibility } : {}) };
}

/** The mesh's path normalization where it differs from Envoy's that mizzen sets anyway (DEFAULT and BASE). */
function pathsOf(mesh: MeshConfig): 'NONE' | 'MERGE_SLASHES' | 'DECODE_AND_MERGE_SLASHES' | undefined {
  const n = mesh.pathNormalization.normalization;
  return n === 'DEFAULT' || n === 'BASE' ? undefined : n;
}

/** The mesh config's external authorization providers (envoyExtAuthzHttp / envoyExtAuthzGrpc entries), by name. */
const authzProviders = (mesh: MeshConfig): Array<[string, ExtAuthzProvider]> =>
  mesh.extensionProviders.flatMap((p) => EXT_AUTHZ_KINDS.filter((k) => isObject(p[k])).map((k): [string, ExtAuthzProvider] => [p.name, extAuthzProvider(k, p[k] as Record<string, unknown>)]));

/** The mesh access log, its format read (checked by resolveMeshConfig). */
function meshAccessLog(mesh: MeshConfig): NonNullable<SnapshotOptions['accessLog']> {
  const format = readAccessLogFormat(mesh.accessLogFormat, mesh.accessLogEncoding);
  return { path: mesh.accessLogFile, encoding: mesh.accessLogEncoding, ...(format.ok && format.value ? { format: format.value } : {}) };
}

/** A checked duration in whole milliseconds. */
const detectionMs = (d: string): number => Number((parseDuration(d) ?? 0n) / 1_000_000n);

/** The mesh config's ingress fields, as the Ingress conversion reads them. */
export const ingressSettings = (mesh: MeshConfig): IngressSettings => ({
  mode: mesh.ingressControllerMode,
  ingressClass: mesh.ingressClass,
  ingressService: mesh.ingressService,
  ingressSelector: mesh.ingressSelector,
});

/** What of the mesh config the xDS generators read, as snapshot options (src/model/snapshot.ts). */
export function snapshotOptions(mesh: MeshConfig): SnapshotOptions {
  const collector = mesh.enableTracing ? collectorAddress(mesh.tracing.zipkin.address) : undefined;
  return {
    domainSuffix: mesh.domainSuffix,
    registryOnly: mesh.outboundTrafficPolicy?.mode === 'REGISTRY_ONLY',
    ...dynamicDnsSettings(mesh.outboundTrafficPolicy),
    trustDomain: mesh.trustDomain,
    ...(collector ? { tracing: { collector, sampling: mesh.tracing.sampling } } : {}),
    ...(mesh.accessLogFile ? { accessLog: meshAccessLog(mesh) } : {}),
    ...(mesh.enableEnvoyAccessLogService ? { envoyAccessLogService: true } : {}),
    ...(mesh.disableEnvoyListenerLog ? { disableEnvoyListenerLog: true } : {}),
    ...(detectionMs(mesh.protocolDetectionTimeout) ? { protocolDetectionMs: detectionMs(mesh.protocolDetectionTimeout) } : {}),
    authzProviders: Object.fromEntries(authzProviders(mesh)),
    localityLb: structuredClone(mesh.localityLbSetting),
    ...(mesh.zoneAwareLbSetting && { zoneAwareLb: structuredClone(mesh.zoneAwareLbSetting) }),
    autoMtls: mesh.enableAutoMtls,
    ingress: ingressSettings(mesh),
    connectTimeoutMs: detectionMs(mesh.connectTimeout),
    ...(pathsOf(mesh) ? { pathNormalization: pathsOf(mesh) } : {}),
    ...exportDefaults(mesh),
    ...(mesh.trustDomainAliases.length > 0 ? { trustDomainAliases: [...mesh.trustDomainAliases] } : {}),
    ...(caTrustDomains(mesh.caCertificates).length > 0 ? { caTrustDomains: caTrustDomains(mesh.caCertificates) } : {}),
    ...(mesh.discoverySelectors.length > 0 ? { discoverySelectors: structuredClone(mesh.discoverySelectors) } : {}),
    ...entryVisibilityOption(mesh),
    ...meshTlsOptions(mesh),
    ...(mesh.rootNamespace ? { rootNamespace: mesh.rootNamespace } : {}),
    ...(mesh.inboundClusterStatName ? { inboundClusterStatName: mesh.inboundClusterStatName } : {}),
    ...(mesh.outboundClusterStatName ? { outboundClusterStatName: mesh.outboundClusterStatName } : {}),
    ...(mesh.proxyListenPort !== Ports.proxyOutbound ? { proxyListenPort: mesh.proxyListenPort } : {}),
    ...(mesh.proxyInboundListenPort !== Ports.proxyInbound ? { proxyInboundListenPort: mesh.proxyInboundListenPort } : {}),
    dnsRefreshMs: detectionMs(mesh.dnsRefreshRate),
    ...(mesh.defaultConfig.gatewayTopology ? { gatewayTopology: mesh.defaultConfig.gatewayTopology } : {}),
    ...(mesh.defaultConfig.proxyHeaders ? { proxyHeaders: mesh.defaultConfig.proxyHeaders } : {}),
    ...(mesh.defaultConfig.tracing ? { proxyTracing: mesh.defaultConfig.tracing } : {}),
    ...trafficSettings(mesh),
    telemetry: {
      providers: Object.fromEntries(mesh.extensionProviders.map((p) => [p.name.toLowerCase(), telemetryProvider(p)])),
      defaultProviders: { tracing: [...mesh.defaultProviders.tracing], accessLogging: [...mesh.defaultProviders.accessLogging] },
      sampling: mesh.tracing.sampling,
    },
  };
}

/** What of the mesh config the analyzers read (the webhook's apply-time warnings, `mizzen analyze --mesh-config`). */
export function analysisOptions(mesh: MeshConfig): AnalyzeOptions {
  return {
    domainSuffix: mesh.domainSuffix,
    rootNamespaces: rootNamespacesOf(mesh),
    telemetryProviders: mesh.extensionProviders.map((p) => p.name),
    defaultProviders: { tracing: mesh.defaultProviders.tracing, accessLogging: mesh.defaultProviders.accessLogging },
    // The collectors as the generators read them (telemetryProvider), so both resolve the same host.
    tracingCollectors: Object.fromEntries(
      mesh.extensionProviders.flatMap((p) => {
        const t = telemetryProvider(p);
        return t.kind === 'zipkin' || t.kind === 'opentelemetry' ? [[p.name, { host: t.host, port: t.port }]] : [];
      }),
    ),
    authzProviders: Object.fromEntries(authzProviders(mesh).map(([name, p]) => [name, { service: p.service, port: p.port }])),
    credentialsServed: mesh.workloadCertificateSecrets,
    ingress: ingressSettings(mesh),
    // The webhook's own choice of pods (IST0102, IST0103, IST0123): its revision and inject selectors.
    injection: { revision: mesh.revision, neverInjectSelector: mesh.neverInjectSelector, alwaysInjectSelector: mesh.alwaysInjectSelector },
    // Where ServiceEntries are visible, as the snapshot decides it (IST0177).
    serviceExports: serviceExports(mesh),
    logServices: Object.fromEntries(
      mesh.extensionProviders.flatMap((p) => {
        const t = telemetryProvider(p);
        return t.kind === 'grpc-log' ? [[p.name, { service: t.service, port: t.port }]] : [];
      }),
    ),
  };
}

const msOf = (d: unknown): number | undefined => (typeof d === 'string' ? Number((parseDuration(d) ?? 0n) / 1_000_000n) : undefined);
const headers = (v: unknown): Array<{ name: string; value: string }> => (Array.isArray(v) ? v.map((h) => ({ name: String(h.name), value: String(h.value) })) : []);

/** A checked opentelemetry provider as the generators read it (an OTLP/HTTP export without a timeout waits 5 s). */
function otelProvider(o: Record<string, any>): TelemetryProvider {
  return {
    kind: 'opentelemetry',
    host: String(o.service).toLowerCase(),
    port: o.port,
    ...(o.maxTagLength !== undefined ? { maxTagLength: o.maxTagLength } : {}),
    ...(isObject(o.http) ? { http: { path: typeof o.http.path === 'string' ? o.http.path : '', timeoutMs: msOf(o.http.timeout) ?? 5000, headers: headers(o.http.headers) } } : {}),
    ...(isObject(o.grpc) ? { grpc: { ...(msOf(o.grpc.timeout) !== undefined ? { timeoutMs: msOf(o.grpc.timeout)! } : {}), metadata: headers(o.grpc.initialMetadata) } } : {}),
    environment: isObject(o.resourceDetectors) && o.resourceDetectors.environment !== undefined,
  };
}

/** An extension provider as the generators read it. */
function telemetryProvider(p: ExtensionProvider): TelemetryProvider {
  if (p.zipkin) {
    const { service, port, maxTagLength, path, enable64bitTraceId } = p.zipkin;
    return { kind: 'zipkin', host: service.toLowerCase(), port, path: path ?? '/api/v2/spans', traceId128: enable64bitTraceId !== true, ...(maxTagLength !== undefined ? { maxTagLength } : {}) };
  }
  if (isObject(p.opentelemetry)) return otelProvider(p.opentelemetry);
  if (p.envoyFileAccessLog) {
    const { path, logFormat } = p.envoyFileAccessLog;
    return { kind: 'file', path, ...(logFormat?.text !== undefined ? { text: logFormat.text } : {}), ...(logFormat?.labels !== undefined ? { labels: logFormat.labels } : {}), ...(logFormat?.omitEmptyValues ? { omitEmptyValues: true } : {}) };
  }
  for (const [key, protocol] of [['envoyHttpAls', 'http'], ['envoyTcpAls', 'tcp']] as const) {
    const g = p[key];
    if (!g) continue;
    return {
      kind: 'grpc-log',
      protocol,
      service: g.service.toLowerCase(),
      port: g.port,
      // Istio's default names, which the access log service sees in each message's identifier.
      logName: g.logName || `${protocol}_envoy_accesslog`,
      filterStateObjects: g.filterStateObjectsToLog ?? [],
      requestHeaders: g.additionalRequestHeadersToLog ?? [],
      responseHeaders: g.additionalResponseHeadersToLog ?? [],
      responseTrailers: g.additionalResponseTrailersToLog ?? [],
    };
  }
  return { kind: 'other' };
}
