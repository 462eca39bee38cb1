/**
 * The uninjected-pod watchdog (beyond Istio): pods the API server sends to the injection webhook (a namespace
 * labelled istio-injection=enabled or istio.io/rev, or a pod label: src/inject/selection.ts) that the
 * injection policy would inject (not opted out, not hostNetwork, not a system namespace: decideInjection) but that
 * run without the istio-proxy sidecar — created while the webhook was down, or before the label was set.
 *
 * Each one is logged once, counted in the gauge `mizzen_uninjected_pods`, listed at /debug/uninjected, and — by
 * the leader only — gets a Warning Event on the pod. With `heal`, the leader restarts the pod's owner the way
 * `kubectl rollout restart` does (pod template annotation kubectl.kubernetes.io/restartedAt), resolving
 * ReplicaSet → Deployment through ownerReferences. Healing is rate-limited per owner (a cooldown and a cap on
 * attempts) so a webhook that keeps failing cannot turn it into a restart loop. Pods without a restartable owner
 * (bare pods, Jobs, ReplicaSets without a Deployment) are reported, never deleted.
 */
import { Gauge, type Registry } from 'prom-client';
import type { KubeObject } from '../../core/kube.js';
import { Defaults } from '../../core/constants.js';
import { silentLogger, type Logger } from '../../core/log.js';
import { coalesced } from '../../core/coalesce.js';
import type { MeshConfig } from '../../config/mesh.js';
import { decideInjection, hasSidecar } from '../../inject/index.js';
import { injectionSelection, selectionText } from '../../inject/selection.js';
import type { KubeClient } from './client.js';

export interface UninjectedPod {
  namespace: string;
  name: string;
  uid: string;
  /** Why the policy wants a sidecar (decideInjection's reason). */
  reason: string;
  /** The labels that send the pod to the webhook, as a sentence fragment. */
  selectedBecause: string;
  /** The controller owner as the pod names it. */
  owner?: { kind: string; name: string };
}

