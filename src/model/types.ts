/**
 * The service registry and config snapshot that the xDS generators read.
 * A Snapshot is immutable: built once per config change by buildSnapshot() (src/model/snapshot.ts)
 * from the store's objects, then shared by every proxy's generation.
 */
import type { KubeObject } from '../core/kube.js';
import type { RawCredential } from './credentials.js';
import type { ConfigMapCa } from './configmap-ca.js';
import type { IngressSettings } from './ingress.js';
import type { GatewayTopology } from './gateway-topology.js';
import type { ProxyHeaders } from './proxy-headers.js';
import type { ProxyTracing } from './proxy-tracing.js';
import type { LabelSelector } from '../config/mesh.js';
import type { EntryVisibilitySettings } from './serviceentry-visibility.js';

/** Istio's protocol selection (port name prefix `http-`, `grpc-`, … or appProtocol). */
export type Protocol = 'HTTP' | 'HTTP2' | 'GRPC' | 'GRPC-Web' | 'HTTPS' | 'TLS' | 'TCP' | 'UDP' | 'MONGO' | 'REDIS' | 'MYSQL' | 'UNSUPPORTED';

export interface ServicePort {
  name: string;
  /** The service port clients dial. */
  port: number;
  /** The port the workload listens on (Kubernetes targetPort, ServiceEntry targetPort); defaults to `port`. */
  targetPort: number;
  protocol: Protocol;
  /** Kubernetes targetPort given by container port name (resolved per pod; `targetPort` then equals `port`). */
  targetPortName?: string;
}

/**
 * How a service's endpoints are found. DYNAMIC_DNS: a ServiceEntry's wildcard host (`*.example.com`) whose
 * destination each proxy resolves itself, from the request's Host or the connection's SNI (Envoy's dynamic forward
 * proxy, xds/gen/dynamic-dns.ts); only on wildcard hosts, and only on the ports it can serve.
 */
export type Resolution = 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN' | 'NONE' | 'DYNAMIC_DNS';

export interface Service {
  /** FQDN: `reviews.default.svc.cluster.local`, or a ServiceEntry host. */
  hostname: string;
  /** Kubernetes name (or ServiceEntry name) and namespace it came from. */
  name: string;
  namespace: string;
  ports: ServicePort[];
  /** Cluster IPs / ServiceEntry addresses. */
  addresses: string[];
  resolution: Resolution;
  meshExternal: boolean;
  labels: Record<string, string>;
  /** Pod/workload selector, when the service selects workloads. */
  selector?: Record<string, string>;
  /** Namespaces the service is exported to (`*` = all); empty when it says none: the mesh config's default applies. */
  exportTo: string[];
  source: 'kubernetes' | 'serviceentry';
  /** Kubernetes `type: ExternalName` target (the service resolves by DNS to it). */
  externalName?: string;
  /**
   * Addresses reaching the Service from outside the cluster: what its load balancer was given
   * (status.loadBalancer.ingress, an IP or a hostname), then spec.externalIPs. A Gateway API Gateway it serves
   * reports them as its addresses.
   */
  externalAddresses?: string[];
  /** A Service of type LoadBalancer that no load balancer has given an address yet. */
  loadBalancerPending?: true;
  /** ServiceEntry subjectAltNames: identities its servers may present besides their workloads' (mesh mTLS). */
  subjectAltNames?: string[];
  /**
   * What the Service's spec.trafficDistribution asks for (PreferSameZone, or PreferClose, its former name;
   * PreferSameNode), else its networking.istio.io/traffic-distribution annotation (also a ServiceEntry's), else its
   * namespace's annotation: clients prefer the nearest endpoints (xds/gen/locality.ts).
   */
  trafficDistribution?: 'PreferSameZone' | 'PreferSameNode';
}

