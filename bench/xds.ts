/**
 * bench:xds — the control plane in this process, N simulated Envoy proxies (one HTTP/2 connection each) in a
 * child process, a mesh of S services × E endpoints generated in memory. Measures the initial sync, the
 * convergence after one endpoint change and after one VirtualService change (store write → last ACK), the
 * control plane's RSS and CPU, generation time per proxy scope, and, as a baseline in the same run, a raw
 * broadcast of pre-encoded bytes of the same size to the same streams. Each kind of change is measured in several
 * rounds (a different service each time), each followed by its own baseline: every round is printed, the
 * convergence targets are checked on the slowest round and the push/raw target on the median round (the first
 * round after start-up runs cold code; on two cores a single sample swings with GC and the scheduler). One more
 * round of each kind (--warmup-rounds) runs first, cold, and is printed but not counted. Last, a reloaded mesh config
 * (accessLogFile on, then off: every listener of every proxy changes) is measured the same way, without a target.
 *
 *   npm run build && npm run bench:xds [-- --proxies 100 --services 200 --rounds 5]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Session } from 'node:inspector/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { ConfigStore } from '../src/model/store.js';
import { DEFAULT_MESH_CONFIG } from '../src/config/mesh.js';
import { TypeUrls } from '../src/core/constants.js';
import { createXdsServer, type SnapshotEvent } from '../src/xds/server/index.js';
import { sotwResponse } from '../src/xds/server/wire.js';
import { buildMesh, pod, virtualService, serviceName, type MeshShape } from './xds/mesh.js';
import type { FromClients, ToClients } from './xds/clients.js';

const USAGE = `usage: npm run bench:xds -- [--proxies N] [--services N] [--endpoints N] [--namespaces N] [--scopes N]
       [--debounce-ms MS] [--push-concurrency N] [--rounds N] [--warmup-rounds N] [--mesh-rounds N] [--mtls] [--json]
       [--cpu-prof-dir DIR]`;

const { values: flags } = (() => {
  try {
    return parseArgs({
      options: {
        proxies: { type: 'string', default: '1000' },
        services: { type: 'string', default: '1000' },
        endpoints: { type: 'string', default: '5' },
        namespaces: { type: 'string', default: '10' },
        scopes: { type: 'string', default: '10' },
        'debounce-ms': { type: 'string', default: String(DEFAULT_MESH_CONFIG.debounce.quietMs) },
        'push-concurrency': { type: 'string', default: '64' },
        /** Changes measured per kind (each with its own raw baseline right after): one sample is at the mercy of GC and the scheduler. */
        rounds: { type: 'string', default: '5' },
        /**
         * Changes of each kind made first and printed but not counted. The first change after start-up runs code that
         * has not run yet on both sides: the control plane's incremental paths, and the simulated proxies' handling of
         * a small update, which then slows the push but not the raw baseline measured right after it.
         */
        'warmup-rounds': { type: 'string', default: '1' },
        /** Reloads of the mesh config measured (after one warm-up when --warmup-rounds is not 0); 0 skips them. */
        'mesh-rounds': { type: 'string', default: '3' },
        json: { type: 'boolean', default: false },
        /** Sidecars with mesh certificates (node metadata, SDS) and pods that take mTLS: the cost of mesh mTLS. */
        mtls: { type: 'boolean', default: false },
        /** Write a CPU profile of the control plane per section (initial sync, each push, each raw broadcast) here. */
        'cpu-prof-dir': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    // A bad flag is said in one line with the usage, not a stack trace.
    process.stderr.write(`bench:xds: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
})();
if (flags.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const num = (k: Exclude<keyof typeof flags, 'help' | 'json' | 'mtls'>): number => {
  const n = Number(flags[k]);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`bench:xds: --${k}: "${flags[k]}" is not a number\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
};
const shape: MeshShape = { services: num('services'), endpoints: num('endpoints'), namespaces: num('namespaces'), mtls: flags.mtls };
const N = num('proxies');
const SCOPES = Math.min(num('scopes'), N);

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const ms = (x: number): string => `${Math.round(x)} ms`;
const mb = (x: number): string => `${Math.round(x / 1024 / 1024)} MB`;

