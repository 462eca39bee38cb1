/**
 * Sidecar injection as the webhook decides it (inject/selection.ts: which pods the API server sends it;
 * inject/policy.ts: which of those it injects): a Namespace that asks for no injection (IST0102, Info; only where the
 * input has workloads in it), one with
 * several injection labels of which one wins (IST0123), a running Pod the webhook would inject that has no
 * istio-proxy (IST0103: created before injection was turned on, or while the webhook was down). Pods of a namespace
 * the input does not declare are not judged: its labels decide. Pure.
 */
import type { KubeObject } from '../../core/kube.js';
import { DEFAULT_MESH_CONFIG } from '../../config/mesh.js';
import { Labels, SYSTEM_NAMESPACES } from '../../core/constants.js';
import { decideInjection, hasSidecar } from '../../inject/policy.js';
import { injectionSelection, selectionText } from '../../inject/selection.js';
import { finding, type Finding } from '../finding.js';
import { labelMap, rec, str } from '../shape.js';
import { nameOf, nsOf, type World } from '../world.js';

/** Istio's ambient label: mizzen runs no ambient data plane, so it is ignored. */
export const DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode';

/** The mesh config fields injection reads: the World's, else the defaults. */
function injectionMesh(w: World) {
  return { ...DEFAULT_MESH_CONFIG, ...w.injection };
}

/** Labels of the Namespace objects of the input, by name. */
function namespaceLabels(w: World): ReadonlyMap<string, Record<string, string>> {
  const cached = w.memo.namespaceLabels as Map<string, Record<string, string>> | undefined;
  if (cached) return cached;
  const out = new Map(w.core('Namespace').filter((n) => n.apiVersion === 'v1').map((n) => [nameOf(n), labelMap(n.metadata?.labels)] as const));
  w.memo.namespaceLabels = out;
  return out;
}

const NOT_PODS = new Set(['WorkloadEntry', 'WorkloadGroup', 'ServiceEntry endpoint']);
/** Does the input have Pods or pod templates in the namespace? */
const hasPods = (w: World, ns: string): boolean => w.workloads.some((wl) => wl.namespace === ns && !NOT_PODS.has(wl.kind));

/** Namespaces that are never injected or belong to the control plane: nothing to say of them. */
const exempt = (w: World, ns: string): boolean => SYSTEM_NAMESPACES.includes(ns) || w.rootNamespaces.has(ns);

/**
 * Would a pod (or a pod template, as a pod of `namespace`) run a sidecar: it has one, or the webhook is sent it and
 * injects it? undefined when the input does not declare its namespace and the pod's own labels do not decide.
 */
export function runsSidecar(w: World, pod: KubeObject, namespace: string): boolean | undefined {
  if (hasSidecar(pod)) return true;
  const mesh = injectionMesh(w);
  const nsLabels = namespaceLabels(w).get(namespace);
  if (nsLabels === undefined) return undefined;
  if (!injectionSelection(nsLabels, labelMap(pod.metadata?.labels), mesh.revision)) return false;
  return decideInjection(pod, { namespace, mesh }).inject;
}

export function namespaceInjection(w: World): Finding[] {
  const out: Finding[] = [];
  for (const n of w.coreSubjects('Namespace')) {
    if (n.apiVersion !== 'v1') continue;
    const name = nameOf(n);
    if (exempt(w, name)) continue;
    const labels = labelMap(n.metadata?.labels);
    const injection = labels[Labels.injectionNamespace];
    // As Istio counts them: istio-injection, and the others only where istio-injection does not opt out.
    const present = [Labels.injectionNamespace, Labels.revision, DATAPLANE_MODE_LABEL].filter((k) => k in labels && (k === Labels.injectionNamespace || injection === undefined || injection === 'enabled'));
    if (present.length > 1) {
      const winner = present.find((k) => k !== DATAPLANE_MODE_LABEL);
      const shown = present.map((k) => `${k}=${labels[k]}`).join(', ');
      const ignored = present.filter((k) => k !== winner).join(' and ');
      out.push(finding('IST0123', n, `The namespace has several injection labels (${shown}): mizzen's webhook follows ${winner ?? DATAPLANE_MODE_LABEL} and ignores ${ignored}; keep one`, 'metadata.labels'));
    }
    // Said only of a namespace the input has workloads in (Istio says it of every one): there is something to inject.
    if (injection === undefined && labels[Labels.revision] === undefined && hasPods(w, name)) {
      out.push(
        finding(
          'IST0102',
          n,
          `The namespace does not ask for sidecar injection: only its pods labelled ${Labels.inject}=true get one. Label it ${Labels.injectionNamespace}=enabled to inject its pods, or ${Labels.injectionNamespace}=disabled to say it needs none`,
          'metadata.labels',
        ),
      );
    }
  }
  return out;
}

export function podsWithoutProxy(w: World): Finding[] {
  const out: Finding[] = [];
  const mesh = injectionMesh(w);
  for (const pod of w.coreSubjects('Pod')) {
    if (pod.apiVersion !== 'v1') continue;
    const ns = nsOf(pod);
    if (exempt(w, ns) || pod.metadata?.deletionTimestamp) continue;
    const phase = str(rec(pod.status).phase);
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    const nsLabels = namespaceLabels(w).get(ns);
    if (nsLabels === undefined || hasSidecar(pod)) continue;
    const selection = injectionSelection(nsLabels, labelMap(pod.metadata?.labels), mesh.revision);
    if (!selection || !decideInjection(pod, { namespace: ns, mesh }).inject) continue;
    out.push(
      finding(
        'IST0103',
        pod,
        `The pod runs no istio-proxy, though the webhook injects pods like it (${selectionText(selection, ns, mesh.revision)}): it was created before injection was turned on, or while the webhook was unavailable. Restart its workload (kubectl rollout restart) to inject it`,
      ),
    );
  }
  return out;
}
