/** Kubernetes label selectors (matchLabels AND matchExpressions), as metav1.LabelSelectorAsSelector matches them. */
import type { LabelSelector } from '../config/mesh.js';

/** True when the selector selects nothing in particular (Istio ignores such selectors). */
export function isEmptySelector(s: LabelSelector): boolean {
  return Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0;
}

/** Whether `labels` satisfy every requirement of the selector. An unknown operator never matches. */
export function matchesSelector(s: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(s.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of s.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(labels[e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** The first non-empty selector of the list that matches, if any. */
export function firstMatch(selectors: readonly LabelSelector[], labels: Record<string, string>): LabelSelector | undefined {
  return selectors.find((s) => !isEmptySelector(s) && matchesSelector(s, labels));
}
