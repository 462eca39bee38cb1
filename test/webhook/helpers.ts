/** Builders for webhook tests: AdmissionReviews, a fake injector and a fake validator. */
import fjp from 'fast-json-patch';
import type { KubeObject } from '../../src/core/kube.js';
import { ok, fail } from '../../src/core/result.js';
import type { Injector, Validator } from '../../src/webhook/index.js';

export function podObject(extra: Partial<KubeObject['metadata']> = {}, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'reviews-v1-7d8f9c-', labels: { app: 'reviews', version: 'v1' }, ...extra },
    spec: { containers: [{ name: 'reviews', image: 'docker.io/istio/examples-bookinfo-reviews-v1:1.20.2', ports: [{ containerPort: 9080 }] }], ...spec },
  };
}

let n = 0;
export function admissionReview(opts: {
  object?: unknown;
  operation?: string;
  kind?: { group: string; version: string; kind: string };
  namespace?: string;
  dryRun?: boolean;
  apiVersion?: string;
  uid?: string;
  oldObject?: unknown;
}): { apiVersion: string; kind: string; request: Record<string, unknown> } {
  const object = 'object' in opts ? opts.object : podObject();
  const kind = opts.kind ?? { group: '', version: 'v1', kind: 'Pod' };
  return {
    apiVersion: opts.apiVersion ?? 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: opts.uid ?? `uid-${++n}`,
      kind,
      resource: { group: kind.group, version: kind.version, resource: kind.kind.toLowerCase() + 's' },
      requestKind: kind,
      requestResource: { group: kind.group, version: kind.version, resource: kind.kind.toLowerCase() + 's' },
      namespace: opts.namespace ?? 'default',
      operation: opts.operation ?? 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object,
      oldObject: opts.oldObject ?? null,
      dryRun: opts.dryRun ?? false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  };
}

/** Calls recorded by the fake injector. */
export const injectorCalls: Array<{ pod: KubeObject; namespace: string }> = [];

/**
 * A stand-in for src/inject: pods labelled skip=<reason> are skipped (annotation added), annotation bad=<msg>
 * fails, throw=yes throws, injected=yes are returned unchanged, the rest get a sidecar.
 */
export const fakeInjector: Injector = (pod, { namespace }) => {
  injectorCalls.push({ pod, namespace });
  const labels = pod.metadata.labels ?? {};
  const annotations = pod.metadata.annotations ?? {};
  if (labels.throw === 'yes') throw new Error('injector exploded');
  if (annotations.bad) return fail(...annotations.bad.split('|'));
  if (annotations.injected === 'yes') return ok({ pod, decision: { inject: false, reason: 'already-injected', message: 'already injected' } });
  const out = structuredClone(pod);
  if (labels.skip) {
    out.metadata.annotations = { ...annotations, 'sidecar.mizzen.io/skip-reason': labels.skip };
    return ok({ pod: out, decision: { inject: false, reason: labels.skip, message: `skipped: ${labels.skip}` } });
  }
  out.metadata.annotations = { ...annotations, 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}', injected: 'yes' };
  out.spec.initContainers = [...(out.spec.initContainers ?? []), { name: 'istio-init', image: 'mizzen' }];
  out.spec.containers = [...out.spec.containers, { name: 'istio-proxy', image: 'envoy' }];
  return ok({ pod: out, decision: { inject: true, reason: 'default' } });
};

/** A stand-in for validation: spec.bad (string[]) are errors, spec.warn (string[]) warnings. */
export const fakeValidator: Validator = (obj) => ({
  errors: (obj.spec?.bad as string[] | undefined) ?? [],
  warnings: (obj.spec?.warn as string[] | undefined) ?? [],
});

export interface DecodedAnswer {
  apiVersion: string;
  kind: string;
  response: { uid: string; allowed: boolean; patchType?: string; patch?: string; warnings?: string[]; status?: { code: number; message: string } };
}

/** Applies the answer's patch (if any) to `obj`. */
export function applyAnswer(obj: unknown, answer: DecodedAnswer): any {
  if (!answer.response.patch) return obj;
  const ops = JSON.parse(Buffer.from(answer.response.patch, 'base64').toString()) as fjp.Operation[];
  return fjp.applyPatch(structuredClone(obj), ops, true, false).newDocument;
}

export function patchOf(answer: DecodedAnswer): unknown[] {
  return answer.response.patch ? JSON.parse(Buffer.from(answer.response.patch, 'base64').toString()) : [];
}
