/**
 * Policies attached to a Gateway API Gateway by targetRefs (model/policy-attachment.ts: AuthorizationPolicy,
 * RequestAuthentication, Telemetry, WasmPlugin, EnvoyFilter): a reference to a Gateway the policy's namespace does
 * not have attaches the policy to nothing. IST0101 where the input has Gateway API Gateways in that namespace,
 * MZ0003 where it has none to check against. References to other kinds are validation's (they attach nothing and
 * say so).
 */
import { isGatewayApi, isGatewayRef } from '../../model/gateway-refs.js';
import { finding, type Finding } from '../finding.js';
import { arr, rec, str } from '../shape.js';
import { nameOf, nsOf, type World } from '../world.js';

const KINDS = ['AuthorizationPolicy', 'RequestAuthentication', 'Telemetry', 'WasmPlugin', 'EnvoyFilter'] as const;

/** A policy's target references with their paths: targetRefs, else targetRef. */
function refsWithPaths(spec: unknown): Array<{ ref: Record<string, unknown>; path: string }> {
  const s = rec(spec);
  const many = arr(s.targetRefs);
  if (many.length > 0) return many.map((r, i) => ({ ref: rec(r), path: `spec.targetRefs[${i}]` }));
  return s.targetRef !== undefined ? [{ ref: rec(s.targetRef), path: 'spec.targetRef' }] : [];
}

export function policyTargets(w: World): Finding[] {
  const out: Finding[] = [];
  const gateways = w.core('Gateway').filter(isGatewayApi);
  for (const kind of KINDS) {
    for (const policy of w.subjects(kind)) {
      const ns = nsOf(policy);
      const here = gateways.filter((g) => nsOf(g) === ns);
      for (const { ref, path } of refsWithPaths(policy.spec)) {
        const name = str(ref.name);
        if (!isGatewayRef(ref) || !name || here.some((g) => nameOf(g) === name)) continue;
        if (here.length > 0) out.push(finding('IST0101', policy, `Referenced Gateway not found: "${ns}/${name}": this reference attaches the ${kind} to nothing`, `${path}.name`));
        else out.push(finding('MZ0003', policy, `Gateway "${ns}/${name}" is not in the input, which has no Gateway API Gateways in namespace "${ns}" to check it against`, `${path}.name`));
      }
    }
  }
  return out;
}
