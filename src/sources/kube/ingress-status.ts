/**
 * Writes the ingress gateway's addresses into the status of the Ingresses mizzen serves
 * (model/ingress-status.ts computes them), by the leader only: a merge patch of the status subresource with the
 * resourceVersion it was computed from as a precondition (a 409 is computed again from the newer object). An
 * Ingress whose status already says it is not written, so the watch event of a write ends in no write.
 */
import { Counter, type Registry } from 'prom-client';
import type { KubeObject } from '../../core/kube.js';
import { silentLogger, type Logger } from '../../core/log.js';
import { coalesced } from '../../core/coalesce.js';
import type { Snapshot } from '../../model/types.js';
import { ingressStatuses } from '../../model/ingress-status.js';
import { isOk, type KubeClient } from './client.js';
import { objectPath } from './resources.js';

export interface IngressStatusOptions {
  client: KubeClient;
  isLeader: () => boolean;
  /** The Ingresses as the informer has them (with their status). */
  objects: () => readonly KubeObject[];
  /** The snapshot the xDS server serves (undefined before the first). */
  snapshot: () => Snapshot | undefined;
  log?: Logger;
  registry?: Registry;
}

export interface IngressStatusReport {
  syncs: number;
  written: number;
  failed: number;
  lastError?: string;
}

/** The status subresource the writer patches (the ClusterRole grants `patch` on exactly this). */
export const INGRESS_STATUS_RESOURCE = { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', namespaced: true } as const;

export class IngressStatusWriter {
  private readonly log: Logger;
  private readonly writes: Counter<'outcome'>;
  private readonly stats: IngressStatusReport = { syncs: 0, written: 0, failed: 0 };

  constructor(private readonly o: IngressStatusOptions) {
    this.log = (o.log ?? silentLogger).child({ component: 'ingress-status' });
    this.writes = new Counter({
      name: 'mizzen_ingress_status_writes_total',
      help: 'Status writes to Kubernetes Ingresses, by outcome (written, failed)',
      labelNames: ['outcome'],
      registers: o.registry ? [o.registry] : [],
    });
  }

  /** Computes and writes what differs; a call while one runs makes that one run again when it ends. */
  readonly sync = coalesced(() => this.once());

  report(): IngressStatusReport {
    return { ...this.stats };
  }

  private async once(): Promise<void> {
    if (!this.o.isLeader()) return;
    const snap = this.o.snapshot();
    if (!snap) return;
    this.stats.syncs += 1;
    for (const w of ingressStatuses(this.o.objects(), snap)) {
      if (!this.o.isLeader()) return;
      const path = `${objectPath(INGRESS_STATUS_RESOURCE, w.namespace, w.name)}/status`;
      const loadBalancer = { ingress: w.ingress.length ? w.ingress : null };
      const body = { ...(w.resourceVersion ? { metadata: { resourceVersion: w.resourceVersion } } : {}), status: { loadBalancer } };
      const res = await this.o.client.patch(path, body, 'merge');
      const id = `Ingress ${w.namespace}/${w.name}`;
      if (isOk(res)) {
        this.stats.written += 1;
        this.writes.inc({ outcome: 'written' });
        this.log.debug({ object: id }, 'ingress status written');
      } else {
        this.stats.failed += 1;
        this.stats.lastError = `${id}: HTTP ${res.status}`;
        this.writes.inc({ outcome: 'failed' });
        // 409: the object changed since; its watch event brings the next sync.
        if (res.status !== 409) this.log.warn({ object: id, status: res.status }, 'ingress status not written');
      }
    }
  }
}
