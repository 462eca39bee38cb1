/**
 * The `istio-proxy` container: Envoy with its bootstrap passed inline (node metadata as Istio's agent
 * reports it), the environment Istio's template sets, probes and a locked-down security context.
 * Built together with its JSON text: the shape of the container (and of the bootstrap's node metadata)
 * varies only with a few booleans, so each shape is serialized once as a template and a pod's text is
 * the template with the pod's strings spliced in (see json-template.ts). Pure.
 */
import { CLUSTER_ID, ContainerNames, MeshCerts, PROXY_GID, PROXY_UID, Ports } from '../core/constants.js';
import type { KubeObject } from '../core/kube.js';
import { type Result, ok } from '../core/result.js';
import { XDS_CLIENT_SECRET, certMetadata, envoyArgs, envoyBootstrapText, parseHostPort, READY_PATH, type EnvoyBootstrapOptions } from '../bootstrap/envoy.js';
import type { MeshIdentity } from '../bootstrap/access-log-service.js';
import type { MeshConfig } from '../config/mesh.js';
import { JsonTemplate } from './json-template.js';
import { PROXY_VOLUME, appContainerNames, fieldEnv, resources, resourcesJson, setOwn, type BuiltContainer, type Container, type SidecarContext } from './template.js';
import { ownerUri } from './workload.js';
import { holdCommand } from './hold.js';
import { drainCommand } from './drain.js';
import { DEFAULT_PROXY_OPTIONS, istioMetadata, type ProxyOptions } from './proxy-options.js';
import { overlayContainer } from './overlay.js';
import { goBool } from '../core/go-bool.js';
import { shown } from '../core/shown.js';
import { localityOf } from '../model/registry.js';
import { saysTracing } from '../model/proxy-tracing.js';
import { serviceClusterName } from '../bootstrap/service-cluster.js';

/** What makes one proxy container differ in shape from another. */
interface Shape {
  /** An init container that keeps running (Kubernetes 1.29+), so Jobs complete. */
  native: boolean;
  /** A postStart hook that waits for Envoy's readiness (holdApplicationUntilProxyStarts). */
  hold: boolean;
  /** The application containers declare ports (POD_PORTS). */
  ports: boolean;
  /** The workload has a name (WORKLOAD_NAME and OWNER). */
  workload: boolean;
  /** Mesh certificates mounted from the Secret istio.<service account> (mesh config workloadCertificateSecrets). */
  certs: boolean;
  /** A gateway (router): it also declares the status port, which its Service targets. */
  router: boolean;
}

const PROXY_KEYS = ['image', 'bootstrap', 'serviceNode', 'serviceCluster', 'logLevel', 'resources', 'podPorts', 'apps', 'mode', 'workload', 'owner', 'trustDomain'] as const;
type ProxyValues = Record<(typeof PROXY_KEYS)[number], unknown>;

const META_KEYS = ['labels', 'apps', 'meshId', 'mode', 'podPorts', 'workload', 'owner'] as const;
type MetaValues = Record<(typeof META_KEYS)[number], unknown>;

function proxyEnv(shape: Shape, v: ProxyValues, o: ProxyOptions): unknown[] {
  const env: unknown[] = [
    fieldEnv('POD_NAME', 'metadata.name'),
    fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
    fieldEnv('INSTANCE_IP', 'status.podIP'),
    fieldEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    fieldEnv('HOST_IP', 'status.hostIP'),
  ];
  if (shape.ports) env.push({ name: 'ISTIO_META_POD_PORTS', value: v.podPorts });
  env.push(
    { name: 'ISTIO_META_APP_CONTAINERS', value: v.apps },
    { name: 'ISTIO_META_CLUSTER_ID', value: CLUSTER_ID },
    fieldEnv('ISTIO_META_NODE_NAME', 'spec.nodeName'),
    { name: 'ISTIO_META_INTERCEPTION_MODE', value: v.mode },
  );
  if (shape.workload) env.push({ name: 'ISTIO_META_WORKLOAD_NAME', value: v.workload }, { name: 'ISTIO_META_OWNER', value: v.owner });
  env.push({ name: 'ISTIO_META_MESH_ID', value: v.trustDomain }, { name: 'TRUST_DOMAIN', value: v.trustDomain });
  for (const e of o.env) env.push({ name: e.name, value: e.value });
  return env;
}

