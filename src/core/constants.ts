/** Ports, names and type URLs, defined once. Values are Istio's so tooling and habits carry over. */

export const Ports = {
  webhook: 15017,
  xdsPlaintext: 15010,
  xdsTls: 15012,
  monitoring: 15014,
  proxyOutbound: 15001,
  proxyInbound: 15006,
  proxyAdmin: 15000,
  proxyStats: 15090,
  proxyHealth: 15021,
} as const;

/** File names in a workload certificate directory (Istio's names for file-mounted certificates). */
export const WorkloadCertFiles = { certChain: 'cert-chain.pem', key: 'key.pem', root: 'root-cert.pem' } as const;

/**
 * A sidecar's mesh certificates when the mesh config sets workloadCertificateSecrets: the Secret
 * `istio.<service account>` mounted at /etc/certs, and the node metadata that names the files (Istio's keys for
 * file-mounted certificates). A proxy whose metadata names them gets mesh mTLS (xds/gen/mtls.ts).
 */
export const MeshCerts = {
  volume: 'istio-certs',
  dir: '/etc/certs',
  secretPrefix: 'istio.',
  /** The file of the volume that names the client certificate for xDS over TLS (file-based SDS). */
  xdsClientFile: 'xds-client.yaml',
  /** The Secret type Istio gave these Secrets. */
  secretType: 'istio.io/key-and-cert',
  metadata: {
    serverChain: 'TLS_SERVER_CERT_CHAIN',
    serverKey: 'TLS_SERVER_KEY',
    serverRoot: 'TLS_SERVER_ROOT_CERT',
    clientChain: 'TLS_CLIENT_CERT_CHAIN',
    clientKey: 'TLS_CLIENT_KEY',
    clientRoot: 'TLS_CLIENT_ROOT_CERT',
  },
} as const;

/**
 * The source address of the proxy's own connections to its application (inbound clusters, rewritten probes):
 * istio-init lets traffic from it through on loopback, where other traffic of the proxy's uid goes to 15006.
 */
export const PROXY_TO_APP_SOURCE = '127.0.0.6';

/** The CA bundle of the Envoy images (envoyproxy/envoy and its distroless form both carry it here). */
export const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export const PROXY_UID = 1337;
export const PROXY_GID = 1337;

export const ContainerNames = {
  init: 'istio-init',
  proxy: 'istio-proxy',
} as const;

export const Labels = {
  injectionNamespace: 'istio-injection',
  revision: 'istio.io/rev',
  inject: 'sidecar.istio.io/inject',
  tlsMode: 'security.istio.io/tlsMode',
  canonicalName: 'service.istio.io/canonical-name',
  canonicalRevision: 'service.istio.io/canonical-revision',
  app: 'app',
  version: 'version',
  k8sAppName: 'app.kubernetes.io/name',
  k8sAppVersion: 'app.kubernetes.io/version',
} as const;

export const Annotations = {
  inject: 'sidecar.istio.io/inject',
  status: 'sidecar.istio.io/status',
  proxyCPU: 'sidecar.istio.io/proxyCPU',
  proxyMemory: 'sidecar.istio.io/proxyMemory',
  proxyCPULimit: 'sidecar.istio.io/proxyCPULimit',
  proxyMemoryLimit: 'sidecar.istio.io/proxyMemoryLimit',
  proxyImage: 'sidecar.istio.io/proxyImage',
  logLevel: 'sidecar.istio.io/logLevel',
  nativeSidecar: 'sidecar.istio.io/nativeSidecar',
  interceptionMode: 'sidecar.istio.io/interceptionMode',
  includeOutboundIPRanges: 'traffic.sidecar.istio.io/includeOutboundIPRanges',
  excludeOutboundIPRanges: 'traffic.sidecar.istio.io/excludeOutboundIPRanges',
  includeInboundPorts: 'traffic.sidecar.istio.io/includeInboundPorts',
  excludeInboundPorts: 'traffic.sidecar.istio.io/excludeInboundPorts',
  includeOutboundPorts: 'traffic.sidecar.istio.io/includeOutboundPorts',
  excludeOutboundPorts: 'traffic.sidecar.istio.io/excludeOutboundPorts',
  excludeInterfaces: 'traffic.sidecar.istio.io/excludeInterfaces',
  kubevirtInterfaces: 'traffic.sidecar.istio.io/kubevirtInterfaces',
  rerouteVirtualInterfaces: 'istio.io/reroute-virtual-interfaces',
  /** ProxyConfig overrides for this pod (YAML or JSON). */
  proxyConfig: 'proxy.istio.io/config',
  userVolume: 'sidecar.istio.io/userVolume',
  userVolumeMount: 'sidecar.istio.io/userVolumeMount',
  componentLogLevel: 'sidecar.istio.io/componentLogLevel',
  statsHistogramBuckets: 'sidecar.istio.io/statsHistogramBuckets',
  statsFlushInterval: 'sidecar.istio.io/statsFlushInterval',
  statusPort: 'status.sidecar.istio.io/port',
  readinessInitialDelaySeconds: 'readiness.status.sidecar.istio.io/initialDelaySeconds',
  readinessPeriodSeconds: 'readiness.status.sidecar.istio.io/periodSeconds',
  readinessFailureThreshold: 'readiness.status.sidecar.istio.io/failureThreshold',
  defaultContainer: 'kubectl.kubernetes.io/default-container',
  defaultLogsContainer: 'kubectl.kubernetes.io/default-logs-container',
  prometheusScrape: 'prometheus.io/scrape',
  prometheusPort: 'prometheus.io/port',
  prometheusPath: 'prometheus.io/path',
  /** Beyond Istio: why the webhook left a pod without a sidecar. */
  skipReason: 'sidecar.mizzen.io/skip-reason',
  /** The sidecar's xDS client certificate as file-based SDS, which the istio-certs volume projects into a file. */
  xdsClientSds: 'sidecar.mizzen.io/xds-client-sds',
} as const;

