/**
 * The proxy's service cluster (Envoy's node.cluster, `--service-cluster`): the name its tracers give the service
 * that made a span (Zipkin's local endpoint; istiod passes it to OpenTelemetry as service_name). Chosen as Istio's
 * agent chooses it from ProxyConfig tracingServiceName and the workload's labels:
 * - APP_LABEL_AND_NAMESPACE (the default): the first of the labels app, app.kubernetes.io/name,
 *   service.istio.io/canonical-name the workload has, else its workload name, then `.<namespace>`;
 * - CANONICAL_NAME_ONLY: the canonical service (service.istio.io/canonical-name, app.kubernetes.io/name, app, else
 *   the workload name) without the namespace;
 * - CANONICAL_NAME_AND_NAMESPACE: the canonical service, then `.<namespace>`.
 * A label counts when it is present, even empty, as in Istio. Pure.
 */
import { Labels } from '../core/constants.js';

/** Istio's ProxyConfig.TracingServiceName, by its proto3 JSON names (in the enum's order: 0, 1, 2). */
export const TRACING_SERVICE_NAMES = ['APP_LABEL_AND_NAMESPACE', 'CANONICAL_NAME_ONLY', 'CANONICAL_NAME_AND_NAMESPACE'] as const;
export type TracingServiceName = (typeof TRACING_SERVICE_NAMES)[number];

/** The name Istio's agent falls back to where nothing names the workload. */
const NO_NAME = 'istio-proxy';

const first = (labels: Readonly<Record<string, string>>, keys: readonly string[]): string | undefined => {
  for (const k of keys) if (Object.hasOwn(labels, k)) return labels[k];
  return undefined;
};

/**
 * The service cluster's name and whether the namespace follows it (`<name>.<namespace>`): the caller joins them,
 * as the injector writes the namespace as `$(POD_NAMESPACE)`. `workload`: the workload's name ('' when unknown).
 */
export function serviceClusterName(mode: TracingServiceName | undefined, labels: Readonly<Record<string, string>>, workload: string): { name: string; namespaced: boolean } {
  const byApp = (): { name: string; namespaced: boolean } => ({ name: first(labels, [Labels.app, Labels.k8sAppName, Labels.canonicalName]) ?? (workload || NO_NAME), namespaced: true });
  if (mode === undefined || mode === 'APP_LABEL_AND_NAMESPACE') return byApp();
  const canonical = first(labels, [Labels.canonicalName, Labels.k8sAppName, Labels.app]) ?? (workload || NO_NAME);
  if (mode === 'CANONICAL_NAME_AND_NAMESPACE') return { name: canonical, namespaced: true };
  // The canonical name alone, unless it says nothing (then as the default does).
  return canonical !== '' && canonical !== NO_NAME ? { name: canonical, namespaced: false } : byApp();
}

/** serviceClusterName joined with `namespace`. */
export function serviceCluster(mode: TracingServiceName | undefined, labels: Readonly<Record<string, string>>, workload: string, namespace: string): string {
  const { name, namespaced } = serviceClusterName(mode, labels, workload);
  return namespaced ? `${name}.${namespace}` : name;
}
