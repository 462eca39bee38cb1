/**
 * The status of BackendTLSPolicies, as istiod writes it: `status.ancestors`, one entry per targetRef (the Service or
 * ServiceEntry, for the mesh: controller istio.io/mesh-controller) with Accepted (TargetNotFound, Conflicted,
 * NoValidCACertificate, Invalid) and ResolvedRefs (InvalidCACertificateRef, InvalidKind); a policy annotated
 * istio.io/ignore-policy-attachment=true gets Accepted False IgnoredByIstio alone, as istiod writes it. Other controllers'
 * ancestors are kept where they are; ours replace the entry for the same ancestorRef, the rest follow; 16 at most.
 * Decided by the conversion itself (gateway-api-backendtls.ts), so status says what proxies get. Pure.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../core/kube.js';
import type { Config, Snapshot } from './types.js';
import { asArray, asObject, asString } from './selectors.js';
import { compareConfigs } from './snapshot.js';
import { IGNORE_POLICY_ATTACHMENT, type PolicyOutcome, type TargetOutcome, backendTlsOutcomes, configMapLookup } from './gateway-api-backendtls.js';
import { type Condition, MESH_CONTROLLER, conditions, generationOf, no, ok } from './gateway-status-conditions.js';

type Json = Record<string, any>;

const VALID = 'Configuration is valid';
/** The Gateway API's limit on ancestors. */
const MAX_ANCESTORS = 16;

/** A policy as the API server has it, as the conversion reads it (its spec, age and string annotations). */
export const policyConfig = (o: KubeObject): Config => {
  const ts = asString(o.metadata.creationTimestamp);
  const annotations = Object.fromEntries(Object.entries(asObject(o.metadata.annotations)).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return { kind: o.kind, apiVersion: o.apiVersion, name: o.metadata.name ?? '', namespace: o.metadata.namespace || 'default', labels: {}, annotations, spec: asObject(o.spec), revision: 0, ...(ts ? { creationTimestamp: ts } : {}) };
};

/** Accepted and ResolvedRefs of one target of a policy. */
function targetConditions(o: PolicyOutcome, t: TargetOutcome): Condition[] {
  if (o.ignored) return [no('Accepted', 'IgnoredByIstio', `Ignored by Istio due to annotation ${IGNORE_POLICY_ATTACHMENT}=true`)];
  const { caProblem, unknownWellKnown, extraRefs } = o.tls;
  const resolved = caProblem ? no('ResolvedRefs', caProblem.reason, caProblem.message) : ok('ResolvedRefs', 'ResolvedRefs', VALID);
  let accepted = ok('Accepted', 'Accepted', extraRefs ? `${VALID}; warning: only the first caCertificateRefs will be used` : VALID);
  if (unknownWellKnown !== undefined) accepted = no('Accepted', 'Invalid', `Unknown wellKnownCACertificates: ${unknownWellKnown}`);
  if (caProblem) accepted = no('Accepted', 'NoValidCACertificate', caProblem.message);
  if (t.problem) accepted = no('Accepted', t.problem.reason, t.problem.message);
  return [accepted, resolved];
}

/** `mine` merged into `before` as istiod merges ancestors. */
export function mergeAncestors(before: readonly Json[], mine: readonly Json[]): Json[] {
  const left = [...mine];
  const out: Json[] = [];
  for (const a of before) {
    if (a.controllerName !== MESH_CONTROLLER) {
      out.push(a);
      continue;
    }
    const i = left.findIndex((m) => isDeepStrictEqual(m.ancestorRef, a.ancestorRef));
    if (i >= 0) out.push(...left.splice(i, 1));
  }
  return [...out, ...left].slice(0, MAX_ANCESTORS);
}

/** The status each BackendTLSPolicy (as the API server has it) should have; those with nothing of ours, now or before, are left out. */
export function backendTlsPolicyStatuses(policies: readonly KubeObject[], snap: Snapshot, now: string): Array<{ obj: KubeObject; status: Json }> {
  const byConfig = new Map<Config, KubeObject>();
  for (const o of policies) byConfig.set(policyConfig(o), o);
  const configs = [...byConfig.keys()].sort(compareConfigs);
  const outcomes = backendTlsOutcomes(configs, { domainSuffix: snap.domainSuffix, services: snap.services, serviceEntries: snap.serviceEntries, ca: configMapLookup(snap.configMapCas) });
  const out: Array<{ obj: KubeObject; status: Json }> = [];
  for (const o of outcomes) {
    const obj = byConfig.get(o.policy)!;
    const before = asArray(asObject(obj.status).ancestors).map(asObject);
    const mine = o.targets.map((t) => {
      const ancestorRef = { group: t.ref.group, kind: t.ref.kind, name: t.ref.name, ...(t.ref.sectionName ? { sectionName: t.ref.sectionName } : {}) };
      const prev = before.find((a) => a.controllerName === MESH_CONTROLLER && isDeepStrictEqual(a.ancestorRef, ancestorRef));
      return { ancestorRef, controllerName: MESH_CONTROLLER, conditions: conditions(targetConditions(o, t), generationOf(obj), prev?.conditions, now) };
    });
    if (mine.length === 0 && !before.some((a) => a.controllerName === MESH_CONTROLLER)) continue;
    out.push({ obj, status: { ...asObject(obj.status), ancestors: mergeAncestors(before, mine) } });
  }
  return out;
}
