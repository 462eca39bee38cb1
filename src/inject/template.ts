/**
 * The pieces injection adds to a pod: the `istio-init` container (traffic redirection by
 * `mizzen iptables`), the `istio-proxy` Envoy container with its bootstrap passed inline, the
 * volume Envoy may write to, and the labels and annotations Istio's injector sets. Pure.
 */
import type { KubeObject } from '../core/kube.js';
import type { MeshConfig } from '../config/mesh.js';
import { Annotations, ContainerNames, Labels, PROXY_GID, PROXY_UID, Ports } from '../core/constants.js';
import { type Result, ok } from '../core/result.js';
import { envoyArgs, envoyBootstrap, READY_PATH, STATS_PATH } from '../bootstrap/envoy.js';
import type { InjectParams } from './annotations.js';
import { type Workload, ownerUri } from './workload.js';

export type Container = Record<string, unknown> & { name: string };

export const PROXY_VOLUME = { name: 'istio-envoy', mountPath: '/etc/istio/proxy' } as const;
/** Inbound ports never redirected: Envoy's stats and health ports, and Istio's agent status port. */
export const ALWAYS_EXCLUDED_INBOUND_PORTS = [Ports.proxyStats, Ports.proxyHealth, 15020];
export const CLUSTER_ID = 'Kubernetes';

export interface SidecarContext {
  pod: KubeObject;
  namespace: string;
  mesh: MeshConfig;
  params: InjectParams;
  workload: Workload;
  /** The pod's labels after injection (what the proxy reports as LABELS). */
  labels: Record<string, string>;
}

/** Names of the application containers (the pod's own, before injection). */
export function appContainerNames(pod: KubeObject): string[] {
  return ((pod.spec?.containers ?? []) as Array<{ name?: unknown }>).map((c) => c?.name).filter((n): n is string => typeof n === 'string' && n !== ContainerNames.proxy);
}

/** `mizzen iptables` flags, named as istio-iptables names them. */
export function iptablesArgs(params: InjectParams): string[] {
  const t = params.traffic;
  const excluded = [...new Set([...ALWAYS_EXCLUDED_INBOUND_PORTS.map(String), ...t.excludeInboundPorts.split(',').filter((p) => p !== '')])];
  const args = ['iptables', '-p', String(Ports.proxyOutbound), '-z', String(Ports.proxyInbound), '-u', String(PROXY_UID), '-m', params.interceptionMode];
  args.push('-i', t.includeOutboundIPRanges, '-x', t.excludeOutboundIPRanges, '-b', t.includeInboundPorts, '-d', excluded.join(','));
  if (t.excludeOutboundPorts) args.push('-o', t.excludeOutboundPorts);
  if (t.includeOutboundPorts) args.push('-q', t.includeOutboundPorts);
  return args;
}

const resources = (p: InjectParams) => structuredClone(p.resources);

export function initContainer(ctx: SidecarContext): Container {
  return {
    name: ContainerNames.init,
    image: ctx.mesh.initImage,
    imagePullPolicy: 'IfNotPresent',
    args: iptablesArgs(ctx.params),
    resources: resources(ctx.params),
    securityContext: {
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      readOnlyRootFilesystem: false,
      runAsGroup: 0,
      runAsNonRoot: false,
      runAsUser: 0,
    },
  };
}

const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } });

/** Kubernetes expands $(VAR) in args; a literal "$(" in data we embed must not be expanded. */
const literal = (s: string) => s.replaceAll('$(', '$$(');

function podPorts(pod: KubeObject): unknown[] {
  const out: unknown[] = [];
  for (const c of (pod.spec?.containers ?? []) as Array<{ name?: unknown; ports?: unknown }>) {
    if (c?.name === ContainerNames.proxy || !Array.isArray(c?.ports)) continue;
    out.push(...c.ports);
  }
  return out;
}

