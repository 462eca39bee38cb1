/** Certificate rotation for a built webhook app: watch the directory, swap the secure context, stop on close. */
import { CertWatcher, type ServingMaterial } from '../certs/index.js';
import type { Logger } from '../core/log.js';
import type { WebhookApp } from './app.js';

/** New TLS connections use the new certificate as soon as the files change; existing ones keep theirs. */
export function attachCertReload(app: WebhookApp, dir: string, opts: { log?: Logger; current?: ServingMaterial; debounceMs?: number } = {}): CertWatcher {
  const watcher = new CertWatcher(dir, {
    log: opts.log,
    current: opts.current,
    debounceMs: opts.debounceMs,
    onChange: (m) => app.server.setSecureContext({ cert: m.cert, key: m.key }),
  });
  watcher.start();
  app.addHook('onClose', async () => watcher.close());
  return watcher;
}
