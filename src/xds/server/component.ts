/**
 * The xDS part of `mizzen serve`: the config store, the --config-dir file source feeding it, and the ADS server
 * reading it, as serve components (started in order, stopped in reverse). Registers the debug handlers and
 * makes the store the known world for apply-time analysis.
 */
import type { Component, ServeContext } from '../../cmd/serve.js';
import { ConfigStore } from '../../model/store.js';
import { watchConfigDir, type FileSource } from '../../sources/file.js';
import { createXdsServer, type XdsServer } from './index.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { webhookNames } from '../../certs/generate.js';
import { CertFiles } from '../../certs/files.js';
import { XdsTlsMaterial } from './tls-material.js';
import { parseHostPort } from '../../bootstrap/envoy.js';

export interface XdsComponent extends Component {
  /** The bound xDS port once started (useful with --xds-port 0). */
  port(): number;
  /** The bound xDS-over-TLS port, 0 when it is off. */
  tlsPort(): number;
  server(): XdsServer | undefined;
  store: ConfigStore;
}

/** The names of xDS over TLS's certificate: the service's, and the host of the mesh config's xdsTlsAddress. */
function tlsNames(ctx: ServeContext): string[] {
  const host = parseHostPort(ctx.opts.mesh.xdsTlsAddress);
  return [...new Set([...webhookNames(), ...(host.ok ? [host.value.host] : [])])];
}

export function xdsComponents(ctx: ServeContext, xdsPort: number, xdsTlsPort?: number): [...Component[], XdsComponent] {
  const store = new ConfigStore();
  const log = ctx.log;
  let source: FileSource | undefined;
  let server: XdsServer | undefined;
  let tls: XdsTlsMaterial | undefined;
  let bound = 0;
  let boundTls = 0;
  let unfollowMesh: (() => void) | undefined;
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
      server = createXdsServer({ store, mesh: ctx.mesh.current(), log, registry: ctx.registry, configErrors: () => source?.errors() ?? [], authorizeProxy: ctx.authorizeProxy, onSnapshot: () => ctx.snapshotListeners.forEach((fn) => fn()) });
      Object.assign(ctx.debug, server.debug);
      unfollowMesh = ctx.mesh.onChange((next) => server?.setMesh(next));
      bound = await server.listen(xdsPort, ctx.opts.host);
      log.info({ port: bound }, `xds listening on grpc://${ctx.opts.host}:${bound}`);
      if (xdsTlsPort === undefined) return;
      const dir = ctx.opts.certsDir;
      const authority = dir ? ctx.meshCa(dir) : undefined;
      if (!authority?.ok) {
        const why = authority ? `no mesh CA: ${authority.errors.join('; ')}` : 'no --certs-dir, so no mesh CA to sign its certificate';
        // Mesh CA files that are there but do not load are a mistake to see; a directory without them is a choice.
        const level = dir && existsSync(join(dir, CertFiles.meshCaCert)) ? 'warn' : 'info';
        log[level](`xds over TLS is off: ${why} (sidecars with mesh certificates dial ${ctx.opts.mesh.xdsTlsAddress})`);
        return;
      }
      const material = await XdsTlsMaterial.create({ authority: authority.value, names: tlsNames(ctx), log });
      tls = material;
      boundTls = await server.listen(xdsTlsPort, ctx.opts.host, material.creds);
      log.info({ port: boundTls }, `xds listening on grpcs://${ctx.opts.host}:${boundTls} (certificate from the mesh CA, renewed when it ages or the mesh CA is reloaded; client certificates checked against the trusted roots)`);
    },
    stop: async () => {
      unfollowMesh?.();
      tls?.close();
      await server?.close();
    },
  };
  return [...components, xds];
}
