/**
 * The traffic half of the demo: xDS-enabled gRPC servers for the Pods of the demo mesh, a proxyless gRPC client
 * calling a service at a steady rate, and a meter that prints, every second, which versions answered and how much
 * of it came over mesh mTLS. Every workload holds a certificate from the mesh CA for its service account; whether
 * a call uses it is mizzen's decision (DestinationRule ISTIO_MUTUAL, PeerAuthentication STRICT).
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { KubeObject } from '../core/kube.js';
import { asArray, asObject, asPort, asString, stringMap } from '../model/selectors.js';
import { grpcBootstrap, grpcNodeId } from '../bootstrap/grpc.js';
import { hello, startXdsBackend, type Backend, type CallResult, type EchoClient } from './echo.js';
import { issueWorkloadCert, writeWorkloadCert, type KeyPair } from '../certs/index.js';
import { DEFAULT_TRUST_DOMAIN } from '../core/constants.js';

export interface DemoPod {
  pod: string;
  namespace: string;
  service: string;
  version: string;
  ip: string;
  port: number;
  /** spec.serviceAccountName, or `default`: the identity of its certificate. */
  serviceAccount: string;
}

/** Pods with an IP and a container port (the one named grpc, else the first): the backends to start. */
export function demoPods(objects: readonly KubeObject[]): DemoPod[] {
  const out: DemoPod[] = [];
  for (const o of objects) {
    if (o.kind !== 'Pod' || o.apiVersion !== 'v1') continue;
    const labels = stringMap(o.metadata.labels);
    const ip = asString(asObject(o.status).podIP);
    const ports = asArray(asObject(o.spec).containers).flatMap((c) => asArray(asObject(c).ports).map(asObject));
    const port = asPort((ports.find((p) => p.name === 'grpc') ?? ports[0])?.containerPort);
    if (!ip || !port || !o.metadata.name) continue;
    const serviceAccount = asString(asObject(o.spec).serviceAccountName) || 'default';
    out.push({ pod: o.metadata.name, namespace: o.metadata.namespace ?? 'default', service: labels.app ?? o.metadata.name, version: labels.version ?? 'v1', ip, port, serviceAccount });
  }
  return out;
}

/** `certDir`: the workload's certificate directory (workloadCerts), for mesh mTLS. */
export function bootstrapFor(xdsAddress: string, ip: string, pod: string, namespace: string, labels: Record<string, string> = {}, certDir?: string): string {
  const r = grpcBootstrap({ xdsAddress, nodeId: grpcNodeId(ip, pod, namespace), labels, ...(certDir !== undefined && { certDir }) });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return JSON.stringify(r.value);
}

/** Issues a certificate from the mesh CA for `namespace/serviceAccount` into `dir`; returns `dir`. */
export async function workloadCerts(meshCa: KeyPair, dir: string, namespace: string, serviceAccount: string, trustDomain = DEFAULT_TRUST_DOMAIN): Promise<string> {
  writeWorkloadCert(dir, await issueWorkloadCert(meshCa, { trustDomain, namespace, serviceAccount }));
  return dir;
}

/**
 * Starts an xDS-enabled server per pod, each with a certificate for its service account under `certsRoot/<pod>`;
 * each serves once mizzen has sent its inbound listener.
 */
export async function startDemoBackends(pods: readonly DemoPod[], xdsAddress: string, meshCa: KeyPair, certsRoot: string, timeoutMs = 15_000): Promise<Backend[]> {
  return Promise.all(
    pods.map(async (p) => {
      const certDir = await workloadCerts(meshCa, join(certsRoot, p.pod), p.namespace, p.serviceAccount);
      const started = startXdsBackend({ service: p.service, version: p.version, ip: p.ip }, p.port, bootstrapFor(xdsAddress, p.ip, p.pod, p.namespace, { app: p.service, version: p.version }, certDir));
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${p.pod} (${p.ip}:${p.port}) did not get its listener from mizzen within ${timeoutMs} ms`)), timeoutMs).unref());
      return Promise.race([started, timeout]);
    }),
  );
}

/** Counts of one window. */
export interface Window {
  versions: Record<string, number>;
  errors: Record<string, number>;
  total: number;
  /** Replies that came over mesh mTLS (the server saw the client's certificate). */
  mtls?: number;
}

const emptyWindow = (): Window => ({ versions: {}, errors: {}, total: 0, mtls: 0 });

/** One line: `reviews  v1 ██████████████████ 90.1%  v2 ██ 9.9%   (201 calls/s)`; pure. */
export function formatWindow(label: string, w: Window, seconds: number, width = 30): string {
  if (w.total === 0) return `${label}  (no calls yet)`;
  const parts = Object.keys(w.versions)
    .sort()
    .map((v) => {
      const share = w.versions[v]! / w.total;
      return `${v} ${'█'.repeat(Math.max(1, Math.round(share * width)))} ${(share * 100).toFixed(1)}%`;
    });
  const errors = Object.entries(w.errors)
    .sort()
    .map(([code, n]) => `${code} ${((n / w.total) * 100).toFixed(1)}%`);
  const rate = Math.round(w.total / Math.max(seconds, 0.001));
  const mtls = w.mtls ? `, mTLS ${((w.mtls / w.total) * 100).toFixed(0)}%` : '';
  return `${label}  ${[...parts, ...errors].join('  ')}   (${rate} calls/s${mtls})`;
}

/** Calls the client at about `rate` calls per second until stopped; `take()` returns and resets the current window. */
export function callLoop(client: EchoClient, rate: number, metadata?: Record<string, string>): { take(): Window; stop(): Promise<void> } {
  let w = emptyWindow();
  const inFlight = new Set<Promise<void>>();
  const onResult = (r: CallResult): void => {
    w.total += 1;
    if (r.reply) {
      w.versions[r.reply.version] = (w.versions[r.reply.version] ?? 0) + 1;
      if (r.reply.peer) w.mtls = (w.mtls ?? 0) + 1;
    } else {
      const name = grpc.status[r.code] ?? String(r.code);
      w.errors[name] = (w.errors[name] ?? 0) + 1;
    }
  };
  const tickMs = 20;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const timer = setInterval(() => {
    for (let i = 0; i < perTick; i++) {
      const p = hello(client, { deadlineMs: 2000, metadata }).then(onResult);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
  }, tickMs);
  return {
    take: () => {
      const out = w;
      w = emptyWindow();
      return out;
    },
    stop: async () => {
      clearInterval(timer);
      await Promise.all([...inFlight]);
    },
  };
}
