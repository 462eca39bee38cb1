/**
 * Workload certificate Secrets for sidecars (mesh config `workloadCertificateSecrets: true`): the injector mounts,
 * in istio-proxy, the volume `istio-certs` from the Secret `istio.<service account>`, and a pod waits in
 * ContainerCreating until that Secret exists. The leader creates it, in the pod's namespace, as soon as the Pod
 * informer shows a pod that mounts one that is missing, and again on every resync (when it starts leading, after
 * the initial sync, every interval) for what was missed or deleted since.
 *
 * The Secret has Istio's historical type `istio.io/key-and-cert`, the three PEMs of a certificate from the mesh CA
 * (cert-chain.pem, key.pem, root-cert.pem) and the label and annotation the CertRotator lists: from then on the
 * rotator renews it. A Secret of that name that exists already is left alone (create only, never update): one
 * made by someone else stays theirs, and when it lacks the label the debug view and the log say it is not renewed.
 *
 * Failed creations (no RBAC, an unreachable API server, a rejected object) are logged, counted and tried again
 * with backoff; a volume that names no Secret mizzen issues is reported once with the reason. Nothing here throws
 * into the server.
 */
import { Counter, type Registry } from 'prom-client';
import { MeshCerts } from '../../core/constants.js';
import { asArray, asObject } from '../../model/selectors.js';
import { metric } from '../../metrics.js';
import type { KubeObject } from '../../core/kube.js';
import { silentLogger, type Logger } from '../../core/log.js';
import { currentTrust, type TrustSource } from '../../certs/trust.js';
import { issueWorkloadCert, WORKLOAD_CERT_LABEL, workloadIdErrors, workloadSecret, type WorkloadId } from '../../certs/workload.js';
import { isOk, type KubeClient } from './client.js';

const LIST_PATH = `/api/v1/secrets?labelSelector=${encodeURIComponent(`${WORKLOAD_CERT_LABEL}=true`)}`;
const RBAC_HINT = ' (apply manifests/workload-certs/: its ClusterRole allows create, list and patch on Secrets)';

/** A Secret that pods mount and mizzen issues. */
export interface NeededSecret {
  namespace: string;
  /** `istio.<serviceAccount>`. */
  name: string;
  serviceAccount: string;
  /** `namespace/name` of the pods that mount it, sorted. */
  pods: string[];
}

/** An istio-certs volume that names no Secret mizzen issues. */
export interface SkippedMount {
  /** `namespace/name` of the pod. */
  pod: string;
  uid: string;
  secretName: string;
  reason: string;
  /** A malformed name (a failure, counted) rather than a Secret that is someone else's to make. */
  invalid: boolean;
}

type Mount = { ok: true; namespace: string; name: string; serviceAccount: string } | { ok: false; namespace: string; secretName: string; reason: string; invalid: boolean };

/** The Secret a live pod's istio-certs volume names (itself or as a projected source), judged; undefined when it names none or the pod is done. Pure. */
export function workloadCertMount(pod: KubeObject, trustDomain: string): Mount | undefined {
  if (pod.metadata?.deletionTimestamp) return undefined;
  const phase = asObject(pod.status).phase;
  if (phase === 'Succeeded' || phase === 'Failed') return undefined;
  const volume = asArray(asObject(pod.spec).volumes).map(asObject).find((v) => v.name === MeshCerts.volume);
  // A Secret volume, or a projected one with a Secret among its sources (what injection mounts).
  const projected = asArray(asObject(volume?.projected).sources).map((src) => asObject(asObject(src).secret).name);
  const secretName = asObject(volume?.secret).secretName ?? projected.find((n) => typeof n === 'string');
  if (typeof secretName !== 'string') return undefined; // another kind of volume (emptyDir, a projection of no Secret): not a Secret to make
  const namespace = pod.metadata?.namespace ?? 'default';
  if (!secretName.startsWith(MeshCerts.secretPrefix)) {
    return { ok: false, namespace, secretName, reason: `secretName "${secretName}" is not ${MeshCerts.secretPrefix}<service account>: mizzen issues only those`, invalid: false };
  }
  const serviceAccount = secretName.slice(MeshCerts.secretPrefix.length);
  const errors = workloadIdErrors({ trustDomain, namespace, serviceAccount });
  if (errors.length > 0) return { ok: false, namespace, secretName, reason: `secretName "${secretName}": ${errors.join('; ')}`, invalid: true };
  return { ok: true, namespace, name: secretName, serviceAccount };
}

