/**
 * Kubernetes objects for a local mesh, as a user would write them: a Service selecting pods by `app`, and Pods
 * with a loopback IP (127.0.0.x, all routed to `lo` on Linux), Ready, labelled with app/version. Used by the
 * demo and the tests to describe backends to the file config source. Pure.
 */
import type { KubeObject } from '../core/kube.js';

export interface ServiceSpec {
  name: string;
  namespace?: string;
  /** The port clients dial (`xds:///name:port`). */
  port: number;
  /** The port the pods listen on (defaults to `port`). */
  targetPort?: number;
  portName?: string;
}

export function kubeService(s: ServiceSpec): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, namespace: s.namespace ?? 'default', labels: { app: s.name } },
    spec: { selector: { app: s.name }, ports: [{ name: s.portName ?? 'grpc', port: s.port, targetPort: s.targetPort ?? s.port }] },
  };
}

export interface PodSpec {
  name: string;
  namespace?: string;
  ip: string;
  app: string;
  version?: string;
  labels?: Record<string, string>;
  ready?: boolean;
  /** spec.serviceAccountName (the pod's mesh identity); Kubernetes' `default` when absent. */
  serviceAccount?: string;
}

export function kubePod(p: PodSpec): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace ?? 'default',
      labels: { app: p.app, ...(p.version ? { version: p.version } : {}), ...p.labels },
    },
    spec: { ...(p.serviceAccount ? { serviceAccountName: p.serviceAccount } : {}), containers: [{ name: p.app, image: 'local' }] },
    status: { phase: 'Running', podIP: p.ip, conditions: [{ type: 'Ready', status: p.ready === false ? 'False' : 'True' }] },
  };
}
