/** Pieces shared by the policy kinds (security and Telemetry): policy target references and the selector/targetRef exclusivity. */
import { type Issues, type Obj, obj, str, list, each } from './schema.js';
import { warnEmptySelector, matchLabelsSelectorSchema } from './common.js';

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

/** Target references attach a policy to waypoints or Gateway API gateways, which mizzen does not run: warned per field. */
export function warnTargetRefs(spec: Obj, effect: string, issues: Issues): void {
  const message = `mizzen has no waypoints and no Gateway API attachment: ${effect}`;
  if (spec.targetRef !== undefined) issues.warn('spec.targetRef', message);
  if (Array.isArray(spec.targetRefs) && spec.targetRefs.length > 0) issues.warn('spec.targetRefs', message);
}

/** selector / targetRef / targetRefs: at most one, each valid. */
export function checkTargets(spec: Obj, issues: Issues): void {
  const set = ['selector', 'targetRef', 'targetRefs'].filter((k) => spec[k] !== undefined);
  if (set.length > 1) issues.error('spec', `only one of selector, targetRef or targetRefs may be set (found ${set.join(', ')})`);
  warnEmptySelector(spec.selector, 'matchLabels', 'spec.selector', issues);
  if (spec.targetRef) checkTargetRef(spec.targetRef, 'spec.targetRef', issues);
  each(spec.targetRefs, (r, i) => checkTargetRef(r, `spec.targetRefs[${i}]`, issues));
}
