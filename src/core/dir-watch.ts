/**
 * Notices that files of a directory changed (certificates, the mesh config): a watch on the directory (not on files,
 * so a Kubernetes Secret or ConfigMap volume's atomic `..data` symlink swap is seen as well as files rewritten or
 * renamed in place), and one call of `onSettled` after the events of one change have stopped for `debounceMs` (files
 * of one rotation arrive together).
 */
import { watch } from 'node:fs';
import type { Logger } from './log.js';

export interface DirWatch {
  close(): void;
}

/** `what` names the directory in the log when the watch fails (default: certificate directory). */
export function watchDir(dir: string, onSettled: () => void, o: { debounceMs?: number; log: Logger; what?: string }): DirWatch {
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(dir, { persistent: false }, () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      onSettled();
    }, o.debounceMs ?? 100);
    timer.unref();
  });
  watcher.on('error', (e) => o.log.warn({ err: e.message, dir }, `${o.what ?? 'certificate directory'} watch failed`));
  return {
    close: () => {
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}
