/**
 * Proxyless gRPC injection: a pod annotated `inject.istio.io/templates: grpc-agent` (or `grpc-simple`), Istio's
 * templates for applications that speak xDS themselves, gets no istio-init and no istio-proxy. Each application
 * container gets its xDS bootstrap instead, as GRPC_XDS_BOOTSTRAP_CONFIG (grpc-go, grpc-java and grpc-js read it),
 * built as `mizzen bootstrap --grpc` builds it, with the pod's name and IP filled in by the kubelet from two
 * downward-API variables defined just before it (`$(VAR)` expansion). Where a container mounts a workload
 * certificate at /var/lib/istio/data (a Secret from `mizzen workload-cert --secret`), its bootstrap reads it, so
 * mizzen's mesh mTLS applies to it. Istio's grpc-agent also runs an agent that fetches those certificates; mizzen
 * has none. A container that already sets GRPC_XDS_BOOTSTRAP or GRPC_XDS_BOOTSTRAP_CONFIG is left as it is.
 * Labels and annotations are those of Istio's template: canonical name and revision (not the tlsMode label,
 * which the application's own use of mTLS decides), istio.io/rev, the default container, the status. Pure.
 */
import type { KubeObject } from '../core/kube.js';
import { Annotations, Labels } from '../core/constants.js';
import { type Result, ok, fail } from '../core/result.js';
import type { InjectDecision, InjectOptions } from './policy.js';
import type { Workload } from './workload.js';
import type { InjectedPod } from './pod.js';
import { appContainerNames, fieldEnv, injectedLabels, setOwn } from './template.js';
import { grpcBootstrap } from '../bootstrap/grpc.js';
import { additionsPatch } from './patch.js';
import { isObject } from '../core/object.js';

/** Where Istio's agent writes a proxyless application's certificates, and where mizzen's bootstrap looks for them. */
const PROXYLESS_CERT_DIR = '/var/lib/istio/data';
const BOOTSTRAP_VARS = new Set(['GRPC_XDS_BOOTSTRAP', 'GRPC_XDS_BOOTSTRAP_CONFIG']);
const POD_NAME_VAR = 'MIZZEN_POD_NAME';
const POD_IP_VAR = 'MIZZEN_INSTANCE_IP';

type Container = Record<string, unknown>;

const configured = (c: Container): boolean => Array.isArray(c.env) && c.env.some((e) => isObject(e) && BOOTSTRAP_VARS.has(e.name as string));

function certDirOf(c: Container): string | undefined {
  const mounts = Array.isArray(c.volumeMounts) ? c.volumeMounts : [];
  return mounts.some((m) => isObject(m) && typeof m.mountPath === 'string' && m.mountPath.replace(/\/+$/, '') === PROXYLESS_CERT_DIR) ? PROXYLESS_CERT_DIR : undefined;
}

/** The bootstrap as JSON text, its node id referring to the pod's name and IP variables (set just before it). */
function bootstrapText(opts: InjectOptions, namespace: string, labels: Record<string, string>, certDir: string | undefined): Result<string> {
  const nodeId = `sidecar~$(${POD_IP_VAR})~$(${POD_NAME_VAR}).${namespace}~${namespace}.svc.${opts.mesh.domainSuffix}`;
  const b = grpcBootstrap({ xdsAddress: opts.mesh.xdsAddress, nodeId, namespace, labels, ...(certDir && { certDir }) });
  return b.ok ? ok(JSON.stringify(b.value)) : fail(...b.errors.map((e) => `mesh config: ${e}`));
}

/** Proxyless injection of a pod the policy selected; the caller checked its shape. */
export function injectProxyless(pod: KubeObject, opts: InjectOptions, decision: InjectDecision, namespace: string, workload: Workload): Result<InjectedPod> {
  const labels: Record<string, string> = { ...(pod.metadata.labels ?? {}) };
  const addedLabels = injectedLabels(labels, workload);
  delete addedLabels[Labels.tlsMode];
  Object.assign(labels, addedLabels);
  const containers = pod.spec.containers as Container[];
  const env: Array<{ index: number; items: unknown[] }> = [];
  // The bootstrap differs only by certificate directory: built once per directory, a fresh env list per container.
  const built = new Map<string | undefined, Result<string>>();
  for (const [index, c] of containers.entries()) {
    if (!isObject(c) || configured(c)) continue;
    const dir = certDirOf(c);
    if (!built.has(dir)) built.set(dir, bootstrapText(opts, namespace, labels, dir));
    const text = built.get(dir)!;
    if (!text.ok) return text;
    env.push({ index, items: [fieldEnv(POD_NAME_VAR, 'metadata.name'), fieldEnv(POD_IP_VAR, 'status.podIP'), { name: 'GRPC_XDS_BOOTSTRAP_CONFIG', value: text.value }] });
  }
  const modified = env.map((e) => containers[e.index]!.name).filter((n): n is string => typeof n === 'string');
  const existing = (pod.metadata.annotations ?? {}) as Record<string, string>;
  const addedAnnotations: Record<string, string> = {
    [Annotations.status]: JSON.stringify({ initContainers: null, containers: modified, volumes: [], imagePullSecrets: null, revision: opts.mesh.revision }),
    [Labels.revision]: opts.mesh.revision,
  };
  const apps = appContainerNames(pod);
  if (apps.length > 0 && existing[Annotations.defaultContainer] === undefined) addedAnnotations[Annotations.defaultContainer] = apps[0]!;
  if (apps.length > 0 && existing[Annotations.defaultLogsContainer] === undefined) addedAnnotations[Annotations.defaultLogsContainer] = apps[0]!;
  const removedAnnotations = Object.prototype.hasOwnProperty.call(existing, Annotations.skipReason) ? [Annotations.skipReason] : [];
  const patch = additionsPatch(pod, {
    labels: addedLabels,
    annotations: addedAnnotations,
    removedAnnotations,
    containers: [],
    initContainers: [],
    volumes: [],
    env: env.map((e) => ({ index: e.index, items: e.items.map((i) => JSON.stringify(i)) })),
  });
  const annotations: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(existing)) if (k !== Annotations.skipReason) setOwn(annotations, k, v);
  for (const [k, v] of Object.entries(addedAnnotations)) setOwn(annotations, k, v);
  const out: KubeObject = {
    ...pod,
    metadata: { ...pod.metadata, labels, annotations: annotations as Record<string, string> },
    spec: {
      ...pod.spec,
      containers: containers.map((c, i) => {
        const add = env.find((e) => e.index === i);
        return add ? { ...c, env: [...(Array.isArray(c.env) ? c.env : []), ...add.items] } : c;
      }),
    },
  };
  return ok({ pod: out, decision, patch, warnings: [] });
}
