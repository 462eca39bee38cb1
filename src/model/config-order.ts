/** Istio's order for configs, where the older of two competing ones wins: oldest first, then namespace/name. Pure. */
import type { Config } from './types.js';

export function compareConfigs(a: Pick<Config, 'creationTimestamp' | 'namespace' | 'name'>, b: Pick<Config, 'creationTimestamp' | 'namespace' | 'name'>): number {
  const ta = a.creationTimestamp ?? '';
  const tb = b.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.namespace}/${a.name}`;
  const kb = `${b.namespace}/${b.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
