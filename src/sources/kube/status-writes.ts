/**
 * The status writes of the leader's status writers (gateway-status.ts, ingress-status.ts): a merge patch of an
 * object's status subresource, with the resourceVersion the status was computed from as a precondition (a 409 means
 * the object changed since: its watch event brings the next sync, so it is counted but not warned of), counted by
 * outcome in one metric per writer and summed up for /debug.
 */
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../../core/log.js';
import type { Snapshot } from '../../model/types.js';
import { isOk, type KubeClient } from './client.js';

/** What a status writer did, for /debug. */
export interface StatusWriteReport {
  syncs: number;
  written: number;
  failed: number;
  lastError?: string;
}

/** One status write: the object's path (its status subresource is `path`/status), its name in the log, the status. */
export interface StatusPatch {
  path: string;
  id: string;
  status: Record<string, unknown>;
  resourceVersion?: string;
}

export class StatusWrites {
  private readonly stats: StatusWriteReport = { syncs: 0, written: 0, failed: 0 };
  private readonly counter: Counter<'outcome'>;

  /** `what` names the objects in the log ("gateway API", "ingress"); `metric` is the counter's name and help. */
  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
    private readonly what: string,
    metric: { name: string; help: string },
    registry?: Registry,
  ) {
    this.counter = new Counter({ name: metric.name, help: metric.help, labelNames: ['outcome'], registers: registry ? [registry] : [] });
  }

  /** Writes `status` to the object at `path` (its status subresource is `path`/status); `id` names it in the log. */
  private async patch(path: string, id: string, status: Record<string, unknown>, resourceVersion: string | undefined): Promise<void> {
    const body = { ...(resourceVersion ? { metadata: { resourceVersion } } : {}), status };
    const res = await this.client.patch(`${path}/status`, body, 'merge');
    if (isOk(res)) {
      this.stats.written += 1;
      this.counter.inc({ outcome: 'written' });
      this.log.debug({ object: id }, `${this.what} status written`);
      return;
    }
    this.stats.failed += 1;
    this.stats.lastError = `${id}: HTTP ${res.status}`;
    this.counter.inc({ outcome: 'failed' });
    if (res.status !== 409) this.log.warn({ object: id, status: res.status }, `${this.what} status not written`);
  }

  /**
   * One sync of a leader's writer: nothing unless it leads and a snapshot exists; then the patches `plan` computes
   * from it, one by one, stopping when leadership is lost.
   */
  async writeAll(o: { isLeader: () => boolean; snapshot: () => Snapshot | undefined }, plan: (snap: Snapshot) => Iterable<StatusPatch>): Promise<void> {
    if (!o.isLeader()) return;
    const snap = o.snapshot();
    if (!snap) return;
    this.stats.syncs += 1;
    for (const p of plan(snap)) {
      if (!o.isLeader()) return;
      await this.patch(p.path, p.id, p.status, p.resourceVersion);
    }
  }

  report(): StatusWriteReport {
    return { ...this.stats };
  }
}
