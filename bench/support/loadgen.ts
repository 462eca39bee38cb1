/**
 * Closed-loop load over HTTPS/1.1 keep-alive: N workers (one per connection, an Agent with keepAlive and
 * maxSockets N) each send the next request as soon as the previous answer is read. A phase warms up, then
 * measures for a fixed duration; latencies are per request, from write to the last byte of the answer.
 */
import { Agent, request } from 'node:https';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { ServerInfo } from './server.js';

export interface Phase {
  name: string;
  port: number;
  path: string;
  body: string;
  ca: string;
  /** Returns an error message when an answer is wrong (checked on the first answers of each worker). */
  check?: (status: number, body: string) => string | undefined;
}

export interface PhaseResult {
  name: string;
  requests: number;
  errors: number;
  firstError?: string;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  bodyBytes: number;
  /** Size of the last answer body, bytes. */
  answerBytes: number;
  /** Server CPU time (user + system) per measured request: steadier than req/s on a busy machine. */
  cpuPerRequestUs: number;
  /** The load generator's own CPU time per request (it shares the machine: a bigger answer costs it more). */
  clientCpuPerRequestUs: number;
  /** Requests/s of each round's slice, in order (rounds of different phases run back to back). */
  roundRps: number[];
}

export interface LoadOptions {
  connections: number;
  durationMs: number;
  warmupMs: number;
  /** Measured slices per phase, taken in turn across phases. */
  rounds: number;
  /** Run only the phases whose name contains this (for profiling one phase: BENCH_PROFILE=dir --only '/inject (bookinfo'). */
  only?: string;
  /**
   * --spin-client (or BENCH_SPIN_CLIENT=1): keep the client's event loop busy while a phase runs, so that it never
   * sleeps in epoll_wait. On this 2-vCPU VM a loopback write to a peer asleep on an idle vCPU charges the writer
   * for waking it, which a client on another machine never would; the phase the server limits (its client
   * waits) pays that most. One CPU profile of /inject's server, with its client idle, had its socket writes at
   * 31 µs a request against 17 µs with the client spinning. Off by default, so that figures stay comparable with
   * earlier runs; the client then burns a whole core, and its CPU per request is 1 core ÷ req/s.
   */
  spin: boolean;
}

/** The flags every HTTP bench takes. */
export const LOAD_FLAGS = '--duration 5s --warmup 1s --connections 10 --rounds 5 --only NAME --spin-client --strict --help';

/** A bad command line: `help` when --help asked for the flags. The bench prints the message and the flags. */
export class BenchUsageError extends Error {
  constructor(
    message: string,
    readonly help = false,
  ) {
    super(message);
  }
}

const VALUED = new Set(['connections', 'duration', 'warmup', 'rounds', 'only']);
const SWITCHES = new Set(['spin-client', 'strict', 'help']);

/** The command line's options; a flag it does not know, a missing value or a count that is not one throws BenchUsageError. */
export function loadOptions(argv: string[] = process.argv.slice(2)): LoadOptions {
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.replace(/^--/, '');
    if (argv[i] === '--help') throw new BenchUsageError('flags', true);
    if (SWITCHES.has(name) && argv[i]!.startsWith('--')) continue;
    if (!argv[i]!.startsWith('--') || !VALUED.has(name)) throw new BenchUsageError(`unknown argument ${JSON.stringify(argv[i])}`);
    if (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--')) throw new BenchUsageError(`${argv[i]} needs a value`);
    i += 1;
  }
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const count = (name: string, v: string | number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new BenchUsageError(`--${name}: ${JSON.stringify(String(v))} is not a positive whole number`);
    return n;
  };
  const ms = (v: string | undefined, def: number): number => {
    if (!v) return def;
    const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(v);
    if (!m) throw new BenchUsageError(`not a duration: ${v} (e.g. 5s, 500ms)`);
    return Number(m[1]) * (m[2] === 'ms' ? 1 : 1000);
  };
  return {
    connections: count('connections', flag('connections') ?? process.env.BENCH_CONNECTIONS ?? 10),
    durationMs: ms(flag('duration') ?? process.env.BENCH_DURATION, 5000),
    warmupMs: ms(flag('warmup') ?? process.env.BENCH_WARMUP, 1000),
    rounds: count('rounds', flag('rounds') ?? process.env.BENCH_ROUNDS ?? 5),
    only: flag('only'),
    spin: argv.includes('--spin-client') || Boolean(process.env.BENCH_SPIN_CLIENT),
  };
}

