/**
 * `mizzen serve --deploy-gateways`: the leader makes and keeps the ServiceAccount, Deployment and Service of each
 * managed Gateway API Gateway of class istio, and the HorizontalPodAutoscaler and PodDisruptionBudget its
 * customization ConfigMaps ask for (model/gateway-api-deploy.ts renders them, gateway-customization.ts applies the
 * overlays), as Istio's gateway controller does. Each object is read (GET) and then:
 * - absent (404): created;
 * - the controller's own (ownedBy) and holding every value it sets: nothing is written, so a sync of settled
 *   Gateways writes nothing, whatever the API server added (defaults) or others added (labels, replicas);
 * - the controller's own and different: a merge patch of what it sets, conditional on the resourceVersion read
 *   (a 409 means someone wrote in between: the next sync reads again);
 * - someone else's (same name, not ours): left alone, said once in the log, counted every sync.
 * A Gateway the renderer refuses (an unknown service type, a name too long, a pod the injector cannot make, a
 * customization that cannot be applied) gets nothing written, likewise said once and counted; its customization
 * errors are also offered to the status writer (invalidParameters). API errors (403 without
 * manifests/gateway-deploy/, 5xx, no answer) are logged and counted; the next sync tries again. Nothing here throws
 * into the server. Deleting a Gateway deletes its objects through their owner references (Kubernetes' garbage
 * collector). The one deletion here: an HPA or PDB that no customization asks for any more and that this Gateway
 * owns (leftoverOf), deleted with its uid and resourceVersion as preconditions. Istio leaves such an HPA scaling
 * and such a PDB holding evictions until someone deletes them by hand; removing the overlay is asking for neither.
 */
import { isDeepStrictEqual } from 'node:util';
import { Counter, type Registry } from 'prom-client';
import type { KubeObject } from '../../core/kube.js';
import { silentLogger, type Logger } from '../../core/log.js';
import { coalesced } from '../../core/coalesce.js';
import { Defaults } from '../../core/constants.js';
import type { MeshConfig } from '../../config/mesh.js';
import type { ProxyConfigLookup } from '../../inject/proxy-configs.js';
import { type DeployedKind, type OptionalKind, gatewayDeployments, leftoverOf, ownedBy, updateFor } from '../../model/gateway-api-deploy.js';
import { metric } from '../../metrics.js';
import { isOk, type ApiResponse, type KubeClient } from './client.js';
import { objectPath } from './resources.js';

const WRITES = ['get', 'create', 'patch'] as const;
const WRITES_AND_DELETES = [...WRITES, 'delete'] as const;

