/**
 * The ADS server: envoy.service.discovery.v3.AggregatedDiscoveryService over @grpc/grpc-js, state of the world
 * and delta. Config store changes are debounced into a new snapshot; every connected stream then gets only what
 * changed for it (diffed by content hash), through a push queue with bounded concurrency.
 *
 *   store ─onChange─► Debouncer ─► buildSnapshot ─► SnapshotCache (per scope+type, shared encoded bytes)
 *                                                      └─► PushQueue ─► pushSotw / pushDelta per stream
 */
import * as grpc from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import type { ConfigStore } from '../../model/store.js';
import type { Snapshot } from '../../model/types.js';
import { snapshotOptions, type MeshConfig } from '../../config/mesh.js';
import { silentLogger, type Logger } from '../../core/log.js';
import { parseNode, type Proxy } from '../../model/proxy.js';
import { buildSnapshot, updateSnapshot } from '../../model/snapshot.js';
import { discoveryNotes } from '../../model/discovery.js';
import { generate, proxyScope } from '../gen/index.js';
import { SnapshotCache, type Generators } from './cache.js';
import { EncodedPool } from './pool.js';
import { planReuse } from './reuse.js';
import { refreshProxies } from './refresh.js';
import { Connection, KNOWN_TYPES, type ServerContext, type StreamKind } from './connection.js';
import { encode } from '../proto.js';
import { handleSotwRequest, pushSotw } from './sotw.js';
import { handleDeltaRequest, pushDelta } from './delta.js';
import { Debouncer, PushQueue, type DebounceOptions } from './pusher.js';
import { widenReceiveWindows } from './windows.js';
import { createXdsMetrics, shortType } from './metrics.js';
import { adsServiceDefinition, structToPlain, type DeltaDiscoveryRequest, type DiscoveryRequest, type WireNode } from './wire.js';
import { createDebugHandlers, type DebugHandlers } from '../debug.js';
import { identityRefusal, peerIdentity, serverTls } from './peer.js';
import { credentialProblem } from '../gen/credentials.js';
import { TypeUrls } from '../../core/constants.js';
import { spiffeId } from '../../core/spiffe.js';
import { zoneAwareWithoutSelfDiscovery } from '../gen/zone-aware-proxies.js';

export type { Generators } from './cache.js';

export interface XdsServerOptions {
  store: ConfigStore;
  mesh: MeshConfig;
  log?: Logger;
  registry?: Registry;
  /** Defaults to mesh.debounce. */
  debounce?: DebounceOptions;
  /** The pure core; the real generators unless a test swaps them. */
  generators?: Generators;
  /** Keep generated output of types a change cannot affect (default true; false regenerates everything). */
  reuse?: boolean;
  /** Pushes in flight at once (default 64). */
  pushConcurrency?: number;
  /** Config errors of the sources (file source), for /debug/configz. */
  configErrors?: () => unknown[];
  /**
   * Checks who a proxy claims to be (e.g. its pod, with the Kubernetes source) on the first request of a stream.
   * A refusal closes the stream (denied → PERMISSION_DENIED, unavailable → UNAVAILABLE, with the message); an
   * acceptance may correct the proxy (labels from the pod). Called again, with what the node claimed, when the
   * store changes the proxy's Pod: a proxy whose correction changed is replaced and pushed to (refresh.ts).
   */
  authorizeProxy?: (proxy: Proxy) => ProxyAuthorization;
  /** Called after each snapshot rebuild that changed something (logs, benchmarks). */
  onSnapshot?: (e: SnapshotEvent) => void;
}

export interface SnapshotEvent {
  version: string;
  storeVersion: number;
  /** Time to build the snapshot (ms). */
  buildMs: number;
  /** When the snapshot was swapped in and pushes queued (ms since epoch). */
  at: number;
  /** When the first change of the debounced burst happened (ms since epoch). */
  firstChangeAt: number;
  proxies: number;
}

export type ProxyAuthorization = { ok: true; proxy: Proxy } | { ok: false; code: 'denied' | 'unavailable'; message: string };

