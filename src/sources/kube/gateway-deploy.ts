/**
 * `mizzen serve --deploy-gateways`: the leader makes and keeps the ServiceAccount, Deployment and Service of each
 * managed Gateway API Gateway of class istio (model/gateway-api-deploy.ts renders them), as Istio's gateway
 * controller does. Each object is read (GET) and then:
 * - absent (404): created;
 * - the controller's own (ownedBy) and holding every value it sets: nothing is written, so a sync of settled
 *   Gateways writes nothing, whatever the API server added (defaults) or others added (labels, replicas);
 * - the controller's own and different: a merge patch of what it sets, conditional on the resourceVersion read
 *   (a 409 means someone wrote in between: the next sync reads again);
 * - someone else's (same name, not ours): left alone, said once in the log, counted every sync.
 * A Gateway the renderer refuses (an unknown service type, a name too long, a pod the injector cannot make) gets
 * nothing, likewise said once and counted. API errors (403 without manifests/gateway-deploy/, 5xx, no answer) are
 * logged and counted; the next sync tries again. Nothing here throws into the server. Deleting a Gateway deletes its
 * objects through their owner references (Kubernetes' garbage collector): nothing here deletes.
 */
import { Counter, type Registry } from 'prom-client';
import type { KubeObject } from '../../core/kube.js';
import { silentLogger, type Logger } from '../../core/log.js';
import { coalesced } from '../../core/coalesce.js';
import type { MeshConfig } from '../../config/mesh.js';
import type { ProxyConfigLookup } from '../../inject/proxy-configs.js';
import { DEPLOYED_KINDS, type DeployedKind, gatewayDeployments, ownedBy, updateFor } from '../../model/gateway-api-deploy.js';
import { metric } from '../../metrics.js';
import { isOk, type ApiResponse, type KubeClient } from './client.js';
import { objectPath } from './resources.js';

/** The resources the controller writes (manifests/gateway-deploy/ grants get, create and patch on exactly these). */
export const GATEWAY_DEPLOY_RESOURCES: Readonly<Record<DeployedKind, { group: string; version: string; plural: string; namespaced: true }>> = {
  ServiceAccount: { group: '', version: 'v1', plural: 'serviceaccounts', namespaced: true },
  Deployment: { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true },
  Service: { group: '', version: 'v1', plural: 'services', namespaced: true },
};

const RBAC_HINT = 'apply manifests/gateway-deploy/: its ClusterRole allows get, create and patch on Deployments, Services and ServiceAccounts';

/** What happened to one object in a sync (`invalid`: its Gateway was refused, nothing was made). */
export type DeployOutcome = 'created' | 'patched' | 'unchanged' | 'foreign' | 'conflict' | 'failed' | 'invalid';

export interface GatewayDeployOptions {
  client: KubeClient;
  isLeader: () => boolean;
  /** The Gateways and GatewayClasses as the informers have them; undefined until both have listed. */
  objects: () => { gateways: readonly KubeObject[]; classes: readonly KubeObject[] } | undefined;
  mesh: MeshConfig;
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

  constructor(private readonly o: GatewayDeployOptions) {
    this.log = (o.log ?? silentLogger).child({ component: 'gateway-deploy' });
    const name = 'mizzen_gateway_deployments_total';
    const make = () => new Counter({ name, help: 'Objects of Gateway API gateway deployments (ServiceAccount, Deployment, Service) per sync, by outcome: created, patched, unchanged, foreign (not ours: left alone), conflict, failed, invalid (Gateway refused)', labelNames: ['kind', 'outcome'] as const, registers: o.registry ? [o.registry] : [] });
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
    const plans = gatewayDeployments(objects.gateways, objects.classes, { mesh: this.o.mesh, proxyConfigs: this.o.proxyConfigs?.() });
    const said = new Set<string>();
    const report: GatewayDeployReport['gateways'] = [];
    for (const plan of plans) {
      if (!this.o.isLeader()) break;
      if (!plan.ok) {
        this.count('Gateway', 'invalid');
        this.warnOnce(said, plan.gateway, { gateway: plan.gateway, errors: plan.errors }, `Gateway ${plan.gateway}: no gateway deployed: ${plan.errors.join('; ')}`);
        report.push({ gateway: plan.gateway, errors: plan.errors });
        continue;
      }
      const name = plan.gateway.slice(plan.gateway.indexOf('/') + 1);
      const lines: string[] = [];
      for (const [i, kind] of DEPLOYED_KINDS.entries()) {
        const desired = plan.value.objects[i]!;
        const { outcome, why } = await this.apply(kind, desired, { name, uid: plan.uid }, said);
        this.count(kind, outcome);
        lines.push(`${kind} ${desired.metadata.name}: ${outcome}${why ? ` (${why})` : ''}`);
      }
      report.push({ gateway: plan.gateway, objects: lines });
    }
    // Counted once done, so that a report with a new count holds that sync's outcomes.
    this.stats.gateways = report;
    this.stats.syncs += 1;
    this.stats.lastSync = started;
    this.said = said;
  }

  private async apply(kind: DeployedKind, desired: KubeObject, gw: { name: string; uid?: string }, said: Set<string>): Promise<{ outcome: DeployOutcome; why?: string }> {
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
      this.warnOnce(said, id, { object: id, gateway: `${ns}/${gw.name}` }, `${id} exists and is not the gateway controller's (no ${kind === 'Deployment' ? 'gateway.istio.io/managed label' : 'owner reference to the Gateway'} with gateway-name ${gw.name}): left alone`);
      return { outcome: 'foreign' };
    }
    const patch = updateFor(kind, desired, existing);
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
