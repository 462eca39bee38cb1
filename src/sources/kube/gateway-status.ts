/**
 * Writes the status of the Gateway API objects mizzen serves (model/gateway-api-status.ts computes it), by the
 * leader only: a merge patch of the status subresource, with the resourceVersion the status was computed from
 * as a precondition, so that a write that lost a race (409) is simply computed again from the newer object.
 * Keys the status had and the new one lacks are removed (null in the patch). Nothing is written for an object
 * whose status is already right, so the watch event of a write ends in no write. Objects of namespaces the mesh's
 * discoverySelectors leave out get nothing written, as istiod never sees them.
 */
import type { Registry } from 'prom-client';
import type { KubeObject } from '../../core/kube.js';
import { silentLogger, type Logger } from '../../core/log.js';
import { coalesced } from '../../core/coalesce.js';
import type { Snapshot } from '../../model/types.js';
import { gatewayApiStatuses, type StatusWrite } from '../../model/gateway-api-status.js';
import { GATEWAY_API_GROUP, GATEWAY_API_X_GROUP } from '../../model/gateway-refs.js';
import { discoveredIn } from '../../model/discovery.js';
import type { KubeClient } from './client.js';
import { objectPath } from './resources.js';
import { StatusWrites, type StatusWriteReport } from './status-writes.js';

/** The status subresources the writer patches (the ClusterRole grants `patch` on exactly these). */
export const GATEWAY_STATUS_RESOURCES: Readonly<Record<StatusWrite['kind'], { plural: string; namespaced: boolean; version: string; group?: string }>> = {
  GatewayClass: { plural: 'gatewayclasses', namespaced: false, version: 'v1' },
  Gateway: { plural: 'gateways', namespaced: true, version: 'v1' },
  HTTPRoute: { plural: 'httproutes', namespaced: true, version: 'v1' },
  GRPCRoute: { plural: 'grpcroutes', namespaced: true, version: 'v1' },
  TLSRoute: { plural: 'tlsroutes', namespaced: true, version: 'v1' },
  TCPRoute: { plural: 'tcproutes', namespaced: true, version: 'v1alpha2' },
  BackendTLSPolicy: { plural: 'backendtlspolicies', namespaced: true, version: 'v1' },
  ListenerSet: { plural: 'listenersets', namespaced: true, version: 'v1' },
  // The experimental group (group unset: gateway.networking.k8s.io).
  XBackendTrafficPolicy: { plural: 'xbackendtrafficpolicies', namespaced: true, version: 'v1alpha1', group: GATEWAY_API_X_GROUP },
};

export interface GatewayStatusOptions {
  client: KubeClient;
  isLeader: () => boolean;
  /** The Gateway API objects as the informers have them (with their status). */
  objects: () => readonly KubeObject[];
  /** The snapshot the xDS server serves (undefined before the first). */
  snapshot: () => Snapshot | undefined;
  /** The Gateways whose gateway mizzen deploys (serve --deploy-gateways), for the message of their NoResources. */
  deployed?: (gw: KubeObject) => boolean;
  /** Why a Gateway's customization (its parametersRef ConfigMap, its class defaults) cannot be used: Accepted False, InvalidParameters. */
  invalidParameters?: (gw: KubeObject) => string | undefined;
  log?: Logger;
  registry?: Registry;
  now?: () => string;
}

export type GatewayStatusReport = StatusWriteReport;

export class GatewayStatusWriter {
  private readonly writes: StatusWrites;

  constructor(private readonly o: GatewayStatusOptions) {
    const log = (o.log ?? silentLogger).child({ component: 'gateway-status' });
    this.writes = new StatusWrites(o.client, log, 'gateway API', { name: 'mizzen_gateway_api_status_writes_total', help: 'Status writes to Gateway API objects, by outcome (written, failed)' }, o.registry);
  }

  /** Computes and writes what differs; a call while one runs makes that one run again when it ends. */
  readonly sync = coalesced(() => this.once());

  report(): GatewayStatusReport {
    return this.writes.report();
  }

  private once(): Promise<void> {
    return this.writes.writeAll(this.o, (snap) =>
      gatewayApiStatuses(discoveredIn(snap, this.o.objects()), snap, (this.o.now ?? (() => new Date().toISOString()))(), this.o.deployed, this.o.invalidParameters).map((w) => {
        const r = GATEWAY_STATUS_RESOURCES[w.kind];
        const status: Record<string, unknown> = { ...w.status };
        for (const k of w.removed) status[k] = null;
        return {
          path: objectPath({ group: r.group ?? GATEWAY_API_GROUP, version: r.version, plural: r.plural, namespaced: r.namespaced }, w.namespace, w.name),
          id: `${w.kind} ${w.namespace ? `${w.namespace}/` : ''}${w.name}`,
          status,
          resourceVersion: w.resourceVersion,
        };
      }),
    );
  }
}
