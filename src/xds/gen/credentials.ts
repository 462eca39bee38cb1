/**
 * SDS secrets of gateway credentials (Gateway servers' and DestinationRules' credentialName), as istiod serves
 * them from the Secrets of the gateway's namespace (model/credentials.ts). Private keys go only to a proxy that
 * proved its identity (a mesh client certificate on xDS over TLS, in its own namespace): a gateway on plaintext
 * xDS asks in vain, as it does of istiod without credentials. Pure.
 */
import type { Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { type Credential, credentialKey } from '../../model/credentials.js';
import type { NamedResource } from './types.js';

const PREFIX = 'kubernetes://';
const CA_SUFFIX = '-cacert';

/** The SDS name of a credential's certificate and key, and of its CA. */
export const credentialSdsName = (name: string): string => `${PREFIX}${name}`;
export const caSdsName = (name: string): string => `${PREFIX}${name}${CA_SUFFIX}`;

/** Whether an SDS name is a credential's (`kubernetes://…`). */
export const isCredentialSdsName = (name: string): boolean => name.startsWith(PREFIX);

/** Whether the proxy may read the credentials of its namespace. */
export const mayReadCredentials = (proxy: Proxy): boolean => proxy.identity !== undefined && proxy.identity.namespace === proxy.namespace;

/** The credential names of each namespace, indexed once per credentials map (snapshots share unchanged maps). */
const byNamespace = new WeakMap<ReadonlyMap<string, Credential>, Map<string, string[]>>();
function namesIn(credentials: ReadonlyMap<string, Credential>, namespace: string): readonly string[] {
  let index = byNamespace.get(credentials);
  if (!index) {
    index = new Map();
    for (const key of credentials.keys()) {
      const slash = key.indexOf('/');
      const ns = key.slice(0, slash);
      index.set(ns, [...(index.get(ns) ?? []), key.slice(slash + 1)]);
    }
    byNamespace.set(credentials, index);
  }
  return index.get(namespace) ?? [];
}

const certSecret = (sdsName: string, c: Credential): NamedResource => ({
  name: sdsName,
  resource: { name: sdsName, tls_certificate: { certificate_chain: { inline_bytes: c.cert }, private_key: { inline_bytes: c.key }, ...(c.ocspStaple ? { ocsp_staple: { inline_bytes: c.ocspStaple } } : {}) } },
});
const caSecret = (sdsName: string, c: Credential): NamedResource => ({
  name: sdsName,
  resource: { name: sdsName, validation_context: { trusted_ca: { inline_bytes: c.ca }, ...(c.crl ? { crl: { inline_bytes: c.crl } } : {}) } },
});

/**
 * Every usable credential of the proxy's namespace, as istiod lets an authorized proxy fetch any of them (the
 * server sends only the names the proxy subscribes to). `kubernetes://<name>` is the certificate and key of the
 * Secret `<name>`; a name ending in -cacert always means a CA, as in istiod: `kubernetes://<name>-cacert` is the CA
 * of the Secret `<name>-cacert` when there is one, else the CA in the Secret `<name>`.
 */
export function generateCredentialSecrets(snap: Snapshot, proxy: Proxy): NamedResource[] {
  if (!mayReadCredentials(proxy)) return [];
  const ns = proxy.namespace;
  const out: NamedResource[] = [];
  for (const name of namesIn(snap.credentials, ns)) {
    const c = snap.credentials.get(credentialKey(ns, name))!;
    if (name.endsWith(CA_SUFFIX)) {
      if (c.ca) out.push(caSecret(credentialSdsName(name), c));
      continue;
    }
    if (c.cert && c.key) out.push(certSecret(credentialSdsName(name), c));
    if (c.ca && !snap.credentials.has(credentialKey(ns, `${name}${CA_SUFFIX}`))) out.push(caSecret(caSdsName(name), c));
  }
  return out;
}

/**
 * Why the credential `sdsName` (a name the proxy subscribes to) is not served to it, in words for the log;
 * undefined when it is served or is not a credential name. The same rules as generateCredentialSecrets.
 */
export function credentialProblem(snap: Snapshot, proxy: Proxy, sdsName: string): string | undefined {
  if (!isCredentialSdsName(sdsName) || proxy.type !== 'router') return undefined;
  if (!mayReadCredentials(proxy)) return 'the gateway did not prove its identity (a client certificate from the mesh CA on xDS over TLS)';
  const ns = proxy.namespace;
  const name = sdsName.slice(PREFIX.length);
  const get = (n: string) => snap.credentials.get(credentialKey(ns, n));
  const none = (n: string) => `no Secret ${ns}/${n} with a certificate and key (tls.crt and tls.key, or cert and key) or a CA (ca.crt or cacert)`;
  if (!name.endsWith(CA_SUFFIX)) {
    const c = get(name);
    if (!c) return none(name);
    if (c.cert && c.key) return undefined;
    return `Secret ${ns}/${name}: ${c.certError ?? 'it has no certificate and key (tls.crt and tls.key, or cert and key)'}`;
  }
  const base = name.slice(0, -CA_SUFFIX.length);
  const [owner, c] = get(name) ? [name, get(name)!] : get(base) ? [base, get(base)!] : [undefined, undefined];
  if (!owner || !c) return `${none(name)}, nor a Secret ${ns}/${base} with a CA`;
  if (c.ca) return undefined;
  return `Secret ${ns}/${owner}: ${c.caError ?? 'it has no CA (ca.crt or cacert)'}`;
}
