/**
 * The Kubernetes config source: one supervised informer per resource (Namespaces, Services, EndpointSlices,
 * Pods, every Istio kind; Secrets when the caller asks: see kubeResources()) feeding the config store under the
 * source name `kube`, next to any file source.
 *
 * Istio resources are validated as the file source does: an invalid one is reported (log, metric, errors()) and
 * not applied; its last good version stays in force until it is fixed or deleted. The source is `synced` once
 * every informer has applied its first list (a kind whose CRD is missing counts as synced and empty).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { objectKey, type KubeObject } from '../../core/kube.js';
import { silentLogger, type Logger } from '../../core/log.js';
import type { ConfigStore } from '../../model/store.js';
import { validateObject } from '../../validation/index.js';
import type { KubeClient } from './client.js';
import { Informer, type InformerOptions, type InformerStatus } from './informer.js';
import { KUBE_RESOURCES, type KubeResource } from './resources.js';

export const KUBE_SOURCE = 'kube';

export type KubeChange = 'add' | 'update' | 'delete';

export interface KubeConfigError {
  /** objectKey() of the rejected object. */
  key: string;
  message: string;
  /** Whether a previous good version is still in force. */
  keptLastGood: boolean;
  at: string;
}

export type InformerTuning = Partial<Pick<InformerOptions, 'idleMs' | 'backoff' | 'crdRetryMaxMs' | 'minWatchTimeoutSeconds' | 'pageSize'>>;

export interface KubeSourceOptions {
  client: KubeClient;
  store: ConfigStore;
  log?: Logger;
  registry?: Registry;
  /** Validation of Istio resources (the real validator unless a test swaps it). */
  validate?: (obj: unknown) => { errors: string[]; warnings: string[] };
  informer?: InformerTuning;
  resources?: readonly KubeResource[];
}

export interface KubeSourceStatus {
  synced: boolean;
  server: string;
  informers: InformerStatus[];
  errors: KubeConfigError[];
}

/**
 * How informers are keyed: by kind in the core group, else by kind and group, as objectKey() qualifies kinds (two
 * groups have a Gateway: Istio's and the Gateway API's).
 */
export const informerKey = (r: Pick<KubeResource, 'kind' | 'group'>): string => (r.group ? `${r.kind}.${r.group}` : r.kind);

export class KubeSource {
  private readonly informers = new Map<string, Informer>();
  private readonly errs = new Map<string, KubeConfigError>();
  private readonly listeners = new Set<(type: KubeChange, kind: string, obj: KubeObject) => void>();
  /** Keys of the Istio objects this source has applied (so a rejected edit knows whether a last good exists). */
  private readonly applied = new Set<string>();
  private readonly syncWaiters = new Set<() => void>();
  private readonly log: Logger;
  private readonly validate: (obj: unknown) => { errors: string[]; warnings: string[] };
  private readonly metrics: { rejected: Counter; current: Gauge; synced: Gauge };

  constructor(private readonly o: KubeSourceOptions) {
    this.log = (o.log ?? silentLogger).child({ component: 'kube-source', server: o.client.server });
    this.validate = o.validate ?? validateObject;
    this.metrics = kubeMetrics(o.registry);
    for (const r of o.resources ?? KUBE_RESOURCES) {
      this.informers.set(informerKey(r), new Informer({ ...o.informer, client: o.client, resource: r, log: this.log, onEvent: (type, obj) => this.apply(r, type, obj), onSynced: () => this.checkSynced() }));
    }
  }

