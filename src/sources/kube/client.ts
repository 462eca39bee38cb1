/**
 * A small JSON client for the Kubernetes API on top of @kubernetes/client-node's KubeConfig (which knows
 * kubeconfig files, in-cluster service-account tokens, client certificates and exec plugins).
 *
 * Requests never throw: every answer is `{ status, body }`, with status 0 and a message for network errors, so
 * callers treat failures as values. Objects are plain JSON as the API server sends them (no typed models, no Date
 * conversion), the same shape informer events carry.
 */
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';

export interface ApiResponse {
  /** HTTP status; 0 when no answer came (connection refused, reset, timeout). */
  status: number;
  /** Parsed JSON body (a Status object for most errors); undefined when empty or not JSON. */
  body: any;
  /** A readable summary for errors: the Status message, the network error, or the HTTP status. */
  message: string;
}

export type PatchType = 'merge' | 'strategic' | 'json';

export interface RequestOpts {
  contentType?: string;
  /** Idle timeout of the connection (default 30 s, or the client's default). */
  timeoutMs?: number;
  /** Aborts the request: it answers status 0 with the abort reason's message. */
  signal?: AbortSignal;
}

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

export interface KubeClient {
  /** The KubeConfig in use (the informers' watch transport needs it). */
  config: KubeConfig;
  /** The API server URL (for logs). */
  server: string;
  request(method: string, path: string, body?: unknown, opts?: RequestOpts): Promise<ApiResponse>;
  get(path: string): Promise<ApiResponse>;
  create(path: string, body: unknown): Promise<ApiResponse>;
  replace(path: string, body: unknown): Promise<ApiResponse>;
  patch(path: string, body: unknown, type?: PatchType): Promise<ApiResponse>;
}

export interface KubeConfigOptions {
  /** A kubeconfig file; otherwise in-cluster (service account), else the default loading rules. */
  kubeconfig?: string;
  inCluster?: boolean;
  /** A context of the kubeconfig other than the current one. */
  context?: string;
}

/** Loads the client-node KubeConfig. Import cost (~1 s) is paid only by callers that use Kubernetes. */
export async function loadKubeConfig(o: KubeConfigOptions): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
  else if (o.inCluster) kc.loadFromCluster();
  else kc.loadFromDefault();
  if (o.context) kc.setCurrentContext(o.context);
  if (!kc.getCurrentCluster()) throw new Error(o.kubeconfig ? `kubeconfig ${o.kubeconfig}: no current cluster` : 'no Kubernetes cluster configured');
  return kc;
}

/**
 * Options for one request to the current cluster: URL, agent (CA, client certificate) and headers
 * (bearer token, re-read for rotating service-account tokens). Shared with the watch transport.
 */
export async function requestOptions(kc: KubeConfig, path: string): Promise<{ url: URL; options: RequestOptions }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster');
  const options: RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const base = cluster.server.replace(/\/+$/, '');
  return { url: new URL(base + path), options };
}

function statusMessage(status: number, body: any, raw: string): string {
  if (body && typeof body === 'object' && typeof body.message === 'string' && body.message) return `${status}: ${body.message}`;
  const text = raw.trim().slice(0, 200);
  return text ? `${status}: ${text}` : `HTTP ${status}`;
}

export function createKubeClient(kc: KubeConfig, defaults: { timeoutMs?: number } = {}): KubeClient {
  const server = kc.getCurrentCluster()?.server ?? '';
  const req = async (method: string, path: string, body?: unknown, o: RequestOpts = {}): Promise<ApiResponse> => {
    let prepared: Awaited<ReturnType<typeof requestOptions>>;
    try {
      prepared = await requestOptions(kc, path);
    } catch (e) {
      return { status: 0, body: undefined, message: `kubeconfig: ${(e as Error).message}` };
    }
    const { url, options } = prepared;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = { ...(options.headers as Record<string, string>), accept: 'application/json' };
    if (payload) {
      headers['content-type'] = o.contentType ?? 'application/json';
      headers['content-length'] = payload.length;
    }
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    const timeoutMs = o.timeoutMs ?? defaults.timeoutMs ?? 30_000;
    const aborted = (): ApiResponse => {
      const reason: unknown = o.signal?.reason;
      return { status: 0, body: undefined, message: `${method} ${path}: ${reason instanceof Error ? reason.message : 'aborted'}` };
    };
    if (o.signal?.aborted) return aborted();
    return new Promise<ApiResponse>((resolve) => {
      let settled = false;
      const finish = (r: ApiResponse): void => {
        if (settled) return;
        settled = true;
        o.signal?.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const onAbort = (): void => {
        finish(aborted());
        r.destroy();
      };
      const r = send(url, { ...options, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => finish({ status: 0, body: undefined, message: `${method} ${path}: ${e.message}` }));
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          let parsed: any;
          try {
            parsed = raw ? JSON.parse(raw) : undefined;
          } catch {
            parsed = undefined;
          }
          const status = res.statusCode ?? 0;
          finish({ status, body: parsed, message: status >= 200 && status < 300 ? 'OK' : statusMessage(status, parsed, raw) });
        });
      });
      r.setTimeout(timeoutMs, () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      r.on('error', (e) => finish({ status: 0, body: undefined, message: `${method} ${path}: ${e.message}` }));
      o.signal?.addEventListener('abort', onAbort, { once: true });
      r.end(payload);
    });
  };
  return {
    config: kc,
    server,
    request: req,
    get: (path) => req('GET', path),
    create: (path, body) => req('POST', path, body),
    replace: (path, body) => req('PUT', path, body),
    patch: (path, body, type = 'merge') => req('PATCH', path, body, { contentType: PATCH_CONTENT_TYPES[type] }),
  };
}

export const isOk = (r: ApiResponse): boolean => r.status >= 200 && r.status < 300;
