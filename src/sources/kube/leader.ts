/**
 * Leader election on a coordination.k8s.io/v1 Lease, for work that must happen once across replicas (the
 * watchdog's Events and healing). The webhook and xDS serve from every replica regardless.
 *
 * As client-go does it: every `retryPeriodMs` each candidate reads the Lease. The holder renews it (PUT with the
 * resourceVersion read, so a concurrent writer gets 409 and loses). A candidate takes it over once the holder
 * has not renewed for `leaseDurationMs`, measured on the candidate's own clock from when it last saw the record
 * change (no trust in other replicas' clocks). A leader that cannot renew for `renewDeadlineMs` steps down.
 * Leadership is judged on the current clock: isLeader() is false once the last renewal is older than the renew
 * deadline, even while an attempt is still waiting for the API server, and every attempt is aborted when that
 * deadline passes (a non-leader's after `renewDeadlineMs`), so a hung connection never keeps a replica leading.
 * On shutdown the leader releases the Lease (empty holder) so another replica takes over at once.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { silentLogger, type Logger } from '../../core/log.js';
import { Defaults } from '../../core/constants.js';
import type { KubeClient } from './client.js';

export interface LeaderOptions {
  client: KubeClient;
  /** Lease namespace (default mizzen-system, or POD_NAMESPACE). */
  namespace?: string;
  /** Lease name (default `mizzen-leader`). */
  name?: string;
  /** This candidate (default POD_NAME, else hostname + random suffix). */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log?: Logger;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
}

export interface LeaderStatus {
  identity: string;
  lease: string;
  leading: boolean;
  /** The holder as last observed ('' when released, undefined when never read). */
  holder?: string;
  transitions: number;
  lastError?: string;
}

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

/** RFC 3339 with microseconds, as MicroTime is serialized. */
const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export function defaultIdentity(): string {
  return process.env.POD_NAME || `${hostname()}-${randomBytes(3).toString('hex')}`;
}

export class LeaderElector {
  readonly identity: string;
  private readonly ns: string;
  private readonly name: string;
  private readonly durationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private readonly log: Logger;
  private leading = false;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** The record as last seen, and when (our clock) it last changed. */
  private observed: { key: string; at: number; spec: LeaseSpec } | undefined;
  private lastRenew = 0;
  private lastError: string | undefined;

  constructor(private readonly o: LeaderOptions) {
    this.identity = o.identity ?? defaultIdentity();
    this.ns = o.namespace ?? process.env.POD_NAMESPACE ?? Defaults.controlPlaneNamespace;
    this.name = o.name ?? 'mizzen-leader';
    this.durationMs = o.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = o.renewDeadlineMs ?? 10_000;
    this.retryMs = o.retryPeriodMs ?? 2_000;
    this.log = (o.log ?? silentLogger).child({ component: 'leader-election', lease: `${this.ns}/${this.name}`, identity: this.identity });
  }

  isLeader(): boolean {
    return this.leading && Date.now() - this.lastRenew <= this.renewDeadlineMs;
  }

  status(): LeaderStatus {
    return {
      identity: this.identity,
      lease: `${this.ns}/${this.name}`,
      leading: this.isLeader(),
      ...(this.observed ? { holder: this.observed.spec.holderIdentity ?? '' } : {}),
      transitions: this.observed?.spec.leaseTransitions ?? 0,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.tick();
  }

  /** Stops campaigning; a leader releases the Lease unless `release` is false (a crash, in tests). */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    if (this.leading && opts.release !== false) await this.release();
    this.setLeading(false);
  }

  private tick(): void {
    if (this.stopped) return;
    // A leader's attempt may run until its renew deadline, a candidate's for the renew deadline.
    const budgetMs = this.leading ? this.lastRenew + this.renewDeadlineMs - Date.now() : this.renewDeadlineMs;
    const abort = new AbortController();
    const deadline = setTimeout(() => {
      const reason = new Error(`no answer within the renew deadline (${this.renewDeadlineMs} ms)`);
      abort.abort(reason);
      // Step down now, not when the client gives the attempt up; the cause is the last failure since the last renewal.
      if (this.leading) this.stepDown(this.lastError ?? reason.message);
    }, Math.max(0, budgetMs));
    this.running = this.tryAcquireOrRenew(abort.signal)
      .catch((e) => {
        this.lastError = (e as Error).message;
      })
      .finally(() => {
        clearTimeout(deadline);
        this.running = undefined;
        if (this.stopped) return;
        // A little jitter keeps candidates from moving in lockstep.
        this.timer = setTimeout(() => this.tick(), this.retryMs * (1 + Math.random() * 0.2));
        this.timer.unref?.();
      });
  }

