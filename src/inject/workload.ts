/**
 * The workload a pod belongs to (its Deployment, StatefulSet, Job…), as Istio derives it for
 * canonical names and node metadata: from the controller owner reference, trimming the
 * ReplicaSet hash of Deployments and the schedule suffix of CronJob jobs; else from the pod's
 * name or generateName. kube-inject knows the workload directly and passes it in.
 */
import type { KubeObject } from '../core/kube.js';

export interface Workload {
  /** e.g. "reviews-v1"; "" when nothing names it (a bare pod with neither name nor generateName). */
  name: string;
  /** Kubernetes kind: Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod… */
  kind: string;
  /** Group/version of the kind: "apps/v1", "batch/v1", "v1". */
  apiVersion: string;
}

const API_VERSIONS: Record<string, string> = {
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  ReplicaSet: 'apps/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
  ReplicationController: 'v1',
  Pod: 'v1',
};

export function workloadOf(pod: KubeObject): Workload {
  const meta = pod.metadata ?? {};
  const owner = (meta.ownerReferences ?? []).find((o) => o?.controller === true);
  if (owner && typeof owner.name === 'string' && typeof owner.kind === 'string') {
    const hash = meta.labels?.['pod-template-hash'];
    if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) {
      return { name: owner.name.slice(0, -(hash.length + 1)), kind: 'Deployment', apiVersion: 'apps/v1' };
    }
    // Jobs created by a CronJob are named <cronjob>-<minutes since epoch> (8 to 11 digits).
    const cron = owner.kind === 'Job' ? /^(.+)-\d{8,11}$/.exec(owner.name) : null;
    if (cron) return { name: cron[1]!, kind: 'CronJob', apiVersion: 'batch/v1' };
    return { name: owner.name, kind: owner.kind, apiVersion: API_VERSIONS[owner.kind] ?? owner.apiVersion ?? 'v1' };
  }
  const name = meta.name || (meta.generateName ?? '').replace(/-+$/, '');
  return { name, kind: 'Pod', apiVersion: 'v1' };
}

/** Istio's owner URI: kubernetes://apis/apps/v1/namespaces/default/deployments/reviews-v1. */
export function ownerUri(w: Workload, namespace: string): string {
  return `kubernetes://apis/${w.apiVersion}/namespaces/${namespace}/${w.kind.toLowerCase()}s/${w.name}`;
}

export function apiVersionFor(kind: string): string | undefined {
  return API_VERSIONS[kind];
}