export interface XdsServer {
  /**
   * Binds and starts serving; returns the bound port (0 = ephemeral). With `tls` (a serving certificate and key,
   * PEM) the port speaks TLS: proxies check the control plane's certificate (the mesh CA signs it, 15012). With
   * `tls.clientCa` too, proxies may present a client certificate signed by it (one is asked for, not required):
   * its SPIFFE identity must name the proxy's namespace, and a proxy that proved it gets its namespace's credentials.
   * Credentials from serverTls (peer.ts) may be given instead, to be changed later (tls-material.ts).
   */
  listen(port: number, host?: string, tls?: { cert: string; key: string; clientCa?: string } | grpc.ServerCredentials): Promise<number>;
  close(): Promise<void>;
  /** syncz, configz, registryz, config_dump: plain functions of the query string, mounted at /debug/<name>. */
  debug: DebugHandlers;
  /** Resolves once the current store version is built and pushed and every stream answered (ACK or NACK) it. */
  settled(timeoutMs?: number): Promise<void>;
  /** Live connections (tests, benchmarks). */
  connections(): Connection[];
  /** The current snapshot cache (tests, benchmarks). */
  current(): SnapshotCache;
  /** A reloaded mesh config: the next snapshot is built with it (a full rebuild) and pushed, debounced by its timings. */
  setMesh(mesh: MeshConfig): void;
  /** Counters for tests and benchmarks: encodes = resources encoded so far (each distinct content once). */
  stats(): { snapshot: string; scopes: number; encodes: number; connections: number };
}

export const defaultGenerators: Generators = { buildSnapshot, updateSnapshot, generate, proxyScope };