  private path(name?: string): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.ns)}/leases${name ? `/${encodeURIComponent(name)}` : ''}`;
  }

  private spec(now: number, prev: LeaseSpec | undefined): LeaseSpec {
    const keep = prev?.holderIdentity === this.identity;
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.max(1, Math.round(this.durationMs / 1000)),
      acquireTime: keep && prev?.acquireTime ? prev.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (prev?.leaseTransitions ?? 0) + (prev && !keep ? 1 : 0),
    };
  }

  private async tryAcquireOrRenew(signal: AbortSignal): Promise<void> {
    const now = Date.now();
    const got = await this.o.client.request('GET', this.path(this.name), undefined, { signal });
    if (got.status === 404) {
      const created = await this.o.client.request('POST', this.path(), {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.name, namespace: this.ns },
        spec: this.spec(now, undefined),
      }, { signal });
      if (created.status === 201 || created.status === 200) return this.renewed(now, created.body?.spec);
      return this.failed(created.status === 409 ? 'another candidate created the Lease first' : `create Lease: ${created.message}`);
    }
    if (got.status !== 200 || !got.body) return this.failed(`get Lease: ${got.message}`);
    const lease = got.body;
    const spec: LeaseSpec = lease.spec ?? {};
    const key = `${spec.holderIdentity ?? ''}|${spec.renewTime ?? ''}|${lease.metadata?.resourceVersion ?? ''}`;
    if (!this.observed || this.observed.key !== key) this.observed = { key, at: now, spec };
    const holder = spec.holderIdentity ?? '';
    const durationMs = (spec.leaseDurationSeconds ?? this.durationMs / 1000) * 1000;
    if (holder !== '' && holder !== this.identity && now - this.observed.at < durationMs) {
      // Someone else holds a live lease.
      if (this.leading) {
        this.log.warn({ holder }, 'lost the lease to another replica');
        this.setLeading(false);
      }
      return;
    }
    if (holder !== '' && holder !== this.identity) this.log.info({ holder, silentForMs: now - this.observed.at }, 'lease expired; taking over');
    const updated = await this.o.client.request('PUT', this.path(this.name), { ...lease, spec: this.spec(now, spec) }, { signal });
    if (updated.status === 200) return this.renewed(now, updated.body?.spec);
    return this.failed(updated.status === 409 ? 'the Lease changed meanwhile (another replica wrote it)' : `update Lease: ${updated.message}`);
  }

  private renewed(now: number, spec: LeaseSpec | undefined): void {
    this.lastRenew = now;
    this.lastError = undefined;
    if (spec) this.observed = { key: `${spec.holderIdentity ?? ''}|${spec.renewTime ?? ''}|renewed`, at: now, spec };
    if (!this.leading) this.log.info('became leader');
    this.setLeading(true);
  }

  /** Judged when the attempt ends, not when it began: a slow attempt counts against the renew deadline. */
  private failed(message: string): void {
    this.lastError = message;
    if (this.leading && Date.now() - this.lastRenew >= this.renewDeadlineMs) this.stepDown(message);
    else this.log.debug({ err: message }, 'lease attempt failed');
  }

  private stepDown(err: string): void {
    this.log.warn({ err }, `could not renew the lease for ${this.renewDeadlineMs} ms; stepping down`);
    this.setLeading(false);
  }

  private async release(): Promise<void> {
    const got = await this.o.client.get(this.path(this.name));
    if (got.status !== 200 || got.body?.spec?.holderIdentity !== this.identity) return;
    const now = microTime(Date.now());
    const r = await this.o.client.replace(this.path(this.name), { ...got.body, spec: { ...got.body.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now } });
    if (r.status === 200) this.log.info('released the lease');
    else this.log.warn({ err: r.message }, 'could not release the lease; it expires by itself');
  }

  private setLeading(v: boolean): void {
    if (v === this.leading) return;
    this.leading = v;
    try {
      if (v) this.o.onStartedLeading?.();
      else this.o.onStoppedLeading?.();
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'leadership callback failed');
    }
  }
}
