/**
 * The simulated proxies of bench:xds, in their own process: N Envoy-like ADS clients, each on its own HTTP/2
 * connection (node:http2, one session and one gRPC stream per proxy, gRPC framing by hand), speaking state of the
 * world: wildcard CDS and LDS, then EDS for the EDS clusters and RDS for the route configs they name; every
 * response is ACKed by nonce at once. Talks to the benchmark driver over IPC.
 *
 * Why not @grpc/grpc-js channels: a thousand of them in one process (resolver, load balancer, subchannel, timers
 * each) made the harness, not the control plane, the bottleneck: every stream's first request was in only after
 * ~3 s, and reassembling each response into one buffer (930 MB for the initial sync) kept the process in page
 * faults and major GCs, on the same two cores as the control plane. Envoy is an HTTP/2 client with its own
 * gRPC framing too.
 */
import * as http2 from 'node:http2';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { ADS_SERVICE, adsClientDefinition, lenField } from '../../src/xds/server/wire.js';
import { MeshCerts, TypeUrls } from '../../src/core/constants.js';
import { certMetadata } from '../../src/bootstrap/envoy.js';
import { certName, rootName } from '../../src/xds/gen/mtls.js';
import { envoyRoot } from '../../src/xds/proto.js';
import { followUpNames, GrpcDeframer, readResponse, type LazyResponse } from './lazy.js';

/** What an injected sidecar with mesh certificates says in its node metadata, and the SDS names it then asks for. */
const CERT_METADATA = certMetadata(MeshCerts.dir);
const CERT_FILES = { chain: CERT_METADATA.TLS_SERVER_CERT_CHAIN!, key: CERT_METADATA.TLS_SERVER_KEY!, root: CERT_METADATA.TLS_SERVER_ROOT_CERT! };
const CERT_SECRETS = [certName(CERT_FILES), rootName(CERT_FILES)];

export type ToClients =
  | { cmd: 'connect'; port: number; proxies: number; scopes: number; namespaces: number; mtls: boolean }
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
const SHORT: Record<string, string> = { [TypeUrls.cluster]: 'cds', [TypeUrls.endpoint]: 'eds', [TypeUrls.listener]: 'lds', [TypeUrls.route]: 'rds', [TypeUrls.secret]: 'sds' };

/** Requests other than ACKs (the first of each type, with the node on the first) are encoded by proto-loader. */
const serializeRequest = adsClientDefinition().StreamAggregatedResources!.requestSerialize as (v: unknown) => Buffer;

/** Envoy's HTTP/2 windows are large (256 MiB by default); Node's 64 KiB would throttle big responses. */
const WINDOW = 16 * 1024 * 1024;

/** The 5-byte gRPC prefix of a message of `length` bytes (not compressed). */
function grpcPrefix(length: number): Buffer {
  const b = Buffer.allocUnsafe(5);
  b[0] = 0;
  b.writeUInt32BE(length, 1);
  return b;
}

/**
 * An ACK's encoded name list: Envoy repeats its whole name list (1,200 EDS names here) in every request, in C++;
 * encoding that list with protobufjs for every ACK made the simulated proxies, not the control plane, the
 * bottleneck. The encoded list is kept per list and written as is after the request's other fields (the server
 * still receives and reads every byte of it).
 */
const encodedNames = new WeakMap<string[], Buffer>();
function namesBytes(names: string[]): Buffer {
  let n = encodedNames.get(names);
  if (!n) encodedNames.set(names, (n = Buffer.concat(names.map((x) => lenField(3, x)))));
  return n;
}

const send = (m: FromClients): void => void process.send!(m);
const NONE = Buffer.alloc(0);

interface TypeState {
  names: string[];
  nonce: string;
  version: string;
  acked: boolean;
}

class SimProxy {
  private readonly session: http2.ClientHttp2Session;
  private readonly stream: http2.ClientHttp2Stream;
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
    /** Node metadata naming mesh certificates, and SDS subscribed for them, as an injected sidecar with certificates. */
    private readonly mtls = false,
  ) {
    const fail = (e: Error): void => {
      if (this.syncedAt === undefined) send({ cmd: 'error', message: `proxy ${index}: ${e.message}` });
    };
    this.session = http2.connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: WINDOW, enablePush: false }, maxSessionMemory: 64 });
    this.session.once('connect', () => this.session.setLocalWindowSize(WINDOW));
    this.session.on('error', fail);
    this.stream = this.session.request(
      { ':method': 'POST', ':path': `/${ADS_SERVICE}/StreamAggregatedResources`, 'content-type': 'application/grpc', te: 'trailers', 'user-agent': 'mizzen-bench-envoy' },
      { endStream: false },
    );
    const deframer = new GrpcDeframer((parts) => this.onResponse(readResponse(parts)));
    this.stream.on('data', (chunk: Buffer) => deframer.push(chunk));
    this.stream.on('error', fail);
    this.stream.on('trailers', (t) => {
      if (t['grpc-status'] !== '0') fail(new Error(`stream ended: ${t['grpc-status']} ${t['grpc-message'] ?? ''}`));
    });
    const certs = mtls ? Object.fromEntries(Object.entries(CERT_METADATA).map(([k, v]) => [k, { stringValue: v }])) : {};
    const node = { id, metadata: { fields: { LABELS: { structValue: { fields: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, { stringValue: v }])) } }, ...certs } } };
    this.request(TypeUrls.cluster, [], node);
    this.request(TypeUrls.listener, []);
    if (mtls) this.request(TypeUrls.secret, CERT_SECRETS);
  }

  private request(typeUrl: string, names: string[], node?: unknown): void {
    let s = this.types.get(typeUrl);
    if (!s) this.types.set(typeUrl, (s = { names, nonce: '', version: '', acked: false }));
    s.names = names;
    if (!node) return this.writeRequest(typeUrl, names, s.version, s.nonce);
    const msg = serializeRequest({ type_url: typeUrl, resource_names: names, version_info: s.version, response_nonce: s.nonce, node });
    this.stream.write(Buffer.concat([grpcPrefix(msg.length), msg]));
  }

  /**
   * A request without a node (an ACK, or a subscription change): version, the name list (shared bytes), type and
   * nonce, in one gRPC message written as three buffers.
   */
  private writeRequest(typeUrl: string, names: string[], version: string, nonce: string): void {
    const head = version ? lenField(1, version) : NONE;
    const list = namesBytes(names);
    const tail = nonce ? Buffer.concat([lenField(4, typeUrl), lenField(5, nonce)]) : lenField(4, typeUrl);
    this.stream.cork();
    this.stream.write(Buffer.concat([grpcPrefix(head.length + list.length + tail.length), head]));
    this.stream.write(list);
    this.stream.write(tail);
    this.stream.uncork();
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
    this.writeRequest(r.typeUrl, s.names, r.version, r.nonce);
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
    if (this.syncedAt === undefined && this.types.size === (this.mtls ? 5 : 4) && [...this.types.values()].every((x) => x.acked)) {
      this.syncedAt = Date.now();
      this.onSynced(this);
    }
  }

  close(): void {
    this.stream.end();
    this.session.close();
  }
}

let proxies: SimProxy[] = [];
let profiler: Session | undefined;

// Envoy has its protos compiled in: load them before the clock starts, not under the first responses.
envoyRoot();

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
        proxies.push(new SimProxy(m.port, i, id, { app: `client-${scope}` }, onSynced, m.mtls));
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