/** The hooks: hold the application until Envoy is ready (hold.ts), drain when the pod stops (drain.ts). */
function lifecycle(shape: Shape, o: ProxyOptions): { lifecycle?: Record<string, unknown> } {
  const drain = drainCommand(shape, { terminationDrainMs: o.terminationDrainMs, ...(o.exitOnZero && { exitOnZero: o.exitOnZero }) });
  if (!shape.hold && !drain) return {};
  return { lifecycle: { ...(shape.hold ? { postStart: { exec: { command: holdCommand() } } } : {}), ...(drain ? { preStop: { exec: { command: drain } } } : {}) } };
}

/** The container; `o` is DEFAULT_PROXY_OPTIONS for the templates (whose shape must not depend on a pod's options). */
function buildProxy(shape: Shape, v: ProxyValues, o: ProxyOptions = DEFAULT_PROXY_OPTIONS): Container {
  const probe = (extra: Record<string, number>) => ({ httpGet: { path: READY_PATH, port: Ports.proxyHealth }, ...extra });
  const r = o.readiness;
  const readiness = { ...(r.initialDelaySeconds !== undefined ? { initialDelaySeconds: r.initialDelaySeconds } : {}), periodSeconds: r.periodSeconds, timeoutSeconds: 3, failureThreshold: r.failureThreshold };
  return {
    name: ContainerNames.proxy,
    image: v.image,
    imagePullPolicy: 'IfNotPresent',
    ...(shape.native ? { restartPolicy: 'Always' } : {}),
    args: envoyArgs({
      bootstrap: v.bootstrap as string,
      logLevel: v.logLevel as string,
      serviceNode: v.serviceNode as string,
      serviceCluster: v.serviceCluster as string,
      concurrency: o.concurrency > 0 ? o.concurrency : undefined,
      componentLogLevel: o.componentLogLevel,
      drainSeconds: o.drainSeconds,
    }),
    ports: [
      ...(shape.router ? [{ containerPort: Ports.proxyHealth, name: 'status-port', protocol: 'TCP' }] : []),
      { containerPort: Ports.proxyStats, name: 'http-envoy-prom', protocol: 'TCP' },
    ],
    env: proxyEnv(shape, v, o),
    resources: v.resources,
    ...(o.probes ? { readinessProbe: probe(readiness), startupProbe: probe({ periodSeconds: 1, timeoutSeconds: 3, failureThreshold: 600 }) } : {}),
    ...lifecycle(shape, o),
    securityContext: {
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsGroup: PROXY_GID,
      runAsNonRoot: true,
      runAsUser: PROXY_UID,
    },
    volumeMounts: [
      { name: PROXY_VOLUME.name, mountPath: PROXY_VOLUME.mountPath },
      ...(shape.certs ? [{ name: MeshCerts.volume, mountPath: MeshCerts.dir, readOnly: true }] : []),
      ...o.mounts.map((m) => ({ ...m })),
    ],
  };
}

/** The bootstrap's node.metadata, as Istio's agent reports it ($(VAR)s are expanded by Kubernetes). */
function nodeMetadata(shape: Shape, v: MetaValues): Record<string, unknown> {
  const meta: Record<string, unknown> = {
    NAME: '$(POD_NAME)',
    NAMESPACE: '$(POD_NAMESPACE)',
    INSTANCE_IPS: '$(INSTANCE_IP)',
    SERVICE_ACCOUNT: '$(SERVICE_ACCOUNT)',
    NODE_NAME: '$(ISTIO_META_NODE_NAME)',
    LABELS: v.labels,
    APP_CONTAINERS: v.apps,
    CLUSTER_ID: CLUSTER_ID,
    MESH_ID: v.meshId,
    INTERCEPTION_MODE: v.mode,
  };
  if (shape.ports) meta.POD_PORTS = v.podPorts;
  if (shape.workload) {
    meta.WORKLOAD_NAME = v.workload;
    meta.OWNER = v.owner;
  }
  if (shape.certs) Object.assign(meta, CERT_METADATA);
  return meta;
}

