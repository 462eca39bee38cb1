/**
 * Kubernetes ConfigMaps as the config store may hold them: only the CA bundle under `ca.crt`, which
 * BackendTLSPolicies name (model/configmap-ca.ts). Reduced as each arrives, so neither the informer's cache nor the
 * store keeps any other ConfigMap data; one without `ca.crt` is never stored. Pure.
 */
import type { KubeObject } from '../../core/kube.js';
import { CA_CRT_KEY } from '../../model/configmap-ca.js';
import { reducedMeta } from './secrets.js';

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A ConfigMap reduced to its identity and `data['ca.crt']`, or undefined when it has none (or no name). */
export function reduceConfigMap(obj: unknown): KubeObject | undefined {
  if (!isObject(obj) || !isObject(obj.metadata) || typeof obj.metadata.name !== 'string' || obj.metadata.name === '') return undefined;
  const ca = isObject(obj.data) ? obj.data[CA_CRT_KEY] : undefined;
  if (typeof ca !== 'string') return undefined;
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: reducedMeta(obj.metadata), data: { [CA_CRT_KEY]: ca } };
}
