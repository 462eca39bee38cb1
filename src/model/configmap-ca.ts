/**
 * CA certificates from ConfigMaps, as Gateway API BackendTLSPolicies name them (caCertificateRefs, kind ConfigMap):
 * the bundle under the key `ca.crt`, public data that any proxy may be served (`configmap://<ns>/<name>` by SDS).
 * The Kubernetes source keeps nothing else of a ConfigMap (sources/kube/configmaps.ts); the file source reads them
 * whole and the snapshot keeps only this. Pure (node:crypto parses, nothing is read or written).
 */
import type { KubeObject } from '../core/kube.js';
import { caError } from './credentials.js';

/** The ConfigMap key a CA bundle is read from. */
export const CA_CRT_KEY = 'ca.crt';

/** A ConfigMap's CA: base64 PEM (what SDS inline_bytes takes), or why it cannot be used. */
export type ConfigMapCa = { ca: string } | { error: string };

export const isConfigMap = (o: Pick<KubeObject, 'kind' | 'apiVersion'>): boolean => o.kind === 'ConfigMap' && o.apiVersion === 'v1';

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** The CA of a ConfigMap, checked (undefined: it has no `ca.crt`). */
export function configMapCaOf(o: KubeObject): ConfigMapCa | undefined {
  const text = isObject(o.data) ? o.data[CA_CRT_KEY] : undefined;
  if (typeof text !== 'string') return undefined;
  const ca = Buffer.from(text, 'utf8').toString('base64');
  const error = text.trim() === '' ? 'ca.crt is empty' : caError(ca);
  return error ? { error: `ConfigMap ${CA_CRT_KEY}: ${error}` } : { ca };
}