/** The resources the controller writes, and how (manifests/gateway-deploy/ grants exactly these verbs on them). */
export const GATEWAY_DEPLOY_RESOURCES: Readonly<Record<DeployedKind, { group: string; version: string; plural: string; namespaced: true; verbs: readonly string[] }>> = {
  ServiceAccount: { group: '', version: 'v1', plural: 'serviceaccounts', namespaced: true, verbs: WRITES },
  Deployment: { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true, verbs: WRITES },
  Service: { group: '', version: 'v1', plural: 'services', namespaced: true, verbs: WRITES },
  HorizontalPodAutoscaler: { group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', namespaced: true, verbs: WRITES_AND_DELETES },
  PodDisruptionBudget: { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', namespaced: true, verbs: WRITES_AND_DELETES },
};

const RBAC_HINT = 'apply manifests/gateway-deploy/: its ClusterRole allows get, create and patch on Deployments, Services, ServiceAccounts, HorizontalPodAutoscalers and PodDisruptionBudgets, and delete on the last two';

/** What happened to one object in a sync (`invalid`: its Gateway was refused, nothing was made; `deleted`: a leftover HPA or PDB). */
export type DeployOutcome = 'created' | 'patched' | 'unchanged' | 'deleted' | 'foreign' | 'conflict' | 'failed' | 'invalid';

export interface GatewayDeployOptions {
  client: KubeClient;
  isLeader: () => boolean;
  /**
   * The Gateways, GatewayClasses and ConfigMaps (customizations) as the informers have them; undefined until they
   * have listed. Without `configMaps`, no customization is applied.
   */
  objects: () => { gateways: readonly KubeObject[]; classes: readonly KubeObject[]; configMaps?: readonly KubeObject[] } | undefined;
  /** The control plane's namespace, where the class defaults ConfigMaps are (default mizzen-system). */
  controlPlaneNamespace?: string;
  /** Called after a sync that changed which Gateways have customization errors, or what they are (the status shows them). */
  onInvalidParameters?: () => void;
  /** The mesh config in force (it may be reloaded). */
  mesh: () => MeshConfig;
  /** The ProxyConfig resources known, as the webhook's injector reads them. */
  proxyConfigs?: () => ProxyConfigLookup | undefined;
  log?: Logger;
  registry?: Registry;
  /** A request without an answer within this is failed (default 10 s), so that a hung API server stalls no sync for long. */
  requestTimeoutMs?: number;
}

/** /debug/gatewaydeploy: the last sync, object by object. */
export interface GatewayDeployReport {
  leader: boolean;
  /** Syncs done (each has its outcomes in `gateways` once counted). */
  syncs: number;
  /** When the last sync done started. */
  lastSync?: string;
  /** Outcomes since start. */
  counts: Partial<Record<DeployOutcome, number>>;
  /** Each Gateway of the last sync: its objects' outcomes (`kind name: outcome`, and why for a failure), or why it got none. */
  gateways: Array<{ gateway: string; objects?: string[]; errors?: string[] }>;
  lastError?: string;
}

export class GatewayDeployer {
  private readonly log: Logger;
  private readonly outcomes: Counter<'kind' | 'outcome'>;
  private readonly stats: Omit<GatewayDeployReport, 'leader'> = { syncs: 0, counts: {}, gateways: [] };
  /** What was said at warn level, so that a state that lasts is said once (keys of objects or Gateways, with the text). */
  private said = new Set<string>();
  /** The customization errors of the last sync, by Gateway `namespace/name`. */
  private invalid = new Map<string, string>();

  constructor(private readonly o: GatewayDeployOptions) {
    this.log = (o.log ?? silentLogger).child({ component: 'gateway-deploy' });
    const name = 'mizzen_gateway_deployments_total';
    const make = () => new Counter({ name, help: 'Objects of Gateway API gateway deployments (ServiceAccount, Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget) per sync, by outcome: created, patched, unchanged, deleted (a leftover HPA or PDB), foreign (not ours: left alone), conflict, failed, invalid (Gateway refused)', labelNames: ['kind', 'outcome'] as const, registers: o.registry ? [o.registry] : [] });
    this.outcomes = o.registry ? metric(o.registry, name, make) : make();
  }

  /** Reads and writes what differs; a call while one runs makes that one run again when it ends. */
  readonly sync = coalesced(async () => {
    try {
      await this.once();
    } catch (e) {
      // A bug, not an API error (those are values): said, and the server keeps serving.
      this.log.error({ err: (e as Error).message }, 'gateway deployment sync failed');
      this.stats.lastError = (e as Error).message;
    }
  });

  /** Why the customization of a Gateway (`namespace/name`) could not be applied in the last sync; undefined when it could. */
  invalidParameters(gateway: string): string | undefined {
    return this.invalid.get(gateway);
  }

  report(): GatewayDeployReport {
    return { leader: this.o.isLeader(), ...this.stats, counts: { ...this.stats.counts }, gateways: this.stats.gateways.map((g) => ({ ...g })) };
  }

  private count(kind: string, outcome: DeployOutcome): void {
    this.outcomes.inc({ kind, outcome });
    this.stats.counts[outcome] = (this.stats.counts[outcome] ?? 0) + 1;
  }

  /** Warns once for as long as `key` stays in this state (`said` keeps what the last sync said). */
  private warnOnce(now: Set<string>, key: string, fields: Record<string, unknown>, message: string): void {
    const k = `${key}\n${message}`;
    now.add(k);
    if (!this.said.has(k)) this.log.warn(fields, message);
  }

  private async once(): Promise<void> {
    if (!this.o.isLeader()) return;
    const objects = this.o.objects();
    if (!objects) return;
    const started = new Date().toISOString();
    const customization = objects.configMaps ? { configMaps: objects.configMaps, controlPlaneNamespace: this.o.controlPlaneNamespace ?? Defaults.controlPlaneNamespace } : undefined;
    const plans = gatewayDeployments(objects.gateways, objects.classes, { mesh: this.o.mesh(), proxyConfigs: this.o.proxyConfigs?.(), ...(customization ? { customization } : {}) });
    const said = new Set<string>();
    const invalid = new Map<string, string>();
    const report: GatewayDeployReport['gateways'] = [];
    for (const plan of plans) {
      if (!this.o.isLeader()) break;
      if (!plan.ok) {
        this.count('Gateway', 'invalid');
        this.warnOnce(said, plan.gateway, { gateway: plan.gateway, errors: plan.errors }, `Gateway ${plan.gateway}: no gateway deployed: ${plan.errors.join('; ')}`);
        if (plan.invalidParameters) invalid.set(plan.gateway, plan.errors.join('; '));
        report.push({ gateway: plan.gateway, errors: plan.errors });
        continue;
      }
      const name = plan.gateway.slice(plan.gateway.indexOf('/') + 1);
      const gw = { name, uid: plan.uid };
      const lines: string[] = [];
      const done = (kind: string, objName: string | undefined, r: { outcome: DeployOutcome; why?: string }): void => {
        this.count(kind, r.outcome);
        lines.push(`${kind} ${objName}: ${r.outcome}${r.why ? ` (${r.why})` : ''}`);
      };
      for (const desired of plan.value.objects) {
        done(desired.kind, desired.metadata.name, await this.apply(desired.kind as DeployedKind, desired, gw, said, plan.value.autoscaled));
      }
      for (const { kind, name: objName } of plan.value.unwanted) {
        const r = await this.removeLeftover(kind, plan.gateway.slice(0, plan.gateway.indexOf('/')), objName, gw, said);
        if (r) done(kind, objName, r);
      }
      report.push({ gateway: plan.gateway, objects: lines });
    }
    // Counted once done, so that a report with a new count holds that sync's outcomes.
    this.stats.gateways = report;
    this.stats.syncs += 1;
    this.stats.lastSync = started;
    this.said = said;
    const changed = !isDeepStrictEqual([...invalid].sort(), [...this.invalid].sort());
    this.invalid = invalid;
    if (changed) this.o.onInvalidParameters?.();
  }

  /**
   * An HPA or PDB that no overlay asks for any more: deleted when it is this Gateway's (leftoverOf), conditionally
   * on what was read; anything else of that name is not the controller's business (undefined: nothing to report).
   */
  private async removeLeftover(kind: OptionalKind, ns: string, name: string, gw: { name: string; uid?: string }, said: Set<string>): Promise<{ outcome: DeployOutcome; why?: string } | undefined> {
    const path = objectPath(GATEWAY_DEPLOY_RESOURCES[kind], ns, name);
    const id = `${kind} ${ns}/${name}`;
    const got = await this.request('GET', path);
    if (got.status === 404) return undefined;
    if (!isOk(got)) return this.failed(id, 'read', got, said);
    const existing = got.body as KubeObject | undefined;
    if (typeof existing !== 'object' || existing === null || typeof existing.metadata !== 'object' || existing.metadata === null) {
      return this.failed(id, 'read', { ...got, message: 'the answer is not an object with metadata' }, said);
    }
    if (!leftoverOf(kind, existing, gw)) return undefined;
    const { uid, resourceVersion } = existing.metadata;
    const preconditions = { ...(typeof uid === 'string' ? { uid } : {}), ...(typeof resourceVersion === 'string' ? { resourceVersion } : {}) };
    const res = await this.request('DELETE', path, { apiVersion: 'v1', kind: 'DeleteOptions', preconditions });
    if (isOk(res) || res.status === 404) {
      this.log.info({ object: id, gateway: `${ns}/${gw.name}` }, 'gateway object no customization asks for any more: deleted');
      return { outcome: 'deleted' };
    }
    // 409: changed (or replaced) since it was read: the next sync reads it again.
    if (res.status === 409) return { outcome: 'conflict' };
    return this.failed(id, 'delete', res, said);
  }

  private async apply(kind: DeployedKind, desired: KubeObject, gw: { name: string; uid?: string }, said: Set<string>, autoscaled: boolean): Promise<{ outcome: DeployOutcome; why?: string }> {
    const r = GATEWAY_DEPLOY_RESOURCES[kind];
    const ns = desired.metadata.namespace!;
    const name = desired.metadata.name!;
    const id = `${kind} ${ns}/${name}`;
    const path = objectPath(r, ns, name);
    const got = await this.request('GET', path);
    if (got.status === 404) {
      const created = await this.request('POST', objectPath(r, ns), desired);
      if (isOk(created)) {
        this.log.info({ object: id, gateway: `${ns}/${gw.name}` }, 'gateway object created');
        return { outcome: 'created' };
      }
      return this.failed(id, 'create', created, said);
    }
    if (!isOk(got)) return this.failed(id, 'read', got, said);
    const existing = got.body as KubeObject | undefined;
    if (typeof existing !== 'object' || existing === null || typeof existing.metadata !== 'object' || existing.metadata === null) {
      return this.failed(id, 'read', { ...got, message: 'the answer is not an object with metadata' }, said);
    }
    if (!ownedBy(kind, existing, gw)) {
      const lacks = kind === 'Deployment' ? 'gateway.istio.io/managed label' : kind === 'Service' || kind === 'ServiceAccount' ? 'owner reference to the Gateway' : 'gateway.istio.io/managed label and owner reference to the Gateway';
      this.warnOnce(said, id, { object: id, gateway: `${ns}/${gw.name}` }, `${id} exists and is not the gateway controller's (no ${lacks} with gateway-name ${gw.name}): left alone`);
      return { outcome: 'foreign' };
    }
    const patch = updateFor(kind, desired, existing, autoscaled);
    if (!patch) return { outcome: 'unchanged' };
    const res = await this.request('PATCH', path, patch, 'application/merge-patch+json');
    if (isOk(res)) {
      this.log.info({ object: id }, 'gateway object updated');
      return { outcome: 'patched' };
    }
    // 409: written by someone else since it was read; the watch event or the next interval brings another sync.
    if (res.status === 409) return { outcome: 'conflict' };
    return this.failed(id, 'patch', res, said);
  }

  private failed(id: string, what: string, res: ApiResponse, said: Set<string>): { outcome: DeployOutcome; why: string } {
    const why = `${what}: ${res.message}${res.status === 403 ? ` (${RBAC_HINT})` : ''}`;
    this.stats.lastError = `${id}: ${why}`;
    this.warnOnce(said, id, { object: id, status: res.status }, `${id}: ${why}`);
    return { outcome: 'failed', why };
  }

  private request(method: string, path: string, body?: unknown, contentType?: string): Promise<ApiResponse> {
    return this.o.client.request(method, path, body, { timeoutMs: this.o.requestTimeoutMs ?? 10_000, ...(contentType ? { contentType } : {}) });
  }
}
