/**
 * The --config-dir source: every *.yaml / *.yml / *.json under a directory (multi-document, `kind: List`
 * expanded) feeds the config store, one store source per file (`file:<absolute path>`), and is watched.
 *
 * A typo while editing must not drop a route: a file that no longer parses keeps its last good objects in
 * force; an Istio resource that no longer validates keeps its last good version (per object); both are logged,
 * counted and listed by errors() (→ /debug/configz) until fixed. Deleting a file removes its objects.
 *
 * Watching: fs.watch (recursive) triggers a debounced rescan; a slow poll of file stats catches what events
 * miss (editors that write a temp file and rename it over the original, directories replaced wholesale).
 */
import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { resolve } from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';
import { isKubeObject, objectKey, type KubeObject } from '../core/kube.js';
import { expandLists, listConfigFiles, parseDocuments } from '../core/documents.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { ConfigStore } from '../model/store.js';
import { isIstioKind, validateObject } from '../validation/index.js';

export interface ConfigError {
  file: string;
  /** Zero-based document index in the file, when the error is about one document. */
  index?: number;
  /** objectKey() of the rejected object, when it had one. */
  key?: string;
  message: string;
  /** Whether a previous good version is still in force. */
  keptLastGood: boolean;
  at: string;
}

export interface FileSourceOptions {
  log?: Logger;
  onError?: (e: ConfigError) => void;
  registry?: Registry;
  /** Quiet time after a file event before rescanning (default 50 ms). */
  debounceMs?: number;
  /** Stat poll interval as a safety net for missed events (default 2000 ms; 0 = off). */
  pollMs?: number;
  /** Validation of Istio resources (the real validator unless a test swaps it). */
  validate?: (obj: unknown) => { errors: string[]; warnings: string[] };
}

export interface FileSource {
  /** Resolves after the first full read (rejects when the directory cannot be read). */
  ready: Promise<void>;
  close(): void;
  /** Current config errors, sorted by file and index. */
  errors(): ConfigError[];
  /** Rescans now (tests; also what the watcher calls). */
  rescan(): void;
}

interface FileState {
  /** stat signature: mtime, size, inode. */
  sig: string;
  text: string;
  /** The objects in force (last good), by key. */
  objects: Map<string, KubeObject>;
  errors: ConfigError[];
}

