/**
 * SDS secrets of ConfigMap CAs (`configmap://<ns>/<name>`, a BackendTLSPolicy's caCertificateRefs): served to any
 * proxy, as istiod serves them, since a ConfigMap's ca.crt is public; only those a DestinationRule names (derived
 * or written), so a proxy is never sent every ConfigMap of the cluster. `invalid://` is never served: a cluster
 * that waits for it cannot complete a handshake. Pure.
 */
import type { Config, Snapshot } from '../../model/types.js';
import { CONFIGMAP_CREDENTIAL_PREFIX, INVALID_CREDENTIAL } from '../../model/gateway-api-backendtls.js';
import { asArray, asObject } from '../../model/selectors.js';
import type { NamedResource } from './types.js';

/** The `configmap://` credential names the DestinationRules name (top level, per port, per subset). */
const named = new WeakMap<readonly Config[], Set<string>>();
function namedCas(rules: readonly Config[]): Set<string> {
  let out = named.get(rules);
  if (out) return out;
  out = new Set();
  const add = (policy: unknown): void => {
    const p = asObject(policy);
    for (const tls of [p.tls, ...asArray(p.portLevelSettings).map((x) => asObject(x).tls)]) {
      const name = asObject(tls).credentialName;
      if (typeof name === 'string' && name.startsWith(CONFIGMAP_CREDENTIAL_PREFIX)) out!.add(name);
    }
  };
  for (const r of rules) {
    add(r.spec?.trafficPolicy);
    for (const s of asArray(r.spec?.subsets)) add(asObject(s).trafficPolicy);
  }
  named.set(rules, out);
  return out;
}

/** The `ns/name` key of a `configmap://<ns>/<name>` name; undefined when it is not one. */
function configMapKey(sdsName: string): string | undefined {
  if (!sdsName.startsWith(CONFIGMAP_CREDENTIAL_PREFIX)) return undefined;
  const parts = sdsName.slice(CONFIGMAP_CREDENTIAL_PREFIX.length).split('/');
  return parts.length === 2 && parts[0] && parts[1] ? `${parts[0]}/${parts[1]}` : undefined;
}

/** The CA secrets of every ConfigMap a DestinationRule names and that has a usable ca.crt. */
export function generateConfigMapCaSecrets(snap: Snapshot): NamedResource[] {
  const out: NamedResource[] = [];
  for (const name of namedCas(snap.destinationRules)) {
    const ca = snap.configMapCas.get(configMapKey(name) ?? '');
    if (ca && 'ca' in ca) out.push({ name, resource: { name, validation_context: { trusted_ca: { inline_bytes: ca.ca } } } });
  }
  return out;
}

/** Why a `configmap://` or `invalid://` name is not served, in words for the log; undefined for any other name. */
export function configMapCaProblem(snap: Snapshot, sdsName: string): string | undefined {
  if (sdsName === INVALID_CREDENTIAL) return 'a BackendTLSPolicy names a CA that does not resolve (see its status): its traffic fails until it does';
  if (!sdsName.startsWith(CONFIGMAP_CREDENTIAL_PREFIX)) return undefined;
  const key = configMapKey(sdsName);
  if (!key) return `${sdsName} names no ConfigMap (configmap://<namespace>/<name>)`;
  const ca = snap.configMapCas.get(key);
  if (!ca) return `no ConfigMap ${key} with a ca.crt`;
  if ('error' in ca) return ca.error;
  return namedCas(snap.destinationRules).has(sdsName) ? undefined : 'no DestinationRule names it';
}
