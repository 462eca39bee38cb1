/**
 * Routing on JWT claims (`@request.auth.claims.<name>` in a VirtualService header match) needs the claims of a
 * verified token: a RequestAuthentication must apply to the gateway workloads that serve the route (one of the
 * workload's namespace or of a root namespace whose selector picks it, or has none). A VirtualService that routes
 * on a claim through a Gateway whose workloads no RequestAuthentication applies to is IST0149, once per workload,
 * as Istio's JWTClaimRouteAnalyzer reports it per pod. Gateways the input lacks, and workloads it lacks, are not
 * judged. Pure.
 */
import type { KubeObject } from '../../core/kube.js';
import { isJwtClaimHeader } from '../../validation/headers.js';
import { finding, type Finding } from '../finding.js';
import { parseGatewayRef } from '../hosts.js';
import { arr, labelMap, rec, selects, strs } from '../shape.js';
import { nameOf, nsOf, type Workload, type World } from '../world.js';

/** The first claim header of the VirtualService's HTTP matches (headers or withoutHeaders), with its path. */
function firstClaim(vs: KubeObject): { key: string; path: string } | undefined {
  for (const [i, rule] of arr(rec(vs.spec).http).entries()) {
    for (const [j, m] of arr(rec(rule).match).entries()) {
      for (const field of ['headers', 'withoutHeaders']) {
        const key = Object.keys(rec(rec(m)[field])).find(isJwtClaimHeader);
        if (key) return { key, path: `spec.http[${i}].match[${j}].${field}[${key}]` };
      }
    }
  }
  return undefined;
}

/** Does a RequestAuthentication of the workload's namespace, or of a root namespace, pick it by selector? */
function authenticated(w: World, wl: Workload): boolean {
  return w.istio('RequestAuthentication').some((ra) => {
    const ns = nsOf(ra);
    if (ns !== wl.namespace && !w.rootNamespaces.has(ns)) return false;
    const spec = rec(ra.spec);
    if (spec.targetRef !== undefined || arr(spec.targetRefs).length > 0) return false; // attached to a Gateway API Gateway instead
    return selects(labelMap(rec(spec.selector).matchLabels), wl.labels);
  });
}

export function jwtClaimRoutes(w: World): Finding[] {
  const out: Finding[] = [];
  for (const vs of w.subjects('VirtualService')) {
    const claim = firstClaim(vs);
    if (!claim) continue;
    const ns = nsOf(vs);
    for (const ref of strs(rec(vs.spec).gateways)) {
      const g = parseGatewayRef(ref, ns);
      if (g.mesh) continue;
      const gw = w.istio('Gateway').find((o) => nsOf(o) === g.namespace && nameOf(o) === g.name);
      const selector = labelMap(rec(gw?.spec).selector);
      if (!gw || Object.keys(selector).length === 0) continue;
      for (const wl of w.matchWorkloads(selector)) {
        if (wl.kind === 'ServiceEntry endpoint' || authenticated(w, wl)) continue;
        out.push(
          finding(
            'IST0149',
            vs,
            `Routes on the JWT claim "${claim.key}" through gateway ${g.namespace}/${g.name}, but no RequestAuthentication applies to its workload ${wl.kind} ${wl.namespace}/${wl.name}: no token of its requests is verified, so the claim is not there to route on. Apply a RequestAuthentication selecting the gateway's workloads, in their namespace or a root namespace`,
            claim.path,
          ),
        );
      }
    }
  }
  return out;
}