/**
 * Namespaces whose mesh-wide configuration (a Sidecar without selector, policies) applies to every namespace, when
 * the mesh config sets no rootNamespace (model/root-namespaces.ts).
 */
export const ROOT_NAMESPACES: readonly string[] = ['istio-system', 'mizzen-system'];

/** Namespaces that are never injected, whatever their labels say. */
export const SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage'];

export const ApiGroups = {
  networking: 'networking.istio.io',
  security: 'security.istio.io',
  telemetry: 'telemetry.istio.io',
  extensions: 'extensions.istio.io',
} as const;

const ENVOY = 'type.googleapis.com/envoy.config';
export const TypeUrls = {
  listener: `${ENVOY}.listener.v3.Listener`,
  route: `${ENVOY}.route.v3.RouteConfiguration`,
  cluster: `${ENVOY}.cluster.v3.Cluster`,
  endpoint: `${ENVOY}.endpoint.v3.ClusterLoadAssignment`,
  secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
} as const;
export type TypeUrl = (typeof TypeUrls)[keyof typeof TypeUrls];

/** Order in which state-of-the-world types are pushed so that references resolve (CDS before EDS, LDS before RDS). */
export const PUSH_ORDER: readonly TypeUrl[] = [TypeUrls.cluster, TypeUrls.endpoint, TypeUrls.listener, TypeUrls.route, TypeUrls.secret];

export const DEFAULT_DOMAIN_SUFFIX = 'cluster.local';
/** Istio's default trust domain (meshConfig.trustDomain). */
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';
/** What a trust domain may be (SPIFFE's rule): lowercase letters, digits, '.', '-' and '_'. */
export const TRUST_DOMAIN = /^[a-z0-9._-]+$/;

export const Defaults = {
  namespace: 'default',
  controlPlaneNamespace: 'mizzen-system',
  serviceName: 'mizzen',
} as const;

/** The cluster id of the one Kubernetes cluster mizzen reads (Istio's default): injected proxies report it. */
export const CLUSTER_ID = 'Kubernetes';

/** Proxyless gRPC (grpc-js-xds and friends): names the bootstrap and the generators agree on. */
export const GrpcXds = {
  /** Inbound listener name template for xDS-enabled gRPC servers (`%s` = the `ip:port` the server binds), Istio's. */
  serverListenerTemplate: 'xds.istio.io/grpc/lds/inbound/%s',
  serverListenerPrefix: 'xds.istio.io/grpc/lds/inbound/',
  /** Names of the HTTP filters in generated connection managers (per-route config is keyed by these). */
  faultFilter: 'envoy.filters.http.fault',
  routerFilter: 'envoy.filters.http.router',
  rbacFilter: 'envoy.filters.http.rbac',
  /**
   * The certificate provider instance of a gRPC bootstrap (bootstrap/grpc.ts) that mizzen's mTLS resources name
   * (xds/gen/grpc/tls.ts), with its certificates `default` (the workload's) and `ROOTCA` (the mesh CA), as Istio's.
   */
  certProviderInstance: 'default',
} as const;

/** Envoy extension type URLs the generators put inside Any values. */
export const ExtensionTypeUrls = {
  httpConnectionManager: 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  fault: 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
  rbac: 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
} as const;
