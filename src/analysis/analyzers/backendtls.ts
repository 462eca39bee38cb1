/**
 * Gateway API BackendTLSPolicies, checked the way mizzen serves them (model/gateway-api-backendtls.ts decides, over
 * a snapshot of the input): a targetRef that configures nothing (no such Service or ServiceEntry, a kind mizzen does
 * not target, a sectionName the target has no port of, another policy holding the target: MZ0022), and a CA
 * reference that does not resolve (MZ0022: the policy's traffic fails, as mizzen never falls back to no check).
 * A missing target or ConfigMap is MZ0003 where the input has no Services, ServiceEntries or ConfigMaps in that
 * namespace to check it against.
 */
import type { KubeObject } from '../../core/kube.js';
import { buildSnapshot } from '../../model/snapshot.js';
import { backendTlsOutcomes, configMapLookup } from '../../model/gateway-api-backendtls.js';
import { isGatewayApi, isGatewayApiX } from '../../model/gateway-refs.js';
import { backendTrafficOutcomes } from '../../model/gateway-api-backendtraffic.js';
import type { Snapshot } from '../../model/types.js';
import { finding, type Finding } from '../finding.js';
import { nameOf, nsOf, type World } from '../world.js';

/** The input as mizzen would serve it, once per world. */
function snapshotOf(w: World): Snapshot {
  return (w.memo.backendTlsSnapshot ??= buildSnapshot(w.objects, { domainSuffix: w.domainSuffix })) as Snapshot;
}

export function backendTlsPolicies(w: World): Finding[] {
  const subjects = w.coreSubjects('BackendTLSPolicy').filter(isGatewayApi);
  if (subjects.length === 0) return [];
  const snap = snapshotOf(w);
  const outcomes = backendTlsOutcomes(snap.backendTlsPolicies, { domainSuffix: snap.domainSuffix, services: snap.services, serviceEntries: snap.serviceEntries, ca: configMapLookup(snap.configMapCas) });
  const out: Finding[] = [];
  for (const policy of subjects) {
    const o = outcomes.find((x) => x.policy.name === nameOf(policy) && x.policy.namespace === nsOf(policy));
    if (!o) continue;
    const ns = nsOf(policy);
    o.targets.forEach((t, i) => {
      if (!t.problem) return;
      const unverifiable = t.problem.reason === 'TargetNotFound' && !w.hasServicesIn(ns) && !w.istio('ServiceEntry').some((se) => nsOf(se) === ns);
      if (unverifiable) out.push(finding('MZ0003', policy, `${t.problem.message}; the input has no Services or ServiceEntries in namespace "${ns}" to check it against`, `spec.targetRefs[${i}]`));
      else out.push(finding('MZ0022', policy, `This target gets no TLS from the policy: ${t.problem.message}`, `spec.targetRefs[${i}]`));
    });
    const ca = o.tls.caProblem;
    if (ca) {
      const noConfigMaps = ca.reason === 'InvalidCACertificateRef' && !w.core('ConfigMap').some((c: KubeObject) => nsOf(c) === ns);
      if (noConfigMaps) out.push(finding('MZ0003', policy, `${ca.message}; the input has no ConfigMaps in namespace "${ns}" to check it against`, 'spec.validation.caCertificateRefs[0]'));
      else out.push(finding('MZ0022', policy, `The traffic this policy configures fails (mizzen never falls back to no check): ${ca.message}`, 'spec.validation.caCertificateRefs[0]'));
    }
    if (o.tls.unknownWellKnown !== undefined) out.push(finding('MZ0022', policy, `Unknown wellKnownCACertificates "${o.tls.unknownWellKnown}": the system CAs are used`, 'spec.validation.wellKnownCACertificates'));
  }
  return out;
}

/**
 * Gateway API XBackendTrafficPolicies (the experimental group), checked the way mizzen serves them
 * (model/gateway-api-backendtraffic.ts decides): a targetRef that configures nothing (MZ0024; MZ0003 where the input
 * has no Services in that namespace to check it against), and sessionPersistence, which is not applied (MZ0024). A
 * policy annotated istio.io/ignore-policy-attachment=true asks to be left out: nothing is said of it.
 */
export function backendTrafficPolicies(w: World): Finding[] {
  const subjects = w.coreSubjects('XBackendTrafficPolicy').filter(isGatewayApiX);
  if (subjects.length === 0) return [];
  const snap = snapshotOf(w);
  const outcomes = backendTrafficOutcomes(snap.backendTrafficPolicies, { domainSuffix: snap.domainSuffix, services: snap.services });
  const out: Finding[] = [];
  for (const policy of subjects) {
    const o = outcomes.find((x) => x.policy.name === nameOf(policy) && x.policy.namespace === nsOf(policy));
    if (!o || o.ignored) continue;
    const ns = nsOf(policy);
    o.targets.forEach((t, i) => {
      if (!t.problem) return;
      const unverifiable = t.ref.group === '' && t.ref.kind === 'Service' && !w.hasServicesIn(ns);
      if (unverifiable) out.push(finding('MZ0003', policy, `${t.problem.message}; the input has no Services in namespace "${ns}" to check it against`, `spec.targetRefs[${i}]`));
      else out.push(finding('MZ0024', policy, `This target gets no retry budget from the policy: ${t.problem.message}`, `spec.targetRefs[${i}]`));
    });
    for (const field of o.unsupported) out.push(finding('MZ0024', policy, `${field} is not applied (Istio does not apply it either); the policy's other fields are`, `spec.${field}`));
  }
  return out;
}