/** The Secrets that live pods mount and mizzen issues, one per namespace and name, and the mounts it skips. Pure. */
export function workloadSecretsNeeded(pods: readonly KubeObject[], trustDomain: string): { needs: NeededSecret[]; skipped: SkippedMount[] } {
  const needs = new Map<string, NeededSecret>();
  const skipped: SkippedMount[] = [];
  for (const pod of pods) {
    const m = workloadCertMount(pod, trustDomain);
    if (!m) continue;
    const podKey = `${m.namespace}/${pod.metadata.name ?? ''}`;
    if (!m.ok) {
      skipped.push({ pod: podKey, uid: pod.metadata.uid ?? '', secretName: m.secretName, reason: m.reason, invalid: m.invalid });
      continue;
    }
    const key = `${m.namespace}/${m.name}`;
    const need = needs.get(key) ?? { namespace: m.namespace, name: m.name, serviceAccount: m.serviceAccount, pods: [] };
    need.pods.push(podKey);
    needs.set(key, need);
  }
  for (const n of needs.values()) n.pods.sort();
  return {
    needs: [...needs.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name)),
    skipped: skipped.sort((a, b) => a.pod.localeCompare(b.pod)),
  };
}

export interface CertIssuerOptions {
  client: KubeClient;
  /** The mesh CA and trusted roots: fixed, or read at each creation (a reloaded mesh CA signs from then on). */
  meshCa: TrustSource;
  trustDomain: string;
  /** The pods the Kubernetes source knows (its Pod informer's cache). */
  pods: () => readonly KubeObject[];
  /** Only the leader creates. */
  isLeader: () => boolean;
  log?: Logger;
  registry?: Registry;
  /** Lifetime of an issued certificate (default 1 day, as `mizzen workload-cert`); the rotator keeps it. */
  days?: number;
  /** First retry after a failed creation (default 1 s), doubling up to `retryMaxMs` (default 60 s). */
  retryMs?: number;
  retryMaxMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** What the issuer knows, for /debug/workloadcerts. */
export interface IssuerStatus {
  leader: boolean;
  lastPass?: string;
  /** `namespace/istio.<sa>` of each Secret live pods mount → created, exists, or failed (and why). */
  secrets: Record<string, string>;
  /** istio-certs volumes that name no Secret mizzen issues. */
  skipped: Array<Omit<SkippedMount, 'uid' | 'invalid'>>;
  /** When failed creations are tried again. */
  retryAt?: string;
  /** Why the last list of labelled Secrets (at a resync) failed, if it did. */
  error?: string;
}

type FailureReason = 'forbidden' | 'unreachable' | 'invalid' | 'error';
const failureReason = (status: number): FailureReason => (status === 403 ? 'forbidden' : status === 0 ? 'unreachable' : status === 400 || status === 422 ? 'invalid' : 'error');

export class CertIssuer {
  private readonly log: Logger;
  private readonly issued: Counter;
  private readonly failed: Counter<'reason'>;
  /** Secrets known to exist: key → how we know. Pruned to what live pods mount. */
  private readonly settled = new Map<string, string>();
  /** Secrets whose last creation failed: key → why. */
  private readonly failures = new Map<string, string>();
  /** Skipped mounts already logged and counted (`uid/secretName`). */
  private readonly reported = new Set<string>();
  /** Secrets found without the rotator's label, already warned about. */
  private readonly foreign = new Set<string>();
  private status: Pick<IssuerStatus, 'lastPass' | 'secrets' | 'skipped'> = { secrets: {}, skipped: [] };
  private listError: string | undefined;
  private retryAt: number | undefined;
  private running: Promise<void> | undefined;
  private queued: 'ensure' | 'resync' | undefined;
  private retry: NodeJS.Timeout | undefined;
  private retryDelay: number;
  private stopped = false;

