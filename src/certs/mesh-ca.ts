/**
 * The mesh CA in force, reloaded without a restart: holds the trust read from a certificates directory (mesh-ca.crt,
 * mesh-ca.key, optional mesh-roots.crt; trust.ts), watches the directory as the webhook's certificate is watched
 * (watch.ts), and on a change reads the set again, checks it as a whole and against the one in force
 * (transitionProblems), swaps it in one assignment, logs what changed (subjects and fingerprints, never keys),
 * counts it, and tells the consumers (the workload certificate issuer and rotator, xDS over TLS). A half-written,
 * invalid or unsafe set keeps the one in force and says why (log, metric, /debug/meshca).
 */
import { EventEmitter } from 'node:events';
import { Counter, type Registry } from 'prom-client';
import { silentLogger, type Logger } from '../core/log.js';
import { metric } from '../metrics.js';
import { readMeshTrust } from './files.js';
import { isNoChange, transitionProblems, trustChange, type CertSummary, type ExtraRoot, type MeshTrust, type RootSource, type TrustChange } from './trust.js';
import { watchDir, type DirWatch } from '../core/dir-watch.js';

/** What consumers need: the trust in force now, and word when it changes. */
export interface MeshAuthority {
  current(): MeshTrust;
  /** `listener` runs after each swap (awaited when it returns a promise); returns the unsubscribe. */
  onChange(listener: (next: MeshTrust, change: TrustChange) => void | Promise<void>): () => void;
}

export interface MeshCaReport {
  dir: string;
  ca: CertSummary;
  /** `where`: the mesh config field of a caCertificates root. */
  roots: Array<CertSummary & { source: RootSource; where?: string }>;
  warnings: string[];
  loadedAt: string;
  reloads: { applied: number; rejected: number };
  lastChange?: TrustChange & { at: string };
  lastRejection?: { at: string; errors: string[] };
}

export type ReloadOutcome = { result: 'unchanged' } | { result: 'applied'; change: TrustChange } | { result: 'rejected'; errors: string[] };

export interface MeshCaOptions {
  log?: Logger;
  registry?: Registry;
  /** Quiet time after the last file event before reading (default 100 ms). */
  debounceMs?: number;
  now?: () => number;
  /** The mesh config's roots (caCertificates), trusted after the directory's at every read. */
  extraRoots?: readonly ExtraRoot[];
}

/** Events: `reloaded` (MeshTrust, TrustChange) after the listeners ran; `rejected` (errors). */
export class MeshCaHolder extends EventEmitter implements MeshAuthority {
  private trust: MeshTrust;
  private readonly consumers = new Set<(next: MeshTrust, change: TrustChange) => void | Promise<void>>();
  private readonly log: Logger;
  private readonly reloads: Counter<'result'>;
  private watcher?: DirWatch;
  private chain: Promise<unknown> = Promise.resolve();
  private loadedAt: number;
  private counts = { applied: 0, rejected: 0 };
  private lastChange?: MeshCaReport['lastChange'];
  private lastRejection?: MeshCaReport['lastRejection'];

  private constructor(
    readonly dir: string,
    first: MeshTrust,
    private readonly o: MeshCaOptions,
  ) {
    super();
    this.trust = first;
    this.log = (o.log ?? silentLogger).child({ component: 'mesh-ca', dir });
    this.loadedAt = this.now();
    const registers = o.registry ? [o.registry] : [];
    const make = (): Counter<'result'> =>
      new Counter({ name: 'mizzen_mesh_ca_reloads_total', help: 'Changes of the mesh CA files (mesh-ca.crt, mesh-ca.key, mesh-roots.crt) by result: applied, or rejected (the set in force kept).', labelNames: ['result'] as const, registers });
    this.reloads = o.registry ? metric(o.registry, 'mizzen_mesh_ca_reloads_total', make) : make();
  }

  /** The trust of `dir`, or why there is none. Not watching yet: start() does. */
  static open(dir: string, o: MeshCaOptions = {}): { ok: true; value: MeshCaHolder } | { ok: false; errors: string[] } {
    const r = readMeshTrust(dir, (o.now ?? Date.now)(), o.extraRoots);
    if (!r.ok) return r;
    const h = new MeshCaHolder(dir, r.value, o);
    for (const w of r.value.warnings) h.log.warn(`mesh CA: ${w}`);
    return { ok: true, value: h };
  }

