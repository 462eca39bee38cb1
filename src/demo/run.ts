/**
 * `make demo`: the mesh on this machine, no cluster needed.
 *   1. Sidecar injection: a Bookinfo pod through mizzen's admission webhook (src/demo/inject.ts).
 *   2. Traffic: `mizzen serve --config-dir examples/demo` (the control plane), a real xDS-enabled gRPC server per
 *      Pod of examples/demo on its 127.0.0.x address, and a proxyless gRPC client calling
 *      xds:///reviews.default.svc.cluster.local:9080 that prints the live split every second. Edit
 *      examples/demo/virtual-service-reviews.yaml while it runs and watch the split follow.
 *
 *   node dist/src/demo/run.js [--duration SECONDS] [--config-dir DIR] [--xds-port PORT] [--target HOST:PORT]
 *                             [--rate CALLS_PER_SECOND] [--header k=v] [--no-inject]
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_MESH_CONFIG } from '../config/mesh.js';
import { createLogger, type Logger } from '../core/log.js';
import { listConfigFiles } from '../core/documents.js';
import { DEFAULT_TRUST_DOMAIN, Ports } from '../core/constants.js';
import { startServe, type RunningServe } from '../cmd/serve.js';
import type { XdsComponent } from '../xds/server/component.js';
import { readObjects, runInjectDemo } from './inject.js';
import { xdsClient, type Backend } from './echo.js';
import { bootstrapFor, callLoop, demoPods, formatWindow, startDemoBackends, workloadCerts, type Window } from './traffic.js';
import { readMeshCa, spiffeId } from '../certs/index.js';

export interface DemoOptions {
  /** Seconds to run the traffic part; undefined = until stop() (Ctrl-C). */
  durationSec?: number;
  configDir?: string;
  /** 0 = ephemeral; default 15010, falling back to an ephemeral port when taken. */
  xdsPort?: number;
  target?: string;
  rate?: number;
  metadata?: Record<string, string>;
  inject?: boolean;
  out?: (text: string) => void;
  log?: Logger;
  /** Resolves when the demo should stop early (the CLI wires SIGINT/SIGTERM here). */
  stopSignal?: Promise<unknown>;
}

export interface DemoResult {
  /** Every printed window, in order. */
  windows: Window[];
  xdsPort: number;
}

/** examples/demo of the repository this file belongs to (works from src/ and dist/src/). */
export function defaultConfigDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'examples', 'demo');
    dir = dirname(dir);
  }
  return resolve('examples', 'demo');
}

async function startControlPlane(configDir: string, xdsPort: number, log: Logger, certsDir: string, out: (s: string) => void): Promise<{ running: RunningServe; port: number }> {
  const start = (port: number) => startServe({ webhookPort: 0, monitoringPort: 0, host: '127.0.0.1', certsDir, mesh: DEFAULT_MESH_CONFIG, configDir, xdsPort: port, log });
  let running: RunningServe;
  try {
    running = await start(xdsPort);
  } catch (e) {
    if (xdsPort === 0 || !/EADDRINUSE|address already in use/i.test((e as Error).message)) throw e;
    out(`# port ${xdsPort} is taken; using an ephemeral xDS port\n`);
    running = await start(0);
  }
  const xds = running.components.find((c) => c.name === 'xds') as XdsComponent | undefined;
  if (!xds) throw new Error('mizzen serve has no xds component');
  return { running, port: xds.port() };
}

