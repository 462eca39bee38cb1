/**
 * What a VirtualService points at: destination and mirror hosts (and their ports), subsets, gateways, delegates;
 * and a Sidecar's egressProxy, a destination of the same shape (checked the same way: a host, port or subset that is
 * not there sends the traffic to unknown destinations nowhere).
 */
import type { KubeObject } from '../../core/kube.js';
import { finding, type Finding } from '../finding.js';
import { hostNamespace, parseGatewayRef } from '../hosts.js';
import { arr, num, rec, str, strs, type Rec } from '../shape.js';
import { nameOf, nsOf, type World } from '../world.js';

interface Dest {
  /** Path of the Destination object. */
  path: string;
  dest: Rec;
  mirror: boolean;
}

/** Every Destination of a VirtualService with its path: http/tcp/tls routes, mirror, mirrors. */
export function destinations(vs: KubeObject): Dest[] {
  const spec = rec(vs.spec);
  const out: Dest[] = [];
  for (const section of ['http', 'tcp', 'tls'] as const) {
    for (const [i, rule] of arr(spec[section]).entries()) {
      const r = rec(rule);
      for (const [j, route] of arr(r.route).entries()) out.push({ path: `spec.${section}[${i}].route[${j}].destination`, dest: rec(rec(route).destination), mirror: false });
      if (section !== 'http') continue;
      if (r.mirror !== undefined) out.push({ path: `spec.http[${i}].mirror`, dest: rec(r.mirror), mirror: true });
      for (const [j, m] of arr(r.mirrors).entries()) out.push({ path: `spec.http[${i}].mirrors[${j}].destination`, dest: rec(rec(m).destination), mirror: true });
    }
  }
  return out;
}

/** Every gateway reference of a VirtualService with its path: spec.gateways and per-match gateways. */
export function gatewayRefs(vs: KubeObject): Array<{ path: string; ref: string }> {
  const spec = rec(vs.spec);
  const out = strs(spec.gateways).map((ref, k) => ({ path: `spec.gateways[${k}]`, ref }));
  for (const section of ['http', 'tcp', 'tls'] as const) {
    for (const [i, rule] of arr(spec[section]).entries()) {
      for (const [m, match] of arr(rec(rule).match).entries()) {
        for (const [k, ref] of strs(rec(match).gateways).entries()) out.push({ path: `spec.${section}[${i}].match[${m}].gateways[${k}]`, ref });
      }
    }
  }
  return out;
}

function checkHost(w: World, vs: KubeObject, d: Dest): Finding[] {
  const host = str(d.dest.host);
  if (!host) return []; // a missing host is the validators' business
  const ns = nsOf(vs);
  const fqdn = w.resolve(host, ns);
  const what = d.mirror ? 'mirror host' : 'host';
  const entries = w.lookupHost(fqdn);
  if (entries.length === 0) {
    const hostNs = hostNamespace(fqdn, w.domainSuffix);
    if (hostNs !== undefined && !w.hasServicesIn(hostNs)) {
      return [finding('MZ0003', vs, `Referenced ${what} not found: "${host}"; the input has no Services in namespace "${hostNs}" to check it against`, `${d.path}.host`)];
    }
    return [finding('IST0101', vs, `Referenced ${what} not found: "${host}"`, `${d.path}.host`)];
  }
  const ports = [...new Set(entries.flatMap((e) => e.ports))].sort((a, b) => a - b);
  const port = num(rec(d.dest.port).number);
  if (port === undefined) {
    if (ports.length > 1) return [finding('IST0112', vs, `Destination "${host}" exposes several ports (${ports.join(', ')}); set port.number to pick one`, d.path)];
    return [];
  }
  if (ports.length > 0 && !ports.includes(port)) return [finding('IST0101', vs, `Referenced ${what}:port not found: "${host}:${port}"`, `${d.path}.port.number`)];
  return [];
}

/** Names of the subsets DestinationRules define for `fqdn` (exact or wildcard DR hosts, any namespace). */
function subsetsFor(w: World, fqdn: string): Set<string> {
  const out = new Set<string>();
  for (const dr of w.destinationRulesFor(fqdn)) {
    for (const s of arr(rec(dr.spec).subsets)) {
      const n = str(rec(s).name);
      if (n) out.add(n);
    }
  }
  return out;
}

function checkSubset(w: World, vs: KubeObject, d: Dest): Finding[] {
  const host = str(d.dest.host);
  const subset = str(d.dest.subset);
  if (!host || !subset) return [];
  if (subsetsFor(w, w.resolve(host, nsOf(vs))).has(subset)) return [];
  return [finding('IST0101', vs, `Referenced host+subset in destinationrule not found: "${host}+${subset}"`, `${d.path}.subset`)];
}

function checkGateways(w: World, vs: KubeObject): Finding[] {
  const out: Finding[] = [];
  const ns = nsOf(vs);
  for (const { path, ref } of gatewayRefs(vs)) {
    const g = parseGatewayRef(ref, ns);
    if (g.mesh) continue;
    const inNs = w.gatewaysIn(g.namespace);
    if (inNs?.has(g.name)) continue;
    if (g.namespace === ns || inNs !== undefined) out.push(finding('IST0101', vs, `Referenced gateway not found: "${ref}"`, path));
    else out.push(finding('MZ0003', vs, `Referenced gateway not found: "${ref}"; the input has no Gateways in namespace "${g.namespace}" to check it against`, path));
  }
  return out;
}

function virtualServiceNames(w: World): Set<string> {
  const cached = w.memo.vsNames as Set<string> | undefined;
  if (cached) return cached;
  const names = new Set(w.istio('VirtualService').map((o) => `${nsOf(o)}/${nameOf(o)}`));
  w.memo.vsNames = names;
  return names;
}

function checkDelegates(w: World, vs: KubeObject): Finding[] {
  const out: Finding[] = [];
  for (const [i, rule] of arr(rec(vs.spec).http).entries()) {
    const del = rec(rec(rule).delegate);
    const name = str(del.name);
    if (!name) continue;
    const ns = str(del.namespace) || nsOf(vs);
    if (!virtualServiceNames(w).has(`${ns}/${name}`)) {
      out.push(finding('IST0101', vs, `Referenced delegate VirtualService not found: "${ns}/${name}"`, `spec.http[${i}].delegate`));
    }
  }
  return out;
}

export function virtualServiceReferences(w: World): Finding[] {
  const out: Finding[] = [];
  for (const vs of w.subjects('VirtualService')) {
    for (const d of destinations(vs)) out.push(...checkHost(w, vs, d), ...checkSubset(w, vs, d));
    out.push(...checkGateways(w, vs), ...checkDelegates(w, vs));
  }
  for (const sidecar of w.subjects('Sidecar')) {
    const proxy = rec(rec(sidecar.spec).outboundTrafficPolicy).egressProxy;
    if (proxy === undefined) continue;
    const d: Dest = { path: 'spec.outboundTrafficPolicy.egressProxy', dest: rec(proxy), mirror: false };
    out.push(...checkHost(w, sidecar, d), ...checkSubset(w, sidecar, d));
  }
  return out;
}
