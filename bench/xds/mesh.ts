/**
 * The benchmark mesh, generated in memory: S services (one HTTP port, 9080, as Bookinfo), E pods each, spread
 * over namespaces; every tenth service has a DestinationRule with subsets v1/v2 and a 90/10 VirtualService.
 */
import type { KubeObject } from '../../src/core/kube.js';

export interface MeshShape {
  services: number;
  endpoints: number;
  namespaces: number;
  /** Pods as injected with mesh certificates (tlsMode=istio, a service account each): clients reach them over mTLS. */
  mtls?: boolean;
}

export const serviceName = (i: number): string => `svc-${i}`;
export const namespaceOf = (i: number, shape: MeshShape): string => `ns-${i % shape.namespaces}`;
const ip = (i: number, e: number, gen = 0): string => `10.${(i >> 8) & 255}.${i & 255}.${e + 1 + gen * 16}`;

export function pod(i: number, e: number, shape: MeshShape, gen = 0): KubeObject {
  const name = serviceName(i);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${name}-${e}`, namespace: namespaceOf(i, shape), labels: { app: name, version: e % 5 < 3 ? 'v1' : 'v2', ...(shape.mtls ? { 'security.istio.io/tlsMode': 'istio' } : {}) } },
    spec: { ...(shape.mtls ? { serviceAccountName: name } : {}), containers: [{ name: 'app', ports: [{ containerPort: 9080 }] }] },
    status: { podIP: ip(i, e, gen), phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

export function virtualService(i: number, shape: MeshShape, v1: number): KubeObject {
  const name = serviceName(i);
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace: namespaceOf(i, shape) },
    spec: { hosts: [name], http: [{ route: [{ destination: { host: name, subset: 'v1' }, weight: v1 }, { destination: { host: name, subset: 'v2' }, weight: 100 - v1 }] }] },
  };
}

export function buildMesh(shape: MeshShape): KubeObject[] {
  const out: KubeObject[] = [];
  for (let i = 0; i < shape.services; i++) {
    const name = serviceName(i);
    const namespace = namespaceOf(i, shape);
    out.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 9080 }] } });
    for (let e = 0; e < shape.endpoints; e++) out.push(pod(i, e, shape));
    if (i % 10 === 0) {
      out.push({
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name, namespace },
        spec: { host: name, subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] },
      });
      out.push(virtualService(i, shape, 90));
    }
  }
  for (let n = 0; n < shape.namespaces; n++) out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${n}`, labels: { 'istio-injection': 'enabled' } } });
  return out;
}