export function proxyContainer(ctx: SidecarContext): Result<Container> {
  const { mesh, params, workload } = ctx;
  const apps = appContainerNames(ctx.pod);
  const ports = podPorts(ctx.pod);
  const owner = workload.name ? ownerUri(workload, ctx.namespace) : '';
  const canonical = ctx.labels[Labels.canonicalName] ?? workload.name;

  const staticMeta: Record<string, unknown> = {
    LABELS: Object.fromEntries(Object.entries(ctx.labels).map(([k, v]) => [literal(k), literal(String(v))])),
    APP_CONTAINERS: literal(apps.join(',')),
    CLUSTER_ID: CLUSTER_ID,
    MESH_ID: literal(mesh.trustDomain),
    INTERCEPTION_MODE: params.interceptionMode,
  };
  if (ports.length) staticMeta.POD_PORTS = literal(JSON.stringify(ports));
  if (workload.name) staticMeta.WORKLOAD_NAME = literal(workload.name);
  if (owner) staticMeta.OWNER = literal(owner);
  const bootstrap = envoyBootstrap({
    xdsAddress: mesh.xdsAddress,
    logLevel: params.logLevel,
    clusterName: `${literal(canonical)}.$(POD_NAMESPACE)`,
    metadata: {
      NAME: '$(POD_NAME)',
      NAMESPACE: '$(POD_NAMESPACE)',
      INSTANCE_IPS: '$(INSTANCE_IP)',
      SERVICE_ACCOUNT: '$(SERVICE_ACCOUNT)',
      NODE_NAME: '$(ISTIO_META_NODE_NAME)',
      ...staticMeta,
    },
  });
  if (!bootstrap.ok) return { ok: false, errors: bootstrap.errors.map((e) => `mesh config ${e}`) };

  const env: unknown[] = [
    fieldEnv('POD_NAME', 'metadata.name'),
    fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
    fieldEnv('INSTANCE_IP', 'status.podIP'),
    fieldEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    fieldEnv('HOST_IP', 'status.hostIP'),
  ];
  if (ports.length) env.push({ name: 'ISTIO_META_POD_PORTS', value: JSON.stringify(ports) });
  env.push(
    { name: 'ISTIO_META_APP_CONTAINERS', value: apps.join(',') },
    { name: 'ISTIO_META_CLUSTER_ID', value: CLUSTER_ID },
    fieldEnv('ISTIO_META_NODE_NAME', 'spec.nodeName'),
    { name: 'ISTIO_META_INTERCEPTION_MODE', value: params.interceptionMode },
  );
  if (workload.name) env.push({ name: 'ISTIO_META_WORKLOAD_NAME', value: workload.name });
  if (owner) env.push({ name: 'ISTIO_META_OWNER', value: owner });
  env.push({ name: 'ISTIO_META_MESH_ID', value: mesh.trustDomain }, { name: 'TRUST_DOMAIN', value: mesh.trustDomain });

  const probe = (extra: Record<string, number>) => ({ httpGet: { path: READY_PATH, port: Ports.proxyHealth }, ...extra });
  const container: Container = {
    name: ContainerNames.proxy,
    image: params.proxyImage,
    imagePullPolicy: 'IfNotPresent',
    // A native sidecar: an init container that keeps running (Kubernetes 1.29+), so Jobs complete.
    ...(params.native ? { restartPolicy: 'Always' } : {}),
    args: envoyArgs({
      bootstrap: bootstrap.value,
      logLevel: params.logLevel,
      serviceNode: `sidecar~$(INSTANCE_IP)~$(POD_NAME).$(POD_NAMESPACE)~$(POD_NAMESPACE).svc.${mesh.domainSuffix}`,
      serviceCluster: `${literal(canonical)}.$(POD_NAMESPACE)`,
      concurrency: 2,
    }),
    ports: [{ containerPort: Ports.proxyStats, name: 'http-envoy-prom', protocol: 'TCP' }],
    env,
    resources: resources(params),
    readinessProbe: probe({ periodSeconds: 15, timeoutSeconds: 3, failureThreshold: 4 }),
    startupProbe: probe({ periodSeconds: 1, timeoutSeconds: 3, failureThreshold: 600 }),
    securityContext: {
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsGroup: PROXY_GID,
      runAsNonRoot: true,
      runAsUser: PROXY_UID,
    },
    volumeMounts: [{ name: PROXY_VOLUME.name, mountPath: PROXY_VOLUME.mountPath }],
  };
  return ok(container);
}

export function proxyVolume(): Record<string, unknown> {
  return { name: PROXY_VOLUME.name, emptyDir: { medium: 'Memory' } };
}

/** Labels Istio's template adds when absent: tlsMode and the canonical service name and revision. */
export function injectedLabels(labels: Record<string, string>, workload: Workload): Record<string, string> {
  const add: Record<string, string> = {};
  if (labels[Labels.tlsMode] === undefined) add[Labels.tlsMode] = 'istio';
  if (labels[Labels.canonicalName] === undefined) {
    const name = labels[Labels.k8sAppName] || labels[Labels.app] || workload.name;
    if (name) add[Labels.canonicalName] = String(name);
  }
  if (labels[Labels.canonicalRevision] === undefined) add[Labels.canonicalRevision] = String(labels[Labels.k8sAppVersion] || labels[Labels.version] || 'latest');
  return add;
}

/** Annotations added by injection; keys the user already set are left alone. */
export function injectedAnnotations(existing: Record<string, string>, status: Record<string, unknown>, apps: string[], mesh: MeshConfig): Record<string, string> {
  const add: Record<string, string> = {};
  add[Annotations.status] = JSON.stringify(status);
  add[Labels.revision] = mesh.revision; // istio.io/rev: Istio puts the revision on the pod as an annotation
  if (apps.length > 0) {
    if (existing[Annotations.defaultContainer] === undefined) add[Annotations.defaultContainer] = apps[0]!;
    if (existing[Annotations.defaultLogsContainer] === undefined) add[Annotations.defaultLogsContainer] = apps[0]!;
  }
  const prom = [Annotations.prometheusScrape, Annotations.prometheusPort, Annotations.prometheusPath];
  if (prom.every((k) => existing[k] === undefined)) {
    add[Annotations.prometheusScrape] = 'true';
    add[Annotations.prometheusPort] = String(Ports.proxyStats);
    add[Annotations.prometheusPath] = STATS_PATH;
  }
  return add;
}
