/**
 * The status of XBackendTrafficPolicies, as istiod writes it: `status.ancestors`, one entry per targetRef under
 * istio.io/mesh-controller with Accepted alone: True (its message naming sessionPersistence, which is not applied),
 * TargetNotFound for a target that is no Service of the policy's namespace, IgnoredByIstio for a policy annotated
 * istio.io/ignore-policy-attachment=true. Ancestors merged as for BackendTLSPolicies (gateway-api-backendtls-status.ts).
 * Decided by the conversion itself (gateway-api-backendtraffic.ts), so status says what proxies get. Pure.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../core/kube.js';
import type { Config, Snapshot } from './types.js';
import { asArray, asObject } from './selectors.js';
import { compareConfigs } from './snapshot.js';
import { type TrafficPolicyOutcome, type TrafficTargetOutcome, backendTrafficOutcomes } from './gateway-api-backendtraffic.js';
import { IGNORE_POLICY_ATTACHMENT } from './gateway-api-backendtls.js';
import { mergeAncestors, policyConfig } from './gateway-api-backendtls-status.js';
import { type Condition, MESH_CONTROLLER, conditions, generationOf, no, ok } from './gateway-status-conditions.js';

type Json = Record<string, any>;

const VALID = 'Configuration is valid';

/** Accepted for one target of a policy. */
function accepted(o: TrafficPolicyOutcome, t: TrafficTargetOutcome): Condition {
  if (o.ignored) return no('Accepted', 'IgnoredByIstio', `Ignored by Istio due to annotation ${IGNORE_POLICY_ATTACHMENT}=true`);
  if (t.problem) return no('Accepted', t.problem.reason, t.problem.message);
  return ok('Accepted', 'Accepted', o.unsupported.length ? `${VALID}, but Istio does not support the following fields: ${o.unsupported.join(', ')}` : VALID);
}

/** The status each XBackendTrafficPolicy (as the API server has it) should have; those with nothing of ours, now or before, are left out. */
export function backendTrafficPolicyStatuses(policies: readonly KubeObject[], snap: Snapshot, now: string): Array<{ obj: KubeObject; status: Json }> {
  const byConfig = new Map<Config, KubeObject>();
  for (const o of policies) byConfig.set(policyConfig(o), o);
  const configs = [...byConfig.keys()].sort(compareConfigs);
  const out: Array<{ obj: KubeObject; status: Json }> = [];
  for (const o of backendTrafficOutcomes(configs, { domainSuffix: snap.domainSuffix, services: snap.services })) {
    const obj = byConfig.get(o.policy)!;
    const before = asArray(asObject(obj.status).ancestors).map(asObject);
    const mine = o.targets.map((t) => {
      const ancestorRef = { group: t.ref.group, kind: t.ref.kind, name: t.ref.name };
      const prev = before.find((a) => a.controllerName === MESH_CONTROLLER && isDeepStrictEqual(a.ancestorRef, ancestorRef));
      return { ancestorRef, controllerName: MESH_CONTROLLER, conditions: conditions([accepted(o, t)], generationOf(obj), prev?.conditions, now) };
    });
    if (mine.length === 0 && !before.some((a) => a.controllerName === MESH_CONTROLLER)) continue;
    out.push({ obj, status: { ...asObject(obj.status), ancestors: mergeAncestors(before, mine) } });
  }
  return out;
}