  async start(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.start()));
    this.log.info({ resources: this.informers.size }, 'kube source: informers started');
  }

  stop(): void {
    for (const i of this.informers.values()) i.stop();
    for (const w of this.syncWaiters) w();
    this.syncWaiters.clear();
  }

  /** Every informer has applied its first list. */
  synced(): boolean {
    for (const i of this.informers.values()) if (!i.synced) return false;
    return true;
  }

  /** Resolves true once synced, false after `timeoutMs` (or when stopped first). */
  whenSynced(timeoutMs = 60_000): Promise<boolean> {
    if (this.synced()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.syncWaiters.delete(done);
        resolve(this.synced());
      };
      const t = setTimeout(done, timeoutMs);
      t.unref?.();
      this.syncWaiters.add(done);
    });
  }

  /** The informer of a kind: its name for the core group (`Pod`), else group-qualified (`Gateway.gateway.networking.k8s.io`). */
  informer(kind: string): Informer | undefined {
    return this.informers.get(kind);
  }

  /** Objects of one kind (named as informer() names it) as the informer knows them (apiVersion/kind set). */
  objects(kind: string): readonly KubeObject[] {
    return this.informers.get(kind)?.list() ?? [];
  }

  pod(namespace: string, name: string): KubeObject | undefined {
    return this.informers.get('Pod')?.get(namespace, name);
  }

  namespace(name: string): KubeObject | undefined {
    return this.informers.get('Namespace')?.get(undefined, name);
  }

  /** Subscribes to applied changes (type, kind, object); returns the unsubscribe function. */
  onChange(fn: (type: KubeChange, kind: string, obj: KubeObject) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  errors(): KubeConfigError[] {
    return [...this.errs.values()].sort((a, b) => a.key.localeCompare(b.key));
  }

  status(): KubeSourceStatus {
    return { synced: this.synced(), server: this.o.client.server, informers: [...this.informers.values()].map((i) => i.status()), errors: this.errors() };
  }

  private checkSynced(): void {
    if (!this.synced()) return;
    this.metrics.synced.set(1);
    this.log.info({ objects: [...this.informers.values()].reduce((n, i) => n + i.list().length, 0) }, 'kube source: initial sync complete');
    for (const w of [...this.syncWaiters]) w();
  }

  private apply(r: KubeResource, type: KubeChange, obj: KubeObject): void {
    const key = objectKey(obj);
    if (type === 'delete') {
      this.o.store.remove(KUBE_SOURCE, key);
      this.applied.delete(key);
      if (this.errs.delete(key)) this.metrics.current.set(this.errs.size);
    } else if (r.istio) {
      const report = this.validate(obj);
      if (report.errors.length > 0) {
        const kept = this.applied.has(key);
        const e: KubeConfigError = { key, message: `${key}: ${report.errors.join('; ')}`, keptLastGood: kept, at: new Date().toISOString() };
        this.errs.set(key, e);
        this.metrics.rejected.inc();
        this.metrics.current.set(this.errs.size);
        this.log.warn({ key, keptLastGood: kept }, `config rejected: ${e.message}`);
        return;
      }
      for (const w of report.warnings) this.log.info({ key }, `config warning: ${w}`);
      if (this.errs.delete(key)) this.metrics.current.set(this.errs.size);
      this.applied.add(key);
      this.o.store.upsert(KUBE_SOURCE, obj);
    } else {
      this.o.store.upsert(KUBE_SOURCE, obj);
    }
    for (const fn of [...this.listeners]) {
      try {
        fn(type, r.kind, obj);
      } catch (e) {
        this.log.error({ err: (e as Error).message }, 'kube source: a change listener failed');
      }
    }
  }
}

function kubeMetrics(registry?: Registry): { rejected: Counter; current: Gauge; synced: Gauge } {
  const registers = registry ? [registry] : [];
  const get = <T>(name: string, make: () => T): T => ((registry?.getSingleMetric(name) as T | undefined) ?? make());
  return {
    rejected: get('mizzen_kube_config_rejected_total', () => new Counter({ name: 'mizzen_kube_config_rejected_total', help: 'Istio resources from the Kubernetes API rejected by validation (not applied).', registers })),
    current: get('mizzen_kube_config_errors', () => new Gauge({ name: 'mizzen_kube_config_errors', help: 'Istio resources from the Kubernetes API currently rejected.', registers })),
    synced: get('mizzen_kube_synced', () => new Gauge({ name: 'mizzen_kube_synced', help: '1 once every Kubernetes informer has applied its initial list.', registers })),
  };
}
