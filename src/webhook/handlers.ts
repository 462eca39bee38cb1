/**
 * The two admission handlers. They take a decoded AdmissionRequest and return a verdict; they never see HTTP.
 * The injection and validation logic themselves are dependencies (pure functions from src/inject and src/validation).
 */
import type { AdmissionRequest, AdmissionResult } from '../admission/index.js';
import { allowed, denied, errored, patched, patchedJson } from '../admission/index.js';
import { isKubeObject, type KubeObject } from '../core/kube.js';
import type { Result } from '../core/result.js';
import type { Logger } from '../core/log.js';
import type { ReviewOutcome, WebhookMetrics } from '../metrics.js';

/** The shape of src/inject's decision (kept structural here so the webhook depends only on the contract). */
export type InjectDecision = { inject: true; reason: string } | { inject: false; reason: string; message: string };

/**
 * Injects a pod: a pure function over the pod and its namespace (serve.ts binds the mesh config). `patch`, when
 * given, is the JSON Patch text turning the input into `pod` (else the webhook diffs the two).
 */
export type Injector = (
  pod: KubeObject,
  ctx: { namespace: string },
) => Result<{ pod: KubeObject; decision: InjectDecision; patch?: string; warnings?: readonly string[] }>;

export interface ValidationContext {
  operation: 'CREATE' | 'UPDATE';
  namespace: string;
}

export interface ValidationReport {
  errors: string[];
  warnings: string[];
}

/** Validates one object; may be async (e.g. waits for the registry) but usually is not. */
export type Validator = (obj: KubeObject, ctx: ValidationContext) => ValidationReport | Promise<ValidationReport>;

export interface HandlerContext {
  /** A logger carrying { uid, kind, namespace, name }: made on first use, so quiet reviews cost nothing. */
  log: () => Logger;
  /** Whether a level is logged: check before building a message for a chatty level. */
  enabled: (level: 'debug' | 'info') => boolean;
  metrics: WebhookMetrics;
}

export interface HandlerOutput {
  result: AdmissionResult;
  outcome: ReviewOutcome;
}

const verdict = (result: AdmissionResult): HandlerOutput => ({
  result,
  outcome: !result.allowed ? 'denied' : result.patchJson !== undefined || (result.patch && result.patch.length > 0) ? 'patched' : 'allowed',
});

/** Display name of an object, also for pods that only have generateName. */
export function displayName(obj: { metadata?: { name?: string; generateName?: string } } | undefined): string {
  const m = obj?.metadata;
  return m?.name ?? (m?.generateName ? `${m.generateName}<generated>` : '<unnamed>');
}

function objectOf(request: AdmissionRequest): KubeObject | string {
  const o = request.object;
  if (o === undefined || o === null) return `request.object: missing for ${request.operation}`;
  if (!isKubeObject(o)) return 'request.object: not a Kubernetes object (needs apiVersion, kind and metadata)';
  return o;
}

/** CREATE of a v1 Pod is mutated; everything else is allowed unchanged. */
export function reviewInject(request: AdmissionRequest, inject: Injector, ctx: HandlerContext): HandlerOutput {
  const k = request.kind;
  if (request.operation !== 'CREATE' || k.group !== '' || k.version !== 'v1' || k.kind !== 'Pod' || request.subResource) return verdict(allowed());
  const pod = objectOf(request);
  if (typeof pod === 'string') return { result: errored(400, pod), outcome: 'malformed' };
  const namespace = pod.metadata.namespace || request.namespace || 'default';
  const r = inject(pod, { namespace });
  if (!r.ok) {
    ctx.log().info({ errors: r.errors }, 'sidecar injection denied: invalid annotations');
    return verdict(denied(`sidecar injection failed for pod ${namespace}/${displayName(pod)}: ${r.errors.join('; ')}`, 400));
  }
  const { decision } = r.value;
  if (decision.inject) {
    if (!request.dryRun) ctx.metrics.injections.inc();
    if (ctx.enabled('debug')) ctx.log().debug({ reason: decision.reason, dryRun: request.dryRun === true }, 'sidecar injected');
  } else {
    if (!request.dryRun) ctx.metrics.skips.inc({ reason: decision.reason });
    ctx.log().info({ reason: decision.reason, dryRun: request.dryRun === true }, `sidecar not injected: ${decision.message}`);
  }
  const warnings = r.value.warnings && r.value.warnings.length > 0 ? [...r.value.warnings] : undefined;
  return verdict(r.value.patch !== undefined ? patchedJson(r.value.patch, warnings) : patched(pod, r.value.pod, warnings));
}

/**
 * CREATE and UPDATE are validated; DELETE and CONNECT are allowed. Every problem goes into the denial.
 * Synchronous when the validator is (the usual case); a promise only when the validator returns one.
 */
export function reviewValidate(request: AdmissionRequest, validate: Validator, ctx: HandlerContext): HandlerOutput | Promise<HandlerOutput> {
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return verdict(allowed());
  const obj = objectOf(request);
  if (typeof obj === 'string') return { result: errored(400, obj), outcome: 'malformed' };
  const namespace = obj.metadata.namespace || request.namespace || 'default';
  const report = validate(obj, { operation: request.operation, namespace });
  if (report instanceof Promise) return report.then((r) => validated(request, obj, namespace, r, ctx));
  return validated(request, obj, namespace, report, ctx);
}

function validated(request: AdmissionRequest, obj: KubeObject, namespace: string, report: ValidationReport, ctx: HandlerContext): HandlerOutput {
  const kind = obj.kind || request.kind.kind;
  const ok = report.errors.length === 0;
  ctx.metrics.validations.inc({ kind, verdict: ok ? 'allowed' : 'denied' });
  if (ok) return verdict(allowed(report.warnings));
  ctx.log().info({ errors: report.errors }, 'configuration rejected');
  const message = `${kind} ${namespace}/${displayName(obj)} is invalid: ${report.errors.join('; ')}`;
  return verdict(denied(message, 400, report.warnings));
}
