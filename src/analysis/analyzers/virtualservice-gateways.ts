/**
 * A VirtualService bound to an Istio Gateway none of whose servers takes one of its hosts (IST0132): that gateway
 * serves nothing of it. As the routes are built (xds/gen/gateway-vhosts.ts): a server host `ns/host` takes only
 * VirtualServices of `ns` (`.`: the Gateway's namespace, `*`: any), and a server host and a VirtualService host (a
 * short name resolved in the VirtualService's namespace) meet when either wildcard covers the other. Only
 * spec.gateways is read, as Istio reads it; a Gateway the input lacks is IST0101 or MZ0003 (virtualservice.ts).
 * Pure.
 */
import { finding, type Finding } from '../finding.js';
import { hostMatches, parseGatewayRef } from '../hosts.js';
import { arr, rec, strs } from '../shape.js';
import { nameOf, nsOf, type World } from '../world.js';

/** The hosts the servers of the Gateways named `ns/name` (several documents: all of them) take from `vsNamespace`. */
function serverHosts(w: World, namespace: string, name: string, vsNamespace: string): string[] | undefined {
  const gateways = w.istio('Gateway').filter((g) => nsOf(g) === namespace && nameOf(g) === name);
  if (gateways.length === 0) return undefined;
  const out: string[] = [];
  for (const g of gateways) {
    for (const raw of arr(rec(g.spec).servers)) {
      for (const h of strs(rec(raw).hosts)) {
        const slash = h.indexOf('/');
        const ns = slash < 0 ? '*' : h.slice(0, slash) === '.' ? namespace : h.slice(0, slash);
        if (ns === '*' || ns === vsNamespace) out.push(h.slice(slash + 1).toLowerCase());
      }
    }
  }
  return out;
}

export function virtualServiceGatewayHosts(w: World): Finding[] {
  const out: Finding[] = [];
  for (const vs of w.subjects('VirtualService')) {
    const ns = nsOf(vs);
    const hosts = strs(rec(vs.spec).hosts).map((h) => w.resolve(h, ns));
    if (hosts.length === 0) continue;
    for (const [i, ref] of strs(rec(vs.spec).gateways).entries()) {
      const g = parseGatewayRef(ref, ns);
      if (g.mesh) continue;
      const taken = serverHosts(w, g.namespace, g.name, ns);
      if (taken === undefined || taken.some((sh) => hosts.some((h) => hostMatches(sh, h) || hostMatches(h, sh)))) continue;
      out.push(
        finding(
          'IST0132',
          vs,
          `No host of this VirtualService (${hosts.join(', ')}) is among the hosts the servers of Gateway ${g.namespace}/${g.name} take from namespace "${ns}" (${taken.length ? [...new Set(taken)].join(', ') : 'none'}): that gateway serves none of its routes`,
          `spec.gateways[${i}]`,
        ),
      );
    }
  }
  return out;
}
