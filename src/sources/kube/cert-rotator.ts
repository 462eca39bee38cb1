/**
 * Workload certificate rotation (`mizzen serve --rotate-workload-certs`): the Secrets that `mizzen workload-cert
 * --secret` makes carry the label mizzen.io/workload-cert=true and the service account in an annotation. The
 * leader lists them (every interval, and when it starts leading) and issues a certificate anew, from the mesh CA,
 * into each one whose certificate is due (certs/renewal.ts: two thirds of its lifetime, or not what the mesh CA
 * would issue now, which includes a root-cert.pem that is not the mesh's trusted roots). The kubelet refreshes
 * mounted Secrets, and a gRPC bootstrap's file_watcher provider re-reads them, so proxyless workloads keep their mTLS
 * identity without anyone running the command again. The mesh CA is read at the start of each pass, so a reloaded one
 * (certs/mesh-ca.ts) is followed: serve asks for a pass as soon as it changes.
 *
 * The write is a merge patch of `data` conditioned on the Secret's resourceVersion: a Secret changed in between
 * answers 409 and is looked at again on the next scan. Failures (no RBAC, an unreachable API server, a Secret
 * without a service account) are logged and counted; the server keeps serving.
 */
import { Counter, type Registry } from 'prom-client';
import type { KubeObject } from '../../core/kube.js';
import type { Logger } from '../../core/log.js';
import { issueWorkloadCert, SERVICE_ACCOUNT_ANNOTATION, WORKLOAD_CERT_LABEL, WorkloadCertFiles, workloadIdErrors, workloadSecretData, type WorkloadCert, type WorkloadId } from '../../certs/workload.js';
import { renewal } from '../../certs/renewal.js';
import { currentTrust, type MeshTrust, type TrustSource } from '../../certs/trust.js';
import { isOk, type KubeClient } from './client.js';

const LIST_PATH = `/api/v1/secrets?labelSelector=${encodeURIComponent(`${WORKLOAD_CERT_LABEL}=true`)}`;

export interface CertRotatorOptions {
  client: KubeClient;
  /** The mesh CA and trusted roots: fixed, or read at the start of each pass. */
  meshCa: TrustSource;
  trustDomain: string;
  /** Only the leader writes. */
  isLeader: () => boolean;
  log: Logger;
  registry?: Registry;
  /** The clock (tests). */
  now?: () => number;
}

/** What the last scan saw, for /debug/workloadcerts. */
export interface RotationStatus {
  lastScan?: string;
  /** `ns/name` → the decision, or why the Secret was skipped. */
  secrets: Record<string, string>;
  /** Why the last list failed, if it did. */
  error?: string;
}

const decode = (data: unknown, key: string): string | undefined => {
  const v = (data as Record<string, unknown> | undefined)?.[key];
  return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined;
};

export class CertRotator {
  private readonly renewed: Counter;
  private readonly failed: Counter;
  private status: RotationStatus = { secrets: {} };
  private scanning: Promise<void> | undefined;
  private again: Promise<void> | undefined;

  constructor(private readonly o: CertRotatorOptions) {
    const registers = o.registry ? [o.registry] : [];
    const counter = (name: string, help: string) => (o.registry?.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, registers });
    this.renewed = counter('mizzen_workload_certs_renewed_total', 'Workload certificate Secrets issued anew by the leader.');
    this.failed = counter('mizzen_workload_cert_failures_total', 'Workload certificate Secrets that could not be listed, read or written.');
  }

  report(): RotationStatus {
    return structuredClone(this.status);
  }

  /**
   * A pass over the labelled Secrets that starts now or, when one is under way (it may have read an older mesh CA or
   * list), right after it (leader only). Calls meanwhile share that next pass.
   */
  scan(): Promise<void> {
    if (!this.o.isLeader()) return Promise.resolve();
    if (!this.scanning) {
      this.scanning = this.pass().finally(() => (this.scanning = undefined));
      return this.scanning;
    }
    this.again ??= this.scanning.catch(() => undefined).then(() => {
      this.again = undefined;
      return this.scan();
    });
    return this.again;
  }

  private async pass(): Promise<void> {
    const trust = currentTrust(this.o.meshCa);
    const listed = await this.o.client.get(LIST_PATH);
    if (!isOk(listed)) {
      this.failed.inc();
      const hint = listed.status === 403 ? ' (grant the ClusterRole in manifests/workload-certs/)' : '';
      this.status = { ...this.status, lastScan: new Date(this.now()).toISOString(), error: `list secrets: ${listed.message}${hint}` };
      this.o.log.warn({ status: listed.status, err: listed.message }, `workload certificates: cannot list Secrets${hint}`);
      return;
    }
    const secrets: Record<string, string> = {};
    const items: unknown[] = Array.isArray(listed.body?.items) ? listed.body.items : [];
    for (const item of items) {
      const s = item as KubeObject;
      const key = `${s.metadata?.namespace}/${s.metadata?.name}`;
      secrets[key] = await this.rotate(s, trust).catch((e: Error) => {
        this.failed.inc();
        return `failed: ${e.message}`;
      });
    }
    this.status = { lastScan: new Date(this.now()).toISOString(), secrets };
  }

  /** Renews one Secret when due; returns what happened. */
  private async rotate(s: KubeObject, trust: MeshTrust): Promise<string> {
    const namespace = s.metadata?.namespace ?? '';
    const name = s.metadata?.name ?? '';
    const serviceAccount = s.metadata?.annotations?.[SERVICE_ACCOUNT_ANNOTATION] ?? '';
    const id: WorkloadId = { trustDomain: this.o.trustDomain, namespace, serviceAccount };
    const bad = workloadIdErrors(id);
    if (bad.length > 0) {
      this.failed.inc();
      this.o.log.warn({ secret: `${namespace}/${name}`, errors: bad }, `workload certificates: skipped, the Secret needs the annotation ${SERVICE_ACCOUNT_ANNOTATION} with its service account`);
      return `skipped: ${bad.join('; ')}`;
    }
    const current: Partial<WorkloadCert> = {
      certChain: decode(s.data, WorkloadCertFiles.certChain),
      key: decode(s.data, WorkloadCertFiles.key),
      root: decode(s.data, WorkloadCertFiles.root),
    };
    const r = renewal(current, id, trust, this.now());
    if (!r.due) return `fresh until ${new Date(r.dueAt!).toISOString()}`;
    const cert = await issueWorkloadCert(trust, id, r.days);
    const patch = { metadata: { resourceVersion: s.metadata?.resourceVersion }, data: workloadSecretData(cert) };
    const w = await this.o.client.patch(`/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`, patch, 'merge');
    if (!isOk(w)) {
      this.failed.inc();
      this.o.log.warn({ secret: `${namespace}/${name}`, status: w.status, err: w.message }, 'workload certificates: could not write the renewed certificate (next scan retries)');
      return `failed: ${w.message}`;
    }
    this.renewed.inc();
    this.o.log.info({ secret: `${namespace}/${name}`, reason: r.reason, days: r.days }, 'workload certificate renewed');
    return `renewed: ${r.reason}`;
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }
}
