/**
 * Where a resource is visible, as its exportTo says: `*` (every namespace, also when it says nothing) or a set of
 * namespaces (`.` read as its own; `~`, no namespace, adds none, so `["~"]` is the empty set). Istio resources
 * carry it in spec.exportTo; a Kubernetes Service in its `networking.istio.io/exportTo` annotation, a comma-separated
 * list. One reading for every analyzer that asks which resources see each other. Pure.
 */
import type { KubeObject } from '../core/kube.js';
import { rec, str, strs } from './shape.js';
import { nsOf } from './world.js';

export type ExportScope = '*' | ReadonlySet<string>;

/** The Service annotation that plays spec.exportTo's part. */
export const SERVICE_EXPORT_TO = 'networking.istio.io/exportTo';

function declared(o: KubeObject): string[] {
  if (o.kind === 'Service' && o.apiVersion === 'v1') {
    const a = str(rec(o.metadata.annotations)[SERVICE_EXPORT_TO]);
    return a === undefined ? [] : a.split(',').map((e) => e.trim()).filter((e) => e !== '');
  }
  return strs(rec(o.spec).exportTo);
}

/** Where an exportTo list of a resource in `namespace` makes it visible. */
export function scopeOf(list: readonly string[], namespace: string): ExportScope {
  if (list.length === 0 || list.includes('*')) return '*';
  return new Set(list.filter((e) => e !== '~').map((e) => (e === '.' ? namespace : e)));
}

/** Where `o` is visible. */
export const exportScope = (o: KubeObject): ExportScope => scopeOf(declared(o), nsOf(o));

/** Whether a scope includes namespace `ns`. */
export const visibleIn = (scope: ExportScope, ns: string): boolean => scope === '*' || scope.has(ns);

/** Whether two scopes share a namespace (`*` shares one with any scope that is not empty). */
export function scopesOverlap(a: ExportScope, b: ExportScope): boolean {
  if (a === '*') return b === '*' || b.size > 0;
  if (b === '*') return a.size > 0;
  for (const ns of a) if (b.has(ns)) return true;
  return false;
}
