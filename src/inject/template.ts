/**
 * The pieces injection adds to a pod: the `istio-init` container (traffic redirection by
 * `mizzen iptables`), the volume Envoy may write to, and the labels and annotations Istio's
 * injector sets (the `istio-proxy` container is in proxy.ts). Pure.
 */
import type { KubeObject } from '../core/kube.js';
import type { MeshConfig } from '../config/mesh.js';
import { Annotations, ContainerNames, Labels, MeshCerts, PROXY_UID, Ports } from '../core/constants.js';
import { STATS_PATH, xdsClientSds, type AppProbeRoute } from '../bootstrap/envoy.js';
import { JsonTemplate } from './json-template.js';
import { oneByte } from '../core/one-byte.js';
import type { InjectParams } from './annotations.js';
import type { Workload } from './workload.js';

export type Container = Record<string, unknown> & { name: string };

/** obj[k] = v, also for a key "__proto__" (an own property, as JSON.parse and object spread make it). */
export function setOwn(obj: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(obj, k, { value: v, writable: true, enumerable: true, configurable: true });
  else obj[k] = v;
}

export const PROXY_VOLUME = { name: 'istio-envoy', mountPath: '/etc/istio/proxy' } as const;
/** Inbound ports never redirected: Envoy's stats and health ports, and Istio's agent status port. */
export const ALWAYS_EXCLUDED_INBOUND_PORTS = [Ports.proxyStats, Ports.proxyHealth, 15020];

/** An env entry from the downward API (`metadata.name`, `status.podIP`, …). */
export const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } });

export interface SidecarContext {
  pod: KubeObject;
  namespace: string;
  mesh: MeshConfig;
  params: InjectParams;
  workload: Workload;
  /** The pod's labels after injection (what the proxy reports as LABELS). */
  labels: Record<string, string>;
  /** The pod's own istio-proxy fields, laid over the injected container (overlay.ts). */
  override?: Record<string, unknown>;
  /** The uid the proxy runs as when the override changes it (istio-init must leave its traffic alone). */
  proxyUid?: number;
  /** Rewritten application probes the proxy answers (probes.ts). */
  appProbes?: readonly AppProbeRoute[];
  /** The pod is a gateway (Istio's gateway template): Envoy runs as a router, not a sidecar. */
  router?: boolean;
}

type CapturePorts = Pick<MeshConfig, 'proxyListenPort' | 'proxyInboundListenPort'>;

/** Names of the application containers (the pod's own, before injection). */
export function appContainerNames(pod: KubeObject): string[] {
  return ((pod.spec?.containers ?? []) as Array<{ name?: unknown }>).map((c) => c?.name).filter((n): n is string => typeof n === 'string' && n !== ContainerNames.proxy);
}

/**
 * `mizzen iptables` flags, named as istio-iptables names them: connections go to the mesh config's capture ports;
 * `proxyUid` is the uid whose traffic is not redirected.
 */
export function iptablesArgs(params: InjectParams, ports: CapturePorts, proxyUid: number = PROXY_UID): string[] {
  const t = params.traffic;
  const excluded = [...new Set([...ALWAYS_EXCLUDED_INBOUND_PORTS.map(String), ...t.excludeInboundPorts.split(',').filter((p) => p !== '')])];
  const args = ['iptables', '-p', String(ports.proxyListenPort), '-z', String(ports.proxyInboundListenPort), '-u', String(proxyUid), '-m', params.interceptionMode];
  args.push('-i', t.includeOutboundIPRanges, '-x', t.excludeOutboundIPRanges, '-b', t.includeInboundPorts, '-d', excluded.join(','));
  if (t.excludeOutboundPorts) args.push('-o', t.excludeOutboundPorts);
  if (t.includeOutboundPorts) args.push('-q', t.includeOutboundPorts);
  if (t.excludeInterfaces) args.push('-c', t.excludeInterfaces);
  return args;
}

/** A copy per container (a shared object would come out of kube-inject as a YAML alias); two levels deep. */
export function copyResources(r: InjectParams['resources']): InjectParams['resources'] {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(r)) {
    const v: unknown = (r as Record<string, unknown>)[k];
    out[k] = typeof v === 'object' && v !== null ? { ...v } : v;
  }
  return out as InjectParams['resources'];
}

export const resources = (p: InjectParams) => copyResources(p.resources);

const resourcesTexts = new WeakMap<object, string>();

/** JSON of a container's resources; memoized per object (the mesh defaults, for most pods). */
export function resourcesJson(p: InjectParams): string {
  let text = resourcesTexts.get(p.resources);
  if (text === undefined) resourcesTexts.set(p.resources, (text = oneByte(JSON.stringify(p.resources))));
  return text;
}

/** A sidecar container: its name, its JSON text (what the webhook's patch carries) and how to make the object. */
export interface BuiltContainer {
  name: string;
  json: string;
  /** A fresh container object (only kube-inject and tests need it; the webhook sends the JSON). */
  build: () => Container;
  /** What the pod asked of it that will not work as asked (admission warnings). */
  warnings?: readonly string[];
}

const INIT_KEYS = ['image', 'args', 'resources'] as const;

