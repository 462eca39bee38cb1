/**
 * A stand-in Kubernetes API server for tests (no kube-apiserver can run here), over HTTPS with a kubeconfig that
 * trusts its CA (client-node refuses plain HTTP). It keeps Kubernetes' semantics where our code depends on them:
 *
 * - one global resourceVersion counter; lists carry metadata.resourceVersion and items WITHOUT apiVersion/kind
 *   (as the real server does); LIST honours labelSelector and a namespace in the path;
 * - `?watch=true&resourceVersion=N` streams newline-delimited JSON events ADDED / MODIFIED / DELETED, replaying
 *   what happened after N from a bounded history, then live; BOOKMARK events when allowWatchBookmarks=true (on
 *   bookmark()); a label selector turns edits that enter or leave it into ADDED / DELETED;
 * - a too-old N gets `410 Gone`: an ERROR event with code 410 then the end of the stream (the real server's way),
 *   or an HTTP 410 with `gone: 'status'`;
 * - GET/POST/PUT/PATCH/DELETE of single objects with 409 on a resourceVersion conflict (a DELETE's preconditions
 *   too) or an existing name (Leases, Events, Deployments …), GET /version, POST SelfSubjectAccessReview with configurable answers;
 * - Istio kinds under their CRDs, which can be "not installed" (404) and installed later.
 *
 * Driven by the test: apply(), delete(), dropWatches() (sockets destroyed mid-stream), stallWatches() (kept open,
 * nothing sent), compact() (history expired → next watch gets 410), fail() (answer the next matching requests
 * with an error), hang() (never answer them), and `requests`, the log of what was asked.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jsonpatch from 'fast-json-patch';
import type { KubeObject } from '../../src/core/kube.js';
import { ISTIO_KINDS } from '../../src/validation/index.js';
import { testCerts, tempDir } from './certs.js';

interface ResourceDef {
  group: string;
  versions: string[];
  kind: string;
  plural: string;
  namespaced: boolean;
  /** Served by a CRD (may be uninstalled). */
  crd?: boolean;
  /** Has the status subresource: PATCH …/status changes the status alone, and not the generation. */
  status?: boolean;
}

