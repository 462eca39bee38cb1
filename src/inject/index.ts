/**
 * Sidecar injection: the pure core shared by the webhook and `mizzen kube-inject`.
 *   decideInjection  policy only (issue §4)
 *   injectPod        full injection of one pod (issue §5)
 *   injectManifest   the pod templates of workloads, for kube-inject (issue §6)
 */
import type { KubeObject } from '../core/kube.js';
import type { Result } from '../core/result.js';
import { injectPodAs, type InjectedPod } from './pod.js';
import type { InjectOptions } from './policy.js';

export { decideInjection, isInjected, hasSidecar, type SkipReason, type InjectDecision, type InjectOptions } from './policy.js';
export { injectManifest, injectManifestWithReport, type ManifestReport, type SkippedTemplate } from './manifest.js';
export { readInjectParams, type InjectParams } from './annotations.js';
export { iptablesArgs } from './template.js';
export { workloadOf, type Workload } from './workload.js';

/**
 * Full injection. Pure; never mutates its input. ok -> the pod to admit: injected, or (when skipped)
 * the original plus annotation sidecar.mizzen.io/skip-reason, except already-injected pods, which come
 * back unchanged, as the same object (a second pass yields no patch). The result shares unchanged parts
 * with the input: treat both as immutable. errors -> invalid annotation values etc., each naming
 * the field, e.g. `metadata.annotations["sidecar.istio.io/proxyCPU"]: "lots" is not a valid quantity`.
 */
export function injectPod(pod: KubeObject, opts: InjectOptions): Result<InjectedPod> {
  return injectPodAs(pod, opts);
}
