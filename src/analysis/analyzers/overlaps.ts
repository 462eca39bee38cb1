/**
 * Resources of one kind and namespace whose workload selectors pick the same workload of the input (Sidecars:
 * IST0110, Telemetries: IST0159). Workloads are those the world knows (Pods, pod templates, WorkloadEntries,
 * WorkloadGroups; not a ServiceEntry's inline endpoints, which run no proxy), in the resources' namespace. Pure.
 */
import type { KubeObject } from '../../core/kube.js';
import { selects } from '../shape.js';
import { nameOf, nsOf, olderIn, type Workload, type World } from '../world.js';
import { isProxyWorkload } from './workloads.js';

export interface Overlap {
  /** The resources that select `workloads`, the subject among them, oldest first. */
  peers: KubeObject[];
  workloads: Workload[];
}

/**
 * The overlaps of `subject` with the other resources of `all` in its namespace, grouped by the set of resources
 * that select a workload together. `selectorOf` gives a resource's labels ({}: none, which takes no part). The
 * object being applied replaces its stored version (same name), which is not counted as another resource.
 */
export function selectorOverlaps(w: World, subject: KubeObject, all: readonly KubeObject[], selectorOf: (o: KubeObject) => Record<string, string>): Overlap[] {
  const sel = selectorOf(subject);
  if (Object.keys(sel).length === 0) return [];
  const ns = nsOf(subject);
  const others = all.filter((o) => o !== subject && nsOf(o) === ns && nameOf(o) !== nameOf(subject) && Object.keys(selectorOf(o)).length > 0);
  if (others.length === 0) return [];
  const groups = new Map<string, Overlap>();
  for (const wl of w.matchWorkloads(sel, ns).filter(isProxyWorkload)) {
    const peers = [subject, ...others.filter((o) => selects(selectorOf(o), wl.labels))].sort(olderIn(w));
    if (peers.length < 2) continue;
    const key = peers.map(nameOf).join('\u0000');
    const group = groups.get(key);
    if (group) group.workloads.push(wl);
    else groups.set(key, { peers, workloads: [wl] });
  }
  return [...groups.values()];
}

/**
 * The other resources of `all` in `subject`'s namespace that, as `subject`, select no workload (`namespaceWide`), so
 * that only the oldest of them applies; none when `subject` selects one. The object being applied replaces its stored
 * version (same name), which is not counted.
 */
export function namespaceWidePeers(subject: KubeObject, all: readonly KubeObject[], namespaceWide: (o: KubeObject) => boolean): KubeObject[] {
  if (!namespaceWide(subject)) return [];
  const ns = nsOf(subject);
  return all.filter((o) => o !== subject && nsOf(o) === ns && nameOf(o) !== nameOf(subject) && namespaceWide(o));
}

/** `Pod a, Deployment b` (at most three, then how many more). */
export function workloadList(workloads: readonly Workload[]): string {
  const shown = workloads.slice(0, 3).map((wl) => `${wl.kind} ${wl.name}`);
  return workloads.length > 3 ? `${shown.join(', ')} and ${workloads.length - 3} more` : shown.join(', ');
}

/** Names in alphabetical order, quoted: `"a", "b"`. */
export const nameList = (objects: readonly KubeObject[]): string =>
  objects
    .map(nameOf)
    .sort()
    .map((n) => `"${n}"`)
    .join(', ');