  constructor(private readonly o: CertIssuerOptions) {
    this.log = (o.log ?? silentLogger).child({ component: 'cert-issuer' });
    const registers = o.registry ? [o.registry] : [];
    const get = <M extends Counter<string>>(name: string, make: () => M): M => (o.registry ? metric(o.registry, name, make) : make());
    this.issued = get('mizzen_workload_certs_issued_total', () => new Counter({ name: 'mizzen_workload_certs_issued_total', help: 'Workload certificate Secrets (istio.<service account>) created by the leader for pods that mount them.', registers }));
    this.failed = get(
      'mizzen_workload_cert_issue_failures_total',
      () => new Counter({ name: 'mizzen_workload_cert_issue_failures_total', help: 'Workload certificate Secrets that could not be created, or pod volumes naming no valid one, by reason (forbidden, unreachable, invalid, error).', labelNames: ['reason'] as const, registers }),
    );
    this.retryDelay = o.retryMs ?? 1000;
  }

  /** Creates the missing Secrets that live pods mount (leader only); coalesced: one requested meanwhile runs once after. */
  ensure(): Promise<void> {
    return this.request('ensure');
  }

  /** As ensure(), after reading which labelled Secrets exist: recreates deleted ones and re-checks the rest. */
  resync(): Promise<void> {
    return this.request('resync');
  }

  /**
   * Whether a change to `pod` is worth a pass: it mounts a Secret neither known to exist nor failing (failures wait
   * for their retry), or names one mizzen skips and has not reported yet.
   */
  wants(pod: KubeObject): boolean {
    const m = workloadCertMount(pod, this.o.trustDomain);
    if (!m) return false;
    if (!m.ok) return !this.reported.has(`${pod.metadata.uid ?? ''}/${m.secretName}`);
    const key = `${m.namespace}/${m.name}`;
    return !this.settled.has(key) && !this.failures.has(key);
  }

  report(): IssuerStatus {
    return {
      leader: this.o.isLeader(),
      ...structuredClone(this.status),
      ...(this.retryAt !== undefined ? { retryAt: new Date(this.retryAt).toISOString() } : {}),
      ...(this.listError ? { error: this.listError } : {}),
    };
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.retry = undefined;
  }

