/**
 * Test harness for the ADS server: a raw @grpc/grpc-js ADS client (not the xds library), so tests see the
 * protocol exactly — every response, nonce and version — and drive ACK/NACK/stale requests by hand.
 */
import * as grpc from '@grpc/grpc-js';
import { adsClientDefinition } from '../../../src/xds/server/wire.js';
import { decode } from '../../../src/xds/proto.js';
import { ConfigStore } from '../../../src/model/store.js';
import { DEFAULT_MESH_CONFIG } from '../../../src/config/mesh.js';
import { createXdsServer, type XdsServer, type XdsServerOptions } from '../../../src/xds/server/index.js';
import type { KubeObject } from '../../../src/core/kube.js';

export interface Response {
  version_info: string;
  system_version_info: string;
  type_url: string;
  nonce: string;
  /** Decoded resources (SotW: Any; delta: Resource.resource). */
  resources: Array<Record<string, unknown>>;
  /** Delta only. */
  names: string[];
  versions: string[];
  removed_resources: string[];
}

const AdsClient = grpc.makeGenericClientConstructor(adsClientDefinition(), 'AggregatedDiscoveryService');

/** A google.protobuf.Struct as protobufjs wants it: its well-known types keep camelCase field names. */
export const struct = (o: Record<string, string | Record<string, string>>): unknown => ({
  fields: Object.fromEntries(
    Object.entries(o).map(([k, v]) =>
      typeof v === 'string' ? [k, { stringValue: v }] : [k, { structValue: { fields: Object.fromEntries(Object.entries(v).map(([k2, v2]) => [k2, { stringValue: v2 }])) } }],
    ),
  ),
});

export class RawAds {
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<any, any>;
  private readonly queue: Response[] = [];
  private waiters: Array<(r: Response) => void> = [];
  status?: grpc.StatusObject;
  private statusWaiters: Array<(s: grpc.StatusObject) => void> = [];

  /**
   * `tls`: dial the port over TLS, trusting these CA certificates (PEM), checking the name `serverName` (localhost),
   * presenting the client certificate `cert` with its `key` when given.
   */
  constructor(port: number, delta = false, tls?: { ca: string; serverName?: string; cert?: string; key?: string }) {
    const client = tls?.cert && tls.key ? ([Buffer.from(tls.key), Buffer.from(tls.cert)] as const) : ([null, null] as const);
    const creds = tls ? grpc.credentials.createSsl(Buffer.from(tls.ca), ...client) : grpc.credentials.createInsecure();
    const target = tls ? `localhost:${port}` : `127.0.0.1:${port}`;
    const name = tls?.serverName ? { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName } : {};
    this.client = new AdsClient(target, creds, { 'grpc.use_local_subchannel_pool': 1, ...name });
    this.call = (this.client as any)[delta ? 'DeltaAggregatedResources' : 'StreamAggregatedResources']();
    this.call.on('data', (raw: any) => {
      const r: Response = {
        version_info: raw.version_info ?? '',
        system_version_info: raw.system_version_info ?? '',
        type_url: raw.type_url,
        nonce: raw.nonce,
        resources: (raw.resources ?? []).map((a: any) => (delta ? (a.resource ? decode(a.resource.type_url, a.resource.value) : {}) : decode(a.type_url, a.value))),
        names: delta ? (raw.resources ?? []).map((a: any) => a.name) : [],
        versions: delta ? (raw.resources ?? []).map((a: any) => a.version) : [],
        removed_resources: raw.removed_resources ?? [],
      };
      const w = this.waiters.shift();
      if (w) w(r);
      else this.queue.push(r);
    });
    this.call.on('error', () => undefined);
    this.call.on('status', (s: grpc.StatusObject) => {
      this.status = s;
      for (const w of this.statusWaiters) w(s);
    });
  }

  send(req: Record<string, unknown>): void {
    this.call.write(req);
  }

  /** The next response (waits up to `ms`). */
  next(ms = 5000): Promise<Response> {
    const r = this.queue.shift();
    if (r) return Promise.resolve(r);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no response within ' + ms + ' ms')), ms);
      this.waiters.push((x) => {
        clearTimeout(t);
        resolve(x);
      });
    });
  }

  /** Responses already received and not yet taken. */
  get pending(): number {
    return this.queue.length;
  }

  /** Waits for the stream to end with a status. */
  ended(ms = 5000): Promise<grpc.StatusObject> {
    if (this.status) return Promise.resolve(this.status);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('stream did not end')), ms);
      this.statusWaiters.push((s) => {
        clearTimeout(t);
        resolve(s);
      });
    });
  }

  /** ACK a response (SotW). */
  ack(r: Response, names: string[] = [], node?: unknown): void {
    this.send({ type_url: r.type_url, version_info: r.version_info, response_nonce: r.nonce, resource_names: names, ...(node ? { node } : {}) });
  }

  /** Vanish: cancel the call and drop the connection without a goodbye. */
  cancel(): void {
    this.call.cancel();
    this.client.close();
  }

  close(): void {
    this.call.end();
    this.client.close();
  }
}

export interface Harness {
  store: ConfigStore;
  server: XdsServer;
  port: number;
  clients: RawAds[];
  connect(delta?: boolean): RawAds;
  close(): Promise<void>;
}

export async function startServer(objects: KubeObject[], opts: Partial<XdsServerOptions> = {}): Promise<Harness> {
  const store = new ConfigStore();
  store.setSource('test', objects);
  const server = createXdsServer({ store, mesh: DEFAULT_MESH_CONFIG, debounce: { quietMs: 10, maxMs: 100 }, ...opts });
  const port = await server.listen(0, '127.0.0.1');
  const clients: RawAds[] = [];
  return {
    store,
    server,
    port,
    clients,
    connect(delta = false) {
      const c = new RawAds(port, delta);
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.close();
      await server.close();
    },
  };
}

/** A sidecar node id in Istio's form. */
export const sidecarId = (pod: string, ns = 'default', ip = '10.0.0.1'): string => `sidecar~${ip}~${pod}.${ns}~${ns}.svc.cluster.local`;
export const node = (pod: string, ns = 'default', meta: Record<string, string | Record<string, string>> = {}) => ({ id: sidecarId(pod, ns), metadata: struct(meta) });
