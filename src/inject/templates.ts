/**
 * Istio's injection templates, as a pod names them in `inject.istio.io/templates` (a comma-separated list):
 * - `sidecar` (the default): istio-init and the istio-proxy sidecar;
 * - `gateway`: the pod is a gateway: its own `istio-proxy` container (image `auto`) becomes Envoy as a router
 *   (`router~` node), with no istio-init and no traffic capture; Istio's gateway Helm chart and its automated
 *   Gateway API deployments make such pods;
 * - `grpc-agent`, `grpc-simple`: proxyless gRPC (proxyless.ts).
 * Other names (Istio's `spire`, a user's custom templates) have no meaning here: the pod is admitted with a warning.
 * Pure.
 */
import type { KubeObject } from '../core/kube.js';

export const TEMPLATES_ANNOTATION = 'inject.istio.io/templates';
export const KNOWN_TEMPLATES: readonly string[] = ['sidecar', 'gateway', 'grpc-agent', 'grpc-simple'];
const PROXYLESS = new Set(['grpc-agent', 'grpc-simple']);

/** The template names a value of the annotation lists (trimmed, empty entries dropped). */
export function templateNames(value: unknown): string[] {
  return typeof value === 'string' ? value.split(',').map((t) => t.trim()).filter((t) => t !== '') : [];
}

/** The templates the pod names (none for most pods, which have no such annotation: read without splitting). */
function named(pod: KubeObject): string[] {
  const v = pod.metadata?.annotations?.[TEMPLATES_ANNOTATION];
  return v === undefined ? [] : templateNames(v);
}

/** Whether the pod asks for a proxyless gRPC template. */
export const wantsProxyless = (pod: KubeObject): boolean => named(pod).some((t) => PROXYLESS.has(t));

/** Whether the pod asks for the gateway template (and no proxyless one, which comes first). */
export function wantsGateway(pod: KubeObject): boolean {
  const names = named(pod);
  return names.includes('gateway') && !names.some((t) => PROXYLESS.has(t));
}

/** The names in the annotation's value that mizzen has no template for. */
export function unknownTemplates(value: unknown): string[] {
  return templateNames(value).filter((t) => !KNOWN_TEMPLATES.includes(t));
}
