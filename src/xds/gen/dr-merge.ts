/**
 * DestinationRule merging, as istiod does it: several rules in one namespace for the same host, with the same
 * workloadSelector (or none) and exported to the same namespaces, act as one. The oldest is the base; the others, oldest
 * first, add the subsets whose names it lacks (a repeated name keeps the first), and the first top-level
 * trafficPolicy found is the rule's. Everything else (exportTo, host spelling, name) is the base's. Teams use it to
 * own their subsets apart, e.g. a rollout tool adding a canary subset beside the service owner's rule.
 * A rule derived from a Gateway API backend policy (BackendTLSPolicy, XBackendTrafficPolicy) meeting a user's rule is the exception, as in
 * istiod: whichever is older, the user's trafficPolicy fields win and the derived one fills the fields it leaves
 * unset (per port too: a port only the derived rule sets is added, a port both set takes the derived tls,
 * loadBalancer, connectionPool and outlierDetection only where the user's has none). Pure.
 */
import type { Config } from '../../model/types.js';
import { asArray, asObject } from '../../model/selectors.js';
import { isBackendPolicyRule } from '../../model/gateway-api-backendtls.js';

type Json = Record<string, any>;
/** The trafficPolicy fields a user's rule sets over a derived one, each as a whole. */
const POLICY_FIELDS = ['connectionPool', 'outlierDetection', 'loadBalancer', 'tls', 'tunnel', 'proxyProtocol', 'retryBudget'] as const;
const PORT_FIELDS = ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls'] as const;
const portNumber = (p: unknown): unknown => asObject(asObject(p).port).number;

/** A user's trafficPolicy over a derived one: the user's fields, then the derived ones it leaves unset. */
export function overBackendPolicy(user: unknown, backend: unknown): unknown {
  if (user === undefined) return backend;
  if (backend === undefined) return user;
  const u = asObject(user);
  const b = asObject(backend);
  const out: Json = {};
  for (const f of POLICY_FIELDS) if ((u[f] ?? b[f]) !== undefined) out[f] = u[f] ?? b[f];
  const ports: Json[] = asArray(u.portLevelSettings).map((p) => ({ ...asObject(p) }));
  for (const bp of asArray(b.portLevelSettings).map(asObject)) {
    const up = ports.find((p) => portNumber(p) === portNumber(bp));
    if (!up) ports.push(bp);
    else for (const f of PORT_FIELDS) if (up[f] === undefined && bp[f] !== undefined) up[f] = bp[f];
  }
  if (ports.length) out.portLevelSettings = ports;
  return out;
}

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
  const baseDerived = isBackendPolicyRule(base);
  for (const other of others) {
    for (const s of asArray(other.spec?.subsets)) {
      const name = asObject(s).name;
      if (typeof name !== 'string' || names.has(name)) continue;
      names.add(name);
      subsets.push(s);
    }
    const derived = isBackendPolicyRule(other);
    if (derived === baseDerived) trafficPolicy ??= other.spec?.trafficPolicy;
    else trafficPolicy = derived ? overBackendPolicy(trafficPolicy, other.spec?.trafficPolicy) : overBackendPolicy(other.spec?.trafficPolicy, trafficPolicy);
  }
  return { ...base, spec: { ...asObject(base.spec), subsets, ...(trafficPolicy !== undefined && { trafficPolicy }) } };
}