const SERVICE = 'mizzen.mizzen-system.svc';

/**
 * One request. The body goes out as bytes encoded once per phase, and the answer is decoded to text only when
 * asked for (checks, errors): the load generator shares the machine with the server, so its own per-request
 * work (UTF-8 encoding a 64 KB string, decoding every answer) would be taken from the server's CPU.
 */
function once(agent: Agent, p: Phase, body: Buffer, decode: boolean): Promise<{ status: number; bytes: number; body?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: p.port, path: p.path, method: 'POST', agent, ca: p.ca, servername: SERVICE, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          chunks.push(c);
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = decode || status !== 200 ? Buffer.concat(chunks).toString() : undefined;
          resolve({ status, bytes, body: text });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The value at quantile `q` (0 to 1) of `sorted`: its element at the floor index. */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The server process's CPU time so far (user + system, µs), asked over IPC. */
function serverCpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const on = (m: unknown) => {
      const c = m as { cpu?: { user: number; system: number } };
      if (!c.cpu) return;
      child.off('message', on);
      resolve(c.cpu.user + c.cpu.system);
    };
    child.on('message', on);
    child.send({ cpu: true });
  });
}

interface Slice {
  latencies: number[];
  errors: number;
  firstError?: string;
  seconds: number;
  cpuUs: number;
  clientCpuUs: number;
  answerBytes: number;
}

/** Drives one phase for `measureMs` after `warmupMs`, returning raw figures. */
async function drive(p: Phase, opts: LoadOptions, warmupMs: number, measureMs: number, server?: ChildProcess): Promise<Slice> {
  const { connections, spin } = opts;
  const agent = new Agent({ keepAlive: true, maxSockets: connections, ca: p.ca, servername: SERVICE });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let measuring = false;
  let stop = false;
  let answerBytes = 0;
  const body = Buffer.from(p.body);
  const worker = async () => {
    let checked = 0;
    while (!stop) {
      const t0 = performance.now();
      try {
        const res = await once(agent, p, body, checked < 3 && p.check !== undefined);
        const dt = performance.now() - t0;
        answerBytes = res.bytes;
        const problem = res.status !== 200 ? `HTTP ${res.status}: ${res.body!.slice(0, 200)}` : checked < 3 && p.check ? p.check(res.status, res.body!) : undefined;
        checked++;
        if (problem) {
          errors++;
          firstError ??= problem;
        } else if (measuring && !stop) latencies.push(dt);
      } catch (e) {
        errors++;
        firstError ??= (e as Error).message;
      }
    }
  };
  const workers = Array.from({ length: connections }, worker);
  // With an immediate always pending, libuv polls for I/O without blocking (see LoadOptions.spin).
  const busy = (): void => {
    if (!stop) setImmediate(busy);
  };
  if (spin) busy();
  await new Promise((r) => setTimeout(r, warmupMs));
  const cpu0 = server ? await serverCpu(server) : 0;
  const client0 = process.cpuUsage();
  measuring = true;
  const start = performance.now();
  await new Promise((r) => setTimeout(r, measureMs));
  stop = true;
  const seconds = (performance.now() - start) / 1000;
  const client = process.cpuUsage(client0);
  const cpuUs = server ? (await serverCpu(server)) - cpu0 : NaN;
  await Promise.all(workers);
  agent.destroy();
  return { latencies, errors, firstError, seconds, cpuUs, clientCpuUs: client.user + client.system, answerBytes };
}

/**
 * Runs the phases interleaved: each is warmed up, then measured in `rounds` slices taken in turn
 * (A B C A B C ...), so that a background load that comes and goes weighs on every phase alike.
 */