export interface Endpoint {
  /** IP (or hostname for DNS ServiceEntry endpoints). */
  address: string;
  /** Port the workload listens on for this service port. */
  port: number;
  /** The service port (by name) this endpoint serves. */
  servicePortName: string;
  labels: Record<string, string>;
  /** `region/zone/subzone`, may be empty. */
  locality: string;
  weight: number;
  healthy: boolean;
  serviceAccount?: string;
  /** The node it runs on (its pod's spec.nodeName, else the EndpointSlice's nodeName), for PreferSameNode. */
  node?: string;
  /** The workload this endpoint is (pod `ns/name`, WorkloadEntry `ns/name`), for debugging. */
  workload?: string;
  /**
   * The name of the workload a pod endpoint belongs to (its Deployment's, StatefulSet's…: what its proxy sends as
   * WORKLOAD_NAME), for the proxy's own local_cluster (xds/gen/self-discovery.ts).
   */
  workloadName?: string;
  /** Whether the workload has a sidecar and so accepts Istio mTLS (security.istio.io/tlsMode=istio). */
  tlsMode: 'istio' | 'disabled';
}

/** An Istio config object as stored: kind/name/namespace plus its spec. */
export interface Config<S = any> {
  kind: string;
  apiVersion: string;
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: S;
  /** Monotonic revision of this object in the store, for debugging and change detection. */
  revision: number;
  /** metadata.creationTimestamp, when set: the older of two conflicting configs wins, as in Istio. */
  creationTimestamp?: string;
  /**
   * Made by mizzen from Gateway API objects, never read from a document: an Istio Gateway converted from a
   * Gateway API Gateway, whose `kubernetes-gateway://` credentials the conversion verified (ReferenceGrants); or
   * an Istio Gateway or VirtualService converted from a Kubernetes Ingress (model/ingress.ts).
   */
  derived?: 'gateway-api' | 'ingress';
}

/** A workload known to the registry (pod or WorkloadEntry) — used to resolve proxies and selectors. */
export interface Workload {
  name: string;
  namespace: string;
  ip: string;
  labels: Record<string, string>;
  serviceAccount: string;
  kind: 'Pod' | 'WorkloadEntry';
  ready: boolean;
}

