/**
 * Which workloads a policy picked by a selector or by target references attaches to (AuthorizationPolicy,
 * RequestAuthentication, Telemetry, WasmPlugin, EnvoyFilter), as Istio decides it for sidecars and gateways (no
 * waypoints here):
 *   - a policy without targetRef(s) attaches where its selector matches (an empty one everywhere its namespace
 *     reaches), gateways of Gateway API Gateways included;
 *   - a policy with them attaches only to the workloads of a Gateway API Gateway it names (group
 *     gateway.networking.k8s.io, kind Gateway, its name on the workload's `gateway.networking.k8s.io/gateway-name`
 *     label), in the policy's own namespace (a reference to another namespace attaches nowhere);
 *   - references to Services, ServiceEntries and GatewayClasses are for waypoints, which mizzen does not run:
 *     such a policy attaches nowhere.
 * Pure.
 */
import { asArray, asObject, asString, matchesLabels } from './selectors.js';
import { isGatewayRef } from './gateway-refs.js';
import { GATEWAY_NAME_LABEL } from './gateway-api-gateways.js';

/** A policy's target references: targetRefs, else the older single targetRef. */
export function targetRefsOf(spec: unknown): Array<Record<string, unknown>> {
  const s = asObject(spec);
  const many = asArray(s.targetRefs).map(asObject);
  if (many.length > 0) return many;
  return s.targetRef !== undefined ? [asObject(s.targetRef)] : [];
}

/**
 * Whether a policy of `policyNamespace` with `spec` and `selector` (its matchLabels; {} for none) attaches to a
 * workload with `labels` in `workloadNamespace`. Which namespaces a policy reaches at all (its own, the root) is the
 * caller's.
 */
export function policyAttaches(spec: unknown, selector: Readonly<Record<string, string>>, policyNamespace: string, workloadNamespace: string, labels: Readonly<Record<string, string>>): boolean {
  const refs = targetRefsOf(spec);
  if (refs.length === 0) return matchesLabels(labels, selector);
  const gateway = labels[GATEWAY_NAME_LABEL];
  if (gateway === undefined || policyNamespace !== workloadNamespace) return false;
  return refs.some((r) => {
    const ns = asString(r.namespace) ?? '';
    return isGatewayRef(r) && r.name === gateway && (ns === '' || ns === workloadNamespace);
  });
}
