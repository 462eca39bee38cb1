/**
 * Injection of one pod: policy, annotation checks, then the sidecar pieces appended to a copy.
 * Appending (never reordering) keeps the webhook's JSON patch minimal: existing containers, init
 * containers, volumes, labels and annotations keep their positions and values. User init
 * containers run before `istio-init`, so their traffic is not captured (Istio moves istio-init
 * first, which is why its users' init containers cannot reach the network).
 */
import type { KubeObject } from '../core/kube.js';
import { Annotations, ContainerNames } from '../core/constants.js';
import { type Result, ok, fail } from '../core/result.js';
import { decideInjection, podNamespace, type InjectDecision, type InjectOptions } from './policy.js';
import { readInjectParams } from './annotations.js';
import { appContainerNames, initContainer, injectedAnnotations, injectedLabels, proxyContainer, proxyVolume, type Container } from './template.js';
import { type Workload, workloadOf } from './workload.js';

export interface InjectedPod {
  pod: KubeObject;
  decision: InjectDecision;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Shape checks on the parts of the pod injection reads or extends; errors name the field. */
function checkShape(pod: KubeObject): string[] {
  const errors: string[] = [];
  const spec = pod.spec;
  if (!isObject(spec)) return ['spec: required'];
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) errors.push('spec.containers: must be a non-empty list');
  for (const f of ['initContainers', 'volumes'] as const) if (spec[f] !== undefined && spec[f] !== null && !Array.isArray(spec[f])) errors.push(`spec.${f}: must be a list`);
  for (const f of ['labels', 'annotations'] as const) {
    const m = pod.metadata[f];
    if (m !== undefined && m !== null && !isObject(m)) errors.push(`metadata.${f}: must be a mapping`);
  }
  const names = (list: unknown, path: string, reserved: string[]) => {
    if (!Array.isArray(list)) return;
    list.forEach((c, i) => {
      const n = isObject(c) ? c.name : undefined;
      if (typeof n === 'string' && reserved.includes(n)) errors.push(`${path}[${i}].name: "${n}" is reserved for the injected sidecar`);
    });
  };
  names(spec.containers, 'spec.containers', [ContainerNames.init]);
  names(spec.initContainers, 'spec.initContainers', [ContainerNames.init]);
  names(spec.volumes, 'spec.volumes', [proxyVolume().name as string]);
  return errors;
}

/**
 * injectPod with the workload known (kube-inject passes the Deployment etc.; the webhook derives it
 * from owner references). Never mutates `pod`; the result shares the parts it does not change with
 * `pod` (an already injected pod comes back as the same object), so treat both as immutable.
 */
export function injectPodAs(pod: KubeObject, opts: InjectOptions, workload?: Workload): Result<InjectedPod> {
  if (!isObject(pod) || !isObject(pod.metadata)) return fail('metadata: required');
  const decision = decideInjection(pod, opts);
  if (!decision.inject) {
    if (decision.reason === 'already-injected') return ok({ pod, decision });
    const annotations = { ...(pod.metadata.annotations ?? {}), [Annotations.skipReason]: decision.reason };
    return ok({ pod: { ...pod, metadata: { ...pod.metadata, annotations } }, decision });
  }
  const shape = checkShape(pod);
  if (shape.length) return { ok: false, errors: shape };
  const params = readInjectParams(pod, opts.mesh);
  if (!params.ok) return params;

  // Copy only what changes (structural sharing): a 64 KB pod costs no deep clone.
  const meta = { ...pod.metadata };
  const inSpec = pod.spec as Record<string, unknown> & { containers: Container[]; initContainers?: Container[] | null; volumes?: unknown[] | null };
  const spec = { ...inSpec, containers: [...inSpec.containers] } as typeof inSpec;
  const out: KubeObject = { ...pod, metadata: meta, spec };
  const wl = workload ?? workloadOf(pod);
  const labels = { ...(pod.metadata.labels ?? {}) };
  Object.assign(labels, injectedLabels(labels, wl));
  meta.labels = labels;
  const ctx = { pod, namespace: podNamespace(pod, opts.namespace), mesh: opts.mesh, params: params.value, workload: wl, labels };
  const proxy = proxyContainer(ctx);
  if (!proxy.ok) return proxy;

  const inits: Container[] = [];
  if (params.value.interceptionMode !== 'NONE') inits.push(initContainer(ctx));
  if (params.value.native) inits.push(proxy.value);
  const volume = proxyVolume();
  if (inits.length) spec.initContainers = [...(inSpec.initContainers ?? []), ...inits];
  if (!params.value.native) spec.containers.push(proxy.value);
  spec.volumes = [...(inSpec.volumes ?? []), volume];

  const status = {
    initContainers: inits.map((c) => c.name),
    containers: params.value.native ? [] : [ContainerNames.proxy],
    volumes: [volume.name],
    imagePullSecrets: null,
    revision: opts.mesh.revision,
  };
  const annotations = { ...(pod.metadata.annotations ?? {}) };
  delete annotations[Annotations.skipReason];
  meta.annotations = annotations;
  Object.assign(annotations, injectedAnnotations(annotations, status, appContainerNames(pod), opts.mesh));
  return ok({ pod: out, decision });
}