export function watchConfigDir(dir: string, store: ConfigStore, opts: FileSourceOptions = {}): FileSource {
  const root = resolve(dir);
  const log = (opts.log ?? silentLogger).child({ component: 'file-source', dir: root });
  const validate = opts.validate ?? validateObject;
  const files = new Map<string, FileState>();
  const metrics = fileMetrics(opts.registry);
  let closed = false;

  const sourceOf = (file: string): string => `file:${file}`;

  const record = (errs: ConfigError[]): void => {
    for (const e of errs) {
      metrics.total.inc();
      log.warn({ file: e.file, index: e.index, key: e.key, keptLastGood: e.keptLastGood }, `config rejected: ${e.message}`);
      opts.onError?.(e);
    }
  };

  /** Parses and validates a file's text against what is in force; returns the objects to apply and the errors. */
  const load = (file: string, text: string, previous: Map<string, KubeObject>): { objects: Map<string, KubeObject>; errors: ConfigError[] } => {
    const at = new Date().toISOString();
    const docs = expandLists(parseDocuments(text, file));
    const parseErrors = docs.filter((d) => d.error !== undefined);
    if (parseErrors.length > 0) {
      const kept = previous.size > 0;
      return {
        objects: previous,
        errors: parseErrors.map((d) => ({ file, index: d.index, message: `document ${d.index}: ${d.error}`, keptLastGood: kept, at })),
      };
    }
    const objects = new Map<string, KubeObject>();
    const errors: ConfigError[] = [];
    for (const d of docs) {
      const v = d.value;
      if (!isKubeObject(v)) {
        errors.push({ file, index: d.index, message: `document ${d.index}: not a Kubernetes object (apiVersion, kind and metadata are required)`, keptLastGood: false, at });
        continue;
      }
      if (typeof v.metadata.name !== 'string' || v.metadata.name === '') {
        errors.push({ file, index: d.index, message: `document ${d.index} (${v.kind}): metadata.name: required`, keptLastGood: false, at });
        continue;
      }
      const key = objectKey(v);
      if (isIstioKind(v.apiVersion, v.kind)) {
        const report = validate(v);
        if (report.errors.length > 0) {
          const last = previous.get(key);
          if (last) objects.set(key, last);
          errors.push({ file, index: d.index, key, message: `${key}: ${report.errors.join('; ')}`, keptLastGood: last !== undefined, at });
          continue;
        }
        for (const w of report.warnings) log.info({ file, key }, `config warning: ${w}`);
      }
      objects.set(key, v);
    }
    return { objects, errors };
  };

  const rescan = (): void => {
    if (closed) return;
    let list: string[];
    try {
      list = listConfigFiles(root);
    } catch (e) {
      log.error({ err: (e as Error).message }, 'config dir: cannot list; keeping the config in force');
      return;
    }
    const seen = new Set(list);
    for (const file of list) {
      let sig: string;
      let text: string;
      try {
        const st = statSync(file);
        sig = `${st.mtimeMs}|${st.size}|${st.ino}`;
        const known = files.get(file);
        if (known && known.sig === sig) continue;
        text = readFileSync(file, 'utf8');
        if (known && known.text === text) {
          known.sig = sig;
          continue;
        }
      } catch (e) {
        // Vanished between listing and reading (a rename in progress): the next scan settles it.
        log.debug({ file, err: (e as Error).message }, 'config file unreadable for now');
        continue;
      }
      const previous = files.get(file)?.objects ?? new Map<string, KubeObject>();
      const { objects, errors } = load(file, text, previous);
      files.set(file, { sig, text, objects, errors });
      record(errors);
      store.setSource(sourceOf(file), [...objects.values()]);
      log.info({ file, objects: objects.size, errors: errors.length }, 'config file loaded');
    }
    for (const file of [...files.keys()]) {
      if (seen.has(file)) continue;
      files.delete(file);
      store.setSource(sourceOf(file), []);
      log.info({ file }, 'config file removed; its objects are gone');
    }
    metrics.current.set(errorsNow().length);
  };

  const errorsNow = (): ConfigError[] =>
    [...files.values()].flatMap((f) => f.errors).sort((a, b) => a.file.localeCompare(b.file) || (a.index ?? 0) - (b.index ?? 0));

  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      rescan();
    }, opts.debounceMs ?? 50);
  };

  let watcher: FSWatcher | undefined;
  let poll: NodeJS.Timeout | undefined;
  const ready = (async () => {
    const st = statSync(root, { throwIfNoEntry: false });
    if (!st) throw new Error(`config dir ${root}: no such file or directory`);
    rescan();
    try {
      watcher = watch(root, { recursive: st.isDirectory(), persistent: false }, () => schedule());
      watcher.on('error', (e) => log.warn({ err: e.message }, 'config dir watch failed; relying on polling'));
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'config dir cannot be watched; relying on polling');
    }
    const pollMs = opts.pollMs ?? 2000;
    if (pollMs > 0) {
      poll = setInterval(rescan, pollMs);
      poll.unref();
    }
  })();
  ready.catch(() => undefined);

  return {
    ready,
    close: () => {
      closed = true;
      if (timer) clearTimeout(timer);
      if (poll) clearInterval(poll);
      watcher?.close();
    },
    errors: errorsNow,
    rescan,
  };
}

function fileMetrics(registry?: Registry): { total: Counter; current: Gauge } {
  const registers = registry ? [registry] : [];
  const get = <T>(name: string, make: () => T): T => ((registry?.getSingleMetric(name) as T | undefined) ?? make());
  return {
    total: get('mizzen_config_errors_total', () => new Counter({ name: 'mizzen_config_errors_total', help: 'Config documents rejected by the file source (not applied).', registers })),
    current: get('mizzen_config_errors', () => new Gauge({ name: 'mizzen_config_errors', help: 'Config documents currently rejected by the file source.', registers })),
  };
}
