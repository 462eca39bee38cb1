/**
 * Config sources under test: a KubeSource on the stand-in API server, and a --config-dir source over one file,
 * each feeding a fresh ConfigStore. Shared by the tests of the kinds the sources read.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { startFakeApiServer, type FakeApiServer, type FakeApiServerOptions } from './fake-apiserver.js';
import { scratchDir } from './tmp.js';
import { createKubeClient, loadKubeConfig } from '../../src/sources/kube/client.js';
import { KubeSource } from '../../src/sources/kube/source.js';
import { watchConfigDir, type FileSource } from '../../src/sources/file.js';
import { ConfigStore } from '../../src/model/store.js';
import type { KubeObject } from '../../src/core/kube.js';

export interface KubeSourceRig {
  api: FakeApiServer;
  source: KubeSource;
  store: ConfigStore;
  /** Stops the source, then the API server. */
  close(): Promise<void>;
}

/**
 * A started KubeSource (short backoffs) on a new stand-in API server holding the Namespace `default` and `objects`;
 * `prepare` runs on the API server before the source starts (to make it fail a path, say).
 */
export async function startKubeSource(opts: FakeApiServerOptions = {}, objects: readonly KubeObject[] = [], prepare?: (api: FakeApiServer) => void): Promise<KubeSourceRig> {
  const api = await startFakeApiServer(opts);
  api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  for (const o of objects) api.apply(o);
  prepare?.(api);
  const store = new ConfigStore();
  const client = createKubeClient(await loadKubeConfig({ kubeconfig: api.kubeconfigPath }));
  const source = new KubeSource({ client, store, registry: new Registry(), informer: { backoff: { initialMs: 20, maxMs: 100 }, crdRetryMaxMs: 100 } });
  await source.start();
  return {
    api,
    source,
    store,
    close: async () => {
      source.stop();
      await api.close();
    },
  };
}

/** Runs `check` on the store of a --config-dir source over one file (`name` holding `text`), once it is ready; closes it after. */
export async function withConfigDir(name: string, text: string, check: (store: ConfigStore, src: FileSource) => void | Promise<void>): Promise<void> {
  const dir = scratchDir('mizzen-config-dir-');
  writeFileSync(join(dir, name), text);
  const store = new ConfigStore();
  const src = watchConfigDir(dir, store, { pollMs: 0 });
  try {
    await src.ready;
    await check(store, src);
  } finally {
    src.close();
  }
}
