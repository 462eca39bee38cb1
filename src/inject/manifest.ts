/**
 * kube-inject over whole manifests: the pod templates of Pods, Deployments, StatefulSets,
 * DaemonSets, ReplicaSets, ReplicationControllers, Jobs and CronJobs (and `List` items) are
 * injected with the same core as the webhook; every other document passes through unchanged.
 * A template that policy skips is left unchanged (as istioctl does) and reported.
 */
import { isKubeObject, POD_TEMPLATE_PATHS, type KubeObject } from '../core/kube.js';
import { type Result, ok } from '../core/result.js';
import { injectPodAs } from './pod.js';
import type { InjectDecision, InjectOptions } from './policy.js';
import { apiVersionFor } from './workload.js';
import { isObject } from '../core/object.js';


export interface SkippedTemplate {
  /** e.g. "Deployment/default/details-v1" or "items[2] Pod/default/x". */
  object: string;
  decision: Extract<InjectDecision, { inject: false }>;
}

/** The webhook's options but the namespace, which each object names (default: "default"). */
export type ManifestOptions = Omit<InjectOptions, 'namespace'>;

export interface ManifestReport {
  value: unknown;
  injected: number;
  skipped: SkippedTemplate[];
  /** Annotations read but not applied, prefixed with the object they are on. */
  warnings: string[];
}


function describe(o: KubeObject, ns: string): string {
  return `${o.kind}/${ns}/${o.metadata.name ?? o.metadata.generateName ?? ''}`;
}

function injectObject(obj: unknown, opts: ManifestOptions, prefix: string, report: ManifestReport, errors: string[]): unknown {
  if (isObject(obj) && obj.kind === 'List' && Array.isArray(obj.items)) {
    return { ...obj, items: obj.items.map((item, i) => injectObject(item, opts, `${prefix}items[${i}].`, report, errors)) };
  }
  if (!isKubeObject(obj)) return obj;
  const namespace = obj.metadata.namespace || 'default';
  if (obj.kind === 'Pod' && (obj.apiVersion === 'v1')) {
    const r = injectPodAs(obj, { ...opts, namespace });
    if (!r.ok) {
      errors.push(...r.errors.map((e) => prefix + e));
      return obj;
    }
    if (!r.value.decision.inject) {
      if (r.value.decision.reason !== 'already-injected') report.skipped.push({ object: describe(obj, namespace), decision: r.value.decision });
      return obj;
    }
    report.injected++;
    for (const w of r.value.warnings ?? []) report.warnings.push(`${describe(obj, namespace)}: ${w}`);
    return r.value.pod;
  }
  const path = POD_TEMPLATE_PATHS[obj.kind];
  if (!path) return obj;
  let template: unknown = obj;
  for (const p of path) template = isObject(template) ? template[p] : undefined;
  const where = prefix + path.join('.');
  if (!isObject(template)) {
    errors.push(`${where}: required for a ${obj.kind}`);
    return obj;
  }
  const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: isObject(template.metadata) ? template.metadata : {}, spec: template.spec };
  const workload = { name: obj.metadata.name ?? '', kind: obj.kind, apiVersion: apiVersionFor(obj.kind) ?? obj.apiVersion };
  const r = injectPodAs(pod, { ...opts, namespace }, workload);
  if (!r.ok) {
    errors.push(...r.errors.map((e) => `${where}.${e}`));
    return obj;
  }
  if (!r.value.decision.inject) {
    if (r.value.decision.reason !== 'already-injected') report.skipped.push({ object: describe(obj, namespace), decision: r.value.decision });
    return obj;
  }
  report.injected++;
  for (const w of r.value.warnings ?? []) report.warnings.push(`${describe(obj, namespace)}: ${where}.${w}`);
  // Rebuild the path with the injected template, copying only the objects along it.
  const set = (node: Record<string, unknown>, i: number): Record<string, unknown> => {
    const key = path[i]!;
    if (i === path.length - 1) {
      const t = node[key] as Record<string, unknown>;
      const { metadata, spec } = r.value.pod;
      // A template without metadata gets it first, where a person would write it.
      return { ...node, [key]: 'metadata' in t ? { ...t, metadata, spec } : { metadata, ...t, spec } };
    }
    return { ...node, [key]: set(node[key] as Record<string, unknown>, i + 1) };
  };
  return set(obj, 0);
}

/** Injects and says what was injected and what was skipped (and why). Pure; never mutates `obj`. */
export function injectManifestWithReport(obj: unknown, opts: ManifestOptions): Result<ManifestReport> {
  const report: ManifestReport = { value: undefined, injected: 0, skipped: [], warnings: [] };
  const errors: string[] = [];
  report.value = injectObject(obj, opts, '', report, errors);
  return errors.length ? { ok: false, errors } : ok(report);
}

/** For kube-inject: injects pod templates of workloads (and List items); other kinds pass through unchanged. */
export function injectManifest(obj: unknown, opts: ManifestOptions): Result<unknown> {
  const r = injectManifestWithReport(obj, opts);
  return r.ok ? ok(r.value.value) : r;
}