function buildInit(v: Record<(typeof INIT_KEYS)[number], unknown>): Container {
  return {
    name: ContainerNames.init,
    image: v.image,
    imagePullPolicy: 'IfNotPresent',
    args: v.args,
    resources: v.resources,
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

const initTemplate = new JsonTemplate(INIT_KEYS, buildInit);

/** The init container's args and JSON for a params value (one per mesh config for most pods). */
const initTexts = new WeakMap<InjectParams, { image: string; ports: string; args: string[]; json: string }>();

export function initContainer(ctx: SidecarContext): BuiltContainer {
  if (ctx.proxyUid !== undefined) {
    const args = iptablesArgs(ctx.params, ctx.mesh, ctx.proxyUid);
    const build = () => buildInit({ image: ctx.mesh.initImage, args: [...args], resources: resources(ctx.params) });
    return { name: ContainerNames.init, json: JSON.stringify(build()), build };
  }
  let memo = initTexts.get(ctx.params);
  const ports = `${ctx.mesh.proxyListenPort},${ctx.mesh.proxyInboundListenPort}`;
  if (memo === undefined || memo.image !== ctx.mesh.initImage || memo.ports !== ports) {
    const args = iptablesArgs(ctx.params, ctx.mesh);
    const json = initTemplate.json({ image: ctx.mesh.initImage, args, resources: ctx.params.resources });
    initTexts.set(ctx.params, (memo = { image: ctx.mesh.initImage, ports, args, json: oneByte(json) }));
  }
  const { image, args } = memo;
  return { name: ContainerNames.init, json: memo.json, build: () => buildInit({ image, args: [...args], resources: resources(ctx.params) }) };
}

export function proxyVolume(): Record<string, unknown> {
  return { name: PROXY_VOLUME.name, emptyDir: { medium: 'Memory' } };
}

/**
 * The Secret with the pod's mesh certificates, `istio.<service account>` (`default` when the pod names none). Not
 * optional: the pod waits for it (mizzen serve issues it) rather than start a proxy whose mTLS cannot work. With it,
 * the file that lets the proxy present its certificate on xDS over TLS.
 */
export function certsVolume(pod: KubeObject): Record<string, unknown> {
  const spec = pod.spec as Record<string, unknown>;
  const sa = [spec.serviceAccountName, spec.serviceAccount].find((v): v is string => typeof v === 'string' && v !== '') ?? 'default';
  // The Secret's files, and beside them the SDS file of the xDS client certificate, projected from an annotation
  // of the pod (every pod can have it, with no per-namespace ConfigMap and no init step).
  const sds = { path: MeshCerts.xdsClientFile, fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${Annotations.xdsClientSds}']` } };
  return { name: MeshCerts.volume, projected: { sources: [{ secret: { name: `${MeshCerts.secretPrefix}${sa}` } }, { downwardAPI: { items: [sds] } }] } };
}

/**
 * A label value made from a name, as Istio's template makes it: at most 63 characters, without leading or
 * trailing '-', '_' or '.' (a Deployment may have a longer name, which as a label the API server refuses).
 */
function labelValue(name: string): string {
  const edge = (c: number) => c === 45 || c === 95 || c === 46; // '-', '_', '.'
  if (name.length <= 63 && !edge(name.charCodeAt(0)) && !edge(name.charCodeAt(name.length - 1))) return name; // the usual case, as is
  return name.slice(0, 63).replace(/^[-_.]+|[-_.]+$/g, '');
}

/** Labels Istio's template adds when absent: tlsMode and the canonical service name and revision. */
export function injectedLabels(labels: Record<string, string>, workload: Workload): Record<string, string> {
  const add: Record<string, string> = {};
  if (labels[Labels.tlsMode] === undefined) add[Labels.tlsMode] = 'istio';
  if (labels[Labels.canonicalName] === undefined) {
    const name = labels[Labels.k8sAppName] || labels[Labels.app] || workload.name;
    if (name) add[Labels.canonicalName] = labelValue(String(name));
  }
  if (labels[Labels.canonicalRevision] === undefined) add[Labels.canonicalRevision] = String(labels[Labels.k8sAppVersion] || labels[Labels.version] || 'latest');
  return add;
}

const statusTexts = new Map<string, string>();

/** The sidecar.istio.io/status annotation: what injection added, so that it can be recognised (and undone). */
export function statusAnnotation(initContainers: string[], native: boolean, certs: boolean, revision: string): string {
  const key = `${initContainers.join(',')}|${native}|${certs}|${revision}`;
  let text = statusTexts.get(key);
  if (text === undefined) {
    const volumes = certs ? [PROXY_VOLUME.name, MeshCerts.volume] : [PROXY_VOLUME.name];
    text = oneByte(JSON.stringify({ initContainers, containers: native ? [] : [ContainerNames.proxy], volumes, imagePullSecrets: null, revision }));
    if (statusTexts.size >= 64) statusTexts.clear();
    statusTexts.set(key, text);
  }
  return text;
}

/** The SDS file that presents the workload certificate of /etc/certs to the control plane (bootstrap/envoy.ts). */
const XDS_CLIENT_SDS_TEXT = JSON.stringify(xdsClientSds(MeshCerts.dir));

/** Annotations added by injection; keys the user already set are left alone (the xDS client SDS file excepted). */
export function injectedAnnotations(existing: Record<string, string>, status: string, apps: string[], mesh: MeshConfig, certs: boolean): Record<string, string> {
  const add: Record<string, string> = {};
  add[Annotations.status] = status;
  if (certs) add[Annotations.xdsClientSds] = XDS_CLIENT_SDS_TEXT;
  add[Labels.revision] = mesh.revision; // istio.io/rev: Istio puts the revision on the pod as an annotation
  if (apps.length > 0) {
    if (existing[Annotations.defaultContainer] === undefined) add[Annotations.defaultContainer] = apps[0]!;
    if (existing[Annotations.defaultLogsContainer] === undefined) add[Annotations.defaultLogsContainer] = apps[0]!;
  }
  if (existing[Annotations.prometheusScrape] === undefined && existing[Annotations.prometheusPort] === undefined && existing[Annotations.prometheusPath] === undefined) {
    add[Annotations.prometheusScrape] = 'true';
    add[Annotations.prometheusPort] = String(Ports.proxyStats);
    add[Annotations.prometheusPath] = STATS_PATH;
  }
  return add;
}