/** The mesh config's settings the generators read (through the snapshot, so that a change is a new version). */
export interface MeshSettings {
  /** outboundTrafficPolicy REGISTRY_ONLY: destinations outside the registry are refused (a Sidecar may say otherwise). */
  registryOnly: boolean;
  /**
   * outboundTrafficPolicy ALLOW_ANY_DYNAMIC_DNS (sidecars whose Sidecar resource says nothing): plaintext HTTP to
   * destinations outside the registry through Envoy's dynamic forward proxy, with the policy's `tls` (a
   * ClientTLSSettings) when it has one (xds/gen/allow-any-dns.ts); absent: the other modes.
   */
  allowAnyDynamicDns?: { tls?: Record<string, unknown> };
  /** The mesh's trust domain: the authority of its SPIFFE identities (`spiffe://<trustDomain>/ns/<ns>/sa/<sa>`). */
  trustDomain: string;
  /**
   * Tracing (enableTracing, tracing): the Zipkin collector as written (`host:port`, host resolved like any short
   * name, in the proxy's namespace) and the percentage of requests sampled; absent: none.
   */
  tracing?: { collector: { host: string; port: number }; sampling: number };
  /** External authorization providers by name (exactly as written: CUSTOM AuthorizationPolicies name them); absent: none. */
  authzProviders?: Record<string, ExtAuthzProvider>;
  /** The mesh config's localityLbSetting (a DestinationRule's own replaces it); absent: Istio's default, enabled. */
  localityLb?: Record<string, unknown>;
  /**
   * The mesh config's zoneAwareLbSetting: taken over localityLb where a cluster's DestinationRule sets neither and
   * its Service asks for no traffic distribution (xds/gen/zone-aware.ts); absent: none.
   */
  zoneAwareLb?: Record<string, unknown>;
  /** protocolDetectionTimeout in milliseconds; absent: none (a sniffing proxy waits for the client's first bytes). */
  protocolDetectionMs?: number;
  /**
   * The mesh config's ingressControllerMode, ingressClass, ingressService and ingressSelector: which Kubernetes
   * Ingresses are served, and by which gateway (model/ingress.ts); absent: Istio's defaults.
   */
  ingress?: IngressSettings;
  /** enableAutoMtls false: clients with certificates use mTLS only where a DestinationRule says ISTIO_MUTUAL; absent: on. */
  autoMtlsOff?: true;
  /** connectTimeout in milliseconds: every cluster's where no DestinationRule sets one; absent: 10 s, Istio's default. */
  connectTimeoutMs?: number;
  /** dnsRefreshRate in milliseconds: STRICT_DNS and LOGICAL_DNS clusters' refresh rate; absent: 60 s, Istio's default. */
  dnsRefreshMs?: number;
  /**
   * The mesh config's defaultServiceExportTo, defaultVirtualServiceExportTo and defaultDestinationRuleExportTo: where
   * those that set no exportTo are visible; absent (or a kind absent): everywhere, Istio's default.
   */
  defaultExportTo?: { services?: string[]; virtualServices?: string[]; destinationRules?: string[] };
  /** The mesh config's trustDomainAliases: authorization principals match under each of them too (model/trust-domain.ts). */
  trustDomainAliases?: string[];
  /** The trust domains of the mesh config's caCertificates: sidecars accept mTLS clients of them too (xds/gen/mtls.ts). */
  caTrustDomains?: string[];
  /**
   * The mesh config's discoverySelectors (model/discovery.ts): only the namespaces they select take part in the
   * snapshot; absent: every namespace, Istio's default.
   */
  discoverySelectors?: LabelSelector[];
  /**
   * The mesh config's serviceEntryVisibility when applyToSidecars is true: each ServiceEntry's visibility, from its
   * namespace's labels, narrows its exportTo (model/serviceentry-visibility.ts); absent: exportTo alone decides.
   */
  serviceEntryVisibility?: EntryVisibilitySettings;
  /**
   * The mesh config's meshMTLS: the minimum version and cipher suites of the sidecars' inbound mesh mTLS; absent:
   * Istio's (TLS 1.2, its six suites).
   */
  meshMtls?: MeshTls;
  /**
   * The mesh config's tlsDefaults: the curves and cipher suites of the TLS that is not mesh mTLS (Gateway servers
   * terminating with their own certificates, DestinationRule SIMPLE and MUTUAL), and those servers' minimum
   * version; absent: none.
   */
  tlsDefaults?: MeshTls;
  /**
   * The mesh config's rootNamespace: the one namespace whose resources without a selector are the mesh's; absent:
   * istio-system and mizzen-system (model/root-namespaces.ts).
   */
  rootNamespace?: string;
  /**
   * The mesh config's inboundClusterStatName and outboundClusterStatName: patterns naming the statistics of
   * inbound and outbound clusters and their tcp_proxies (xds/gen/stat-names.ts); absent: the clusters' names.
   */
  inboundClusterStatName?: string;
  outboundClusterStatName?: string;
  /**
   * The mesh config's proxyListenPort and proxyInboundListenPort when not Istio's 15001 and 15006: the ports istio-init
   * redirects outbound and inbound connections to, where virtualOutbound and virtualInbound listen (capture-ports.ts).
   */
  proxyListenPort?: number;
  proxyInboundListenPort?: number;
  /** pathNormalization other than BASE (RFC 3986 normalization, what every connection manager has otherwise). */
  pathNormalization?: 'NONE' | 'MERGE_SLASHES' | 'DECODE_AND_MERGE_SLASHES';
  /** Envoy access logs (accessLogFile, accessLogEncoding, accessLogFormat: absent, the encoding's default); absent: none. */
  accessLog?: { path: string; encoding: 'TEXT' | 'JSON'; format?: { text: string } | { fields: Record<string, unknown> } };
  /**
   * enableEnvoyAccessLogService: where the mesh config's own logging applies (no Telemetry, no defaultProviders),
   * connection managers and tcp_proxies also stream to the bootstrap's envoy_accesslog_service cluster.
   */
  envoyAccessLogService?: boolean;
  /** disableEnvoyListenerLog: listeners get no listener-level access log (xds/gen/telemetry.ts); absent: they do. */
  disableEnvoyListenerLog?: boolean;
  /**
   * What Telemetry resources refer to (extensionProviders, defaultProviders), and the sampling percentage where
   * a Telemetry sets none; absent: no providers and no defaults.
   */
  telemetry?: {
    /** By name, lowercased (Telemetry resources name providers without regard to case, as in Istio). */
    providers: Record<string, TelemetryProvider>;
    defaultProviders: { tracing: string[]; accessLogging: string[] };
    sampling: number;
  };
  /** defaultHttpRetryPolicy (an HTTPRetry): routes that set no retries take it instead of Istio's default; absent: that default. */
  httpRetries?: Record<string, unknown>;
  /** defaultInboundHttpRetryPolicy: sidecars' inbound routes retry as it says; absent: two retries of a request reset before it reached the app. */
  inboundHttpRetries?: Record<string, unknown>;
  /** defaultTrafficPolicy: the connectionPool and outlierDetection of clusters whose DestinationRule sets none; absent: none. */
  trafficDefaults?: { connectionPool?: Record<string, unknown>; outlierDetection?: Record<string, unknown> };
  /** h2UpgradePolicy UPGRADE: HTTP/1.1 service ports' clusters speak HTTP/2 unless their DestinationRule says otherwise. */
  h2Upgrade?: true;
  /** tcpKeepalive: SO_KEEPALIVE on every cluster's connections, a DestinationRule's own fields over it; absent: none. */
  tcpKeepalive?: Record<string, unknown>;
  /** inboundTrafficPolicy LOCALHOST: inbound traffic reaches the app on 127.0.0.1; absent: on the pod's IP (PASSTHROUGH). */
  inboundLocalhost?: true;
  /** defaultConfig.gatewayTopology: for gateways whose node carries no PROXY_CONFIG (xds/gen/gateway-topology.ts); absent: none. */
  gatewayTopology?: GatewayTopology;
  /** defaultConfig.proxyHeaders: for proxies whose node carries no PROXY_CONFIG (xds/gen/proxy-headers.ts); absent: Istio's default headers. */
  proxyHeaders?: ProxyHeaders;
  /** defaultConfig.tracing's customTags and maxPathTagLength: for proxies whose node carries no PROXY_CONFIG (xds/gen/span-tags.ts); absent: none. */
  proxyTracing?: ProxyTracing;
}

