/** Minimal Kubernetes object shapes shared across the core. Modules that need more keep richer types of their own. */

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid?: string; controller?: boolean }>;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: any;
  status?: any;
  [key: string]: unknown;
}

/** `group` part of an apiVersion ("" for the core group). */
/** A Kubernetes environment variable name (what the API server accepts in env[].name). */
export const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function apiVersionOnly(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
}

export function isKubeObject(v: unknown): v is KubeObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return typeof o.apiVersion === 'string' && typeof o.kind === 'string' && typeof o.metadata === 'object' && o.metadata !== null && !Array.isArray(o.metadata);
}

/** Identity of a config object: kind, namespace, name (group-qualified kind keeps networking and security apart). */
export function objectKey(o: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>, defaultNamespace = 'default'): string {
  const group = apiGroup(o.apiVersion);
  const kind = group ? `${o.kind}.${group}` : o.kind;
  return `${kind}/${o.metadata.namespace ?? defaultNamespace}/${o.metadata.name ?? ''}`;
}

export function fqdn(name: string, namespace: string, domainSuffix = 'cluster.local'): string {
  return `${name}.${namespace}.svc.${domainSuffix}`;
}

/** Where each workload controller keeps its pod template (property names below the object). */
export const POD_TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};
