/**
 * The mesh config of a running `mizzen serve`, followed as istiod follows its mesh ConfigMap: the file's directory is
 * watched (a ConfigMap volume swaps a `..data` symlink; an editor rewrites or renames the file), and after a change
 * the file is loaded as at start. A config that loads replaces the running one (config/mesh-changes.ts: the fields
 * read only at start keep their values until a restart) and every listener hears of it; one that does not load is
 * logged and counted, and the running config stays. /debug/mesh shows the config in force and the last reload.
 */
import { dirname } from 'node:path';
import { Counter } from 'prom-client';
import { watchDir, type DirWatch } from '../core/dir-watch.js';
import type { Logger } from '../core/log.js';
import { metric, type Registry } from '../metrics.js';
import { loadMeshConfig, type MeshConfig } from './mesh.js';
import { meshChanges, RESTART_ONLY, WORKLOAD_RESTART } from './mesh-changes.js';

export type MeshListener = (next: MeshConfig, previous: MeshConfig) => void;

export interface MeshReload {
  at: string;
  /** applied: something changed now; unchanged: nothing did (a restart-only field may still wait); invalid: kept the running config. */
  outcome: 'applied' | 'unchanged' | 'invalid';
  changed?: string[];
  errors?: string[];
  warnings?: string[];
}

export interface MeshConfigOptions {
  /** The --mesh-config file; without one the defaults run and nothing is watched. */
  file?: string;
  /** The config loaded from it at start. */
  initial: MeshConfig;
  log: Logger;
  registry?: Registry;
  /** Quiet time after the last file event before reloading (default 100 ms). */
  debounceMs?: number;
}

export class MeshConfigHolder {
  private mesh: MeshConfig;
  private readonly listeners = new Set<MeshListener>();
  private watcher?: DirWatch;
  private last?: MeshReload;
  private pendingRestart: string[] = [];
  private readonly reloads?: Counter<'outcome'>;

  constructor(private readonly o: MeshConfigOptions) {
    this.mesh = o.initial;
    const registers = o.registry ? [o.registry] : [];
    const name = 'mizzen_mesh_config_reloads_total';
    const help = 'Reloads of the --mesh-config file by outcome (applied, unchanged, invalid).';
    if (o.registry) this.reloads = metric(o.registry, name, () => new Counter({ name, help, labelNames: ['outcome'] as const, registers }));
  }

  current(): MeshConfig {
    return this.mesh;
  }

  /** Calls `fn` after each reload that changed the running config; returns the unsubscribe. */
  onChange(fn: MeshListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Watches the file's directory (nothing to watch without a file). */
  start(): void {
    if (!this.o.file || this.watcher) return;
    this.watcher = watchDir(dirname(this.o.file), () => this.reload(), { debounceMs: this.o.debounceMs, log: this.o.log, what: 'mesh config directory' });
  }

  /** Loads the file again and applies what changed. */
  reload(): MeshReload {
    const file = this.o.file;
    if (!file) return this.note({ at: new Date().toISOString(), outcome: 'unchanged' });
    const loaded = loadMeshConfig(file);
    const at = new Date().toISOString();
    if (!loaded.ok) {
      for (const e of loaded.errors) this.o.log.error(e);
      this.o.log.error({ file }, 'mesh config reload failed: the running mesh config stays');
      return this.note({ at, outcome: 'invalid', errors: loaded.errors });
    }
    const warnings = loaded.warnings ?? [];
    const { next, changed, pendingRestart } = meshChanges(this.mesh, loaded.value);
    for (const field of pendingRestart.filter((f) => !this.pendingRestart.includes(f))) {
      this.o.log.warn({ file, field }, `mesh config reload: ${field} changed; it applies at the next restart (it sets ${RESTART_ONLY[field as keyof MeshConfig]})`);
    }
    this.pendingRestart = pendingRestart;
    if (changed.length === 0) return this.note({ at, outcome: 'unchanged', ...(warnings.length ? { warnings } : {}) });
    for (const w of warnings) this.o.log.warn(w);
    const previous = this.mesh;
    this.mesh = next;
    this.o.log.info({ file, changed }, 'mesh config reloaded');
    for (const field of changed.filter((f) => f in WORKLOAD_RESTART)) {
      this.o.log.warn({ file, field }, `mesh config reload: ${field} changed: ${WORKLOAD_RESTART[field as keyof MeshConfig]} until they are restarted`);
    }
    for (const fn of [...this.listeners]) {
      try {
        fn(next, previous);
      } catch (e) {
        this.o.log.error({ err: (e as Error).message }, 'mesh config reload: a listener failed');
      }
    }
    return this.note({ at, outcome: 'applied', changed, ...(warnings.length ? { warnings } : {}) });
  }

  /** For /debug/mesh: the config in force, the file, the last reload, and the fields waiting for a restart. */
  report(): Record<string, unknown> {
    return { file: this.o.file ?? null, ...(this.last ? { lastReload: this.last } : {}), pendingRestart: this.pendingRestart, config: this.mesh };
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private note(r: MeshReload): MeshReload {
    this.last = r;
    this.reloads?.inc({ outcome: r.outcome });
    return r;
  }
}