/** The mounted certificate files, named in the node metadata as Istio names file-mounted certificates. */
const CERT_METADATA: Readonly<Record<string, string>> = certMetadata(MeshCerts.dir);
/** A sidecar's own mesh identity, as its xDS client certificate gives it (ISTIO_MUTUAL to the access log service). */
const MESH_IDENTITY: MeshIdentity = { caFile: CERT_METADATA[MeshCerts.metadata.serverRoot]!, clientSds: { path: `${MeshCerts.dir}/${MeshCerts.xdsClientFile}`, secret: XDS_CLIENT_SECRET } };

/**
 * A proxy with mesh certificates (and no discoveryAddress of its own, which is used as it is) gets its configuration
 * over TLS (xdsTlsAddress), the control plane's certificate checked against the mounted mesh CA, and presents its
 * own through the SDS file the istio-certs volume projects (template.ts), so that the control plane knows who it is.
 */
function xdsOverTls(opts: EnvoyBootstrapOptions, mesh: MeshConfig): void {
  opts.xdsAddress = mesh.xdsTlsAddress;
  let tls = xdsTlsByMesh.get(mesh);
  if (tls === undefined) {
    const host = parseHostPort(mesh.xdsTlsAddress);
    const clientSds = `${MeshCerts.dir}/${MeshCerts.xdsClientFile}`;
    xdsTlsByMesh.set(mesh, (tls = host.ok ? { caFile: CERT_METADATA[MeshCerts.metadata.serverRoot]!, serverName: host.value.host, clientSds } : null));
  }
  if (tls) opts.xdsTls = tls;
}
/** The xDS TLS settings of a mesh config, worked out once per config (not per review); null when unusable. */
const xdsTlsByMesh = new WeakMap<MeshConfig, NonNullable<EnvoyBootstrapOptions['xdsTls']> | null>();

/**
 * Node metadata with proxyMetadata's ISTIO_META_* values over it, as Istio's agent reads its environment; LABELS
 * stays the pod's (an object, which an environment variable cannot override).
 */
function withOverrides(meta: Record<string, unknown>, overrides: Readonly<Record<string, string>>): Record<string, unknown> {
  for (const k of Object.keys(overrides)) if (k !== 'LABELS') setOwn(meta, k, overrides[k]);
  return meta;
}

/**
 * PROXY_CONFIG, the node metadata in which Istio's agent sends the proxy's effective ProxyConfig, with the fields the
 * xDS server reads from it: a gateway's gatewayTopology (xds/gen/gateway-topology.ts), any proxy's proxyHeaders
 * (xds/gen/proxy-headers.ts) and its tracing customTags and maxPathTagLength (xds/gen/span-tags.ts). The xDS server takes a PROXY_CONFIG whole (a field it leaves out is unset), so it
 * carries every one of those fields the proxy has; a proxy that has none of them carries none, and is left to the
 * mesh config's, as the xDS server reads it then.
 */
function nodeProxyConfig(shape: Shape, params: SidecarContext['params']): Record<string, unknown> | undefined {
  const gatewayTopology = shape.router ? params.gatewayTopology : undefined;
  const headers = params.proxyHeaders && Object.keys(params.proxyHeaders).length > 0 ? params.proxyHeaders : undefined;
  const tracing = saysTracing(params.proxyTracing) ? params.proxyTracing : undefined;
  if (!gatewayTopology && !headers && !tracing) return undefined;
  return { ...(gatewayTopology && { gatewayTopology }), ...(headers && { proxyHeaders: headers }), ...(tracing && { tracing }) };
}

/** The metadata with PROXY_CONFIG set (after proxyMetadata's values, as Istio's agent sets it after reading them). */
function withProxyConfig(meta: Record<string, unknown>, proxyConfig: Record<string, unknown> | undefined): Record<string, unknown> {
  if (proxyConfig) meta.PROXY_CONFIG = proxyConfig;
  return meta;
}

