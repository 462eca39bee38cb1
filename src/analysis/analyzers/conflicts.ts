/**
 * Two VirtualServices bound to the mesh claiming one host: Istio keeps one and drops the other (IST0109). On a
 * Gateway their routes merge, as Istio means them to (gateway-merge.ts reports only the routes that merging hides).
 * Delegates have no hosts and never conflict; several documents of the same resource are one resource, not a conflict.
 */
import { objectKey, type KubeObject } from '../../core/kube.js';
import { exportScope, scopesOverlap, type ExportScope } from '../export-scope.js';
import { finding, type Finding } from '../finding.js';
import { parseGatewayRef } from '../hosts.js';
import { rec, strs } from '../shape.js';
import { nameOf, nsOf, type World } from '../world.js';

interface Claim {
  host: string;
  vs: KubeObject;
  /** Namespaces the VirtualService is exported to ('*': all). */
  visible: ExportScope;
}

function claims(w: World, vs: KubeObject): Claim[] {
  const spec = rec(vs.spec);
  const ns = nsOf(vs);
  const refs = strs(spec.gateways);
  if (refs.length > 0 && !refs.some((r) => parseGatewayRef(r, ns).mesh)) return [];
  const visible = exportScope(vs);
  return [...new Set(strs(spec.hosts).map((h) => w.resolve(h, ns)))].map((host) => ({ host, vs, visible }));
}

/** host → the mesh claims on it, over every VirtualService of the world (computed once per world). */
function claimGroups(w: World): Map<string, Claim[]> {
  const cached = w.memo.vsClaims as Map<string, Claim[]> | undefined;
  if (cached) return cached;
  const groups = new Map<string, Claim[]>();
  for (const vs of w.istio('VirtualService')) {
    for (const c of claims(w, vs)) {
      let list = groups.get(c.host);
      if (!list) groups.set(c.host, (list = []));
      list.push(c);
    }
  }
  w.memo.vsClaims = groups;
  return groups;
}

function report(list: readonly Claim[], subject: Claim): Finding {
  const names = [...new Set(list.map((c) => `${nsOf(c.vs)}/${nameOf(c.vs)}`))].sort().join(', ');
  return finding('IST0109', subject.vs, `The VirtualServices ${names} bound to the mesh gateway all claim host ${subject.host}: only one takes effect. Merge them into one resource.`, 'spec.hosts');
}

/**
 * Each subject claim against the mesh claims of other VirtualServices on the same host that are visible in a
 * common namespace (exportTo). A focused world (analyzeObject) checks the focus, which replaces its namesake.
 */
export function conflictingVirtualServices(w: World): Finding[] {
  const groups = claimGroups(w);
  const out: Finding[] = [];
  for (const vs of w.subjects('VirtualService')) {
    const key = objectKey(vs);
    for (const c of claims(w, vs)) {
      const rivals = (groups.get(c.host) ?? []).filter((o) => objectKey(o.vs) !== key && scopesOverlap(o.visible, c.visible));
      if (rivals.length > 0) out.push(report([...rivals, c], c));
    }
  }
  return out;
}
