/**
 * Injection policy (issue §4): whether a pod gets the sidecar, and why (or why not).
 * Order: already injected, hostNetwork, system namespace, then the pod's own choice
 * (label `sidecar.istio.io/inject` wins over the annotation of the same name). As in Istio, the value is read
 * case-insensitively: y, yes, true and on inject; an empty value leaves the choice to the mesh selectors and the
 * default; any other value (false, no, off, disabled, ...) opts out. Then the mesh selectors.
 * As in Istio, the mesh selectors apply only when the pod says nothing itself, neverInjectSelector first:
 * a pod matching both is not injected.
 */
import type { KubeObject } from '../core/kube.js';
import type { MeshConfig } from '../config/mesh.js';
import { Annotations, ContainerNames, Labels, SYSTEM_NAMESPACES } from '../core/constants.js';
import { firstMatch } from './selector.js';
import type { ProxyConfigLookup } from './proxy-configs.js';

export type SkipReason = 'disabled-by-label' | 'disabled-by-annotation' | 'host-network' | 'system-namespace' | 'already-injected' | 'never-inject-selector';
export type InjectDecision = { inject: true; reason: string } | { inject: false; reason: SkipReason; message: string };
export interface InjectOptions {
  namespace: string;
  mesh: MeshConfig;
  /** The ProxyConfig resources known (proxy-configs.ts); none when left out. */
  proxyConfigs?: ProxyConfigLookup;
}

const named = (list: unknown, name: string): boolean => Array.isArray(list) && list.some((c) => (c as { name?: unknown } | null)?.name === name);

/**
 * The injector has been through this pod: it carries the status annotation. As in Istio, an `istio-proxy`
 * container without it is the user's customization of the sidecar (overlay.ts), not a sidecar.
 */
export function isInjected(pod: KubeObject): boolean {
  return pod.metadata?.annotations?.[Annotations.status] !== undefined;
}

/** The pod runs a sidecar, or was injected: an `istio-proxy` container (regular or native) or the status annotation. */
export function hasSidecar(pod: KubeObject): boolean {
  return isInjected(pod) || named(pod.spec?.containers, ContainerNames.proxy) || named(pod.spec?.initContainers, ContainerNames.proxy);
}

/** The namespace a pod lives in: its own metadata, else the request's. */
export function podNamespace(pod: KubeObject, fallback: string): string {
  return pod.metadata?.namespace || fallback || 'default';
}

/** The values of sidecar.istio.io/inject that ask for the sidecar, lower-cased (YAML 1.1's words for true, as Istio reads them). */
const INJECT_VALUES = ['y', 'yes', 'true', 'on'];

const skip = (reason: SkipReason, message: string): InjectDecision => ({ inject: false, reason, message });

/** Policy only. Pure. */
export function decideInjection(pod: KubeObject, opts: InjectOptions): InjectDecision {
  if (isInjected(pod)) return skip('already-injected', `pod already has the ${Annotations.status} annotation: it was injected`);
  if (pod.spec?.hostNetwork === true) return skip('host-network', 'pod uses hostNetwork: redirecting its traffic would capture the node');
  const ns = podNamespace(pod, opts.namespace);
  if (SYSTEM_NAMESPACES.includes(ns)) return skip('system-namespace', `namespace ${ns} is a system namespace and is never injected`);

  const labels = pod.metadata?.labels ?? {};
  // The label is the newer API and wins whenever present, even when empty (then the default applies).
  const label = labels[Labels.inject];
  const byLabel = label !== undefined;
  const raw: unknown = byLabel ? label : pod.metadata?.annotations?.[Annotations.inject];
  const choice = raw === undefined || raw === null ? '' : String(raw); // a boolean: unquoted YAML in kube-inject input
  if (choice !== '') {
    if (INJECT_VALUES.includes(choice.toLowerCase())) return { inject: true, reason: byLabel ? 'enabled-by-label' : 'enabled-by-annotation' };
    const source = byLabel ? `label ${Labels.inject}` : `annotation ${Annotations.inject}`;
    const hint = choice === 'false' ? '' : ' (only y, yes, true or on, in any case, ask for the sidecar)';
    return skip(byLabel ? 'disabled-by-label' : 'disabled-by-annotation', `${source}=${JSON.stringify(choice)}${hint}`);
  }

  if (firstMatch(opts.mesh.neverInjectSelector, labels)) return skip('never-inject-selector', 'pod labels match a neverInjectSelector of the mesh config');
  if (firstMatch(opts.mesh.alwaysInjectSelector, labels)) return { inject: true, reason: 'always-inject-selector' };
  return { inject: true, reason: 'default' };
}
