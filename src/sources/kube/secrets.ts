/**
 * Kubernetes Secrets as the config store may hold them: gateway credentials (Istio's `credentialName`), reduced
 * to what SDS serves. The Kubernetes source reads Secrets only with the mesh config's workloadCertificateSecrets
 * (no gateway can authenticate without it), and reduces each one as it arrives, so neither the informer's cache
 * nor the store ever keeps anything but credential material:
 *
 *   { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, resourceVersion, uid, creationTimestamp,
 *     labels? }, type, data: { the credential keys present } }
 *
 * A Secret without any credential key (the workload certificate Secrets istio.<sa> among them: their keys are
 * cert-chain.pem, key.pem, root-cert.pem) reduces to nothing: it never enters the store, and one that loses its
 * last credential key leaves it. Types that never carry a gateway credential are excluded by a field selector on
 * list and watch, and here again. Pure.
 */
import type { KubeObject, ObjectMeta } from '../../core/kube.js';
import { CREDENTIAL_KEYS } from '../../model/credentials.js';

/** The data keys Istio reads a gateway credential from, as the snapshot reads them (model/credentials.ts). */
export { CREDENTIAL_KEYS };

/** Secret types that are never gateway credentials (and are numerous: a token per service account, a release per Helm upgrade). */
export const EXCLUDED_SECRET_TYPES: readonly string[] = ['kubernetes.io/service-account-token', 'helm.sh/release.v1', 'bootstrap.kubernetes.io/token'];

/** `type!=kubernetes.io/service-account-token,type!=…`: the API server leaves those out of lists and watches. */
export const SECRET_FIELD_SELECTOR = EXCLUDED_SECRET_TYPES.map((t) => `type!=${t}`).join(',');

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The metadata a reduced Secret (or ConfigMap) keeps (identity, version, labels). */
export function reducedMeta(m: Record<string, any>): ObjectMeta {
  const out: ObjectMeta = { name: m.name };
  if (typeof m.namespace === 'string') out.namespace = m.namespace;
  if (typeof m.resourceVersion === 'string') out.resourceVersion = m.resourceVersion;
  if (typeof m.uid === 'string') out.uid = m.uid;
  if (typeof m.creationTimestamp === 'string') out.creationTimestamp = m.creationTimestamp;
  if (isObject(m.labels)) out.labels = { ...m.labels };
  return out;
}

/**
 * A Secret as the store holds it, or undefined when it carries no credential (no credential key with a string
 * value, an excluded type, or no metadata.name). `data` values stay base64, as the API server sends them.
 */
export function reduceSecret(obj: unknown): KubeObject | undefined {
  if (!isObject(obj) || !isObject(obj.metadata) || typeof obj.metadata.name !== 'string' || obj.metadata.name === '') return undefined;
  const type = typeof obj.type === 'string' ? obj.type : undefined;
  if (type && EXCLUDED_SECRET_TYPES.includes(type)) return undefined;
  if (!isObject(obj.data)) return undefined;
  const data: Record<string, string> = {};
  let kept = 0;
  for (const k of CREDENTIAL_KEYS) {
    const v = obj.data[k];
    if (typeof v === 'string') {
      data[k] = v;
      kept += 1;
    }
  }
  if (kept === 0) return undefined;
  return { apiVersion: 'v1', kind: 'Secret', metadata: reducedMeta(obj.metadata), ...(type ? { type } : {}), data };
}
