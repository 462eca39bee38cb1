/**
 * The xDS part of `mizzen serve`: the config store, the --config-dir file source feeding it, and the ADS server
 * reading it, as serve components (started in order, stopped in reverse). Registers the debug handlers and
 * makes the store the known world for apply-time analysis.
 */
import type { Component, ServeContext } from '../../cmd/serve.js';
import { ConfigStore } from '../../model/store.js';
import { watchConfigDir, type FileSource } from '../../sources/file.js';
import { createXdsServer, type XdsServer } from './index.js';
import { generateServingCert, webhookNames, type KeyPair } from '../../certs/generate.js';
import { readMeshCa } from '../../certs/files.js';
import { parseHostPort } from '../../bootstrap/envoy.js';

export interface XdsComponent extends Component {
  /** The bound xDS port once started (useful with --xds-port 0). */
  port(): number;
  /** The bound xDS-over-TLS port, 0 when it is off. */
  tlsPort(): number;
  server(): XdsServer | undefined;
  store: ConfigStore;
}

/**
 * The serving certificate of xDS over TLS: signed by the mesh CA in the certs directory, for the service's names and
 * the host of the mesh config's xdsTlsAddress, with the mesh CA as the client CA (proxies may prove their identity
 * with their workload certificates); a reason instead when there is no mesh CA.
 */
async function tlsServing(ctx: ServeContext): Promise<(KeyPair & { clientCa: string }) | string> {
  const dir = ctx.opts.certsDir;
  if (!dir) return 'no --certs-dir, so no mesh CA to sign its certificate';
  const ca = readMeshCa(dir);
  if (!ca.ok) return `no mesh CA: ${ca.errors.join('; ')}`;
  const host = parseHostPort(ctx.opts.mesh.xdsTlsAddress);
  const names = [...new Set([...webhookNames(), ...(host.ok ? [host.value.host] : [])])];
  return { ...(await generateServingCert(ca.value, names)), clientCa: ca.value.cert };
}

export function xdsComponents(ctx: ServeContext, xdsPort: number, xdsTlsPort?: number): [...Component[], XdsComponent] {
  const store = new ConfigStore();
  const log = ctx.log;
  let source: FileSource | undefined;
  let server: XdsServer | undefined;
  let bound = 0;
  let boundTls = 0;
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
    tlsPort: () => boundTls,
    server: () => server,
    start: async () => {
      server = createXdsServer({ store, mesh: ctx.opts.mesh, log, registry: ctx.registry, configErrors: () => source?.errors() ?? [], authorizeProxy: ctx.authorizeProxy });
      Object.assign(ctx.debug, server.debug);
      bound = await server.listen(xdsPort, ctx.opts.host);
      log.info({ port: bound }, `xds listening on grpc://${ctx.opts.host}:${bound}`);
      if (xdsTlsPort === undefined) return;
      const serving = await tlsServing(ctx);
      if (typeof serving === 'string') {
        log.info(`xds over TLS is off: ${serving} (sidecars with mesh certificates dial ${ctx.opts.mesh.xdsTlsAddress})`);
        return;
      }
      boundTls = await server.listen(xdsTlsPort, ctx.opts.host, serving);
      log.info({ port: boundTls }, `xds listening on grpcs://${ctx.opts.host}:${boundTls} (certificate from the mesh CA, for 365 days)`);
    },
    stop: async () => server?.close(),
  };
  return [...components, xds];
}