const shapeKey = (s: Shape) => (s.native ? 1 : 0) | (s.ports ? 2 : 0) | (s.workload ? 4 : 0) | (s.hold ? 8 : 0) | (s.certs ? 16 : 0) | (s.router ? 32 : 0);
const proxyTemplates = new Map<number, JsonTemplate<(typeof PROXY_KEYS)[number]>>();
const metaTemplates = new Map<number, JsonTemplate<(typeof META_KEYS)[number]>>();

function templateFor<K extends string>(cache: Map<number, JsonTemplate<K>>, shape: Shape, keys: readonly K[], build: (shape: Shape, v: Record<K, unknown>) => unknown): JsonTemplate<K> {
  const key = shapeKey(shape);
  let t = cache.get(key);
  if (t === undefined) cache.set(key, (t = new JsonTemplate(keys, (v) => build(shape, v))));
  return t;
}

/** Kubernetes expands $(VAR) in args; a literal "$(" in data we embed must not be expanded. */
const literal = (s: string) => (s.includes('$(') ? s.replaceAll('$(', () => '$$(') : s);

/** The labels as the bootstrap carries them: the same object unless some key or value holds a "$(". */
function literalLabels(labels: Record<string, string>): Record<string, unknown> {
  let plain = true;
  for (const k in labels) {
    const v: unknown = labels[k];
    if (typeof v !== 'string' || v.includes('$(') || k.includes('$(')) plain = false;
  }
  if (plain) return labels;
  const out: Record<string, unknown> = {};
  for (const k in labels) setOwn(out, literal(k), literal(String(labels[k])));
  return out;
}

function podPorts(pod: KubeObject): unknown[] {
  const out: unknown[] = [];
  for (const c of (pod.spec?.containers ?? []) as Array<{ name?: unknown; ports?: unknown }>) {
    if (c?.name === ContainerNames.proxy || !Array.isArray(c?.ports)) continue;
    out.push(...c.ports);
  }
  return out;
}

