/**
 * A stand-in for kube-apiserver's admission chain, for tests. It reads the Mutating/ValidatingWebhookConfigurations
 * from the rendered manifests and, for each object admitted:
 *   - decides as the API server does whether a webhook gets it: rules (operations, apiGroups, apiVersions,
 *     resources incl. subresources, scope), namespaceSelector against the namespace's labels (with the automatic
 *     kubernetes.io/metadata.name label), objectSelector against the object's (or old object's) labels;
 *   - calls the webhook over TLS, verified against the caBundle under the Service DNS name
 *     (<service>.<namespace>.svc), connecting to the address the test maps the Service to;
 *   - honours timeoutSeconds and failurePolicy (Fail rejects, Ignore carries on);
 *   - applies a returned JSONPatch with `kubectl patch --local --type=json -p <patch> -f <file> -o json`;
 *   - runs mutating webhooks in order, then validating webhooks; the first denial wins.
 * Not simulated: reinvocation, matchConditions, version conversion (matchPolicy: Equivalent).
 */
import { execFile } from 'node:child_process';
import { request } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KubeObject } from '../../src/core/kube.js';
import { apiGroup, apiVersionOnly } from '../../src/core/kube.js';
import type { LabelSelector } from '../../src/config/mesh.js';
import { ISTIO_KINDS } from '../../src/validation/index.js';
import { resourceOf } from '../../src/demo/inject.js';

const execFileP = promisify(execFile);

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface RuleWithOperations {
  operations?: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  scope?: 'Cluster' | 'Namespaced' | '*';
}

export interface Webhook {
  name: string;
  clientConfig: { service?: { name: string; namespace: string; path?: string; port?: number }; url?: string; caBundle?: string };
  rules?: RuleWithOperations[];
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  failurePolicy?: 'Fail' | 'Ignore';
  sideEffects?: string;
  admissionReviewVersions?: string[];
  timeoutSeconds?: number;
  reinvocationPolicy?: string;
}

export interface Namespace {
  name: string;
  labels?: Record<string, string>;
}

/** One admission attempt as the API server sees it. */
export interface Attributes {
  operation: Operation;
  group: string;
  version: string;
  kind: string;
  resource: string;
  subResource?: string;
  /** Empty for cluster-scoped objects. */
  namespace: string;
  object?: KubeObject;
  oldObject?: KubeObject;
}

// ---- matching (pure, exported for table tests) ----