  current(): MeshTrust {
    return this.trust;
  }

  onChange(listener: (next: MeshTrust, change: TrustChange) => void | Promise<void>): () => void {
    this.consumers.add(listener);
    return () => void this.consumers.delete(listener);
  }

  start(): void {
    const reload = (): void => void this.reload().catch((e: Error) => this.log.error({ err: e.message }, 'mesh CA: reload failed; the mesh CA in force stays'));
    this.watcher ??= watchDir(this.dir, reload, { debounceMs: this.o.debounceMs, log: this.log });
  }

  /** Reads the directory now and swaps when it holds a new, valid and safe set; one reload at a time. */
  reload(): Promise<ReloadOutcome> {
    const next = this.chain.then(() => this.reloadNow());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async reloadNow(): Promise<ReloadOutcome> {
    const prev = this.trust;
    const r = readMeshTrust(this.dir, this.now(), this.o.extraRoots);
    const errors = r.ok ? transitionProblems(prev, r.value) : r.errors;
    if (!r.ok || errors.length > 0) {
      this.counts.rejected++;
      this.reloads.inc({ result: 'rejected' });
      this.lastRejection = { at: new Date(this.now()).toISOString(), errors };
      this.log.warn({ errors, ca: prev.roots[0]!.fingerprint }, `mesh CA files not taken; the mesh CA in force stays: ${errors.join('; ')}`);
      this.emit('rejected', errors);
      return { result: 'rejected', errors };
    }
    const change = trustChange(prev, r.value);
    if (isNoChange(change, prev, r.value)) return { result: 'unchanged' };
    this.trust = r.value;
    this.loadedAt = this.now();
    this.counts.applied++;
    this.reloads.inc({ result: 'applied' });
    this.lastChange = { ...change, at: new Date(this.loadedAt).toISOString() };
    this.log.info({ change, ca: r.value.roots[0]!.fingerprint, roots: r.value.roots.length }, describeChange(change));
    for (const w of r.value.warnings) this.log.warn(`mesh CA: ${w}`);
    for (const listener of [...this.consumers]) {
      try {
        await listener(r.value, change);
      } catch (e) {
        this.log.error({ err: (e as Error).message }, 'mesh CA: a consumer failed to take the new mesh CA');
      }
    }
    this.emit('reloaded', r.value, change);
    return { result: 'applied', change };
  }

  report(): MeshCaReport {
    const bare = ({ subject, fingerprint, notBefore, notAfter }: CertSummary): CertSummary => ({ subject, fingerprint, notBefore, notAfter });
    return {
      dir: this.dir,
      ca: bare(this.trust.roots[0]!),
      roots: this.trust.roots.map((r) => ({ ...bare(r), source: r.source, ...(r.where ? { where: r.where } : {}) })),
      warnings: [...this.trust.warnings],
      loadedAt: new Date(this.loadedAt).toISOString(),
      reloads: { ...this.counts },
      ...(this.lastChange ? { lastChange: structuredClone(this.lastChange) } : {}),
      ...(this.lastRejection ? { lastRejection: structuredClone(this.lastRejection) } : {}),
    };
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }
}

/** One line for the log: what a platform team wants to read after editing the files. */
export function describeChange(c: TrustChange): string {
  const parts: string[] = [];
  if (c.ca) parts.push(`signing CA ${c.ca.from.subject} (${c.ca.from.fingerprint}) → ${c.ca.to.subject} (${c.ca.to.fingerprint})`);
  if (c.added.length) parts.push(`roots added: ${c.added.map((s) => `${s.subject} (${s.fingerprint})`).join(', ')}`);
  if (c.removed.length) parts.push(`roots dropped: ${c.removed.map((s) => `${s.subject} (${s.fingerprint})`).join(', ')}`);
  return `mesh CA reloaded: ${parts.length ? parts.join('; ') : 'the same certificates, rewritten'}`;
}
