/**
 * ProxyConfig resources (inject/proxy-configs.ts applies them when a pod is injected). For a pod, one resource counts
 * per place: of its namespace's resources without a selector, the oldest; of those whose selector matches the pod,
 * the oldest. Istio documents more than one as invalid; mizzen, as istiod, takes the oldest, so the others change
 * nothing there, which their authors would not guess (MZ0015). Resources with a targetRef (waypoints) take no part.
 */
import { finding, type Finding } from '../finding.js';
import { formatLabels, labelMap, rec, selects } from '../shape.js';
import { nameOf, nsOf, olderIn, type World } from '../world.js';
import type { KubeObject } from '../../core/kube.js';
import { hasTargetRef } from '../../model/selectors.js';

/** undefined: no selector (the namespace's, or the mesh's in a root namespace); else its matchLabels ({} selects all). */
const selectorOf = (p: KubeObject): Record<string, string> | undefined => {
  const sel = rec(p.spec).selector;
  return typeof sel === 'object' && sel !== null && !Array.isArray(sel) ? labelMap(rec(sel).matchLabels) : undefined;
};

export function proxyConfigConflicts(w: World): Finding[] {
  const out: Finding[] = [];
  const older = olderIn(w);
  for (const p of w.subjects('ProxyConfig')) {
    if (hasTargetRef(p.spec)) continue;
    const ns = nsOf(p);
    // The object applied replaces its stored version (same name), which must not count as a second one.
    const peers = w.istio('ProxyConfig').filter((o) => o !== p && nsOf(o) === ns && nameOf(o) !== nameOf(p) && !hasTargetRef(o.spec));
    const sel = selectorOf(p);
    if (sel === undefined) {
      const wide = peers.filter((o) => selectorOf(o) === undefined);
      const first = [...wide, p].sort(older)[0]!;
      if (first === p) continue;
      const names = [...wide, p].map(nameOf).sort().join(', ');
      out.push(finding('MZ0015', p, `ProxyConfigs ${names} in namespace "${ns}" have no selector: only the oldest, "${nameOf(first)}", applies, and this one changes nothing (merge them, or give this one a selector)`));
      continue;
    }
    // Per workload of the input this one selects: an older resource that selects it too takes its place there.
    const taken = new Map<string, string[]>();
    for (const wl of w.matchWorkloads(sel, ns)) {
      const before = peers.filter((o) => {
        const other = selectorOf(o);
        return other !== undefined && selects(other, wl.labels) && older(o, p) < 0;
      });
      if (before.length === 0) continue;
      const winner = nameOf(before.sort(older)[0]!);
      taken.set(winner, [...(taken.get(winner) ?? []), `${wl.kind} ${wl.name}`]);
    }
    for (const [winner, workloads] of taken) {
      out.push(
        finding(
          'MZ0015',
          p,
          `The older ProxyConfig "${winner}" also selects ${workloads.join(', ')}: it applies there and this one (${formatLabels(sel) || 'a selector without labels'}) does not (give the two selectors no workload in common)`,
          'spec.selector',
        ),
      );
    }
  }
  return out;
}
