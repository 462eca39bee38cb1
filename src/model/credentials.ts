/**
 * TLS credentials from Kubernetes Secrets, as gateways name them by `credentialName` (served over SDS as
 * `kubernetes://<name>` and `kubernetes://<name>-cacert`). Istio's Secret formats:
 *   - generic: `cert` and `key`, the CA in `cacert`, a CRL in `crl`;
 *   - TLS: `tls.crt` and `tls.key`, the CA in `ca.crt`, a CRL in `ca.crl`, an OCSP staple in `tls.ocsp-staple`.
 * A certificate without its key (or the reverse), a key that does not belong to the certificate, or text that is
 * not PEM makes the credential unusable: checkedCredential gives the reason, and it is not served (Envoy would reject
 * it, and a rejected secret leaves the listener without certificates). Pure (node:crypto parses, nothing is read or
 * written).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { KubeObject } from '../core/kube.js';

/** A Secret's credential as it holds it: PEM, base64 as the Secret's data holds it (what SDS inline_bytes takes). */
export interface RawCredential {
  cert?: string;
  key?: string;
  ca?: string;
  crl?: string;
  ocspStaple?: string;
  /** Half a pair: which half the Secret lacks. */
  pairMissing?: string;
}

/** What of a credential can be served (checkedCredential): only what parsed and matched. */
export interface Credential {
  cert?: string;
  key?: string;
  ca?: string;
  crl?: string;
  ocspStaple?: string;
  /** Why the certificate and key cannot be served (the CA may still be). */
  certError?: string;
  /** Why the CA cannot be served. */
  caError?: string;
}

export const isSecret = (o: KubeObject): boolean => o.kind === 'Secret' && o.apiVersion === 'v1';

/** The data keys a credential is read from (credentialOf): the TLS form, the generic form, the OCSP staple. */
export const CREDENTIAL_KEYS: readonly string[] = ['tls.crt', 'tls.key', 'ca.crt', 'ca.crl', 'cert', 'key', 'cacert', 'crl', 'tls.ocsp-staple'];

/**
 * A Gateway API listener's certificate as its Istio Gateway names it (credentialName): the Secret's namespace and
 * name, which the conversion checked the Gateway may use (its own namespace, or a ReferenceGrant). Served to the
 * proxies of that Gateway alone (xds/gen/credentials.ts).
 */
export const GATEWAY_CREDENTIAL_SCHEME = 'kubernetes-gateway://';
export const gatewayCredentialName = (namespace: string, name: string): string => `${GATEWAY_CREDENTIAL_SCHEME}${namespace}/${name}`;

/** The Secret a `kubernetes-gateway://<namespace>/<name>` credential name names; undefined for any other name. */
export function gatewayCredentialRef(credentialName: string): { namespace: string; name: string } | undefined {
  if (!credentialName.startsWith(GATEWAY_CREDENTIAL_SCHEME)) return undefined;
  const rest = credentialName.slice(GATEWAY_CREDENTIAL_SCHEME.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1 || rest.indexOf('/', slash + 1) >= 0) return undefined;
  return { namespace: rest.slice(0, slash), name: rest.slice(slash + 1) };
}

/**
 * `builtin://`: the gateway's own workload certificate (mesh certificates), not a Secret, as in Istio; its CA
 * (`builtin://-cacert`) is the mesh root. Istio reads every name that begins so as this one.
 */
export const BUILTIN_CREDENTIAL = 'builtin://';
export const isBuiltinCredential = (name: string): boolean => name.startsWith(BUILTIN_CREDENTIAL);

/** The key under which a snapshot keeps a Secret's credential. */
export const credentialKey = (namespace: string, name: string): string => `${namespace}/${name}`;

/** The Secret's values, base64: `data` as given, `stringData` encoded (a manifest not yet applied holds it). */
function secretValues(o: KubeObject): Map<string, string> {
  const out = new Map<string, string>();
  const data = o.data;
  if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
    for (const [k, v] of Object.entries(data)) if (typeof v === 'string' && v !== '') out.set(k, v);
  }
  const text = o.stringData;
  if (typeof text === 'object' && text !== null && !Array.isArray(text)) {
    for (const [k, v] of Object.entries(text)) if (typeof v === 'string' && v !== '') out.set(k, Buffer.from(v, 'utf8').toString('base64'));
  }
  return out;
}

const pem = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');

/** Why a certificate chain and key cannot be served together, or undefined when they can. */
function pairError(cert: string, key: string): string | undefined {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(pem(cert));
  } catch (e) {
    return `the certificate is not a PEM certificate (${(e as Error).message})`;
  }
  try {
    const k = createPrivateKey(pem(key));
    if (!x509.checkPrivateKey(k)) return 'the private key does not belong to the certificate';
  } catch (e) {
    return `the private key is not a PEM private key (${(e as Error).message})`;
  }
  return undefined;
}

/** Why a CA (base64 PEM) cannot be served, or undefined when it parses as a certificate. */
export function caError(ca: string): string | undefined {
  try {
    new X509Certificate(pem(ca));
    return undefined;
  } catch (e) {
    return `the CA certificate is not a PEM certificate (${(e as Error).message})`;
  }
}

/**
 * The credential a Secret holds, unchecked (undefined: it holds none of the keys above). Cheap: certificates are
 * parsed only when a gateway asks for them (checkedCredential), not for every Secret of the cluster.
 */
export function credentialOf(o: KubeObject): RawCredential | undefined {
  const v = secretValues(o);
  // Istio's order: the generic pair when both halves are there, else the TLS pair.
  const names = v.has('cert') && v.has('key') ? ['cert', 'key'] : v.has('tls.crt') && v.has('tls.key') ? ['tls.crt', 'tls.key'] : undefined;
  const half = ['cert', 'key', 'tls.crt', 'tls.key'].find((k) => v.has(k));
  const ca = v.get('cacert') ?? v.get('ca.crt');
  const crl = v.get('crl') ?? v.get('ca.crl');
  const ocspStaple = v.get('tls.ocsp-staple');
  if (!half && !ca) return undefined;
  const c: RawCredential = {};
  if (names) Object.assign(c, { cert: v.get(names[0]!)!, key: v.get(names[1]!)! }, ocspStaple ? { ocspStaple } : {});
  else if (half) {
    const other = { cert: 'key', key: 'cert', 'tls.crt': 'tls.key', 'tls.key': 'tls.crt' }[half];
    c.pairMissing = `the Secret has ${half} but no ${other}`;
  }
  if (ca) Object.assign(c, { ca }, crl ? { crl } : {});
  return c;
}

const checked = new WeakMap<RawCredential, Credential>();

/** What of a credential can be served, and why the rest cannot (parsed once per credential object). */
export function checkedCredential(raw: RawCredential): Credential {
  let c = checked.get(raw);
  if (c) return c;
  c = {};
  if (raw.pairMissing) c.certError = raw.pairMissing;
  else if (raw.cert && raw.key) {
    const err = pairError(raw.cert, raw.key);
    if (err) c.certError = err;
    else Object.assign(c, { cert: raw.cert, key: raw.key }, raw.ocspStaple ? { ocspStaple: raw.ocspStaple } : {});
  }
  if (raw.ca) {
    const err = caError(raw.ca);
    if (err) c.caError = err;
    else Object.assign(c, { ca: raw.ca }, raw.crl ? { crl: raw.crl } : {});
  }
  checked.set(raw, c);
  return c;
}
