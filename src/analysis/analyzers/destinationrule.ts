/**
 * DestinationRules on their own terms: a host no Service or ServiceEntry serves, or none that is visible in a
 * namespace the rule is exported to (IST0174: the policy configures no cluster). exportTo is read as declared, as
 * Istio's analyzer reads it; a rule that says nothing is visible everywhere, so any namespace the rule and a service
 * both reach counts (Istio's analyzer then looks in the rule's own namespace only). Also TLS origination (SIMPLE,
 * MUTUAL) with neither caCertificates nor a credentialName, at the
 * destination level (IST0128) or a port's (IST0129). mizzen then checks the server against the CA bundle of the
 * proxy image, as istiod does (xds/gen/policy.ts), or not at all with insecureSkipVerify; the finding says which.
 * With a credentialName the CA comes with it (by SDS), so there is nothing to say. Pure.
 */
import type { KubeObject } from '../../core/kube.js';
import { SYSTEM_CA_BUNDLE } from '../../xds/gen/policy.js';
import { exportScope, scopesOverlap } from '../export-scope.js';
import { finding, type Finding } from '../finding.js';
import { hostNamespace } from '../hosts.js';
import { arr, num, rec, str, type Rec } from '../shape.js';
import { nameOf, nsOf, type World } from '../world.js';

function unverified(tls: Rec): string | undefined {
  const mode = str(tls.mode);
  if (mode !== 'SIMPLE' && mode !== 'MUTUAL') return undefined;
  if (str(tls.caCertificates) || str(tls.credentialName)) return undefined;
  const check =
    tls.insecureSkipVerify === true
      ? 'insecureSkipVerify is set, so the server certificate is not checked at all'
      : `mizzen checks the server certificate against the proxy image's system CA bundle (${SYSTEM_CA_BUNDLE}) only, so a certificate any public CA of it signed is accepted`;
  return `TLS mode ${mode} without caCertificates or credentialName: ${check}; set caCertificates (or credentialName) to trust your own CA`;
}

function tlsFindings(dr: KubeObject): Finding[] {
  const policy = rec(rec(dr.spec).trafficPolicy);
  const host = str(rec(dr.spec).host) ?? '';
  const out: Finding[] = [];
  const top = unverified(rec(policy.tls));
  if (top) out.push(finding('IST0128', dr, `${top} (host ${host})`, 'spec.trafficPolicy.tls'));
  for (const [i, p] of arr(policy.portLevelSettings).entries()) {
    const msg = unverified(rec(rec(p).tls));
    const port = num(rec(rec(p).port).number);
    if (msg) out.push(finding('IST0129', dr, `${msg} (host ${host}, port ${port ?? '?'})`, `spec.trafficPolicy.portLevelSettings[${i}].tls`));
  }
  return out;
}

function hostFindings(w: World, dr: KubeObject): Finding[] {
  const host = str(rec(dr.spec).host);
  // Wildcard hosts apply to whatever they cover; not judged.
  if (!host || host.startsWith('*')) return [];
  const fqdn = w.resolve(host, nsOf(dr));
  const served = w.lookupHost(fqdn);
  if (served.length > 0) {
    const scope = exportScope(dr);
    if (served.some((e) => scopesOverlap(exportScope(e.object), scope))) return [];
    const names = [...new Set(served.map((e) => `${e.kind} ${e.namespace}/${nameOf(e.object)}`))].sort().join(', ');
    return [finding('IST0174', dr, `Host "${host}" is served by ${names}, which no namespace the DestinationRule is exported to can see (exportTo): the DestinationRule configures no traffic`, 'spec.host')];
  }
  const hostNs = hostNamespace(fqdn, w.domainSuffix);
  if (hostNs !== undefined && !w.hasServicesIn(hostNs)) {
    return [finding('MZ0003', dr, `Host "${host}" matches no Service; the input has no Services in namespace "${hostNs}" to check it against`, 'spec.host')];
  }
  return [finding('IST0174', dr, `Host "${host}" matches no Service or ServiceEntry: the DestinationRule configures no traffic`, 'spec.host')];
}

export function destinationRuleTls(w: World): Finding[] {
  return w.subjects('DestinationRule').flatMap(tlsFindings);
}

export function destinationRuleHosts(w: World): Finding[] {
  return w.subjects('DestinationRule').flatMap((dr) => hostFindings(w, dr));
}