/** Kubernetes label selector semantics; an absent or empty selector matches everything. */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(labels[e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && (e.values ?? []).includes(labels[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        throw new Error(`label selector: unknown operator ${String(e.operator)}`);
    }
  }
  return true;
}

const listHas = (list: string[] | undefined, v: string): boolean => (list ?? []).includes('*') || (list ?? []).includes(v);

/** `resources` entries: "pods", "pods/status", "*" (all resources, no subresources), "*\/*", "pods/*", "*\/status". */
function resourceMatches(patterns: string[] | undefined, resource: string, sub: string | undefined): boolean {
  for (const p of patterns ?? []) {
    const [pr, ps] = p.includes('/') ? p.split('/', 2) : [p, undefined];
    const resOk = pr === '*' || pr === resource;
    const subOk = ps === undefined ? !sub : ps === '*' || ps === sub;
    if (resOk && subOk) return true;
  }
  return false;
}

export function ruleMatches(rule: RuleWithOperations, a: Attributes): boolean {
  if (!listHas(rule.operations, a.operation)) return false;
  if (!listHas(rule.apiGroups, a.group)) return false;
  if (!listHas(rule.apiVersions, a.version)) return false;
  if (!resourceMatches(rule.resources, a.resource, a.subResource)) return false;
  const scope = rule.scope ?? '*';
  if (scope === 'Cluster' && a.namespace !== '') return false;
  if (scope === 'Namespaced' && a.namespace === '') return false;
  return true;
}

/** The labels the namespaceSelector sees: the namespace's, plus kubernetes.io/metadata.name, which the API server always sets. */
export function namespaceLabels(ns: Namespace): Record<string, string> {
  return { ...(ns.labels ?? {}), 'kubernetes.io/metadata.name': ns.name };
}

/** Whether kube-apiserver would send this request to `webhook`. */
export function shouldCall(webhook: Webhook, a: Attributes, ns: Namespace | undefined): boolean {
  if (!(webhook.rules ?? []).some((r) => ruleMatches(r, a))) return false;
  // namespaceSelector: namespaced objects are judged by their namespace; a Namespace by its own labels;
  // other cluster-scoped objects always match.
  if (a.namespace !== '') {
    if (!ns) throw new Error(`namespace ${a.namespace} unknown to the simulation`);
    if (!selectorMatches(webhook.namespaceSelector, namespaceLabels(ns))) return false;
  } else if (a.kind === 'Namespace' && a.group === '') {
    const obj = a.object ?? a.oldObject;
    if (!selectorMatches(webhook.namespaceSelector, { ...(obj?.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj?.metadata.name ?? '' })) return false;
  }
  // objectSelector: the new object or the old one must match.
  const candidates = [a.object, a.oldObject].filter((o): o is KubeObject => !!o);
  if (webhook.objectSelector && !candidates.some((o) => selectorMatches(webhook.objectSelector, o.metadata.labels ?? {}))) return false;
  return true;
}

// ---- calling ----

export interface WebhookCall {
  configuration: string;
  webhook: string;
  /** The AdmissionReview response, when the call succeeded. */
  response?: { allowed: boolean; patch?: string; patchType?: string; status?: { code?: number; message?: string }; warnings?: string[] };
  /** Why the call failed (TLS, timeout, HTTP status, bad body). */
  error?: string;
  /** The decoded patch, when there was one. */
  patch?: unknown[];
}

export type AdmitResult =
  | { allowed: true; object: KubeObject | undefined; warnings: string[]; calls: WebhookCall[] }
  | { allowed: false; code: number; message: string; warnings: string[]; calls: WebhookCall[] };

export interface SimOptions {
  /** The rendered install (renderManifests()); only the webhook configurations are read. */
  manifests: KubeObject[];
  /** Where the Service of a webhook is reached: the test maps Service name/namespace/port to an address. */
  resolve: (svc: { name: string; namespace: string; port: number }) => { host: string; port: number };
  namespaces: Namespace[];
}

interface Configured {
  configuration: string;
  webhook: Webhook;
}

export class ApiServerSim {
  readonly mutating: Configured[];
  readonly validating: Configured[];
  private readonly namespaces = new Map<string, Namespace>();
  private uid = 0;

  constructor(private readonly opts: SimOptions) {
    const collect = (kind: string): Configured[] =>
      opts.manifests
        .filter((o) => o.kind === kind && o.apiVersion === 'admissionregistration.k8s.io/v1')
        .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
        .flatMap((o) => ((o as unknown as { webhooks?: Webhook[] }).webhooks ?? []).map((webhook) => ({ configuration: o.metadata.name ?? '', webhook })));
    this.mutating = collect('MutatingWebhookConfiguration');
    this.validating = collect('ValidatingWebhookConfiguration');
    for (const ns of opts.namespaces) this.namespaces.set(ns.name, ns);
  }

  addNamespace(ns: Namespace): void {
    this.namespaces.set(ns.name, ns);
  }

  /** Admits `obj` (CREATE by default) in `namespace` ('' for cluster-scoped) through every matching webhook. */
  async admit(obj: KubeObject | undefined, opts: { namespace: string; operation?: Operation; oldObject?: KubeObject; dryRun?: boolean; subResource?: string }): Promise<AdmitResult> {
    const subject = obj ?? opts.oldObject;
    if (!subject) throw new Error('admit: an object or an old object is needed');
    const a: Attributes = {
      operation: opts.operation ?? 'CREATE',
      group: apiGroup(subject.apiVersion),
      version: apiVersionOnly(subject.apiVersion),
      kind: subject.kind,
      resource: ISTIO_KINDS.find((k) => k.kind === subject.kind && k.group === apiGroup(subject.apiVersion))?.plural ?? resourceOf(subject.kind),
      subResource: opts.subResource,
      namespace: opts.namespace,
      object: obj,
      oldObject: opts.oldObject,
    };
    const ns = opts.namespace ? this.namespaces.get(opts.namespace) : undefined;
    const calls: WebhookCall[] = [];
    const warnings: string[] = [];
    let current = obj;

    for (const c of this.mutating) {
      if (!shouldCall(c.webhook, { ...a, object: current }, ns)) continue;
      const call = await this.call(c, { ...a, object: current }, opts.dryRun);
      calls.push(call);
      warnings.push(...(call.response?.warnings ?? []));
      const rejected = this.rejection(c, call, warnings, calls);
      if (rejected) return rejected;
      if (call.response?.patch && current) {
        if (call.response.patchType !== 'JSONPatch') return { allowed: false, code: 500, message: `webhook ${c.webhook.name}: unsupported patchType ${call.response.patchType}`, warnings, calls };
        call.patch = JSON.parse(Buffer.from(call.response.patch, 'base64').toString());
        current = await kubectlPatch(current, call.response.patch);
      }
    }
    // Validating webhooks see the final object; the API server calls them in parallel.
    const matching = this.validating.filter((c) => shouldCall(c.webhook, { ...a, object: current }, ns));
    const vcalls = await Promise.all(matching.map((c) => this.call(c, { ...a, object: current }, opts.dryRun)));
    for (let i = 0; i < matching.length; i++) {
      calls.push(vcalls[i]!);
      warnings.push(...(vcalls[i]!.response?.warnings ?? []));
    }
    for (let i = 0; i < matching.length; i++) {
      const rejected = this.rejection(matching[i]!, vcalls[i]!, warnings, calls);
      if (rejected) return rejected;
    }
    return { allowed: true, object: current, warnings, calls };
  }

  private rejection(c: Configured, call: WebhookCall, warnings: string[], calls: WebhookCall[]): AdmitResult | undefined {
    if (call.error) {
      if ((c.webhook.failurePolicy ?? 'Fail') === 'Ignore') return undefined;
      return { allowed: false, code: 500, message: `Internal error occurred: failed calling webhook "${c.webhook.name}": ${call.error}`, warnings, calls };
    }
    if (call.response && !call.response.allowed) {
      const code = call.response.status?.code ?? 403;
      return { allowed: false, code, message: `admission webhook "${c.webhook.name}" denied the request: ${call.response.status?.message ?? 'without explanation'}`, warnings, calls };
    }
    return undefined;
  }

  private async call(c: Configured, a: Attributes, dryRun?: boolean): Promise<WebhookCall> {
    const out: WebhookCall = { configuration: c.configuration, webhook: c.webhook.name };
    const svc = c.webhook.clientConfig.service;
    if (!svc) return { ...out, error: 'only service references are simulated' };
    if (!(c.webhook.admissionReviewVersions ?? []).includes('v1')) return { ...out, error: 'webhook does not accept admission.k8s.io/v1' };
    const caBundle = Buffer.from(c.webhook.clientConfig.caBundle ?? '', 'base64').toString();
    if (!caBundle.includes('BEGIN CERTIFICATE')) return { ...out, error: 'caBundle is empty or not PEM' };
    const uid = `sim-${process.pid}-${++this.uid}`;
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid,
        kind: { group: a.group, version: a.version, kind: a.kind },
        resource: { group: a.group, version: a.version, resource: a.resource },
        subResource: a.subResource,
        requestKind: { group: a.group, version: a.version, kind: a.kind },
        requestResource: { group: a.group, version: a.version, resource: a.resource },
        name: a.object?.metadata.name ?? a.oldObject?.metadata.name,
        namespace: a.namespace || undefined,
        operation: a.operation,
        userInfo: { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] },
        object: a.operation === 'DELETE' ? null : (a.object ?? null),
        oldObject: a.oldObject ?? null,
        dryRun: dryRun ?? false,
        options: { kind: `${a.operation[0]}${a.operation.slice(1).toLowerCase()}Options`, apiVersion: 'meta.k8s.io/v1' },
      },
    };
    const target = this.opts.resolve({ name: svc.name, namespace: svc.namespace, port: svc.port ?? 443 });
    const timeoutMs = (c.webhook.timeoutSeconds ?? 10) * 1000;
    try {
      const body = await httpsPost(target, svc.path ?? '/', JSON.stringify(review), { ca: caBundle, servername: `${svc.name}.${svc.namespace}.svc`, timeoutMs });
      if (body.status !== 200) return { ...out, error: `expected response code 200, got ${body.status}: ${body.text.slice(0, 200)}` };
      let parsed: any;
      try {
        parsed = JSON.parse(body.text);
      } catch {
        return { ...out, error: 'response is not JSON' };
      }
      if (parsed?.kind !== 'AdmissionReview' || parsed?.apiVersion !== 'admission.k8s.io/v1' || !parsed.response) return { ...out, error: 'response is not an admission.k8s.io/v1 AdmissionReview' };
      if (parsed.response.uid !== uid) return { ...out, error: `expected response.uid="${uid}", got "${parsed.response.uid}"` };
      return { ...out, response: parsed.response };
    } catch (e) {
      return { ...out, error: (e as Error).message };
    }
  }
}

function httpsPost(target: { host: string; port: number }, path: string, data: string, tls: { ca: string; servername: string; timeoutMs: number }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.host, port: target.port, path, method: 'POST', ca: tls.ca, servername: tls.servername, agent: false, headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(data) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`context deadline exceeded (timeout ${tls.timeoutMs / 1000}s)`)), tls.timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end(data);
  });
}

/** Applies a base64 JSONPatch the way the API server would, with kubectl's own JSON-patch implementation. */
export async function kubectlPatch(obj: KubeObject, patchBase64: string): Promise<KubeObject> {
  const dir = mkdtempSync(join(tmpdir(), 'mizzen-sim-'));
  try {
    const file = join(dir, 'object.json');
    writeFileSync(file, JSON.stringify(obj));
    const patch = Buffer.from(patchBase64, 'base64').toString();
    const { stdout } = await execFileP('kubectl', ['patch', '--local', '--type=json', '-p', patch, '-f', file, '-o', 'json'], { maxBuffer: 64 << 20 });
    return JSON.parse(stdout) as KubeObject;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`kubectl patch --local failed: ${(err.stderr || err.message).trim()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
