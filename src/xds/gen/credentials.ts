/**
 * SDS secrets of credentials (Gateway servers' and DestinationRules' credentialName), as istiod serves them from
 * the Secrets of the proxy's namespace (model/credentials.ts). Private keys go only to a proxy that proved its
 * identity (a mesh client certificate on xDS over TLS, in its own namespace: the gateway of the mTLS install, and
 * sidecars with mesh certificates); a proxy on plaintext xDS asks in vain, as it does of istiod without
 * credentials. A Gateway API listener's certificate (`kubernetes-gateway://<namespace>/<name>`) is read from the
 * Secret's own namespace, and served only to the proxies of a Gateway converted from the Gateway API that names it
 * (the conversion checked the Gateway may use it), as istiod serves its verified certificate references. Pure.
 */
import type { Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { type RawCredential, GATEWAY_CREDENTIAL_SCHEME, checkedCredential, credentialKey, gatewayCredentialRef } from '../../model/credentials.js';
import { asArray, asObject } from '../../model/selectors.js';
import { gatewaysFor } from './context.js';
import { configMapCaProblem } from './configmap-cas.js';
import type { NamedResource } from './types.js';
import type { Json } from './common.js';

const PREFIX = 'kubernetes://';
const CA_SUFFIX = '-cacert';

/** The SDS name of a credential's certificate and key, and of its CA (a `kubernetes-gateway://` name is one already). */
export const credentialSdsName = (name: string): string => (name.startsWith(GATEWAY_CREDENTIAL_SCHEME) ? name : `${PREFIX}${name}`);
export const caSdsName = (name: string): string => `${credentialSdsName(name)}${CA_SUFFIX}`;

/** Whether an SDS name is a credential's (`kubernetes://…`, `kubernetes-gateway://…`). */
export const isCredentialSdsName = (name: string): boolean => name.startsWith(PREFIX) || name.startsWith(GATEWAY_CREDENTIAL_SCHEME);

/**
 * The `kubernetes-gateway://` credential names of the Gateway API Gateways (converted, never user-written: see
 * Config.derived) that select the proxy: the only ones of that form it may read.
 */
function verifiedGatewayCredentials(snap: Snapshot, proxy: Proxy): Set<string> {
  const out = new Set<string>();
  for (const gw of gatewaysFor(snap, proxy)) {
    if (gw.derived !== 'gateway-api') continue;
    for (const server of asArray(asObject(gw.spec).servers)) {
      const tls = asObject(asObject(server).tls);
      for (const name of [tls.credentialName, ...asArray(tls.credentialNames)]) if (typeof name === 'string' && gatewayCredentialRef(name)) out.add(name);
    }
  }
  return out;
}

/** The namespace and Secret name an SDS name reads: a `kubernetes-gateway://` name's own, else the proxy's namespace. */
function located(proxy: Proxy, sdsName: string): { ns: string; name: string } | undefined {
  if (sdsName.startsWith(PREFIX)) return { ns: proxy.namespace, name: sdsName.slice(PREFIX.length) };
  const ref = gatewayCredentialRef(sdsName);
  return ref && { ns: ref.namespace, name: ref.name };
}

/** Whether the proxy may read the credentials of its namespace. */
export const mayReadCredentials = (proxy: Proxy): boolean => proxy.identity !== undefined && proxy.identity.namespace === proxy.namespace;

/** The credential names of each namespace, indexed once per credentials map (snapshots share unchanged maps). */
const byNamespace = new WeakMap<ReadonlyMap<string, RawCredential>, Map<string, string[]>>();
function namesIn(credentials: ReadonlyMap<string, RawCredential>, namespace: string): readonly string[] {
  let index = byNamespace.get(credentials);
  if (!index) {
    index = new Map();
    for (const key of credentials.keys()) {
      const slash = key.indexOf('/');
      const ns = key.slice(0, slash);
      const names = index.get(ns) ?? [];
      if (names.length === 0) index.set(ns, names);
      names.push(key.slice(slash + 1));
    }
    byNamespace.set(credentials, index);
  }
  return index.get(namespace) ?? [];
}

const PAIR_KEYS = 'tls.crt and tls.key, or cert and key';
const CERT_KEYS = `a certificate and key (${PAIR_KEYS})`;
const CA_KEYS = 'a CA (ca.crt or cacert)';

/**
 * What the SDS name `sdsName` (`kubernetes://…`) is in namespace `ns`, as istiod resolves it: the certificate and
 * key of the Secret of that name; but a name ending in -cacert always means a CA: that of the Secret `<name>-cacert`
 * when there is one, else the CA in the Secret `<name>`. The Secret resource, or why there is none.
 */
function resolve(credentials: ReadonlyMap<string, RawCredential>, ns: string, name: string, sdsName: string): { resource: Json } | { problem: string } {
  const get = (n: string) => {
    const raw = credentials.get(credentialKey(ns, n));
    return raw && checkedCredential(raw);
  };
  if (!name.endsWith(CA_SUFFIX)) {
    const c = get(name);
    if (!c) return { problem: `no Secret ${ns}/${name} with ${CERT_KEYS} or ${CA_KEYS}` };
    if (!c.cert || !c.key) return { problem: `Secret ${ns}/${name}: ${c.certError ?? `it has no certificate and key (${PAIR_KEYS})`}` };
    const tls_certificate = { certificate_chain: { inline_bytes: c.cert }, private_key: { inline_bytes: c.key }, ...(c.ocspStaple ? { ocsp_staple: { inline_bytes: c.ocspStaple } } : {}) };
    return { resource: { name: sdsName, tls_certificate } };
  }
  const base = name.slice(0, -CA_SUFFIX.length);
  const owner = get(name) ? name : get(base) ? base : undefined;
  if (owner === undefined) return { problem: `no Secret ${ns}/${name} with ${CERT_KEYS} or ${CA_KEYS}, nor a Secret ${ns}/${base} with a CA` };
  const c = get(owner)!;
  if (!c.ca) return { problem: `Secret ${ns}/${owner}: ${c.caError ?? 'it has no CA (ca.crt or cacert)'}` };
  return { resource: { name: sdsName, validation_context: { trusted_ca: { inline_bytes: c.ca }, ...(c.crl ? { crl: { inline_bytes: c.crl } } : {}) } } };
}

/**
 * Every usable credential of the proxy's namespace, as istiod lets an authorized proxy fetch any of them (the
 * server sends only the names the proxy subscribes to): for each Secret, its certificate and key, and the CA its
 * name's -cacert form resolves to (resolve()).
 */
export function generateCredentialSecrets(snap: Snapshot, proxy: Proxy): NamedResource[] {
  if (!mayReadCredentials(proxy)) return [];
  const names = new Set<string>();
  for (const name of namesIn(snap.credentials, proxy.namespace)) {
    if (name.endsWith(CA_SUFFIX)) names.add(credentialSdsName(name));
    else names.add(credentialSdsName(name)).add(caSdsName(name));
  }
  if (snap.gateways.some((g) => g.derived === 'gateway-api')) for (const name of verifiedGatewayCredentials(snap, proxy)) names.add(name).add(caSdsName(name));
  const out: NamedResource[] = [];
  for (const sdsName of names) {
    const at = located(proxy, sdsName)!;
    const r = resolve(snap.credentials, at.ns, at.name, sdsName);
    if ('resource' in r) out.push({ name: sdsName, resource: r.resource });
  }
  return out;
}

/**
 * Why the credential `sdsName` (a name the proxy subscribes to) is not served to it, in words for the log;
 * undefined when it is served or is not a credential name.
 */
export function credentialProblem(snap: Snapshot, proxy: Proxy, sdsName: string): string | undefined {
  if (!isCredentialSdsName(sdsName)) return configMapCaProblem(snap, sdsName);
  if (!mayReadCredentials(proxy)) return 'the proxy did not prove its identity (a client certificate from the mesh CA on xDS over TLS)';
  const at = located(proxy, sdsName);
  if (!at) return `${sdsName} names no Secret (kubernetes-gateway://<namespace>/<name>)`;
  if (!sdsName.startsWith(PREFIX)) {
    const verified = verifiedGatewayCredentials(snap, proxy);
    const certName = sdsName.endsWith(CA_SUFFIX) ? sdsName.slice(0, -CA_SUFFIX.length) : sdsName;
    if (!verified.has(sdsName) && !verified.has(certName)) return 'no Gateway API Gateway that this proxy serves names it as a listener certificate';
  }
  const r = resolve(snap.credentials, at.ns, at.name, sdsName);
  return 'problem' in r ? r.problem : undefined;
}