const BUILTIN: ResourceDef[] = [
  { group: '', versions: ['v1'], kind: 'Namespace', plural: 'namespaces', namespaced: false },
  { group: '', versions: ['v1'], kind: 'Service', plural: 'services', namespaced: true },
  { group: '', versions: ['v1'], kind: 'Pod', plural: 'pods', namespaced: true },
  { group: '', versions: ['v1'], kind: 'Endpoints', plural: 'endpoints', namespaced: true },
  { group: '', versions: ['v1'], kind: 'Event', plural: 'events', namespaced: true },
  { group: '', versions: ['v1'], kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  { group: '', versions: ['v1'], kind: 'Secret', plural: 'secrets', namespaced: true },
  { group: '', versions: ['v1'], kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
  { group: 'discovery.k8s.io', versions: ['v1'], kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true },
  { group: 'networking.k8s.io', versions: ['v1'], kind: 'Ingress', plural: 'ingresses', namespaced: true, status: true },
  { group: 'networking.k8s.io', versions: ['v1'], kind: 'IngressClass', plural: 'ingressclasses', namespaced: false },
  { group: 'apps', versions: ['v1'], kind: 'Deployment', plural: 'deployments', namespaced: true },
  { group: 'apps', versions: ['v1'], kind: 'ReplicaSet', plural: 'replicasets', namespaced: true },
  { group: 'apps', versions: ['v1'], kind: 'StatefulSet', plural: 'statefulsets', namespaced: true },
  { group: 'apps', versions: ['v1'], kind: 'DaemonSet', plural: 'daemonsets', namespaced: true },
  { group: 'batch', versions: ['v1'], kind: 'Job', plural: 'jobs', namespaced: true },
  { group: 'autoscaling', versions: ['v2'], kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true },
  { group: 'policy', versions: ['v1'], kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true },
  { group: 'coordination.k8s.io', versions: ['v1'], kind: 'Lease', plural: 'leases', namespaced: true },
  { group: 'apiextensions.k8s.io', versions: ['v1'], kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false },
  { group: 'admissionregistration.k8s.io', versions: ['v1'], kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations', namespaced: false },
  { group: 'admissionregistration.k8s.io', versions: ['v1'], kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations', namespaced: false },
  ...ISTIO_KINDS.map((k) => ({ group: k.group, versions: k.versions, kind: k.kind, plural: k.plural, namespaced: true, crd: true })),
  // The Gateway API's (its Gateway after Istio's, so that a lookup by kind alone still finds Istio's).
  ...(['HTTPRoute', 'GRPCRoute', 'Gateway'] as const).map((kind) => ({ group: 'gateway.networking.k8s.io', versions: ['v1'], kind, plural: `${kind.toLowerCase()}s`, namespaced: true, crd: true, status: true })),
  { group: 'gateway.networking.k8s.io', versions: ['v1'], kind: 'GatewayClass', plural: 'gatewayclasses', namespaced: false, crd: true, status: true },
  { group: 'gateway.networking.k8s.io', versions: ['v1'], kind: 'TLSRoute', plural: 'tlsroutes', namespaced: true, crd: true, status: true },
  { group: 'gateway.networking.k8s.io', versions: ['v1alpha2'], kind: 'TCPRoute', plural: 'tcproutes', namespaced: true, crd: true, status: true },
  { group: 'gateway.networking.k8s.io', versions: ['v1beta1'], kind: 'ReferenceGrant', plural: 'referencegrants', namespaced: true, crd: true },
  { group: 'gateway.networking.k8s.io', versions: ['v1'], kind: 'BackendTLSPolicy', plural: 'backendtlspolicies', namespaced: true, crd: true, status: true },
  { group: 'gateway.networking.k8s.io', versions: ['v1'], kind: 'ListenerSet', plural: 'listenersets', namespaced: true, crd: true, status: true },
  { group: 'gateway.networking.x-k8s.io', versions: ['v1alpha1'], kind: 'XBackendTrafficPolicy', plural: 'xbackendtrafficpolicies', namespaced: true, crd: true, status: true },
];

export interface AccessAttributes {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
}

export interface FakeApiServerOptions {
  /** Events kept for watch replay (default 1000); older ones are compacted away. */
  historyLimit?: number;
  /** How a too-old resourceVersion is answered on watch: an ERROR event in a 200 stream (default) or HTTP 410. */
  gone?: 'event' | 'status';
  /** CRD plurals (e.g. `virtualservices`) not installed: their paths answer 404. */
  missingCrds?: string[];
  /** Bearer token every request must carry (default "fake-token"). */
  token?: string;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: any;
}

interface Watcher {
  def: ResourceDef;
  version: string;
  namespace?: string;
  selector: Selector;
  bookmarks: boolean;
  res: ServerResponse;
  stalled: boolean;
}

interface HistoryEntry {
  rv: number;
  def: ResourceDef;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  obj: KubeObject;
  prev?: KubeObject;
}

type Selector = Array<(labels: Record<string, string>) => boolean>;

const clone = <T>(v: T): T => structuredClone(v);

export function parseSelector(text: string | undefined): Selector {
  if (!text) return [];
  // Commas separate requirements, except inside `in (…)` / `notin (…)` sets.
  return (text.match(/[^,(]+(?:\([^)]*\))?/g) ?? []).map((raw) => {
    const t = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^([^!=\s]+)\s*!=\s*(.*)$/.exec(t))) return (l) => l[m![1]!] !== m![2];
    if ((m = /^([^!=\s]+)\s*==?\s*(.*)$/.exec(t))) return (l) => l[m![1]!] === m![2];
    if ((m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(t))) {
      const set = m[3]!.split(',').map((s) => s.trim());
      const has = (l: Record<string, string>): boolean => l[m![1]!] !== undefined && set.includes(l[m![1]!]!);
      return m[2] === 'in' ? has : (l) => !has(l);
    }
    if ((m = /^!(\S+)$/.exec(t))) return (l) => l[m![1]!] === undefined;
    return (l) => l[t] !== undefined;
  });
}

const matches = (sel: Selector, obj: KubeObject | undefined): boolean => !!obj && sel.every((f) => f(obj.metadata.labels ?? {}));

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

/** RFC 7386 JSON merge patch. */
function mergePatch(target: any, patch: any): any {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return clone(patch);
  const out = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export class FakeApiServer {
  readonly requests: RequestRecord[] = [];
  /** `GET /version` answer. */
  version = { major: '1', minor: '30', gitVersion: 'v1.30.2', platform: 'linux/amd64' };
  /** SelfSubjectAccessReview verdicts (default: everything allowed). */
  accessReview: (a: AccessAttributes) => { allowed: boolean; reason?: string } = () => ({ allowed: true });
  url = '';
  kubeconfigPath = '';
  private server: Server | undefined;
  private rv = 100;
  private compactedRv = 0;
  private readonly objects = new Map<string, KubeObject>();
  private history: HistoryEntry[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly missing: Set<string>;
  private readonly faults: Array<{ match: (r: RequestRecord) => boolean; code: number | 'hang'; times: number }> = [];
  private cleanup: (() => void) | undefined;
  private readonly token: string;

  constructor(private readonly opts: FakeApiServerOptions = {}) {
    this.missing = new Set(opts.missingCrds ?? []);
    this.token = opts.token ?? 'fake-token';
  }

  async start(): Promise<this> {
    const certs = await testCerts();
    this.server = createServer({ cert: certs.serving.cert, key: certs.serving.key }, (req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const port = (this.server.address() as { port: number }).port;
    this.url = `https://127.0.0.1:${port}`;
    const t = tempDir('mizzen-kubeconfig-');
    this.cleanup = t.cleanup;
    this.kubeconfigPath = join(t.dir, 'kubeconfig');
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: this.url, 'certificate-authority-data': Buffer.from(certs.serving.ca).toString('base64') } }],
      users: [{ name: 'fake', user: { token: this.token } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake', namespace: 'default' } }],
      'current-context': 'fake',
    };
    writeFileSync(this.kubeconfigPath, JSON.stringify(config, null, 2));
    return this;
  }

  async close(): Promise<void> {
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.cleanup?.();
  }

  // ---- driven by the test -------------------------------------------------------------------------------

  /** Creates or replaces an object (as `kubectl apply` would, without the merge); returns the stored copy. */
  apply(input: KubeObject): KubeObject {
    const def = this.defOf(input.apiVersion, input.kind);
    const obj = clone(input);
    if (def.namespaced) obj.metadata.namespace ??= 'default';
    else delete obj.metadata.namespace;
    const key = this.key(def, obj.metadata.namespace, obj.metadata.name!);
    const prev = this.objects.get(key);
    return this.write(def, obj, prev);
  }

  /** Deletes an object; false when there was none. */
  delete(kind: string, namespace: string | undefined, name: string): boolean {
    const def = BUILTIN.find((d) => d.kind === kind);
    if (!def) throw new Error(`fake apiserver: unknown kind ${kind}`);
    return this.remove(def, namespace, name) !== undefined;
  }

  /** `kind`: a kind (the first group that has it), or `Kind.group` (`Gateway.gateway.networking.k8s.io`). */
  get(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const dot = kind.indexOf('.');
    const def = dot < 0 ? BUILTIN.find((d) => d.kind === kind)! : BUILTIN.find((d) => d.kind === kind.slice(0, dot) && d.group === kind.slice(dot + 1))!;
    const o = this.objects.get(this.key(def, def.namespaced ? namespace ?? 'default' : undefined, name));
    return o ? clone(o) : undefined;
  }

  list(kind: string): KubeObject[] {
    const def = BUILTIN.find((d) => d.kind === kind)!;
    return [...this.objects.entries()].filter(([k]) => k.startsWith(`${def.group}/${def.kind}/`)).map(([, o]) => clone(o));
  }

  /** Destroys every open watch connection mid-stream (no terminating chunk: the client sees a premature close). */
  dropWatches(): number {
    const n = this.watchers.size;
    for (const w of this.watchers) w.res.socket?.destroy();
    this.watchers.clear();
    return n;
  }

  /** Open watches stay open but get nothing more (a stalled connection). */
  stallWatches(): number {
    let n = 0;
    for (const w of this.watchers) if (!w.stalled) {
      w.stalled = true;
      n += 1;
    }
    return n;
  }

  /** Ends every open watch with an ERROR event of `code` (e.g. 500), as the server does when a watch breaks. */
  errorWatches(code: number, message = 'internal error'): number {
    const n = this.watchers.size;
    for (const w of this.watchers) w.res.end(`${JSON.stringify({ type: 'ERROR', object: status(code, 'InternalError', message) })}\n`);
    this.watchers.clear();
    return n;
  }

  /** Writes a raw line (anything, even invalid JSON) to every open watch of `plural`. */
  sendRaw(plural: string, line: string): number {
    let n = 0;
    for (const w of this.watchers) if (w.def.plural === plural && !w.stalled) {
      w.res.write(`${line}\n`);
      n += 1;
    }
    return n;
  }

  /** Adds an object as stored state without validation or events (for junk in lists). */
  plant(apiVersion: string, kind: string, key: string, obj: unknown): void {
    const def = this.defOf(apiVersion, kind);
    this.objects.set(`${def.group}/${def.kind}/${key}`, obj as KubeObject);
  }

  /** Forgets the event history: a watch from any resourceVersion before now gets 410 Gone. */
  compact(): void {
    this.history = [];
    this.compactedRv = this.rv;
  }

  /** Sends a BOOKMARK (current resourceVersion) to every watch that allowed bookmarks. */
  bookmark(): void {
    for (const w of this.watchers) {
      if (!w.bookmarks || w.stalled) continue;
      const apiVersion = w.def.group ? `${w.def.group}/${w.version}` : w.version;
      this.send(w, { type: 'BOOKMARK', object: { apiVersion, kind: w.def.kind, metadata: { resourceVersion: String(this.rv) } } });
    }
  }

  /** Open watches, optionally of one resource plural. */
  watchCount(plural?: string): number {
    return [...this.watchers].filter((w) => !w.stalled && (!plural || w.def.plural === plural)).length;
  }

  installCrd(plural: string): void {
    this.missing.delete(plural);
  }

  /** Uninstalls a CRD: its objects are deleted (watchers see DELETED), its paths answer 404, its watches end. */
  removeCrd(plural: string): void {
    const def = BUILTIN.find((d) => d.plural === plural && d.crd)!;
    for (const o of this.list(def.kind)) this.remove(def, o.metadata.namespace, o.metadata.name!);
    this.missing.add(plural);
    for (const w of [...this.watchers]) if (w.def === def) {
      w.res.end();
      this.watchers.delete(w);
    }
  }

  /** The next `times` requests matching `method` and a path prefix are answered with `code`. */
  fail(method: string, pathPrefix: string, code: number, times = 1): void {
    this.faults.push({ match: (r) => r.method === method && r.path.startsWith(pathPrefix), code, times });
  }

  /** The next `times` requests matching `method` ('*' for any) and a path prefix get no answer at all (an API server that stopped responding). */
  hang(method: string, pathPrefix: string, times = 1): void {
    this.faults.push({ match: (r) => (method === '*' || r.method === method) && r.path.startsWith(pathPrefix), code: 'hang', times });
  }

  /** Forgets every pending fail() and hang(); requests already held stay unanswered. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  // ---- storage ------------------------------------------------------------------------------------------

  private defOf(apiVersion: string, kind: string): ResourceDef {
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const def = BUILTIN.find((d) => d.group === group && d.kind === kind);
    if (!def) throw new Error(`fake apiserver: unknown kind ${apiVersion} ${kind}`);
    return def;
  }

  private key(def: ResourceDef, namespace: string | undefined, name: string): string {
    return `${def.group}/${def.kind}/${def.namespaced ? namespace : ''}/${name}`;
  }

  private write(def: ResourceDef, obj: KubeObject, prev: KubeObject | undefined, statusOnly = false): KubeObject {
    this.rv += 1;
    obj.apiVersion = def.group ? `${def.group}/${def.versions[0]}` : def.versions[0]!;
    obj.kind = def.kind;
    obj.metadata.resourceVersion = String(this.rv);
    obj.metadata.uid = prev?.metadata.uid ?? obj.metadata.uid ?? randomUUID();
    obj.metadata.creationTimestamp = prev?.metadata.creationTimestamp ?? obj.metadata.creationTimestamp ?? new Date().toISOString();
    obj.metadata.generation = (prev?.metadata.generation ?? 0) + (statusOnly ? 0 : 1);
    this.objects.set(this.key(def, obj.metadata.namespace, obj.metadata.name!), obj);
    this.record({ rv: this.rv, def, type: prev ? 'MODIFIED' : 'ADDED', obj: clone(obj), prev: prev && clone(prev) });
    return clone(obj);
  }

  private remove(def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = this.key(def, def.namespaced ? namespace ?? 'default' : undefined, name);
    const prev = this.objects.get(key);
    if (!prev) return undefined;
    this.objects.delete(key);
    this.rv += 1;
    const gone = clone(prev);
    gone.metadata.resourceVersion = String(this.rv);
    this.record({ rv: this.rv, def, type: 'DELETED', obj: gone, prev });
    return gone;
  }

  private record(e: HistoryEntry): void {
    this.history.push(e);
    const limit = this.opts.historyLimit ?? 1000;
    if (this.history.length > limit) {
      const dropped = this.history.splice(0, this.history.length - limit);
      this.compactedRv = dropped[dropped.length - 1]!.rv;
    }
    for (const w of this.watchers) if (w.def === e.def) this.deliver(w, e);
  }

  /** Sends `e` to `w` as the watcher sees it (namespace, selector transitions). */
  private deliver(w: Watcher, e: HistoryEntry): void {
    if (w.stalled) return;
    if (w.namespace && e.obj.metadata.namespace !== w.namespace) return;
    const now = e.type !== 'DELETED' && matches(w.selector, e.obj);
    const before = e.type === 'ADDED' ? false : matches(w.selector, e.prev);
    let type: string | undefined;
    if (e.type === 'DELETED') type = before ? 'DELETED' : undefined;
    else if (now && before) type = 'MODIFIED';
    else if (now) type = 'ADDED';
    else if (before) type = 'DELETED';
    if (type) this.send(w, { type, object: this.versioned(e.obj, w.def, w.version) });
  }

  private versioned(obj: KubeObject, def: ResourceDef, version: string): KubeObject {
    return { ...obj, apiVersion: def.group ? `${def.group}/${version}` : version };
  }

  private send(w: Watcher, ev: unknown): void {
    if (!w.res.writableEnded && !w.res.destroyed) w.res.write(`${JSON.stringify(ev)}\n`);
  }

  // ---- HTTP ---------------------------------------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://fake');
      const record: RequestRecord = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams) };
      const raw = Buffer.concat(chunks).toString('utf8');
      if (raw) {
        try {
          record.body = JSON.parse(raw);
        } catch {
          record.body = raw;
        }
      }
      this.requests.push(record);
      const json = (code: number, body: unknown): void => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${this.token}`) return json(401, status(401, 'Unauthorized', 'Unauthorized'));
      const fault = this.faults.find((f) => f.times > 0 && f.match(record));
      if (fault) {
        fault.times -= 1;
        if (fault.code === 'hang') return;
        return json(fault.code, status(fault.code, 'InternalError', `injected failure ${fault.code}`));
      }
      try {
        this.route(record, req, res, json);
      } catch (e) {
        json(500, status(500, 'InternalError', (e as Error).message));
      }
    });
  }

  private route(r: RequestRecord, req: IncomingMessage, res: ServerResponse, json: (code: number, body: unknown) => void): void {
    if (r.path === '/version' && r.method === 'GET') return json(200, this.version);
    if (r.path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews' && r.method === 'POST') {
      const a = r.body?.spec?.resourceAttributes ?? {};
      const verdict = this.accessReview({ verb: a.verb ?? '', group: a.group ?? '', resource: a.resource ?? '', namespace: a.namespace });
      return json(201, { ...r.body, status: { allowed: verdict.allowed, ...(verdict.reason ? { reason: verdict.reason } : {}) } });
    }
    const seg = r.path.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (seg[0] === 'api' && seg.length >= 2) [group, version, rest] = ['', seg[1]!, seg.slice(2)];
    else if (seg[0] === 'apis' && seg.length >= 3) [group, version, rest] = [seg[1]!, seg[2]!, seg.slice(3)];
    else return json(404, status(404, 'NotFound', `the server could not find the requested resource (${r.path})`));
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [plural, name, sub] = rest;
    const def = BUILTIN.find((d) => d.group === group && d.plural === plural && d.versions.includes(version));
    if (!def || (def.crd && this.missing.has(def.plural)) || (sub !== undefined && !(sub === 'status' && def.status && name))) {
      return json(404, status(404, 'NotFound', `the server could not find the requested resource (${r.method} ${plural ?? ''})`));
    }
    if (!def.namespaced) namespace = undefined;
    const key = name ? this.key(def, namespace ?? (def.namespaced ? 'default' : undefined), name) : '';
    const out = (o: KubeObject): KubeObject => this.versioned(o, def, version);
    const notFound = (): void => json(404, status(404, 'NotFound', `${def.plural} "${name}" not found`));

    if (r.method === 'GET' && !name) {
      if (r.query.watch === 'true' || r.query.watch === '1') return this.watch(def, version, namespace, r.query, res);
      const sel = parseSelector(r.query.labelSelector);
      const items = [...this.objects.entries()]
        .filter(([k, o]) => k.startsWith(`${def.group}/${def.kind}/`) && (!namespace || o.metadata.namespace === namespace) && matches(sel, o))
        .map(([, o]) => {
          const { apiVersion: _a, kind: _k, ...item } = clone(o);
          return item;
        });
      return json(200, { apiVersion: def.group ? `${def.group}/${version}` : version, kind: `${def.kind}List`, metadata: { resourceVersion: String(this.rv) }, items });
    }
    if (r.method === 'GET') {
      const o = this.objects.get(key);
      return o ? json(200, out(clone(o))) : notFound();
    }
    if (r.method === 'POST' && !name) {
      const body = r.body as KubeObject;
      if (!body || typeof body !== 'object' || typeof body.metadata !== 'object') return json(400, status(400, 'BadRequest', 'body must be an object with metadata'));
      if (!body.metadata.name && body.metadata.generateName) body.metadata.name = `${body.metadata.generateName}${randomUUID().slice(0, 5)}`;
      if (!body.metadata.name) return json(422, status(422, 'Invalid', 'metadata.name: Required value'));
      if (def.namespaced) body.metadata.namespace = namespace ?? body.metadata.namespace ?? 'default';
      const k = this.key(def, body.metadata.namespace, body.metadata.name);
      if (this.objects.has(k)) return json(409, status(409, 'AlreadyExists', `${def.plural} "${body.metadata.name}" already exists`));
      return json(201, out(this.write(def, clone(body), undefined)));
    }
    const prev = this.objects.get(key);
    // A resourceVersion in a PUT or merge-patch body is a precondition, as on the real server.
    const conflicts = (want: unknown): boolean => want !== undefined && prev !== undefined && want !== prev.metadata.resourceVersion;
    const conflict = () => json(409, status(409, 'Conflict', `Operation cannot be fulfilled on ${def.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`));
    if (r.method === 'PUT') {
      if (!prev) return notFound();
      const body = r.body as KubeObject;
      if (conflicts(body?.metadata?.resourceVersion)) return conflict();
      return json(200, out(this.write(def, { ...clone(body), metadata: { ...body.metadata, name, namespace: prev.metadata.namespace } }, prev)));
    }
    if (sub === 'status') {
      // The status subresource: GET reads the object; a merge patch changes its status alone (generation kept).
      if (!prev) return notFound();
      if (r.method === 'GET') return json(200, out(clone(prev)));
      const type = String(req.headers['content-type'] ?? '');
      if (r.method !== 'PATCH' || !type.startsWith('application/merge-patch+json')) return json(405, status(405, 'MethodNotAllowed', `${r.method} ${type} of status is not supported here`));
      if (conflicts((r.body as KubeObject | undefined)?.metadata?.resourceVersion)) return conflict();
      const next = { ...clone(prev), status: mergePatch(prev.status, (r.body as { status?: unknown } | undefined)?.status ?? {}) } as KubeObject;
      return json(200, out(this.write(def, next, prev, true)));
    }
    if (r.method === 'PATCH') {
      if (!prev) return notFound();
      const type = String(req.headers['content-type'] ?? '');
      let next: KubeObject;
      if (type.startsWith('application/json-patch+json')) next = jsonpatch.applyPatch(clone(prev), r.body, true, false).newDocument;
      else if (type.startsWith('application/merge-patch+json') || type.startsWith('application/strategic-merge-patch+json')) {
        if (conflicts((r.body as KubeObject | undefined)?.metadata?.resourceVersion)) return conflict();
        next = mergePatch(prev, r.body);
      } else return json(415, status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format: ${type}`));
      return json(200, out(this.write(def, next, prev)));
    }
    if (r.method === 'DELETE') {
      // DeleteOptions.preconditions, as the real server checks them.
      const pre = (r.body as { preconditions?: { uid?: string; resourceVersion?: string } } | undefined)?.preconditions;
      if (prev && pre && ((pre.uid !== undefined && pre.uid !== prev.metadata.uid) || conflicts(pre.resourceVersion))) return conflict();
      const gone = this.remove(def, namespace, name!);
      return gone ? json(200, out(gone)) : notFound();
    }
    return json(405, status(405, 'MethodNotAllowed', `${r.method} is not supported`));
  }

  private watch(def: ResourceDef, version: string, namespace: string | undefined, q: Record<string, string>, res: ServerResponse): void {
    const from = q.resourceVersion;
    const n = Number(from);
    if (from && from !== '0' && (!Number.isInteger(n) || n < this.compactedRv)) {
      const gone = status(410, 'Expired', `too old resource version: ${from} (${this.compactedRv + 1})`);
      if (this.opts.gone === 'status') {
        res.writeHead(410, { 'content-type': 'application/json' });
        res.end(JSON.stringify(gone));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.end(`${JSON.stringify({ type: 'ERROR', object: gone })}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const w: Watcher = { def, version, namespace, selector: parseSelector(q.labelSelector), bookmarks: q.allowWatchBookmarks === 'true', res, stalled: false };
    if (!from || from === '0') {
      for (const [k, o] of this.objects) if (k.startsWith(`${def.group}/${def.kind}/`)) this.deliver(w, { rv: this.rv, def, type: 'ADDED', obj: o });
    } else {
      for (const e of this.history) if (e.rv > n && e.def === def) this.deliver(w, e);
    }
    this.watchers.add(w);
    res.on('close', () => this.watchers.delete(w));
    const timeout = Number(q.timeoutSeconds);
    if (Number.isFinite(timeout) && timeout > 0) {
      const t = setTimeout(() => {
        if (this.watchers.delete(w)) res.end();
      }, timeout * 1000);
      t.unref();
      res.on('close', () => clearTimeout(t));
    }
  }
}

/** A started fake API server. */
export async function startFakeApiServer(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  return new FakeApiServer(opts).start();
}
