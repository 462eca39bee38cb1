/** Editing lists of Kubernetes objects in tests without touching the originals. */
import type { KubeObject } from '../../src/core/kube.js';

/** The list with the objects of that kind and name replaced by an edited deep copy (others shared as they are). */
export const edit = (objs: KubeObject[], kind: string, name: string, f: (o: any) => void): KubeObject[] =>
  objs.map((o) => {
    if (o.kind !== kind || o.metadata.name !== name) return o;
    const c = structuredClone(o);
    f(c);
    return c;
  });