export async function runDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const out = opts.out ?? ((s: string) => void process.stdout.write(s));
  const log = opts.log ?? createLogger({ level: 'warn' });
  const configDir = resolve(opts.configDir ?? defaultConfigDir());
  const target = opts.target ?? 'reviews.default.svc.cluster.local:9080';
  const windows: Window[] = [];

  if (opts.inject !== false) {
    out('== 1. Sidecar injection: a Bookinfo pod through the admission webhook ==\n');
    // The summary lines and one line per patch operation; `node dist/src/demo/inject.js` prints the whole patch and pod.
    const lines: string[] = [];
    const { patch } = await runInjectDemo({ log, out: (s) => lines.push(...s.split('\n').filter((l) => l.startsWith('# '))) });
    for (const l of lines) {
      out(`${l}\n`);
      if (l.startsWith('# the JSON patch')) for (const op of patch) out(`    ${summarizeOperation(op as { op: string; path: string; value?: unknown })}\n`);
    }
    out('\n');
  }

  out(`== 2. Traffic: mizzen serve --config-dir ${configDir} ==\n`);
  const certsDir = mkdtempSync(join(tmpdir(), 'mizzen-demo-'));
  let running: RunningServe | undefined;
  let backends: Backend[] = [];
  let client: ReturnType<typeof xdsClient> | undefined;
  try {
    const cp = await startControlPlane(configDir, opts.xdsPort ?? Ports.xdsPlaintext, log, certsDir, out);
    running = cp.running;
    const xdsAddress = `127.0.0.1:${cp.port}`;
    out(`# xDS on ${xdsAddress}; debug: http://127.0.0.1:${running.ports.monitoring}/debug/syncz and /debug/configz\n`);
    const pods = demoPods(listConfigFiles(configDir).flatMap((f) => readObjects(f)));
    // The mesh CA mizzen serve generated beside its webhook certificate signs every workload's certificate.
    const meshCa = readMeshCa(certsDir);
    if (!meshCa.ok) throw new Error(meshCa.errors.join('; '));
    const workloads = join(certsDir, 'workloads');
    out(`# starting ${pods.length} xDS-enabled gRPC servers (each serves once mizzen sends its listener), each with a mesh certificate:\n`);
    backends = await startDemoBackends(pods, xdsAddress, meshCa.value, workloads);
    for (const p of pods) out(`#   ${p.service} ${p.version}  ${p.ip}:${p.port}  (pod ${p.namespace}/${p.pod}, ${spiffeId(DEFAULT_TRUST_DOMAIN, p.namespace, p.serviceAccount)})\n`);
    const clientCerts = await workloadCerts(meshCa.value, join(workloads, 'demo-client'), 'default', 'demo-client');
    client = xdsClient(target, bootstrapFor(xdsAddress, '127.0.0.1', 'demo-client', 'default', { app: 'demo-client' }, clientCerts));
    out(`# client: xds:///${target}, about ${opts.rate ?? 200} calls/s${opts.metadata ? ` with ${JSON.stringify(opts.metadata)}` : ''}\n`);
    out(`# edit ${join(configDir, 'virtual-service-reviews.yaml')} and watch the split follow; Ctrl-C to stop\n\n`);

    const loop = callLoop(client, opts.rate ?? 200, opts.metadata);
    const started = Date.now();
    let last = started;
    await new Promise<void>((done) => {
      const timer = setInterval(() => {
        const now = Date.now();
        const w = loop.take();
        windows.push(w);
        out(`[${String(Math.round((now - started) / 1000)).padStart(3)}s] ${formatWindow(target.split('.')[0]!, w, (now - last) / 1000)}\n`);
        last = now;
        if (opts.durationSec !== undefined && now - started >= opts.durationSec * 1000 - 50) finish();
      }, 1000);
      const finish = (): void => {
        clearInterval(timer);
        done();
      };
      void opts.stopSignal?.then(finish);
    });
    await loop.stop();
    return { windows, xdsPort: cp.port };
  } finally {
    client?.close();
    await Promise.all(backends.map((b) => b.close()));
    await running?.shutdown();
    rmSync(certsDir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      'config-dir': { type: 'string' },
      'xds-port': { type: 'string' },
      target: { type: 'string' },
      rate: { type: 'string' },
      header: { type: 'string', multiple: true },
      'no-inject': { type: 'boolean' },
    },
  });
  const num = (v: string | undefined, flag: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) {
      process.stderr.write(`demo: ${flag}: "${v}" is not a non-negative number\n`);
      process.exit(2);
    }
    return n;
  };
  const metadata: Record<string, string> = {};
  for (const h of values.header ?? []) {
    const eq = h.indexOf('=');
    if (eq <= 0) {
      process.stderr.write(`demo: --header: "${h}" must be key=value\n`);
      process.exit(2);
    }
    metadata[h.slice(0, eq).toLowerCase()] = h.slice(eq + 1);
  }
  const stopSignal = new Promise<string>((res) => {
    process.once('SIGINT', () => res('SIGINT'));
    process.once('SIGTERM', () => res('SIGTERM'));
  });
  runDemo({
    durationSec: num(values.duration, '--duration'),
    configDir: values['config-dir'],
    xdsPort: num(values['xds-port'], '--xds-port'),
    target: values.target,
    rate: num(values.rate, '--rate'),
    metadata: Object.keys(metadata).length > 0 ? metadata : undefined,
    inject: !values['no-inject'],
    stopSignal,
  }).then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`demo: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}

/** One patch operation on a line: `add /spec/containers/- {name: istio-proxy, …}`, values cut to keep it readable. */
export function summarizeOperation(op: { op: string; path: string; value?: unknown }): string {
  const v = op.value as { name?: unknown } | undefined;
  const named = v && typeof v === 'object' && !Array.isArray(v) && typeof v.name === 'string' ? `{name: ${v.name}, …}` : undefined;
  const text = named ?? (op.value === undefined ? '' : JSON.stringify(op.value));
  return `${op.op} ${op.path}${text ? ' ' + (text.length > 90 ? text.slice(0, 89) + '…' : text) : ''}`;
}
