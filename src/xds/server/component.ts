/**
 * The xDS part of `mizzen serve`: the config store, the --config-dir file source feeding it, and the ADS server
 * reading it, as serve components (started in order, stopped in reverse). Registers the debug handlers and
 * makes the store the known world for apply-time analysis.
 */
import type { Component, ServeContext } from '../../cmd/serve.js';
import { ConfigStore } from '../../model/store.js';
import { watchConfigDir, type FileSource } from '../../sources/file.js';
import { createXdsServer, type XdsServer } from './index.js';

export interface XdsComponent extends Component {
  /** The bound xDS port once started (useful with --xds-port 0). */
  port(): number;
  server(): XdsServer | undefined;
  store: ConfigStore;
}

export function xdsComponents(ctx: ServeContext, xdsPort: number): [...Component[], XdsComponent] {
  const store = new ConfigStore();
  const log = ctx.log;
  let source: FileSource | undefined;
  let server: XdsServer | undefined;
  let bound = 0;
  ctx.world = () => store.list();
  const components: Component[] = [];
  const dir = ctx.opts.configDir;
  if (dir) {
    components.push({
      name: 'config-dir',
      start: async () => {
        source = watchConfigDir(dir, store, { log, registry: ctx.registry });
        await source.ready;
        log.info({ dir, objects: store.list().length, errors: source.errors().length }, 'config dir loaded and watched');
      },
      stop: async () => source?.close(),
    });
  }
  const xds: XdsComponent = {
    name: 'xds',
    store,
    port: () => bound,
    server: () => server,
    start: async () => {
      server = createXdsServer({ store, mesh: ctx.opts.mesh, log, registry: ctx.registry, configErrors: () => source?.errors() ?? [], authorizeProxy: ctx.authorizeProxy });
      Object.assign(ctx.debug, server.debug);
      bound = await server.listen(xdsPort, ctx.opts.host);
      log.info({ port: bound }, `xds listening on grpc://${ctx.opts.host}:${bound}`);
    },
    stop: async () => server?.close(),
  };
  return [...components, xds];
}