  private request(kind: 'ensure' | 'resync'): Promise<void> {
    if (this.stopped || !this.o.isLeader()) return this.running ?? Promise.resolve();
    if (this.running) {
      if (this.queued !== 'resync') this.queued = kind;
      return this.running;
    }
    this.running = (async () => {
      let next: 'ensure' | 'resync' | undefined = kind;
      while (next && !this.stopped) {
        this.queued = undefined;
        await this.pass(next === 'resync').catch((e: Error) => this.log.error({ err: e.message }, 'workload certificates: pass failed'));
        next = this.queued;
      }
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(resync: boolean): Promise<void> {
    if (!this.o.isLeader()) return;
    const { needs, skipped } = workloadSecretsNeeded(this.o.pods(), this.o.trustDomain);
    this.noteSkipped(skipped);
    const labelled = resync ? await this.listLabelled() : undefined;
    const live = new Set(needs.map((n) => `${n.namespace}/${n.name}`));
    for (const key of [...this.settled.keys()]) if (!live.has(key) || (labelled && !labelled.has(key))) this.settled.delete(key);
    for (const key of [...this.failures.keys()]) if (!live.has(key)) this.failures.delete(key);
    for (const key of [...this.foreign]) if (!live.has(key)) this.foreign.delete(key);
    for (const n of needs) {
      const key = `${n.namespace}/${n.name}`;
      if (labelled?.has(key)) {
        this.settled.set(key, 'exists (renewed by the rotator)');
        this.failures.delete(key);
      }
      if (this.settled.has(key)) continue;
      if (this.stopped || !this.o.isLeader()) break;
      await this.create(n, labelled !== undefined);
    }
    const secrets: Record<string, string> = {};
    for (const n of needs) {
      const key = `${n.namespace}/${n.name}`;
      secrets[key] = this.settled.get(key) ?? this.failures.get(key) ?? 'pending';
    }
    this.status = {
      lastPass: new Date(this.now()).toISOString(),
      secrets,
      skipped: skipped.map(({ pod, secretName, reason }) => ({ pod, secretName, reason })),
    };
    this.scheduleRetry();
  }

  /** `namespace/name` of the Secrets carrying the rotator's label; undefined when they cannot be listed. */
  private async listLabelled(): Promise<Set<string> | undefined> {
    const listed = await this.o.client.get(LIST_PATH);
    if (!isOk(listed)) {
      const hint = listed.status === 403 ? RBAC_HINT : '';
      this.failed.inc({ reason: failureReason(listed.status) });
      this.listError = `list secrets: ${listed.message}${hint}`;
      this.log.warn({ status: listed.status, err: listed.message }, `workload certificates: cannot list Secrets${hint}`);
      return undefined;
    }
    this.listError = undefined;
    const items: unknown[] = Array.isArray(listed.body?.items) ? listed.body.items : [];
    return new Set(items.map((i) => `${(i as KubeObject).metadata?.namespace}/${(i as KubeObject).metadata?.name}`));
  }

  /** Creates one Secret; records the outcome in settled or failures. */
  private async create(n: NeededSecret, listed: boolean): Promise<void> {
    const key = `${n.namespace}/${n.name}`;
    const id: WorkloadId = { trustDomain: this.o.trustDomain, namespace: n.namespace, serviceAccount: n.serviceAccount };
    const log = this.log.child({ secret: key, serviceAccount: n.serviceAccount });
    let body: Record<string, unknown>;
    try {
      body = { ...workloadSecret(n.name, id, await issueWorkloadCert(currentTrust(this.o.meshCa), id, this.o.days ?? 1)), type: MeshCerts.secretType };
    } catch (e) {
      return this.fail(key, 'invalid', `cannot issue: ${(e as Error).message}`, log);
    }
    const r = await this.o.client.create(`/api/v1/namespaces/${encodeURIComponent(n.namespace)}/secrets`, body);
    if (isOk(r)) {
      this.issued.inc();
      this.failures.delete(key);
      this.settled.set(key, `created ${new Date(this.now()).toISOString()}`);
      log.info({ pods: n.pods.slice(0, 5) }, `workload certificate Secret ${key} created for the pods that mount it`);
      return;
    }
    if (r.status === 409) {
      this.failures.delete(key);
      // After a fresh list of the labelled Secrets, one that exists and was not in it lacks the label.
      if (listed) {
        this.settled.set(key, `exists without the label ${WORKLOAD_CERT_LABEL}=true: left alone, not renewed`);
        if (!this.foreign.has(key)) {
          this.foreign.add(key);
          log.warn(`workload certificates: Secret ${key} exists but mizzen did not make it (no label ${WORKLOAD_CERT_LABEL}=true): left alone and not renewed; if its certificate is not from the mesh CA, delete it and mizzen issues one`);
        }
      } else this.settled.set(key, 'exists: left alone');
      return;
    }
    const hint = r.status === 403 ? RBAC_HINT : '';
    return this.fail(key, failureReason(r.status), `create: ${r.message}${hint}`, log);
  }

  private fail(key: string, reason: FailureReason, message: string, log: Logger): void {
    this.failed.inc({ reason });
    const before = this.failures.get(key);
    this.failures.set(key, `failed: ${message}`);
    // Logged when it changes, not at every retry.
    if (before !== `failed: ${message}`) log.warn({ reason }, `workload certificates: could not create Secret ${key}: ${message}; retrying`);
  }

  /** Logs and counts each newly seen skipped mount once; forgets those whose pod is gone. */
  private noteSkipped(skipped: SkippedMount[]): void {
    const now = new Set(skipped.map((s) => `${s.uid}/${s.secretName}`));
    for (const k of [...this.reported]) if (!now.has(k)) this.reported.delete(k);
    for (const s of skipped) {
      const k = `${s.uid}/${s.secretName}`;
      if (this.reported.has(k)) continue;
      this.reported.add(k);
      if (s.invalid) {
        this.failed.inc({ reason: 'invalid' });
        this.log.warn({ pod: s.pod }, `workload certificates: pod ${s.pod} mounts no Secret mizzen can issue: ${s.reason}`);
      } else this.log.info({ pod: s.pod }, `workload certificates: pod ${s.pod}: ${s.reason}`);
    }
  }

  /** Failures left → a pass after the backoff (doubling); none → the backoff starts over. */
  private scheduleRetry(): void {
    if (this.failures.size === 0) {
      clearTimeout(this.retry);
      this.retry = undefined;
      this.retryAt = undefined;
      this.retryDelay = this.o.retryMs ?? 1000;
      return;
    }
    if (this.retry || this.stopped) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(delay * 2, this.o.retryMaxMs ?? 60_000);
    this.retryAt = this.now() + delay;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.ensure();
    }, delay);
    this.retry.unref?.();
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }
}
