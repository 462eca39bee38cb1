/**
 * Notices that files of a certificates directory changed: a watch on the directory (not on files, so a Kubernetes
 * Secret volume's atomic `..data` symlink swap is seen as well as files rewritten or renamed in place), and one call
 * of `onSettled` after the events of one change have stopped for `debounceMs` (files of one rotation arrive together).
 */
import { watch } from 'node:fs';
import type { Logger } from '../core/log.js';

export interface DirWatch {
  close(): void;
}

export function watchCertDir(dir: string, onSettled: () => void, o: { debounceMs?: number; log: Logger }): DirWatch {
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(dir, { persistent: false }, () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      onSettled();
    }, o.debounceMs ?? 100);
    timer.unref();
  });
  watcher.on('error', (e) => o.log.warn({ err: e.message }, 'certificate directory watch failed'));
  return {
    close: () => {
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}
