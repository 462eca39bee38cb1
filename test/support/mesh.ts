/**
 * A whole mesh in one process for the real-client tests: a ConfigStore, mizzen's ADS server on an ephemeral port,
 * backends on 127.0.0.x, and grpc-js-xds clients whose only configuration is the bootstrap pointing at mizzen.
 * Each client gets its bootstrap through the per-channel option, so every test file can run its own control
 * plane (the process-wide GRPC_XDS_BOOTSTRAP_CONFIG is read once and cached by grpc-js-xds).
 */
import * as grpc from '@grpc/grpc-js';
import { ConfigStore } from '../../src/model/store.js';
import { createXdsServer, type XdsServer } from '../../src/xds/server/index.js';
import { DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';
import type { KubeObject } from '../../src/core/kube.js';
import { grpcBootstrap } from '../../src/bootstrap/grpc.js';
import { kubePod, kubeService } from '../../src/demo/objects.js';
import { hello, startBackends, xdsClient, type Backend, type CallResult, type EchoClient, type HelloRequest } from '../../src/demo/echo.js';

export interface BackendPlan {
  service: string;
  version: string;
  ip: string;
}

export interface Mesh {
  store: ConfigStore;
  server: XdsServer;
  xdsAddress: string;
  /** Port all backends listen on. */
  port: number;
  backends: Backend[];
  /** The objects describing services and pods (source `mesh`). */
  base: KubeObject[];
  /** `certDir`: a workload certificate directory (mizzen workload-cert) the bootstrap's certificate provider reads. */
  bootstrap(namespace?: string, labels?: Record<string, string>, certDir?: string): string;
  client(target: string, namespace?: string, certDir?: string): EchoClient;
  /** Replaces the objects of source `test` (VirtualServices, DestinationRules…) and waits until pushed and answered. */
  apply(objects: KubeObject[], source?: string): Promise<void>;
  close(): Promise<void>;
}

/** The port clients dial for every service (the Service port); pods listen on the backends' port. */
export const SERVICE_PORT = 9080;

/** Services + Pods for the backends (one Service per distinct `service`, one Pod per backend). */
export function meshObjects(plans: readonly BackendPlan[], targetPort: number): KubeObject[] {
  const services = [...new Set(plans.map((p) => p.service))];
  return [
    ...services.map((name) => kubeService({ name, port: SERVICE_PORT, targetPort })),
    ...plans.map((p, i) => kubePod({ name: `${p.service}-${p.version}-${i}`, ip: p.ip, app: p.service, version: p.version })),
  ];
}

export async function startMesh(plans: readonly BackendPlan[], extra: KubeObject[] = []): Promise<Mesh> {
  const { port, backends } = await startBackends(plans);
  const store = new ConfigStore();
  const base = meshObjects(plans, port);
  store.setSource('mesh', base);
  if (extra.length > 0) store.setSource('test', extra);
  const server = createXdsServer({ store, mesh: DEFAULT_MESH_CONFIG, debounce: { quietMs: 5, maxMs: 50 } });
  const xdsPort = await server.listen(0, '127.0.0.1');
  const xdsAddress = `127.0.0.1:${xdsPort}`;
  const clients: EchoClient[] = [];
  let n = 0;
  const bootstrap = (namespace = 'default', labels: Record<string, string> = {}, certDir?: string): string => {
    n += 1;
    const r = grpcBootstrap({ xdsAddress, ip: '127.0.0.1', pod: `client-${n}`, namespace, labels, ...(certDir !== undefined && { certDir }) });
    if (!r.ok) throw new Error(r.errors.join('; '));
    return JSON.stringify(r.value);
  };
  return {
    store,
    server,
    xdsAddress,
    port,
    backends,
    base,
    bootstrap,
    client(target, namespace, certDir) {
      const c = xdsClient(target, bootstrap(namespace, {}, certDir));
      clients.push(c);
      return c;
    },
    async apply(objects, source = 'test') {
      store.setSource(source, objects);
      await server.settled(10_000);
    },
    async close() {
      for (const c of clients) c.close();
      await server.close();
      await Promise.all(backends.map((b) => b.close()));
    },
  };
}

export interface Tally {
  /** Replies per version. */
  versions: Record<string, number>;
  /** Replies per backend address. */
  backends: Record<string, number>;
  /** Failures per status name. */
  errors: Record<string, number>;
  total: number;
}

/** `n` calls, `concurrency` at a time; counts who answered and how the rest failed. */
export async function tally(
  client: EchoClient,
  n: number,
  opts: { concurrency?: number; metadata?: Record<string, string>; deadlineMs?: number; request?: HelloRequest } = {},
): Promise<Tally> {
  const t: Tally = { versions: {}, backends: {}, errors: {}, total: 0 };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      next += 1;
      const r = await hello(client, opts);
      record(t, r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, opts.concurrency ?? 50) }, worker));
  return t;
}

export function record(t: Tally, r: CallResult): void {
  t.total += 1;
  if (r.reply) {
    t.versions[r.reply.version] = (t.versions[r.reply.version] ?? 0) + 1;
    t.backends[r.reply.backend] = (t.backends[r.reply.backend] ?? 0) + 1;
  } else {
    const name = grpc.status[r.code] ?? String(r.code);
    t.errors[name] = (t.errors[name] ?? 0) + 1;
  }
}

/** Polls `probe` until it returns a value (not undefined) or `timeoutMs` passes; the last error names what was awaited. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until one call gets a reply satisfying `ok` (e.g. a new route in force). */
export function until(
  client: EchoClient,
  what: string,
  ok: (r: CallResult) => boolean,
  opts: { metadata?: Record<string, string>; request?: HelloRequest; timeoutMs?: number } = {},
): Promise<CallResult> {
  return eventually(what, async () => {
    const r = await hello(client, { metadata: opts.metadata, request: opts.request, deadlineMs: 5000 });
    return ok(r) ? r : undefined;
  }, opts.timeoutMs ?? 10_000);
}