/** Istio's MeshConfig.TLSConfig, checked: TLS_AUTO and empty lists left out, unknown and repeated names dropped. */
export interface MeshTls {
  minProtocolVersion?: 'TLSV1_2' | 'TLSV1_3';
  ecdhCurves?: string[];
  cipherSuites?: string[];
}

/** An external authorization provider of the mesh config (envoyExtAuthzHttp / envoyExtAuthzGrpc), as the generators use it. */
export interface ExtAuthzProvider {
  kind: 'http' | 'grpc';
  /** The authorization service: a host (short names resolve in the proxy's namespace), or `namespace/host`. */
  service: string;
  port: number;
  timeoutMs: number;
  failOpen: boolean;
  statusOnError?: number;
  clearRouteCache?: boolean;
  requestBody?: { maxRequestBytes?: number; allowPartialMessage: boolean; packAsBytes: boolean };
  /** HTTP providers only. */
  pathPrefix?: string;
  requestHeaders?: string[];
  additionalHeaders?: Record<string, string>;
  upstreamOnAllow?: string[];
  downstreamOnDeny?: string[];
  downstreamOnAllow?: string[];
}

/** A telemetry provider of the mesh config, as the generators use it (config/providers.ts checks the input). */
export type TelemetryProvider =
  | { kind: 'zipkin'; host: string; port: number; path: string; traceId128: boolean; maxTagLength?: number }
  | { kind: 'file'; path: string; text?: string; labels?: Record<string, unknown>; omitEmptyValues?: boolean }
  /** OTLP to a collector over gRPC, or over HTTP when `http` is given; `environment`: read OTEL_RESOURCE_ATTRIBUTES. */
  | {
      kind: 'opentelemetry';
      host: string;
      port: number;
      maxTagLength?: number;
      http?: { path: string; timeoutMs: number; headers: Array<{ name: string; value: string }> };
      grpc?: { timeoutMs?: number; metadata: Array<{ name: string; value: string }> };
      environment: boolean;
    }
  /**
   * An Envoy gRPC access log service: `http` logs each request of a connection manager (envoyHttpAls), `tcp` each
   * connection of a tcp_proxy (envoyTcpAls). `service`: `[<namespace>/]<host>`.
   */
  | {
      kind: 'grpc-log';
      protocol: 'http' | 'tcp';
      service: string;
      port: number;
      logName: string;
      filterStateObjects: string[];
      requestHeaders: string[];
      responseHeaders: string[];
      responseTrailers: string[];
    }
  /** One of Istio's kinds that mizzen generates nothing for (prometheus, datadog …). */
  | { kind: 'other' };

