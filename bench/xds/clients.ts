/**
 * The simulated proxies of bench:xds, in their own process: N Envoy-like ADS clients, each on its own HTTP/2
 * connection (its own channel with a local subchannel pool and a distinct option), speaking state of the world:
 * wildcard CDS and LDS, then EDS for the EDS clusters and RDS for the route configs they name; every response
 * is ACKed by nonce at once. Talks to the benchmark driver over IPC.
 */
import * as grpc from '@grpc/grpc-js';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { adsClientDefinition, lenField } from '../../src/xds/server/wire.js';
import { TypeUrls } from '../../src/core/constants.js';
import { followUpNames, readResponse, type LazyResponse } from './lazy.js';

export type ToClients =
  | { cmd: 'connect'; port: number; proxies: number; scopes: number; namespaces: number }
  | { cmd: 'mark' }
  | { cmd: 'report' }
  | { cmd: 'close' }
  /** Start (file undefined) or stop a CPU profile of this process, written to `file`. */
  | { cmd: 'profile'; file?: string };

export type FromClients =
  | { cmd: 'synced'; times: number[]; failed: number }
  | { cmd: 'marked' }
  | { cmd: 'profiled' }
  | { cmd: 'report'; acks: Array<number | null>; responses: Record<string, number>; bytes: number; rawAcks: number }
  | { cmd: 'error'; message: string };

const FOLLOW: Record<string, string> = { [TypeUrls.cluster]: TypeUrls.endpoint, [TypeUrls.listener]: TypeUrls.route };
const SHORT: Record<string, string> = { [TypeUrls.cluster]: 'cds', [TypeUrls.endpoint]: 'eds', [TypeUrls.listener]: 'lds', [TypeUrls.route]: 'rds' };

const base = adsClientDefinition();
// Requests: a ready Buffer goes out as is (ACKs, hand-encoded below), anything else through proto-loader.
const definition = Object.fromEntries(
  Object.entries(base).map(([k, m]) => [
    k,
    { ...m, requestSerialize: (v: unknown) => (Buffer.isBuffer(v) ? v : m.requestSerialize(v)), responseDeserialize: (b: Buffer) => readResponse(b) },
  ]),
) as grpc.ServiceDefinition;

/**
 * An ACK as bytes: Envoy repeats its whole name list (1,200 EDS names here) in every request, in C++; encoding
 * that list with protobufjs for every ACK made the simulated proxies, not the control plane, the bottleneck.
 * The encoded list is kept per list (the server still receives and reads every byte of it).
 */
const encodedNames = new WeakMap<string[], Buffer>();
function ackBytes(typeUrl: string, names: string[], version: string, nonce: string): Buffer {
  let n = encodedNames.get(names);
  if (!n) encodedNames.set(names, (n = Buffer.concat(names.map((x) => lenField(3, x)))));
  return Buffer.concat([lenField(1, version), n, lenField(4, typeUrl), lenField(5, nonce)]);
}
const AdsClient = grpc.makeGenericClientConstructor(definition, 'Ads');

const send = (m: FromClients): void => void process.send!(m);

interface TypeState {
  names: string[];
  nonce: string;
  version: string;
  acked: boolean;
}

class SimProxy {
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<unknown, LazyResponse>;
  private readonly types = new Map<string, TypeState>();
  syncedAt: number | undefined;
  lastAck: number | null = null;
  responses: Record<string, number> = {};
  bytes = 0;
  rawAcks = 0;

