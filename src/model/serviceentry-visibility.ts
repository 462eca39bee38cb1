/**
 * Istio's meshConfig.serviceEntryVisibility as sidecars follow it (applyToSidecars): each ServiceEntry gets a
 * visibility from the labels of its namespace, the first policy whose rules all hold, else the default; and that
 * visibility can only narrow the ServiceEntry's exportTo (or the mesh's defaultServiceExportTo when it sets none).
 * PUBLIC leaves it as it is; NAMESPACE keeps the ServiceEntry in its own namespace when its exportTo reached that
 * namespace (`*`, `.` or the namespace by name), else nowhere; NONE hides it. An exportTo of `~` alone stays as
 * written. Kubernetes Services are never touched: istiod resolves visibility for ServiceEntries only. Pure.
 */
import type { LabelSelector } from '../config/mesh.js';
import { matchesSelector } from '../inject/selector.js';
import { NAMESPACE_NAME_LABEL } from './discovery.js';

/** A resolved visibility (Istio's VISIBILITY_UNSPECIFIED is PUBLIC). */
export type EntryVisibility = 'NONE' | 'NAMESPACE' | 'PUBLIC';

/** The checked policies as a snapshot carries them (present only when applyToSidecars is true). */
export interface EntryVisibilitySettings {
  defaultVisibility: EntryVisibility;
  policies: Array<{
    visibility: EntryVisibility;
    /** All must hold (an empty list always does); a rule without a namespaceSelector (a matcher mizzen does not know, or none) never does. */
    rules: Array<{ namespaceSelector?: LabelSelector }>;
  }>;
}

/**
 * The visibility of a ServiceEntry in `namespace`, whose Namespace object has `labels` ({} when none is known). The
 * namespace carries the kubernetes.io/metadata.name label the API server sets, as discovery.ts reads namespaces too.
 */
export function entryVisibility(s: EntryVisibilitySettings, namespace: string, labels: Readonly<Record<string, string>>): EntryVisibility {
  const all = { ...labels, [NAMESPACE_NAME_LABEL]: namespace };
  const policy = s.policies.find((p) => p.rules.every((r) => r.namespaceSelector !== undefined && matchesSelector(r.namespaceSelector, all)));
  return policy ? policy.visibility : s.defaultVisibility;
}

/**
 * The exportTo a ServiceEntry of `namespace` is served with under `visibility`: `exportTo` as written (empty: the
 * mesh's `defaults`, else every namespace) narrowed as istiod narrows it; undefined when it is visible nowhere
 * because of the visibility (NONE, or NAMESPACE where the exportTo left its own namespace out).
 */
export function narrowedExportTo(visibility: EntryVisibility, namespace: string, exportTo: readonly string[], defaults: readonly string[] | undefined): string[] | undefined {
  const declared = exportTo.length > 0 ? exportTo : defaults && defaults.length > 0 ? defaults : ['*'];
  if (visibility === 'NONE') return undefined;
  if (visibility === 'PUBLIC' || (declared.length === 1 && declared[0] === '~')) return [...exportTo];
  return declared.some((e) => e === '*' || e === '.' || e === namespace) ? ['.'] : undefined;
}

/**
 * The scope function serviceEntryServices() takes under a snapshot's settings (`labelsOf`: a namespace's labels);
 * undefined when the mesh sets no visibility for sidecars.
 */
export function entryScopeOf(
  mesh: { serviceEntryVisibility?: EntryVisibilitySettings; defaultExportTo?: { services?: string[] } },
  labelsOf: (namespace: string) => Readonly<Record<string, string>> | undefined,
): ((namespace: string, exportTo: string[]) => string[] | undefined) | undefined {
  const s = mesh.serviceEntryVisibility;
  if (!s) return undefined;
  const defaults = mesh.defaultExportTo?.services;
  return (namespace, exportTo) => narrowedExportTo(entryVisibility(s, namespace, labelsOf(namespace) ?? {}), namespace, exportTo, defaults);
}