export function createXdsServer(opts: XdsServerOptions): XdsServer {
  const log = (opts.log ?? silentLogger).child({ component: 'xds' });
  const gens = opts.generators ?? defaultGenerators;
  const metrics = createXdsMetrics(opts.registry);
  const store = opts.store;
  const pool = new EncodedPool();
  // Load the Envoy protos and set up the encoders of the served types at start-up (a few hundred ms), not under
  // the first proxies' requests.
  for (const t of KNOWN_TYPES) encode(t, {});
  const conns = new Set<Connection>();
  let mesh = opts.mesh;
  const waiters = new Set<() => boolean>();

  // The latest snapshot built (the base of the next incremental update, even when its content equalled the
  // served one) and the keys of the objects changed since it was built.
  let base: Snapshot | undefined;
  let changedKeys = new Set<string>();
  // Pods changed since the last rebuild: their connected proxies are checked again (authorizeProxy).
  let changedPods = new Set<string>();
  const makeCache = (prev?: SnapshotCache): SnapshotCache => {
    pool.rotate();
    const keys = changedKeys;
    changedKeys = new Set();
    let snap: Snapshot;
    try {
      const o = snapshotOptions(mesh);
      snap = base && gens.updateSnapshot ? gens.updateSnapshot(base, store.list(), keys, o) : gens.buildSnapshot(store.list(), o);
    } catch (e) {
      for (const k of keys) changedKeys.add(k);
      throw e;
    }
    const notes = discoveryNotes(base, snap, () => store.list());
    for (const m of notes.info) log.info(m);
    for (const m of notes.warn) log.warn(m);
    base = snap;
    const previous = prev && prev.snapshot.version !== snap.version && opts.reuse !== false ? { cache: prev, plan: planReuse(prev.snapshot, snap) } : undefined;
    if (previous) log.debug({ changed: previous.plan.changed, reuse: [...previous.plan.reuse].map(shortType), eds: previous.plan.edsHosts?.size }, 'xds: snapshot diff');
    return new SnapshotCache(snap, gens, pool, (s) => metrics.generateTime.observe({ type: shortType(s.typeUrl) }, s.ms / 1000), previous);
  };
  let builtFrom = store.version;
  let cache = makeCache();
  let origin: number | undefined;

  const ctx: ServerContext = {
    cache: () => cache,
    origin: () => origin,
    scopeOf: (c, proxy) => gens.proxyScope(c.snapshot, proxy),
    log,
    metrics,
    changed: () => {
      if (waiters.size === 0) return;
      for (const w of [...waiters]) if (w()) waiters.delete(w);
    },
  };

  const queue = new PushQueue<Connection>(opts.pushConcurrency ?? 64, (conn, o) => {
    if (conn.closed || !conn.proxy) return undefined;
    const writing = (conn.kind === 'sotw' ? pushSotw : pushDelta)(ctx, conn, o);
    if (writing) return writing.then(() => ctx.changed());
    ctx.changed();
    return undefined;
  });

  const rebuild = (firstAt: number): void => {
    const from = store.version;
    const started = performance.now();
    const replaced = changedPods.size > 0 && opts.authorizeProxy ? refreshProxies(conns, changedPods, opts.authorizeProxy) : [];
    changedPods = new Set();
    for (const c of replaced) log.info({ proxy: c.proxy!.id, namespace: c.proxy!.namespace, labels: c.proxy!.labels }, "xds: the proxy's pod changed; pushing for its new labels");
    let next: SnapshotCache;
    try {
      next = makeCache(cache);
    } catch (e) {
      log.error({ err: (e as Error).message }, 'xds: building the snapshot failed; proxies keep the previous one');
      builtFrom = from;
      for (const c of replaced) queue.enqueue(c, firstAt);
      ctx.changed();
      return;
    }
    builtFrom = from;
    if (next.snapshot.version === cache.snapshot.version) {
      for (const c of replaced) queue.enqueue(c, firstAt);
      ctx.changed();
      return;
    }
    cache = next;
    origin = firstAt;
    log.debug({ version: next.snapshot.version, store: from, proxies: conns.size }, 'xds: new snapshot, pushing');
    const at = Date.now();
    opts.onSnapshot?.({ version: next.snapshot.version, storeVersion: from, buildMs: performance.now() - started, at, firstChangeAt: firstAt, proxies: conns.size });
    for (const c of conns) queue.enqueue(c, firstAt);
    ctx.changed();
  };

  const debouncer = new Debouncer(opts.debounce ?? opts.mesh.debounce, rebuild);
  const unsubscribe = store.onChange((e) => {
    for (const k of e.keys) {
      changedKeys.add(k);
      if (k.startsWith('Pod/')) changedPods.add(k);
    }
    debouncer.trigger();
  });

  // Responses out and not yet answered, over every live stream (kept by the connections).
  const tally = { unanswered: 0 };
  const isSettled = (): boolean => !debouncer.pending && builtFrom === store.version && queue.idle && tally.unanswered === 0;

  function handleStream(kind: StreamKind, call: grpc.ServerDuplexStream<unknown, Buffer>): void {
    const conn = new Connection(kind, call, call.getPeer(), tally);
    let done = false;
    const cleanup = (): void => {
      if (done) return;
      done = true;
      conn.close();
      queue.forget(conn);
      if (conns.delete(conn)) {
        metrics.connected.dec();
        log.info({ proxy: conn.proxy?.id, stream: kind, peer: conn.peer }, 'xds: proxy disconnected');
      }
      ctx.changed();
    };
    const fail = (code: grpc.status, details: string): void => {
      log.warn({ proxy: conn.proxy?.id, peer: conn.peer, code: grpc.status[code], details }, 'xds: closing stream');
      cleanup();
      call.emit('error', { code, details });
    };
    call.on('data', (req: DiscoveryRequest & DeltaDiscoveryRequest) => {
      if (conn.closed) return;
      try {
        if (!conn.proxy) {
          const node = req.node as WireNode | null | undefined;
          const parsed = parseNode(node ? { id: node.id, cluster: node.cluster, metadata: structToPlain(node.metadata), locality: node.locality } : undefined);
          if (!parsed.ok) return fail(grpc.status.INVALID_ARGUMENT, `invalid xDS node: ${parsed.errors.join('; ')}`);
          const identity = peerIdentity(call);
          let proxy = identity ? { ...parsed.value, identity } : parsed.value;
          conn.claimed = proxy;
          if (opts.authorizeProxy) {
            const verdict = opts.authorizeProxy(proxy);
            if (!verdict.ok) return fail(verdict.code === 'denied' ? grpc.status.PERMISSION_DENIED : grpc.status.UNAVAILABLE, verdict.message);
            proxy = verdict.proxy;
          }
          const refusal = identityRefusal(proxy, mesh.trustDomain);
          if (refusal) return fail(grpc.status.PERMISSION_DENIED, refusal);
          conn.proxy = proxy;
          conns.add(conn);
          metrics.connected.inc();
          const proved = proxy.identity && spiffeId(proxy.identity.trustDomain, proxy.identity.namespace, proxy.identity.serviceAccount);
          log.info({ proxy: conn.proxy.id, stream: kind, peer: conn.peer, generator: conn.proxy.generator, ...(proved ? { identity: proved } : {}) }, 'xds: proxy connected');
          // What of its node was ignored (a PROXY_CONFIG that does not read): served all the same, and said once.
          for (const w of proxy.warnings ?? []) log.warn({ proxy: proxy.id, peer: conn.peer }, `xds: ${w}`);
        }
        if (!req.type_url) return fail(grpc.status.INVALID_ARGUMENT, 'type_url is required on an aggregated (ADS) stream');
        const answer = kind === 'sotw' ? handleSotwRequest(ctx, conn, req) : handleDeltaRequest(ctx, conn, req);
        if (answer) queue.enqueue(conn);
        if (req.type_url === TypeUrls.secret) noteCredentials(conn);
        if (req.type_url === TypeUrls.cluster) noteZoneAware(conn);
      } catch (e) {
        log.error({ proxy: conn.proxy?.id, err: (e as Error).stack }, 'xds: request handling failed');
        fail(grpc.status.INTERNAL, `internal error: ${(e as Error).message}`);
      }
    });
    call.on('end', () => {
      cleanup();
      call.end();
    });
    call.on('error', cleanup);
    call.on('cancelled', cleanup);
    call.on('close', cleanup);
  }

  /**
   * Says why a proxy's credentials are not served (once per stream, name and reason): no identity, no such Secret,
   * a key that does not match. A missing certificate leaves its TLS listener or cluster without one, and nothing
   * else tells.
   */
  function noteCredentials(conn: Connection): void {
    for (const name of conn.watches.get(TypeUrls.secret)?.names ?? []) {
      const reason = credentialProblem(cache.snapshot, conn.proxy!, name);
      if (reason === undefined || conn.credentialNotes.has(`${name}\0${reason}`)) continue;
      conn.credentialNotes.add(`${name}\0${reason}`);
      log.warn({ proxy: conn.proxy!.id, peer: conn.peer, credential: name }, `xds: credential ${name} is not served: ${reason}`);
    }
  }

  /**
   * Says, once per stream, that a proxy's clusters ask for zone-aware routing that it cannot do (no self-discovery:
   * no local_cluster), as istiod warns; looked at again only when the snapshot changes.
   */
  const zoneAwareSeen = new WeakMap<Connection, string>();
  const SAID = '\0said';
  function noteZoneAware(conn: Connection): void {
    const snap = cache.snapshot;
    const seen = zoneAwareSeen.get(conn);
    if (seen === SAID || seen === snap.version) return;
    const clusters = zoneAwareWithoutSelfDiscovery(snap, conn.proxy!);
    zoneAwareSeen.set(conn, clusters.length > 0 ? SAID : snap.version);
    if (clusters.length === 0) return;
    const named = clusters.length > 3 ? `${clusters.slice(0, 3).join(', ')} and ${clusters.length - 3} more` : clusters.join(', ');
    log.warn({ proxy: conn.proxy!.id, peer: conn.peer }, `xds: zone-aware load balancing is on for ${named}, but the proxy has no self-discovery (proxyMetadata ISTIO_META_ENABLE_SELF_DISCOVERY: "true"): Envoy cannot route by zone there`);
  }

  const server = new grpc.Server({
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
    // Nothing reads grpc-js's channelz (mizzen has its own /debug/syncz and metrics); with it on, every connection
    // registers a socket (getsockname, trace) and every message sent or received updates counters and timestamps.
    'grpc.enable_channelz': 0,
  });
  // Envoy's requests repeat its whole subscription (70 KB per ACK at 1,200 clusters): let them arrive whole.
  widenReceiveWindows(server);
  server.addService(adsServiceDefinition(), {
    StreamAggregatedResources: (call: grpc.ServerDuplexStream<unknown, Buffer>) => handleStream('sotw', call),
    DeltaAggregatedResources: (call: grpc.ServerDuplexStream<unknown, Buffer>) => handleStream('delta', call),
  });

  const debug = createDebugHandlers({
    store,
    connections: () => [...conns],
    cache: () => cache,
    scopeOf: ctx.scopeOf,
    configErrors: opts.configErrors,
  });

  return {
    listen: (port, host = '0.0.0.0', tls) =>
      new Promise((resolve, reject) => {
        const creds = !tls ? grpc.ServerCredentials.createInsecure() : tls instanceof grpc.ServerCredentials ? tls : serverTls(tls);
        server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, creds, (err, bound) => (err ? reject(err) : resolve(bound)));
      }),
    close: async () => {
      unsubscribe();
      debouncer.close();
      for (const c of conns) c.close();
      // ADS streams never end on their own: cancel them and stop listening.
      server.forceShutdown();
      conns.clear();
      metrics.connected.set(0);
    },
    debug,
    settled: (timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        if (isSettled()) return resolve();
        const timer = setTimeout(() => {
          waiters.delete(check);
          const pending = [...conns].filter((c) => !c.settled).map((c) => c.proxy?.id);
          reject(new Error(`xds: not settled after ${timeoutMs} ms (debounce pending: ${debouncer.pending}, store ${store.version} built ${builtFrom}, queue ${queue.size}, unacked: ${pending.join(', ') || 'none'})`));
        }, timeoutMs);
        const check = (): boolean => {
          if (!isSettled()) return false;
          clearTimeout(timer);
          resolve();
          return true;
        };
        waiters.add(check);
        // The debouncer fires on its own timer; nothing else may happen meanwhile, so poll cheaply too.
        const poll = setInterval(() => {
          if (!waiters.has(check)) return clearInterval(poll);
          if (check()) {
            waiters.delete(check);
            clearInterval(poll);
          }
        }, 20);
        poll.unref?.();
      }),
    connections: () => [...conns],
    current: () => cache,
    setMesh: (next) => {
      if (next === mesh) return;
      mesh = next;
      if (!opts.debounce) debouncer.setOptions(next.debounce);
      debouncer.trigger();
    },
    stats: () => ({ snapshot: cache.snapshot.version, scopes: cache.scopeCount, encodes: pool.encodes, connections: conns.size }),
  };
}
