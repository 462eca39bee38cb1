/**
 * `mizzen proxy-status`: every connected proxy and, per xDS type, whether it is SYNCED (ACKed what was sent),
 * STALE (sent, not ACKed yet), NOT SENT or NACKED, like `istioctl proxy-status`. Reads /debug/syncz from the
 * monitoring port of `mizzen serve`.
 */
import { parseFlags, withUsage } from './args.js';
import { Ports } from '../core/constants.js';

const HELP = `usage: mizzen proxy-status [--addr HOST:PORT]

Lists the proxies connected to the control plane and their sync state per type
(SYNCED, STALE, NOT SENT, NACKED), from /debug/syncz on the monitoring port.

  --addr HOST:PORT   the control plane's monitoring address (default 127.0.0.1:${Ports.monitoring})
`;

export class Unreachable extends Error {}

/** GETs a debug path from the monitoring server; throws Unreachable with a readable message. */
export async function fetchDebug(addr: string, path: string): Promise<unknown> {
  const url = `${/^https?:\/\//.test(addr) ? addr : `http://${addr}`}${path}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new Unreachable(`cannot reach the control plane at ${url} (${cause?.code ?? cause?.message ?? (e as Error).message}); is "mizzen serve" running? Point --addr at its monitoring port.`);
  }
  const text = await res.text();
  if (!res.ok) throw new Unreachable(`${url}: HTTP ${res.status}: ${text.slice(0, 200)}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new Unreachable(`${url}: not JSON (is --addr the monitoring port?)`);
  }
}

interface SyncEntry {
  id: string;
  type: string;
  generator: string;
  stream: string;
  connectedAt: string;
  types: Record<string, { status: string; lastNack?: { message: string } }>;
}

const podName = (id: string): string => id.split('~')[2] ?? id;

/** The proxy-status table: one row per stream, columns like istioctl's. */
export function formatStatusTable(entries: readonly SyncEntry[]): string {
  const header = ['NAME', 'TYPE', 'STREAM', 'CDS', 'LDS', 'EDS', 'RDS', 'CONNECTED'];
  const rows = entries.map((e) => [
    podName(e.id),
    e.generator === 'grpc' ? 'grpc' : e.type,
    e.stream,
    ...['cds', 'lds', 'eds', 'rds'].map((t) => e.types[t]?.status ?? 'NOT SENT'),
    e.connectedAt,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ');
  const nacks = entries.flatMap((e) =>
    Object.entries(e.types)
      .filter(([, t]) => t.status === 'NACKED' && t.lastNack)
      .map(([t, w]) => `${podName(e.id)} ${t.toUpperCase()} NACK: ${w.lastNack!.message}`),
  );
  return [line(header), ...rows.map(line), ...(nacks.length ? ['', ...nacks] : [])].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  return withUsage(HELP, argv, async () => {
    const { values } = parseFlags(argv, { addr: { type: 'string', default: `127.0.0.1:${Ports.monitoring}` } });
    let syncz: unknown;
    try {
      syncz = await fetchDebug(values.addr!, '/debug/syncz');
    } catch (e) {
      if (!(e instanceof Unreachable)) throw e;
      process.stderr.write(`mizzen proxy-status: ${e.message}\n`);
      return 1;
    }
    if (!Array.isArray(syncz)) {
      process.stderr.write('mizzen proxy-status: unexpected /debug/syncz answer (not a list)\n');
      return 1;
    }
    if (syncz.length === 0) {
      process.stdout.write('no proxies connected\n');
      return 0;
    }
    process.stdout.write(formatStatusTable(syncz as SyncEntry[]) + '\n');
    return 0;
  });
}