  constructor(
    port: number,
    readonly index: number,
    readonly id: string,
    labels: Record<string, string>,
    private readonly onSynced: (p: SimProxy) => void,
  ) {
    this.client = new AdsClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': -1,
      // Envoy's HTTP/2 windows are large (256 MiB by default); grpc-js's 64 KiB would throttle big responses.
      'grpc-node.flow_control_window': 16 * 1024 * 1024,
      'mizzen.bench.proxy': index, // distinct options: never share a connection
    });
    this.call = (this.client as unknown as { StreamAggregatedResources(): grpc.ClientDuplexStream<unknown, LazyResponse> }).StreamAggregatedResources();
    this.call.on('data', (r: LazyResponse) => this.onResponse(r));
    this.call.on('error', (e) => {
      if (this.syncedAt === undefined) send({ cmd: 'error', message: `proxy ${index}: ${e.message}` });
    });
    const node = { id, metadata: { fields: { LABELS: { structValue: { fields: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, { stringValue: v }])) } } } } };
    this.request(TypeUrls.cluster, [], node);
    this.request(TypeUrls.listener, []);
  }

  private request(typeUrl: string, names: string[], node?: unknown): void {
    let s = this.types.get(typeUrl);
    if (!s) this.types.set(typeUrl, (s = { names, nonce: '', version: '', acked: false }));
    s.names = names;
    this.call.write({ type_url: typeUrl, resource_names: names, version_info: s.version, response_nonce: s.nonce, ...(node ? { node } : {}) });
  }

  private onResponse(r: LazyResponse): void {
    const s = this.types.get(r.typeUrl);
    if (!s) return;
    s.nonce = r.nonce;
    s.version = r.version;
    s.acked = true;
    const t = SHORT[r.typeUrl] ?? r.typeUrl;
    this.responses[t] = (this.responses[t] ?? 0) + 1;
    this.bytes += r.bytes;
    this.call.write(ackBytes(r.typeUrl, s.names, r.version, r.nonce));
    if (r.nonce.startsWith('raw-')) this.rawAcks += 1;
    this.lastAck = Date.now();
    const follow = FOLLOW[r.typeUrl];
    if (follow) {
      const names = followUpNames(r)!;
      const f = this.types.get(follow);
      if (!f || f.names.length !== names.length || f.names.some((n, i) => n !== names[i])) {
        if (f) f.acked = false;
        this.request(follow, names);
      }
    }
    if (this.syncedAt === undefined && this.types.size === 4 && [...this.types.values()].every((x) => x.acked)) {
      this.syncedAt = Date.now();
      this.onSynced(this);
    }
  }

  close(): void {
    this.call.end();
    this.client.close();
  }
}

let proxies: SimProxy[] = [];
let profiler: Session | undefined;

process.on('message', (m: ToClients) => {
  switch (m.cmd) {
    case 'connect': {
      let synced = 0;
      const onSynced = (): void => {
        synced += 1;
        if (synced === m.proxies) send({ cmd: 'synced', times: proxies.map((p) => p.syncedAt!), failed: 0 });
      };
      for (let i = 0; i < m.proxies; i++) {
        const scope = i % m.scopes;
        const ns = `ns-${scope % m.namespaces}`;
        const id = `sidecar~10.200.${(i >> 8) & 255}.${i & 255}~client-${scope}-${i}.${ns}~${ns}.svc.cluster.local`;
        proxies.push(new SimProxy(m.port, i, id, { app: `client-${scope}` }, onSynced));
      }
      break;
    }
    case 'mark':
      for (const p of proxies) {
        p.lastAck = null;
        p.responses = {};
        p.bytes = 0;
        p.rawAcks = 0;
      }
      send({ cmd: 'marked' });
      break;
    case 'report': {
      const responses: Record<string, number> = {};
      for (const p of proxies) for (const [k, v] of Object.entries(p.responses)) responses[k] = (responses[k] ?? 0) + v;
      send({
        cmd: 'report',
        acks: proxies.map((p) => p.lastAck),
        responses,
        bytes: proxies.reduce((a, p) => a + p.bytes, 0),
        rawAcks: proxies.reduce((a, p) => a + p.rawAcks, 0),
      });
      break;
    }
    case 'profile':
      void (async () => {
        if (!m.file) {
          profiler ??= new Session();
          profiler.connect();
          await profiler.post('Profiler.enable');
          await profiler.post('Profiler.setSamplingInterval', { interval: 500 });
          await profiler.post('Profiler.start');
        } else if (profiler) {
          const { profile } = await profiler.post('Profiler.stop');
          writeFileSync(m.file, JSON.stringify(profile));
          profiler.disconnect();
        }
        send({ cmd: 'profiled' });
      })();
      break;
    case 'close':
      for (const p of proxies) p.close();
      proxies = [];
      setTimeout(() => process.exit(0), 100);
      break;
  }
});