export async function runPhases(phases: Phase[], opts: LoadOptions, server?: ChildProcess): Promise<PhaseResult[]> {
  const rounds = Math.max(1, opts.rounds);
  const acc: Slice[] = phases.map(() => ({ latencies: [], errors: 0, seconds: 0, cpuUs: 0, clientCpuUs: 0, answerBytes: 0 }));
  const roundRps: number[][] = phases.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < phases.length; i++) {
      const s = await drive(phases[i]!, opts, r === 0 ? opts.warmupMs : Math.min(200, opts.warmupMs), opts.durationMs / rounds, server);
      const a = acc[i]!;
      roundRps[i]!.push(s.latencies.length / s.seconds);
      for (const l of s.latencies) a.latencies.push(l);
      a.errors += s.errors;
      a.firstError ??= s.firstError;
      a.seconds += s.seconds;
      a.cpuUs += s.cpuUs;
      a.clientCpuUs += s.clientCpuUs;
      a.answerBytes = s.answerBytes;
    }
  }
  return phases.map((p, i) => {
    const a = acc[i]!;
    const sorted = Float64Array.from(a.latencies).sort();
    return {
      name: p.name,
      requests: a.latencies.length,
      errors: a.errors,
      firstError: a.firstError,
      seconds: a.seconds,
      rps: a.latencies.length / a.seconds,
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      bodyBytes: Buffer.byteLength(p.body),
      answerBytes: a.answerBytes,
      cpuPerRequestUs: a.cpuUs / Math.max(1, a.latencies.length),
      clientCpuPerRequestUs: a.clientCpuUs / Math.max(1, a.latencies.length),
      roundRps: roundRps[i]!,
    };
  });
}

/** What the client does between answers, for the benches' headers. */
export const clientMode = (opts: LoadOptions): string => (opts.spin ? 'client spins between answers (--spin-client)' : 'client sleeps between answers');

/** Forks the server process (bench/support/server) and waits for its ports. */
export async function startServer(): Promise<{ info: ServerInfo; child: ChildProcess }> {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const script = fileURLToPath(new URL(`./server${ext}`, import.meta.url));
  // BENCH_PROFILE=DIR writes a V8 CPU profile of the server process into DIR (open it in Chrome DevTools).
  const execArgv = process.env.BENCH_PROFILE ? [...process.execArgv, '--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE] : process.execArgv;
  const child = fork(script, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv });
  const info = await new Promise<ServerInfo>((resolve, reject) => {
    child.once('message', (m) => resolve(m as ServerInfo));
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return { info, child };
}

/**
 * The throughput ratio a / b round by round (a round's slices of the two phases run seconds apart, so
 * each ratio sees about the same machine): min, median and max. The spread shows how far one run's overall ratio
 * can be trusted.
 */
export function roundRatios(a: PhaseResult, b: PhaseResult): { min: number; median: number; max: number } {
  const sorted = Float64Array.from(a.roundRps, (r, i) => r / (b.roundRps[i] ?? NaN)).sort();
  return { min: percentile(sorted, 0), median: percentile(sorted, 0.5), max: percentile(sorted, 1) };
}

const fmt = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '-');

export function printTable(results: PhaseResult[]): void {
  const rows = [
    ['phase', 'body', 'answer', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'client CPU µs/req', 'errors'],
    ...results.map((r) => [r.name, `${(r.bodyBytes / 1024).toFixed(1)} KiB`, `${(r.answerBytes / 1024).toFixed(1)} KiB`, String(r.requests), fmt(r.rps, 0), fmt(r.p50), fmt(r.p99), fmt(r.cpuPerRequestUs, 0), fmt(r.clientCpuPerRequestUs, 0), String(r.errors)]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) process.stdout.write(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ') + '\n');
  for (const r of results) if (r.firstError) process.stdout.write(`  ${r.name}: first error: ${r.firstError}\n`);
}

export interface Target {
  label: string;
  ok: boolean;
  detail: string;
}

export function printTargets(targets: Target[]): boolean {
  process.stdout.write('\n');
  for (const t of targets) process.stdout.write(`${t.ok ? 'met   ' : 'MISSED'}  ${t.label}: ${t.detail}\n`);
  return targets.every((t) => t.ok);
}

export { fmt };
