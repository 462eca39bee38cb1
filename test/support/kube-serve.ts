/** `mizzen serve` against the stand-in API server, on ephemeral ports, quiet, with a short push debounce. */
import { startServe, type RunningServe, type ServeOptions } from '../../src/cmd/serve.js';
import { DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';
import { silentLogger } from '../../src/core/log.js';
import type { FakeApiServer } from './fake-apiserver.js';

/**
 * `kube` adds to the kubeconfig of `api`: informer, leader, watchdog and heal settings; `o` sets mesh config fields,
 * the file the mesh config is reloaded from (`meshFile`) and the logger.
 */
export function startKubeServe(api: FakeApiServer, kube: Omit<NonNullable<ServeOptions['kube']>, 'kubeconfig'>, o: { mesh?: Partial<ServeOptions['mesh']>; meshFile?: string; log?: ServeOptions['log'] } = {}): Promise<RunningServe> {
  return startServe({
    webhookPort: 0,
    monitoringPort: 0,
    xdsPort: 0,
    host: '127.0.0.1',
    mesh: { ...DEFAULT_MESH_CONFIG, debounce: { quietMs: 5, maxMs: 50 }, ...o.mesh },
    ...(o.meshFile ? { meshFile: o.meshFile } : {}),
    log: o.log ?? silentLogger,
    kube: { kubeconfig: api.kubeconfigPath, ...kube },
  });
}
