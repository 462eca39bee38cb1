/** One resource (kind, namespace, name) defined by several documents: applied in order, only the last survives. */
import { objectKey, type KubeObject } from '../../core/kube.js';
import { finding, type Finding } from '../finding.js';
import type { World } from '../world.js';

export function duplicateResources(w: World): Finding[] {
  if (w.focus) return []; // the focus replaces its namesake: no duplicates by construction
  const groups = new Map<string, KubeObject[]>();
  for (const o of w.objects) {
    const k = objectKey(o);
    let list = groups.get(k);
    if (!list) groups.set(k, (list = []));
    list.push(o);
  }
  const out: Finding[] = [];
  for (const list of groups.values()) {
    if (list.length < 2) continue;
    out.push(finding('MZ0001', list[0]!, `Defined by ${list.length} documents of the input; applied in order, only the last one takes effect (every version was analyzed)`));
  }
  return out;
}
