/**
 * A tiny gRPC service for the demo and the tests, defined in code (no .proto to ship): `/mizzen.demo.Echo/Hello`
 * with JSON-encoded messages. A backend answers with who it is (service, version, address), and can be told to
 * fail with a status code or to answer slowly, to show retries, timeouts and outlier detection.
 */
import * as grpc from '@grpc/grpc-js';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// The demo's xDS-enabled servers enforce AuthorizationPolicy (mizzen sends them RBAC filters, which grpc-js-xds
// runs only with this on, and refuses otherwise). Read once, when grpc-js-xds first loads.
process.env.GRPC_XDS_EXPERIMENTAL_RBAC ??= 'true';
const xds = require('@grpc/grpc-js-xds') as typeof import('@grpc/grpc-js-xds');

/** Makes `xds:///` targets work in this process (idempotent). */
export function registerXds(): void {
  xds.register();
}

export const ECHO_SERVICE = 'mizzen.demo.Echo';
export const ECHO_PATH = `/${ECHO_SERVICE}/Hello`;
/** Channel and server option of grpc-js-xds that carries a bootstrap per channel/server (instead of the process-wide env). */
export const BOOTSTRAP_OPTION = 'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config';

export interface HelloRequest {
  from?: string;
  /** Ask the backend to wait this long before answering. */
  sleepMs?: number;
}

export interface HelloReply {
  service: string;
  version: string;
  /** The backend's address:port. */
  backend: string;
  /** The caller's identity when it came over mTLS: the URI SAN of its certificate (absent on plaintext). */
  peer?: string;
}

/** The URI SAN (a SPIFFE id) of the client certificate of a call, if it came over TLS with one. */
function peerIdentity(call: grpc.ServerUnaryCall<unknown, unknown>): string | undefined {
  const san = call.getAuthContext().sslPeerCertificate?.subjectaltname ?? '';
  return san.split(', ').find((e) => e.startsWith('URI:'))?.slice('URI:'.length);
}

const json = {
  serialize: (v: unknown): Buffer => Buffer.from(JSON.stringify(v ?? {})),
  deserialize: (b: Buffer): any => (b.length === 0 ? {} : JSON.parse(b.toString('utf8'))),
};

export const echoDefinition: grpc.ServiceDefinition = {
  Hello: {
    path: ECHO_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
    originalName: 'hello',
  },
};

export const EchoClient = grpc.makeGenericClientConstructor(echoDefinition, ECHO_SERVICE);
export type EchoClient = InstanceType<typeof EchoClient>;

/** What a backend does; mutable while it runs. */
export interface Behaviour {
  /** Fail every call with this status (undefined: answer). */
  failWith?: grpc.status;
  /** Wait this long before answering (besides the request's sleepMs). */
  delayMs?: number;
}

export interface BackendSpec {
  service: string;
  version: string;
  ip: string;
}

export interface Backend extends BackendSpec {
  port: number;
  behaviour: Behaviour;
  /** Calls received. */
  calls: number;
  close(): Promise<void>;
}

function handler(b: Backend): grpc.UntypedServiceImplementation {
  return {
    Hello: (call: grpc.ServerUnaryCall<HelloRequest, HelloReply>, cb: grpc.sendUnaryData<HelloReply>) => {
      b.calls += 1;
      const wait = (b.behaviour.delayMs ?? 0) + Math.max(0, Number(call.request?.sleepMs) || 0);
      const peer = peerIdentity(call);
      const answer = (): void => {
        if (b.behaviour.failWith !== undefined) cb({ code: b.behaviour.failWith, details: `${b.service} ${b.version} at ${b.ip}:${b.port} fails on purpose` });
        else cb(null, { service: b.service, version: b.version, backend: `${b.ip}:${b.port}`, ...(peer && { peer }) });
      };
      if (wait > 0) setTimeout(answer, wait).unref();
      else answer();
    },
  };
}

const bind = (server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<number> =>
  new Promise((resolve, reject) => server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port))));

const shutdown = (server: grpc.Server): Promise<void> => new Promise((resolve) => server.tryShutdown(() => resolve()));

/** A plain gRPC server on `ip:port` (port 0 = ephemeral). */
export async function startBackend(spec: BackendSpec, port = 0): Promise<Backend> {
  const server = new grpc.Server();
  const b: Backend = { ...spec, port: 0, behaviour: {}, calls: 0, close: () => shutdown(server) };
  server.addService(echoDefinition, handler(b));
  b.port = await bind(server, `${spec.ip}:${port}`, grpc.ServerCredentials.createInsecure());
  return b;
}

/**
 * Backends on distinct loopback IPs sharing one port (as pods of a service share their target port).
 * The port is found by binding the first one on port 0; a collision on another IP retries with a new port.
 */
export async function startBackends(specs: readonly BackendSpec[], attempts = 5): Promise<{ port: number; backends: Backend[] }> {
  for (let i = 0; ; i++) {
    const started: Backend[] = [];
    try {
      const first = await startBackend(specs[0]!);
      started.push(first);
      for (const s of specs.slice(1)) started.push(await startBackend(s, first.port));
      return { port: first.port, backends: started };
    } catch (e) {
      await Promise.all(started.map((b) => b.close()));
      if (i + 1 >= attempts) throw e;
    }
  }
}

/**
 * An xDS-enabled gRPC server: it serves only once mizzen has sent its inbound listener
 * (`xds.istio.io/grpc/lds/inbound/<ip>:<port>`). grpc-js-xds listens on the port on every address, so each
 * xDS server needs its own port.
 */
export async function startXdsBackend(spec: BackendSpec, port: number, bootstrap: string): Promise<Backend> {
  registerXds(); // also registers the HTTP filters a server must know (router), or it NACKs its listener
  const server = new xds.XdsServer({ [BOOTSTRAP_OPTION]: bootstrap } as grpc.ServerOptions);
  const b: Backend = { ...spec, port, behaviour: {}, calls: 0, close: () => shutdown(server) };
  server.addService(echoDefinition, handler(b));
  await bind(server, `${spec.ip}:${port}`, new xds.XdsServerCredentials(grpc.ServerCredentials.createInsecure()));
  return b;
}

/**
 * A client of `xds:///<target>` configured only by the given bootstrap (its own ADS stream). Its credentials are
 * xDS's: mesh mTLS where mizzen's clusters ask for it (a DestinationRule with ISTIO_MUTUAL), plaintext elsewhere.
 */
export function xdsClient(target: string, bootstrap: string, options: grpc.ChannelOptions = {}): EchoClient {
  registerXds();
  return new EchoClient(`xds:///${target}`, new xds.XdsChannelCredentials(grpc.credentials.createInsecure()), { [BOOTSTRAP_OPTION]: bootstrap, ...options });
}

export interface CallResult {
  reply?: HelloReply;
  code: grpc.status;
  details?: string;
}

/** One call that never throws: the reply or the status. */
export function hello(client: EchoClient, opts: { deadlineMs?: number; metadata?: Record<string, string>; request?: HelloRequest } = {}): Promise<CallResult> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(opts.metadata ?? {})) md.set(k, v);
  return new Promise((resolve) => {
    client.Hello(opts.request ?? {}, md, { deadline: Date.now() + (opts.deadlineMs ?? 5000) }, (err: grpc.ServiceError | null, reply?: HelloReply) => {
      if (err) resolve({ code: err.code, details: err.details });
      else resolve({ code: grpc.status.OK, reply });
    });
  });
}