/** One definition of a host: the service and its endpoints. */
export interface HostDefinition {
  service: Service;
  endpoints: Endpoint[];
}

export interface Snapshot {
  /** Content version: changes whenever anything in the snapshot changes. */
  version: string;
  domainSuffix: string;
  /** Mesh-wide settings from the mesh config that shape generated configuration. */
  mesh: MeshSettings;
  namespaces: Map<string, Record<string, string>>;
  /** By hostname; sorted iteration order (by hostname) where order matters. */
  services: Map<string, Service>;
  /** By hostname: every endpoint of every port of that service. */
  endpoints: Map<string, Endpoint[]>;
  /**
   * Hosts defined more than once (several ServiceEntries, or a ServiceEntry and a Kubernetes Service): by hostname,
   * the definitions after the first, which is the one in `services` and `endpoints`, in definition order (Kubernetes
   * first, then ServiceEntries oldest first). Each namespace's proxies get one of them (xds/gen/host-definitions.ts).
   */
  alternatives: ReadonlyMap<string, readonly HostDefinition[]>;
  /**
   * Where proxies' localities are looked up (xds/gen/locality.ts): this snapshot's endpoints, and the index by IP
   * built from them on first use. A view narrowed to some services shares its snapshot's.
   */
  localityIndex: { readonly endpoints: ReadonlyMap<string, readonly Endpoint[]>; byIp?: Map<string, string> };
  workloads: Workload[];
  virtualServices: Config[];
  destinationRules: Config[];
  gateways: Config[];
  serviceEntries: Config[];
  sidecars: Config[];
  peerAuthentications: Config[];
  authorizationPolicies: Config[];
  requestAuthentications: Config[];
  telemetries: Config[];
  /** EnvoyFilters (networking.istio.io), in compareConfigs order; xds/gen/envoyfilter orders them for each proxy. */
  envoyFilters: Config[];
  /** WasmPlugins (extensions.istio.io), in compareConfigs order (oldest first); xds/gen/wasm.ts orders them per proxy. */
  wasmPlugins: Config[];
  /**
   * Gateway API routes and ReferenceGrants (gateway.networking.k8s.io), as stored. The routes attached to Services
   * and to Gateway API Gateways reach the generators as VirtualServices, appended to `virtualServices`
   * (gateway-api.ts, gateway-api-gateways.ts).
   */
  httpRoutes: Config[];
  grpcRoutes: Config[];
  tlsRoutes: Config[];
  tcpRoutes: Config[];
  referenceGrants: Config[];
  /** Gateway API Gateways; those of class istio reach the generators as Istio Gateways (gateway-api-gateways.ts). */
  kubernetesGateways: Config[];
  /**
   * Kubernetes Ingresses and IngressClasses (networking.k8s.io); those of Istio's class reach the generators as
   * Istio Gateways and VirtualServices (model/ingress.ts).
   */
  ingresses: Config[];
  ingressClasses: Config[];
  /** BackendTLSPolicies; they reach the generators as DestinationRules, appended to `destinationRules` (gateway-api-backendtls.ts). */
  backendTlsPolicies: Config[];
  /** XBackendTrafficPolicies (gateway.networking.x-k8s.io); their retry budgets reach the generators in the same derived DestinationRules (gateway-api-backendtraffic.ts). */
  backendTrafficPolicies: Config[];
  /** ListenerSets; they reach the generators as Istio Gateways and VirtualServices of their parent Gateways' proxies (gateway-api-listenerset.ts). */
  listenerSets: Config[];
  /** TLS credentials of Secrets by `ns/name` (credentials.ts), for gateways' credentialName. */
  credentials: ReadonlyMap<string, RawCredential>;
  /** CA bundles of ConfigMaps by `ns/name` (configmap-ca.ts), for BackendTLSPolicies' caCertificateRefs. */
  configMapCas: ReadonlyMap<string, ConfigMapCa>;
}

/** The objects a snapshot is built from (the config store's current contents). */
export type SnapshotInput = readonly KubeObject[];
