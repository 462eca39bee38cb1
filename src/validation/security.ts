/** Pieces shared by the policy kinds (security and Telemetry): policy target references and the selector/targetRef exclusivity. */
import { type Issues, type Obj, obj, str, list, each } from './schema.js';
import { warnEmptySelector, matchLabelsSelectorSchema } from './common.js';
import { GATEWAY_API_GROUP, isGatewayRef } from '../model/gateway-refs.js';

const GROUP = /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KIND = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;

export const targetRefSchema = obj(
  {
    group: str({ maxLength: 253, check: (v, p, i) => (GROUP.test(v) ? undefined : i.error(p, `invalid group "${v}"`)) }),
    kind: str({ minLength: 1, maxLength: 63, check: (v, p, i) => (v === '' || KIND.test(v) ? undefined : i.error(p, `invalid kind "${v}"`)) }),
    name: str({ minLength: 1, maxLength: 253 }),
    namespace: str({ check: (v, p, i) => (v === '' ? undefined : i.error(p, 'cross namespace referencing is not supported')) }),
  },
  { required: ['kind', 'name'] },
);

/** Fields every policy with a target has (the security kinds and Telemetry). */
export const targetFields = {
  selector: matchLabelsSelectorSchema,
  targetRef: targetRefSchema,
  targetRefs: list(targetRefSchema, { maxItems: 16 }),
};

const ALLOWED_TARGETS = [
  { group: '', kind: 'Service' },
  { group: 'networking.istio.io', kind: 'ServiceEntry' },
  { group: 'gateway.networking.k8s.io', kind: 'Gateway' },
  { group: 'gateway.networking.k8s.io', kind: 'GatewayClass' },
];

function checkTargetRef(ref: Obj, p: string, issues: Issues): void {
  if (typeof ref.kind !== 'string') return;
  const group = ref.group === 'core' ? '' : (ref.group ?? '');
  if (!ALLOWED_TARGETS.some((t) => t.group === group && t.kind === ref.kind)) {
    issues.error(p, `targetRef must be to one of Service, ServiceEntry (networking.istio.io), Gateway or GatewayClass (gateway.networking.k8s.io), not ${group || 'core'}/${ref.kind}`);
  }
}

/**
 * Target references: one to a Gateway API Gateway attaches the policy to that Gateway's gateways
 * (model/policy-attachment.ts); one to anything else (a Service, a ServiceEntry, a GatewayClass) is for waypoints,
 * which mizzen does not run, and attaches it to nothing: warned, reference by reference. `what` names the policy
 * ("this Telemetry"); `gateways` false for a kind that attaches by selector only (ProxyConfig).
 */
export function warnTargetRefs(spec: Obj, what: string, issues: Issues, gateways = true): void {
  const refs: Array<[string, unknown]> = Array.isArray(spec.targetRefs) && spec.targetRefs.length > 0 ? spec.targetRefs.map((r: unknown, i: number) => [`spec.targetRefs[${i}]`, r]) : spec.targetRef !== undefined ? [['spec.targetRef', spec.targetRef]] : [];
  for (const [p, raw] of refs) {
    const ref = typeof raw === 'object' && raw !== null ? (raw as Obj) : {};
    if (!gateways) {
      issues.warn(p, `attaches ${what} to nothing: mizzen applies it by selector only`);
      continue;
    }
    if (isGatewayRef(ref)) continue;
    const kind = typeof ref.kind === 'string' && ref.kind ? ref.kind : 'this';
    issues.warn(p, `attaches ${what} to nothing: a ${kind} target is for waypoints, which mizzen does not run (a Gateway of ${GATEWAY_API_GROUP} attaches it to that Gateway's gateways)`);
  }
}

/** selector / targetRef / targetRefs: at most one, each valid. */
export function checkTargets(spec: Obj, issues: Issues): void {
  const set = ['selector', 'targetRef', 'targetRefs'].filter((k) => spec[k] !== undefined);
  if (set.length > 1) issues.error('spec', `only one of selector, targetRef or targetRefs may be set (found ${set.join(', ')})`);
  warnEmptySelector(spec.selector, 'matchLabels', 'spec.selector', issues);
  if (spec.targetRef) checkTargetRef(spec.targetRef, 'spec.targetRef', issues);
  each(spec.targetRefs, (r, i) => checkTargetRef(r, `spec.targetRefs[${i}]`, issues));
}
