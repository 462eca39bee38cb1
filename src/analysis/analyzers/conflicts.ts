/**
 * Two VirtualServices claiming one host in one scope. For the mesh (sidecars) Istio keeps one and drops the
 * other (IST0109); for a Gateway it merges their routes in creation order (MZ0004). Delegates have no hosts
 * and never conflict; several documents of the same resource are one resource, not a conflict.
 */
import { objectKey, type KubeObject } from '../../core/kube.js';
import { finding, type Finding } from '../finding.js';
import { parseGatewayRef } from '../hosts.js';
import { rec, strs } from '../shape.js';
import { nameOf, nsOf, type World } from '../world.js';

interface Claim {
  scope: string;
  host: string;
  vs: KubeObject;
  /** Namespaces the VirtualService is exported to ('*': all). */
  visible: '*' | ReadonlySet<string>;
}

function visibility(vs: KubeObject): Claim['visible'] {
  const exportTo = strs(rec(vs.spec).exportTo);
  if (exportTo.length === 0 || exportTo.includes('*')) return '*';
  return new Set(exportTo.filter((e) => e !== '~').map((e) => (e === '.' ? nsOf(vs) : e)));
}

function overlap(a: Claim['visible'], b: Claim['visible']): boolean {
  if (a === '*') return b === '*' || b.size > 0;
  if (b === '*') return a.size > 0;
  for (const ns of a) if (b.has(ns)) return true;
  return false;
}

function claims(w: World, vs: KubeObject): Claim[] {
  const spec = rec(vs.spec);
  const ns = nsOf(vs);
  const refs = strs(spec.gateways);
  const scopes = (refs.length === 0 ? ['mesh'] : refs).map((r) => {
    const g = parseGatewayRef(r, ns);
    return g.mesh ? 'mesh' : `${g.namespace}/${g.name}`;
  });
  const visible = visibility(vs);
  const out: Claim[] = [];
  for (const scope of new Set(scopes)) for (const h of new Set(strs(spec.hosts).map((h) => w.resolve(h, ns)))) out.push({ scope, host: h, vs, visible });
  return out;
}

/** scope + host → the claims on it, over every VirtualService of the world (computed once per world). */
function claimGroups(w: World): Map<string, Claim[]> {
  const cached = w.memo.vsClaims as Map<string, Claim[]> | undefined;
  if (cached) return cached;
  const groups = new Map<string, Claim[]>();
  for (const vs of w.istio('VirtualService')) {
    for (const c of claims(w, vs)) {
      const k = `${c.scope}\u0000${c.host}`;
      let list = groups.get(k);
      if (!list) groups.set(k, (list = []));
      list.push(c);
    }
  }
  w.memo.vsClaims = groups;
  return groups;
}

function report(list: readonly Claim[], subjects: readonly Claim[]): Finding[] {
  const names = [...new Set(list.map((c) => `${nsOf(c.vs)}/${nameOf(c.vs)}`))].sort().join(', ');
  const { scope, host } = list[0]!;
  return subjects.map((c) =>
    scope === 'mesh'
      ? finding('IST0109', c.vs, `The VirtualServices ${names} bound to the mesh gateway all claim host ${host}: only one takes effect. Merge them into one resource.`, 'spec.hosts')
      : finding('MZ0004', c.vs, `The VirtualServices ${names} bound to gateway ${scope} all claim host ${host}: their routes are merged in creation order. Merge them into one resource, or use delegation.`, 'spec.hosts'),
  );
}

/**
 * Each subject claim against the claims of other VirtualServices on the same scope and host that are visible in
 * a common namespace (exportTo). A focused world (analyzeObject) checks the focus, which replaces its namesake.
 */
export function conflictingVirtualServices(w: World): Finding[] {
  const groups = claimGroups(w);
  const out: Finding[] = [];
  for (const vs of w.subjects('VirtualService')) {
    const key = objectKey(vs);
    for (const c of claims(w, vs)) {
      const rivals = (groups.get(`${c.scope}\u0000${c.host}`) ?? []).filter((o) => objectKey(o.vs) !== key && overlap(o.visible, c.visible));
      if (rivals.length > 0) out.push(...report([...rivals, c], [c]));
    }
  }
  return out;
}