// Optional CPU profiles of the control plane, one per section (open in Chrome DevTools or speedscope).
const profDir = flags['cpu-prof-dir'];
const inspector = profDir ? new Session() : undefined;
if (inspector) {
  mkdirSync(profDir!, { recursive: true });
  inspector.connect();
  await inspector.post('Profiler.enable');
  await inspector.post('Profiler.setSamplingInterval', { interval: 500 });
}
async function profiled<T>(section: string, fn: () => Promise<T>): Promise<T> {
  if (!inspector) return fn();
  const file = section.replace(/\W+/g, '-');
  tell({ cmd: 'profile' });
  await receive('profiled');
  await inspector.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await inspector.post('Profiler.stop');
    writeFileSync(join(profDir!, `${file}.cpuprofile`), JSON.stringify(profile));
    tell({ cmd: 'profile', file: join(profDir!, `${file}.clients.cpuprofile`) });
    await receive('profiled');
  }
}

// ---- the simulated proxies (child process) ----
const here = dirname(fileURLToPath(import.meta.url));
const clientsPath = join(here, 'xds', `clients${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`);
const child: ChildProcess = fork(clientsPath, [], { execArgv: [...(import.meta.url.endsWith('.ts') ? ['--import', 'tsx'] : []), ...(process.env.BENCH_CLIENTS_NODE_ARGS?.split(' ').filter(Boolean) ?? [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const inbox: FromClients[] = [];
let wake: (() => void) | undefined;
child.on('message', (m: FromClients) => {
  if (m.cmd === 'error') process.stderr.write(`clients: ${m.message}\n`);
  else inbox.push(m);
  wake?.();
});
child.on('exit', (code) => {
  if (code) {
    process.stderr.write(`clients process exited with ${code}\n`);
    process.exit(1);
  }
});
const tell = (m: ToClients): void => void child.send(m);
async function receive<C extends FromClients['cmd']>(cmd: C): Promise<Extract<FromClients, { cmd: C }>> {
  for (;;) {
    const i = inbox.findIndex((m) => m.cmd === cmd);
    if (i >= 0) return inbox.splice(i, 1)[0] as Extract<FromClients, { cmd: C }>;
    await new Promise<void>((r) => (wake = r));
  }
}
const report = async () => {
  tell({ cmd: 'report' });
  return receive('report');
};
const mark = async () => {
  tell({ cmd: 'mark' });
  await receive('marked');
};

// ---- the control plane (this process) ----
const cpu0 = process.cpuUsage();
const store = new ConfigStore();
const objects = buildMesh(shape);
store.setSource('bench', objects);
const snapshots: SnapshotEvent[] = [];
let t = Date.now();
const server = createXdsServer({
  store,
  mesh: DEFAULT_MESH_CONFIG,
  registry: new Registry(),
  debounce: { quietMs: num('debounce-ms'), maxMs: DEFAULT_MESH_CONFIG.debounce.maxMs },
  onSnapshot: (e) => snapshots.push(e),
  pushConcurrency: num('push-concurrency'),
});
const initialBuild = Date.now() - t;
const port = await server.listen(0, '127.0.0.1');
const lines: string[] = [];
const out: Record<string, unknown> = { proxies: N, services: shape.services, endpoints: shape.endpoints, scopes: SCOPES, objects: objects.length };
const say = (s: string): void => {
  lines.push(s);
  if (!flags.json) process.stdout.write(s + '\n');
};
say(`bench:xds — ${N} proxies (${SCOPES} scopes), ${shape.services} services × ${shape.endpoints} endpoints (${objects.length} objects), debounce ${num('debounce-ms')} ms${flags.mtls ? ', mesh mTLS (every sidecar with certificates, every pod taking mTLS)' : ''}`);
say(`initial snapshot build: ${ms(initialBuild)}`);

// Initial sync: connect all, wait for every proxy to ACK CDS, EDS, LDS and RDS.
// When every proxy's first request has arrived (its stream is registered): connection setup, before any answer.
let allConnected = NaN;
const syncCpu0 = process.cpuUsage();
const synced = await profiled('initial sync', async () => {
  t = Date.now();
  tell({ cmd: 'connect', port, proxies: N, scopes: SCOPES, namespaces: shape.namespaces, mtls: flags.mtls });
  const connPoll = setInterval(() => {
    if (Number.isNaN(allConnected) && server.stats().connections >= N) allConnected = Date.now() - t;
  }, 10);
  const m = await receive('synced');
  clearInterval(connPoll);
  // The 10 ms poll may not have run between the last stream's first request and the sync (a busy event loop):
  // then the sync itself is the bound.
  if (Number.isNaN(allConnected)) allConnected = Date.now() - t;
  return m;
});
const syncCpu = process.cpuUsage(syncCpu0);
const syncTimes = synced.times.map((x) => x - t);
await server.settled(120_000);
const initial = Math.max(...syncTimes);
const cache0 = server.current();
const byScope = new Map<string, number>();
for (const s of cache0.stats) byScope.set(s.scope, (byScope.get(s.scope) ?? 0) + s.ms);
const genTimes = [...byScope.values()];
out.initialSyncMs = initial;
out.generationPerScopeMs = { scopes: genTimes.length, p50: percentile(genTimes, 50), max: Math.max(...genTimes), total: genTimes.reduce((a, b) => a + b, 0) };
out.allConnectedMs = allConnected;
out.initialSyncCpuMs = (syncCpu.user + syncCpu.system) / 1000;
say(`initial sync (connect → every proxy ACKed CDS+EDS+LDS+RDS${flags.mtls ? "+SDS" : ""}): ${ms(initial)} (p50 ${ms(percentile(syncTimes, 50))}; every stream's first request in by ${ms(allConnected)}; control-plane CPU ${ms(out.initialSyncCpuMs as number)}) [target ≤ 5000 ms]`);
say(`generation per distinct proxy scope (all four types): ${genTimes.length} scopes, p50 ${ms(percentile(genTimes, 50))}, max ${ms(Math.max(...genTimes))}; resources encoded: ${server.stats().encodes}`);
const mem1 = process.memoryUsage().rss;
say(`control plane RSS after initial sync: ${mb(mem1)}`);

let peakPushRss = mem1;

interface Phase {
  name: string;
  convergence: { p50: number; p99: number; max: number };
  pushMs: number;
  buildMs: number;
  responses: Record<string, number>;
  bytes: number;
  rawMs: number;
  ratio: number;
  /** Control-plane CPU (user + system) from the write to the last ACK, and during the raw broadcast. */
  cpuMs: number;
  rawCpuMs: number;
  rssMB: number;
}

/**
 * One change: store write → last ACK per proxy; then the raw broadcast of a response of the same size: the one
 * resource `resourceName` (what the change touches), or with '*' every resource of the type (a change to all of them).
 */
async function phase(name: string, change: () => void, typeUrl: string, resourceName: string): Promise<Phase> {
  await mark();
  const before = snapshots.length;
  const t0 = Date.now();
  const c0 = process.cpuUsage();
  const r = await profiled(`${name} push`, async () => {
    change();
    await server.settled(120_000);
    return report();
  });
  const cpu = process.cpuUsage(c0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const snap = snapshots[before];
  if (!snap) throw new Error(`${name}: no new snapshot`);
  const acks = r.acks.filter((a): a is number => a !== null).map((a) => a - t0);
  const lastAck = Math.max(...acks);
  const pushMs = lastAck - (snap.at - t0);
  const rssAfterPush = process.memoryUsage().rss;
  peakPushRss = Math.max(peakPushRss, rssAfterPush);
  // Baseline: the same streams, pre-encoded bytes of the same size, written raw; time to the last ACK.
  const conn = server.connections()[0]!;
  const sent = conn.watches.get(typeUrl)!.sent.resources;
  const encoded = resourceName === '*' ? [...sent.values()].map((r) => r.enc.sotw) : [sent.get(resourceName)!.enc.sotw];
  const buf = sotwResponse(conn.watches.get(typeUrl)!.sentVersion, typeUrl, `raw-${name}`, encoded);
  await mark();
  const tr = Date.now();
  const rc0 = process.cpuUsage();
  const raw = await profiled(`${name} raw`, async () => {
    await Promise.all(server.connections().map((c) => c.write(buf)));
    let m = await report();
    while (m.rawAcks < N) {
      await new Promise((x) => setTimeout(x, 5));
      m = await report();
    }
    return m;
  });
  const rawMs = Math.max(...raw.acks.map((a) => a ?? tr)) - tr;
  const rcpu = process.cpuUsage(rc0);
  const rawCpuMs = (rcpu.user + rcpu.system) / 1000;
  const p: Phase = {
    name,
    convergence: { p50: percentile(acks, 50), p99: percentile(acks, 99), max: lastAck },
    pushMs,
    buildMs: snap.buildMs,
    responses: r.responses,
    bytes: r.bytes,
    rawMs,
    ratio: pushMs / Math.max(1, rawMs),
    cpuMs,
    rawCpuMs,
    rssMB: Math.round(rssAfterPush / 1024 / 1024),
  };
  say(
    `  ${name}: write → last ACK p50 ${ms(p.convergence.p50)}, p99 ${ms(p.convergence.p99)}, max ${ms(p.convergence.max)} ` +
      `(debounce + snapshot build ${ms(snap.at - t0)} of which build ${ms(p.buildMs)}; push → last ACK ${ms(pushMs)}); ` +
      `responses ${JSON.stringify(p.responses)} ${mb(p.bytes)}; raw broadcast ${ms(rawMs)}; push/raw ${p.ratio.toFixed(2)}×; ` +
      `control-plane CPU ${ms(cpuMs)} (raw ${ms(rawCpuMs)})`,
  );
  return p;
}

interface Rounds {
  /** Not counted: the first changes after start-up, cold. */
  warmup: Phase[];
  rounds: Phase[];
  /** The slowest round's last ACK (the convergence target is checked on it). */
  worstMs: number;
  /** The median of the rounds' push/raw ratios (the push target is checked on it), and the worst. */
  ratio: number;
  worstRatio: number;
}

const median = (xs: number[]): number => percentile(xs, 50);

/**
 * The same kind of change `warmup` times, not counted, then `n` times, each with its raw baseline right after; a
 * summary line with every counted round's figures. Round i (warm-up rounds first) makes change(i).
 */
async function rounds(name: string, n: number, warmup: number, change: (round: number) => () => void, typeUrl: string, resourceName: (round: number) => string): Promise<Rounds> {
  say(`${name}, ${warmup ? `${warmup} warm-up round${warmup > 1 ? 's' : ''} (not counted) and ` : ''}${n} rounds:`);
  const warm: Phase[] = [];
  for (let i = 0; i < warmup; i++) warm.push(await phase(`${name} warm-up ${i + 1}`, change(i), typeUrl, resourceName(i)));
  const all: Phase[] = [];
  for (let i = 0; i < n; i++) all.push(await phase(`${name} ${i + 1}`, change(warmup + i), typeUrl, resourceName(warmup + i)));
  const ratios = all.map((p) => p.ratio);
  const r: Rounds = { warmup: warm, rounds: all, worstMs: Math.max(...all.map((p) => p.convergence.max)), ratio: median(ratios), worstRatio: Math.max(...ratios) };
  const list = (xs: number[], f: (x: number) => string): string => xs.map(f).join(', ');
  say(
    `${name}: write → last ACK max ${ms(r.worstMs)} (rounds: ${list(all.map((p) => p.convergence.max), ms)}); ` +
      `push → last ACK median ${ms(median(all.map((p) => p.pushMs)))}, raw broadcast median ${ms(median(all.map((p) => p.rawMs)))}; ` +
      `push/raw median ${r.ratio.toFixed(2)}× (rounds: ${list(ratios, (x) => `${x.toFixed(2)}×`)}; worst ${r.worstRatio.toFixed(2)}×)` +
      (warm.length ? `; warm-up, not counted: ${list(warm.map((p) => p.convergence.max), ms)}, ${list(warm.map((p) => p.ratio), (x) => `${x.toFixed(2)}×`)}` : ''),
  );
  return r;
}

const ROUNDS = Math.max(1, num('rounds'));
const WARMUP = Math.max(0, num('warmup-rounds'));
// Each round moves one endpoint of a different service to a new address (or back), so every round is a real change.
const changedService = (i: number): number => (7 + 13 * i) % shape.services;
const eds = await rounds(
  'endpoint change',
  ROUNDS,
  WARMUP,
  (i) => () => store.upsert('bench', pod(changedService(i), 0, shape, 1)),
  TypeUrls.endpoint,
  (i) => `outbound|9080||${serviceName(changedService(i))}.ns-${changedService(i) % shape.namespaces}.svc.cluster.local`,
);
const vs = await rounds('VirtualService change', ROUNDS, WARMUP, (i) => () => store.upsert('bench', virtualService(0, shape, i % 2 === 0 ? 50 : 70)), TypeUrls.route, () => '9080');
// Baseline for the initial sync: each proxy's four full responses (its own CDS, EDS, LDS and RDS content, as
// pre-encoded bytes) written raw to the same streams, as many streams at a time as the server's push queue
// allows (64), to the last ACK. Run last: its buffering would otherwise inflate the RSS figures above.
async function rawInitialSync(): Promise<{ ms: number; bytes: number; cpuMs: number }> {
  const types = [TypeUrls.cluster, TypeUrls.endpoint, TypeUrls.listener, TypeUrls.route];
  const memo = new Map<string, Buffer>();
  const responses = (c: ReturnType<typeof server.connections>[number]): Buffer[] =>
    types.map((t) => {
      const w = c.watches.get(t)!;
      const key = `${t}|${w.sent.version}`;
      let b = memo.get(key);
      if (!b) memo.set(key, (b = sotwResponse(w.sent.version, t, 'raw-initial', [...w.sent.resources.values()].map((r) => r.enc.sotw))));
      return b;
    });
  await mark();
  const conns = server.connections();
  const tr = Date.now();
  const c0 = process.cpuUsage();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < conns.length) {
      const c = conns[next++]!;
      await Promise.all(responses(c).map((b) => c.write(b)));
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  let raw = await report();
  while (raw.rawAcks < 4 * N) {
    await new Promise((x) => setTimeout(x, 5));
    raw = await report();
  }
  const cpu = process.cpuUsage(c0);
  return { ms: Math.max(...raw.acks.map((a) => a ?? tr)) - tr, bytes: raw.bytes, cpuMs: (cpu.user + cpu.system) / 1000 };
}

out.endpointChange = eds;
out.virtualServiceChange = vs;
say(
  `targets: endpoint change ≤ 300 ms in every round (${eds.worstMs <= 300 ? 'met' : 'MISSED'}), VirtualService change ≤ 2000 ms in every round (${vs.worstMs <= 2000 ? 'met' : 'MISSED'}), ` +
    `push ≤ 2× raw, median of the rounds (${Math.max(eds.ratio, vs.ratio) <= 2 ? 'met' : 'MISSED'}: endpoint ${eds.ratio.toFixed(2)}×, VirtualService ${vs.ratio.toFixed(2)}×; worst rounds ${eds.worstRatio.toFixed(2)}×, ${vs.worstRatio.toFixed(2)}×)`,
);

// A reloaded mesh config (mizzen serve's --mesh-config file changed): a full rebuild in which every listener of every
// proxy changes (accessLogFile on, then off), pushed to all. No target; measured after the targets' rounds and left
// out of their RSS figure, which is printed as it stood before.
const MESH_ROUNDS = Math.max(0, num('mesh-rounds'));
const pushesRss = peakPushRss;
if (MESH_ROUNDS > 0) {
  const logged = { ...DEFAULT_MESH_CONFIG, accessLogFile: '/dev/stdout' };
  const reload = await rounds('mesh config change', MESH_ROUNDS, Math.min(WARMUP, 1), (i) => () => server.setMesh(i % 2 === 0 ? logged : DEFAULT_MESH_CONFIG), TypeUrls.listener, () => '*');
  out.meshConfigChange = reload;
  out.rssAfterMeshChangesMB = Math.round(peakPushRss / 1024 / 1024);
  say(`mesh config change (no target): write → last ACK max ${ms(reload.worstMs)}, push/raw median ${reload.ratio.toFixed(2)}×; control plane RSS after them ${mb(peakPushRss)}`);
  peakPushRss = pushesRss;
}

const cpuBeforeRaw = process.cpuUsage(cpu0);
const rssBeforeRaw = process.memoryUsage().rss;
const rawInit = await rawInitialSync();
out.initialSyncRaw = { rawMs: rawInit.ms, ratio: initial / Math.max(1, rawInit.ms), bytes: rawInit.bytes, cpuMs: rawInit.cpuMs };
say(`initial sync baseline: raw broadcast of every proxy's four full responses (${mb(rawInit.bytes)}) ${ms(rawInit.ms)} (control-plane CPU ${ms(rawInit.cpuMs)}); initial sync / raw ${(initial / Math.max(1, rawInit.ms)).toFixed(2)}×`);

const cpu = cpuBeforeRaw;
const rss = rssBeforeRaw;
out.rssMB = Math.round(peakPushRss / 1024 / 1024);
out.rssWithBaselineMB = Math.round(rss / 1024 / 1024);
out.cpuSeconds = (cpu.user + cpu.system) / 1e6;
say(`control plane: RSS ${mb(peakPushRss)} after sync and pushes [target ≤ 600 MB] (${mb(rss)} at the end, after the raw broadcasts buffered every stream at once), CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s (user ${(cpu.user / 1e6).toFixed(1)}, system ${(cpu.system / 1e6).toFixed(1)})`);
if (flags.json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');

tell({ cmd: 'close' });
await server.close();
process.exit(0);
