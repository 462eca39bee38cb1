/**
 * Watches a certificates directory and hands every new, loadable key pair to `onChange`
 * (the webhook server calls its https server's setSecureContext with it): rotation without a restart.
 * Works with plain files rewritten in place and with Kubernetes Secret volumes (an atomic `..data` symlink swap).
 * A half-written or mismatched pair is logged and ignored; the last good pair stays in force.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../core/log.js';
import { silentLogger } from '../core/log.js';
import { readServingMaterial, type ServingMaterial } from './files.js';
import { watchDir, type DirWatch } from '../core/dir-watch.js';

export interface CertWatcherOptions {
  log?: Logger;
  /** Called with each new key pair that loads. */
  onChange: (material: ServingMaterial) => void;
  /** Quiet time after the last file event before reading (files of one rotation arrive together). */
  debounceMs?: number;
  /** The material already in use, so an unchanged directory does not count as a rotation. */
  current?: ServingMaterial;
}

/** Events: `reloaded` (material) after onChange ran, `rejected` (errors) when the files did not load. */
export class CertWatcher extends EventEmitter {
  private watcher?: DirWatch;
  private current?: ServingMaterial;
  private readonly log: Logger;

  constructor(
    readonly dir: string,
    private readonly opts: CertWatcherOptions,
  ) {
    super();
    this.log = (opts.log ?? silentLogger).child({ component: 'certs', dir });
    this.current = opts.current;
  }

  start(): void {
    this.watcher ??= watchDir(this.dir, () => this.reload(), { debounceMs: this.opts.debounceMs, log: this.log });
  }

  /** Reads the directory now; returns whether a new key pair was installed. */
  reload(): boolean {
    const r = readServingMaterial(this.dir);
    if (!r.ok) {
      this.log.warn({ errors: r.errors }, 'certificate files did not load; keeping the current certificate');
      this.emit('rejected', r.errors);
      return false;
    }
    if (this.current && this.current.cert === r.value.cert && this.current.key === r.value.key) return false;
    try {
      this.opts.onChange(r.value);
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'new certificate was not accepted; keeping the current certificate');
      this.emit('rejected', [(e as Error).message]);
      return false;
    }
    this.current = r.value;
    this.log.info('serving certificate reloaded');
    this.emit('reloaded', r.value);
    return true;
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
