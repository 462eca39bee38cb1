/**
 * Writes the ingress gateway's addresses into the status of the Ingresses mizzen serves
 * (model/ingress-status.ts computes them), by the leader only: a merge patch of the status subresource with the
 * resourceVersion it was computed from as a precondition (a 409 is computed again from the newer object). An
 * Ingress whose status already says it is not written, so the watch event of a write ends in no write. Ingresses of
 * namespaces the mesh's discoverySelectors leave out are not served, and get nothing written.
 */
import type { Registry } from 'prom-client';
import type { KubeObject } from '../../core/kube.js';
import { silentLogger, type Logger } from '../../core/log.js';
import { coalesced } from '../../core/coalesce.js';
import type { Snapshot } from '../../model/types.js';
import { ingressStatuses } from '../../model/ingress-status.js';
import { discoveredIn } from '../../model/discovery.js';
import type { KubeClient } from './client.js';
import { objectPath } from './resources.js';
import { StatusWrites, type StatusWriteReport } from './status-writes.js';

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

export type IngressStatusReport = StatusWriteReport;

/** The status subresource the writer patches (the ClusterRole grants `patch` on exactly this). */
export const INGRESS_STATUS_RESOURCE = { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', namespaced: true } as const;

export class IngressStatusWriter {
  private readonly writes: StatusWrites;

  constructor(private readonly o: IngressStatusOptions) {
    const log = (o.log ?? silentLogger).child({ component: 'ingress-status' });
    this.writes = new StatusWrites(o.client, log, 'ingress', { name: 'mizzen_ingress_status_writes_total', help: 'Status writes to Kubernetes Ingresses, by outcome (written, failed)' }, o.registry);
  }

  /** Computes and writes what differs; a call while one runs makes that one run again when it ends. */
  readonly sync = coalesced(() => this.once());

  report(): IngressStatusReport {
    return this.writes.report();
  }

  private once(): Promise<void> {
    return this.writes.writeAll(this.o, (snap) =>
      ingressStatuses(discoveredIn(snap, this.o.objects()), snap).map((w) => ({
        path: objectPath(INGRESS_STATUS_RESOURCE, w.namespace, w.name),
        id: `Ingress ${w.namespace}/${w.name}`,
        status: { loadBalancer: { ingress: w.ingress.length ? w.ingress : null } },
        resourceVersion: w.resourceVersion,
      })),
    );
  }
}
