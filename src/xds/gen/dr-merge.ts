/**
 * DestinationRule merging, as istiod does it: several rules in one namespace for the same host, with the same
 * workloadSelector (or none) and exported to the same namespaces, act as one. The oldest is the base; the others, oldest
 * first, add the subsets whose names it lacks (a repeated name keeps the first), and the first top-level
 * trafficPolicy found is the rule's. Everything else (exportTo, host spelling, name) is the base's. Teams use it to
 * own their subsets apart, e.g. a rollout tool adding a canary subset beside the service owner's rule. Pure.
 */
import type { Config } from '../../model/types.js';
import { asArray, asObject } from '../../model/selectors.js';

/** The namespaces a config is exported to, as a comparable key (absent and empty both mean the default, `*`). */
export function exportKey(c: Config): string {
  const list = asArray(c.spec?.exportTo).filter((x): x is string => typeof x === 'string');
  return list.length === 0 ? '*' : [...new Set(list)].sort().join(',');
}

/** `base` with the subsets and, when it has none, the trafficPolicy of `others` (oldest first). */
export function mergeDestinationRules(base: Config, others: readonly Config[]): Config {
  if (others.length === 0) return base;
  const subsets = [...asArray(base.spec?.subsets)];
  const names = new Set(subsets.map((s) => asObject(s).name));
  let trafficPolicy: unknown = base.spec?.trafficPolicy;
  for (const other of others) {
    for (const s of asArray(other.spec?.subsets)) {
      const name = asObject(s).name;
      if (typeof name !== 'string' || names.has(name)) continue;
      names.add(name);
      subsets.push(s);
    }
    trafficPolicy ??= other.spec?.trafficPolicy;
  }
  return { ...base, spec: { ...asObject(base.spec), subsets, ...(trafficPolicy !== undefined && { trafficPolicy }) } };
}
