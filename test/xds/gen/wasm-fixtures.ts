/** WasmPlugin fixtures shared by the HTTP and NETWORK plugin generator tests. */
import type { KubeObject } from '../../../src/core/kube.js';

let created = 0;
/** A WasmPlugin, each one younger than the last (`at` sets its age, in seconds after a fixed start). */
export function plugin(name: string, spec: Record<string, unknown>, namespace = 'default', at?: number): KubeObject {
  const n = at ?? ++created;
  return {
    apiVersion: 'extensions.istio.io/v1alpha1',
    kind: 'WasmPlugin',
    metadata: { name, namespace, creationTimestamp: `2026-01-01T00:${String(Math.floor(n / 60)).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}Z` },
    spec,
  } as KubeObject;
}

/** Selectors of Bookinfo's reviews pods and of the ingress gateway. */
export const reviews = { selector: { matchLabels: { app: 'reviews' } } };
export const ingress = { selector: { matchLabels: { istio: 'ingressgateway' } } };
