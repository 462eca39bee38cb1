/**
 * Sidecars that take each other's place. A proxy takes one Sidecar, as istiod picks it and mizzen does
 * (xds/gen/sidecar-scope.ts): the oldest of its namespace whose workloadSelector picks it, else the oldest of its
 * namespace without one (else the oldest without one in a root namespace). So where several Sidecars select one
 * workload (IST0110), or several of a namespace have no selector (IST0111), only the oldest counts and the others
 * change nothing there. As Istio, each of them is reported; the message names the one that applies. Pure.
 */
import type { KubeObject } from '../../core/kube.js';
import { finding, type Finding } from '../finding.js';
import { labelMap, rec } from '../shape.js';
import { nameOf, nsOf, olderIn, type World } from '../world.js';
import { nameList, namespaceWidePeers, selectorOverlaps, workloadList } from './overlaps.js';

const selectorOf = (s: KubeObject): Record<string, string> => labelMap(rec(rec(s.spec).workloadSelector).labels);
const namespaceWide = (s: KubeObject): boolean => Object.keys(selectorOf(s)).length === 0;

/** IST0110: Sidecars whose selectors pick a workload of the input together. */
export function conflictingSidecarSelectors(w: World): Finding[] {
  const out: Finding[] = [];
  for (const s of w.subjects('Sidecar')) {
    for (const { peers, workloads } of selectorOverlaps(w, s, w.istio('Sidecar'), selectorOf)) {
      out.push(
        finding(
          'IST0110',
          s,
          `The Sidecars ${nameList(peers)} in namespace "${nsOf(s)}" all select ${workloadList(workloads)}: a proxy takes one Sidecar, the oldest that selects it ("${nameOf(peers[0]!)}"), so the others change nothing there (give the selectors no workload in common)`,
          'spec.workloadSelector.labels',
        ),
      );
    }
  }
  return out;
}

/** IST0111: more than one Sidecar without a selector in a namespace. */
export function namespaceWideSidecars(w: World): Finding[] {
  const out: Finding[] = [];
  for (const s of w.subjects('Sidecar')) {
    const peers = namespaceWidePeers(s, w.istio('Sidecar'), namespaceWide);
    if (peers.length === 0) continue;
    const ns = nsOf(s);
    const all = [s, ...peers].sort(olderIn(w));
    const takers = w.rootNamespaces.has(ns) ? "the namespace's proxies, and those of namespaces without a Sidecar of their own," : "the namespace's proxies";
    out.push(
      finding(
        'IST0111',
        s,
        `The Sidecars ${nameList(all)} in namespace "${ns}" have no workload selector: ${takers} take the oldest ("${nameOf(all[0]!)}"), so the others change nothing (merge them, or give all but one a selector)`,
      ),
    );
  }
  return out;
}
