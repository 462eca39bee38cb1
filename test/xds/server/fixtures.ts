/** A tiny mesh as users write it: Services with the Pods they select. */
import type { KubeObject } from '../../../src/core/kube.js';

export const service = (name: string, port = 9080, ns = 'default'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec: { selector: { app: name }, ports: [{ name: 'http', port }] },
});

export const pod = (name: string, app: string, ip: string, labels: Record<string, string> = {}, ns = 'default'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels: { app, ...labels } },
  spec: { containers: [{ name: app, ports: [{ containerPort: 9080 }] }] },
  status: { podIP: ip, phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
});

export const virtualService = (host: string, weights: Array<[string, number]>): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: host, namespace: 'default' },
  spec: { hosts: [host], http: [{ route: weights.map(([subset, weight]) => ({ destination: { host, subset }, weight })) }] },
});

export const destinationRule = (host: string, subsets: string[]): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: host, namespace: 'default' },
  spec: { host, subsets: subsets.map((s) => ({ name: s, labels: { version: s } })) },
});

/** reviews (2 pods) and ratings (1 pod). */
export function smallMesh(): KubeObject[] {
  return [
    service('reviews'),
    service('ratings'),
    pod('reviews-v1', 'reviews', '10.1.0.1', { version: 'v1' }),
    pod('reviews-v2', 'reviews', '10.1.0.2', { version: 'v2' }),
    pod('ratings-v1', 'ratings', '10.1.0.3', { version: 'v1' }),
  ];
}