export function proxyContainer(ctx: SidecarContext): Result<BuiltContainer> {
  const { mesh, params, workload } = ctx;
  const apps = appContainerNames(ctx.pod).join(',');
  const ports = podPorts(ctx.pod);
  const portsJson = ports.length ? JSON.stringify(ports) : '';
  const shape: Shape = { native: params.native, hold: params.hold, ports: ports.length > 0, workload: workload.name !== '', certs: mesh.workloadCertificateSecrets, router: ctx.router === true };
  const owner = shape.workload ? ownerUri(workload, ctx.namespace) : '';
  // The service its spans name (Envoy's node.cluster), as Istio's agent names it (ProxyConfig tracingServiceName).
  const cluster = serviceClusterName(params.tracingServiceName, ctx.labels, workload.name);
  const serviceCluster = `${literal(cluster.name)}${cluster.namespaced ? '.$(POD_NAMESPACE)' : ''}`;

  const meta: MetaValues = {
    labels: literalLabels(ctx.labels),
    apps: literal(apps),
    meshId: literal(mesh.trustDomain),
    mode: params.interceptionMode,
    podPorts: literal(portsJson),
    workload: literal(workload.name),
    owner: literal(owner),
  };
  const o = params.proxy;
  const { override } = ctx;
  // ISTIO_META_* entries of the pod's own istio-proxy env come after proxyMetadata's, as in the container.
  const metaOverrides = override && Array.isArray(override.env) ? { ...o.nodeMetadata, ...istioMetadata(override.env) } : o.nodeMetadata;
  const proxyConfig = nodeProxyConfig(shape, params);
  const plainMeta = proxyConfig === undefined && (metaOverrides === DEFAULT_PROXY_OPTIONS.nodeMetadata || Object.keys(metaOverrides).length === 0);
  const bootOpts: EnvoyBootstrapOptions = { xdsAddress: o.xdsAddress ?? mesh.xdsAddress, logLevel: params.logLevel, clusterName: serviceCluster };
  if (shape.certs && o.xdsAddress === undefined) xdsOverTls(bootOpts, mesh);
  // Probes go to the pod's own address (INSTANCE_IP, set in the container's env before the args expand it).
  if (o.histogramBuckets) bootOpts.histogramBuckets = o.histogramBuckets;
  if (o.statsFlushMs !== undefined) bootOpts.statsFlushMs = o.statsFlushMs;
  // ISTIO_MUTUAL presents the mesh certificate of /etc/certs; a pod without one reaches the service in plaintext (annotations.ts warns).
  if (o.accessLogService) bootOpts.accessLogService = { service: o.accessLogService, ...(shape.certs && { identity: MESH_IDENTITY }) };
  if (ctx.appProbes) bootOpts.appProbes = { address: '$(INSTANCE_IP)', routes: ctx.appProbes.map((r) => ({ ...r, path: literal(r.path), target: literal(r.target) })) };
  const selfDiscovery = selfDiscoveryOf(metaOverrides, ctx.labels);
  if (selfDiscovery.on) bootOpts.selfDiscovery = selfDiscovery.locality ? { locality: selfDiscovery.locality } : {};
  const bootstrap = envoyBootstrapText(
    bootOpts,
    plainMeta ? templateFor(metaTemplates, shape, META_KEYS, nodeMetadata).json(meta) : JSON.stringify(withProxyConfig(withOverrides(nodeMetadata(shape, meta), metaOverrides), proxyConfig)),
  );
  if (!bootstrap.ok) return { ok: false, errors: bootstrap.errors.map((e) => `${o.xdsAddress === undefined ? 'mesh config' : 'proxy.istio.io/config'} ${e}`) };

  const values: ProxyValues = {
    image: params.proxyImage,
    bootstrap: bootstrap.value.json,
    serviceNode: `${shape.router ? 'router' : 'sidecar'}~$(INSTANCE_IP)~$(POD_NAME).$(POD_NAMESPACE)~$(POD_NAMESPACE).svc.${mesh.domainSuffix}`,
    serviceCluster,
    logLevel: params.logLevel,
    resources: params.resources,
    podPorts: portsJson,
    apps,
    mode: params.interceptionMode,
    workload: workload.name,
    owner,
    trustDomain: mesh.trustDomain,
  };
  // A pod with proxy options or an istio-proxy of its own (rare) is serialized whole; the others fill in a template.
  const build = (): Container => {
    const c = buildProxy(shape, { ...values, resources: resources(params) }, o);
    return override ? (overlayContainer(c, structuredClone(override)) as Container) : c;
  };
  const json =
    o === DEFAULT_PROXY_OPTIONS && override === undefined
      ? templateFor(proxyTemplates, shape, PROXY_KEYS, buildProxy).json(values, { bootstrap: bootstrap.value.quoted, resources: resourcesJson(params) })
      : JSON.stringify(override ? overlayContainer(buildProxy(shape, values, o), override) : buildProxy(shape, values, o));
  return ok({ name: ContainerNames.proxy, json, build, ...(selfDiscovery.warning && { warnings: [selfDiscovery.warning] }) });
}

/**
 * Whether the proxy asks for self-discovery (ISTIO_META_ENABLE_SELF_DISCOVERY, read as Istio's agent reads it: one
 * of Go's boolean spellings, anything else off) and its node's locality, which Envoy's zone-aware routing compares
 * with its local_cluster's: from the pod's locality labels, as Istio's agent takes it first (mizzen has no agent
 * to ask the platform, and a pod is not on a node yet when injected).
 */
function selfDiscoveryOf(meta: Readonly<Record<string, string>>, labels: Record<string, string>): { on: boolean; locality?: Record<string, string>; warning?: string } {
  const value = meta.ENABLE_SELF_DISCOVERY;
  if (value === undefined) return { on: false };
  const at = 'proxyMetadata ISTIO_META_ENABLE_SELF_DISCOVERY';
  const on = goBool(value);
  if (on === undefined) return { on: false, warning: `${at}: ${shown(value)} is not a boolean, taken as false` };
  if (!on) return { on: false };
  const [region = '', zone = '', subZone = ''] = localityOf(labels).split('/');
  if (!zone) return { on: true, warning: `${at}: the pod names no zone (label topology.istio.io/locality, or topology.kubernetes.io/region and zone): Envoy routes by zone only where it knows its own` };
  return { on: true, locality: { ...(region && { region }), zone, ...(subZone && { sub_zone: subZone }) } };
}