/** Pods that should carry the sidecar and do not. Pure. */
export function findUninjected(pods: readonly KubeObject[], namespaceLabels: (ns: string) => Record<string, string> | undefined, mesh: MeshConfig, controlPlaneNamespace: string = Defaults.controlPlaneNamespace): UninjectedPod[] {
  const out: UninjectedPod[] = [];
  for (const pod of pods) {
    const ns = pod.metadata?.namespace ?? 'default';
    if (ns === controlPlaneNamespace) continue;
    const nsLabels = namespaceLabels(ns);
    if (nsLabels === undefined) continue; // not (yet) known: its labels decide
    const selection = injectionSelection(nsLabels, pod.metadata.labels ?? {}, mesh.revision);
    if (selection === undefined) continue;
    if (pod.metadata.deletionTimestamp) continue;
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    if (hasSidecar(pod)) continue;
    const d = decideInjection(pod, { namespace: ns, mesh });
    if (!d.inject) continue;
    const ctl = (pod.metadata.ownerReferences ?? []).find((r) => r.controller) ?? pod.metadata.ownerReferences?.[0];
    out.push({
      namespace: ns,
      name: pod.metadata.name ?? '',
      uid: pod.metadata.uid ?? '',
      reason: d.reason,
      selectedBecause: selectionText(selection, ns, mesh.revision),
      ...(ctl ? { owner: { kind: ctl.kind, name: ctl.name } } : {}),
    });
  }
  return out.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

const RESTARTABLE: Record<string, string> = { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets' };
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

export interface WatchdogOptions {
  client: KubeClient;
  /** The mesh config in force (it may be reloaded). */
  mesh: () => MeshConfig;
  /** Current pods and namespace labels (the informers' caches). */
  pods: () => readonly KubeObject[];
  namespaceLabels: (ns: string) => Record<string, string> | undefined;
  /** Only the leader emits Events and heals. */
  isLeader: () => boolean;
  heal?: boolean;
  /** Who reports (Event source instance). */
  identity?: string;
  controlPlaneNamespace?: string;
  /** Between restarts of the same owner (default 10 min). */
  healCooldownMs?: number;
  /** Restarts of the same owner before giving up (default 3). */
  maxHealAttempts?: number;
  log?: Logger;
  registry?: Registry;
}

interface HealRecord {
  attempts: number;
  at: number;
  result: string;
}

export interface WatchdogReport {
  leader: boolean;
  heal: boolean;
  lastScan?: string;
  pods: Array<UninjectedPod & { evented: boolean; heal?: string }>;
  owners: Array<{ owner: string; attempts: number; at: string; result: string }>;
}

export class Watchdog {
  private current: UninjectedPod[] = [];
  private readonly logged = new Set<string>();
  private readonly evented = new Set<string>();
  private readonly healed = new Map<string, HealRecord>();
  private readonly podHeal = new Map<string, string>();
  private lastScan: string | undefined;
  private readonly log: Logger;
  private readonly gauge: Gauge;

  constructor(private readonly o: WatchdogOptions) {
    this.log = (o.log ?? silentLogger).child({ component: 'watchdog' });
    const registers = o.registry ? [o.registry] : [];
    this.gauge = (o.registry?.getSingleMetric('mizzen_uninjected_pods') as Gauge | undefined) ?? new Gauge({ name: 'mizzen_uninjected_pods', help: 'Pods in injection-enabled namespaces running without the istio-proxy sidecar.', registers });
  }

  /** Scans now (coalesced: a scan requested during one runs once more after it). */
  readonly scan = coalesced(() => this.scanOnce());

  report(): WatchdogReport {
    return {
      leader: this.o.isLeader(),
      heal: this.o.heal === true,
      ...(this.lastScan ? { lastScan: this.lastScan } : {}),
      pods: this.current.map((p) => ({ ...p, evented: this.evented.has(p.uid), ...(this.podHeal.has(p.uid) ? { heal: this.podHeal.get(p.uid) } : {}) })),
      owners: [...this.healed.entries()].map(([owner, h]) => ({ owner, attempts: h.attempts, at: new Date(h.at).toISOString(), result: h.result })),
    };
  }

  private async scanOnce(): Promise<void> {
    const found = findUninjected(this.o.pods(), this.o.namespaceLabels, this.o.mesh(), this.o.controlPlaneNamespace);
    this.current = found;
    this.lastScan = new Date().toISOString();
    this.gauge.set(found.length);
    const live = new Set(found.map((p) => p.uid));
    for (const uid of [...this.logged]) if (!live.has(uid)) this.logged.delete(uid);
    for (const p of found) {
      if (!this.logged.has(p.uid)) {
        this.logged.add(p.uid);
        this.log.warn({ namespace: p.namespace, name: p.name, owner: p.owner }, `pod ${p.namespace}/${p.name} runs without the istio-proxy sidecar although ${p.selectedBecause}`);
      }
    }
    if (!this.o.isLeader()) return;
    for (const p of found) {
      let healNote: string | undefined;
      if (this.o.heal) healNote = await this.heal(p);
      if (!this.evented.has(p.uid)) {
        if (await this.event(p, healNote)) this.evented.add(p.uid);
      }
    }
  }

  private async event(p: UninjectedPod, healNote: string | undefined): Promise<boolean> {
    const now = new Date().toISOString();
    const message = `Pod runs without the istio-proxy sidecar although ${p.selectedBecause} (created while the injection webhook was unavailable, or before the label was set).${healNote ? ` ${healNote}` : ' Restart its owner (kubectl rollout restart) to inject it, or run mizzen serve --heal.'}`;
    const r = await this.o.client.create(`/api/v1/namespaces/${encodeURIComponent(p.namespace)}/events`, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${p.name}.`, namespace: p.namespace },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: p.name, namespace: p.namespace, uid: p.uid },
      reason: 'SidecarMissing',
      message,
      type: 'Warning',
      source: { component: 'mizzen' },
      reportingComponent: 'mizzen',
      reportingInstance: this.o.identity ?? 'mizzen',
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
    if (r.status >= 200 && r.status < 300) return true;
    this.log.warn({ pod: `${p.namespace}/${p.name}`, err: r.message }, 'could not create the Event');
    return false;
  }

  /** Restarts the pod's owner when allowed; returns a note for the Event and the report. */
  private async heal(p: UninjectedPod): Promise<string | undefined> {
    const owner = await this.resolveOwner(p);
    if (!owner.ok) {
      this.podHeal.set(p.uid, owner.message);
      return undefined;
    }
    const key = `${owner.kind}/${p.namespace}/${owner.name}`;
    const prev = this.healed.get(key);
    const now = Date.now();
    const note = (): string => `${owner.kind} ${owner.name}: ${this.healed.get(key)!.result}`;
    if (prev && now - prev.at < (this.o.healCooldownMs ?? 600_000)) {
      this.podHeal.set(p.uid, note());
      return note();
    }
    if (prev && prev.attempts >= (this.o.maxHealAttempts ?? 3)) {
      prev.result = `gave up after ${prev.attempts} restarts (its new pods still lack the sidecar: is the injection webhook working?)`;
      this.podHeal.set(p.uid, note());
      return note();
    }
    const path = `/apis/apps/v1/namespaces/${encodeURIComponent(p.namespace)}/${RESTARTABLE[owner.kind]}/${encodeURIComponent(owner.name)}`;
    const at = new Date(now).toISOString();
    const r = await this.o.client.patch(path, { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: at } } } } }, 'strategic');
    const attempts = (prev?.attempts ?? 0) + 1;
    const result = r.status === 200 ? `restarted at ${at} (attempt ${attempts})` : `restart failed: ${r.message}`;
    this.healed.set(key, { attempts, at: now, result });
    if (r.status === 200) this.log.info({ owner: key, attempt: attempts }, `healing: restarted ${owner.kind} ${p.namespace}/${owner.name} so its pods get the sidecar`);
    else this.log.warn({ owner: key, err: r.message }, 'healing: restart failed');
    this.podHeal.set(p.uid, note());
    return note();
  }

  private async resolveOwner(p: UninjectedPod): Promise<{ ok: true; kind: string; name: string } | { ok: false; message: string }> {
    if (!p.owner) return { ok: false, message: 'not healed: the pod has no owner (a bare pod is never deleted)' };
    if (RESTARTABLE[p.owner.kind]) return { ok: true, kind: p.owner.kind, name: p.owner.name };
    if (p.owner.kind !== 'ReplicaSet') return { ok: false, message: `not healed: owner ${p.owner.kind} ${p.owner.name} cannot be restarted` };
    const rs = await this.o.client.get(`/apis/apps/v1/namespaces/${encodeURIComponent(p.namespace)}/replicasets/${encodeURIComponent(p.owner.name)}`);
    if (rs.status !== 200) return { ok: false, message: `not healed: cannot read ReplicaSet ${p.owner.name}: ${rs.message}` };
    const refs: Array<{ kind?: string; name?: string; controller?: boolean }> = rs.body?.metadata?.ownerReferences ?? [];
    const dep = refs.find((r) => r.kind === 'Deployment' && r.controller !== false);
    if (!dep?.name) return { ok: false, message: `not healed: ReplicaSet ${p.owner.name} has no Deployment owner` };
    return { ok: true, kind: 'Deployment', name: dep.name };
  }
}
