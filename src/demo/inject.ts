/**
 * The injection half of `make demo`: start `mizzen serve` with generated certificates in a temporary
 * directory, send it a Bookinfo pod the way kube-apiserver would (an AdmissionReview over TLS, verified
 * against the CA under the Service's DNS name), and print the patch and the injected pod.
 *
 *   node dist/src/demo/inject.js [--workload productpage-v1] [--namespace bookinfo]
 *
 * Also exports the pieces the traffic demo, the API-server simulation and the benchmark reuse.
 */
import { request } from 'node:https';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import fjp from 'fast-json-patch';
import { parseDocuments, expandLists } from '../core/documents.js';
import { isKubeObject, type KubeObject } from '../core/kube.js';
import { createLogger, type Logger } from '../core/log.js';
import { DEFAULT_MESH_CONFIG, type MeshConfig } from '../config/mesh.js';
import { readServingMaterial } from '../certs/index.js';
import { startServe } from '../cmd/serve.js';

/** The Bookinfo samples: $MIZZEN_SAMPLES, else ../shared/samples/bookinfo next to the repository. */
export function samplesDir(): string {
  if (process.env.MIZZEN_SAMPLES) return process.env.MIZZEN_SAMPLES;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return resolve(dir, '..', 'shared', 'samples', 'bookinfo');
    dir = dirname(dir);
  }
  return resolve('..', 'shared', 'samples', 'bookinfo');
}

/** Every object of a YAML file (multi-document, Lists expanded). */
export function readObjects(file: string): KubeObject[] {
  return expandLists(parseDocuments(readFileSync(file, 'utf8'), file))
    .map((d) => d.value)
    .filter(isKubeObject);
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'];

/**
 * The pod a controller creates from a workload's template, as kube-apiserver hands it to mutating webhooks:
 * generateName and no name, labels with pod-template-hash, an owner reference, and the API server's defaults.
 * `namespace` is left out of metadata when `withNamespace` is false (the review's request.namespace carries it).
 */
export function podFromTemplate(workload: KubeObject, namespace: string, withNamespace = true): KubeObject {
  const template = (workload.spec?.template ?? {}) as { metadata?: KubeObject['metadata']; spec?: any };
  const name = workload.metadata.name ?? 'workload';
  const hash = '5d9c8b7f6c';
  const spec = structuredClone(template.spec ?? {});
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= 30;
  spec.serviceAccountName ??= 'default';
  spec.serviceAccount ??= spec.serviceAccountName;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.imagePullPolicy ??= 'IfNotPresent';
    c.resources ??= {};
  }
  const metadata: KubeObject['metadata'] = {
    generateName: `${name}-${hash}-`,
    labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-${hash}`, uid: '6f1c8a52-0b7e-4a5e-9d0e-1f6b2f3c4d5e', controller: true }],
  };
  if (template.metadata?.annotations) metadata.annotations = { ...template.metadata.annotations };
  if (withNamespace) metadata.namespace = namespace;
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
}

/** The pods of every workload in the file. */
export function workloadPods(file: string, namespace: string, withNamespace = true): Array<{ workload: string; pod: KubeObject }> {
  return readObjects(file)
    .filter((o) => WORKLOAD_KINDS.includes(o.kind))
    .map((w) => ({ workload: w.metadata.name ?? '', pod: podFromTemplate(w, namespace, withNamespace) }));
}

/** The resource (plural) of a kind, as the API server names it: pods, virtualservices, authorizationpolicies, serviceentries. */
export function resourceOf(kind: string): string {
  const k = kind.toLowerCase();
  if (/[^aeiou]y$/.test(k)) return k.slice(0, -1) + 'ies';
  if (/(s|x|ch|sh)$/.test(k)) return k + 'es';
  return k + 's';
}

let uidCounter = 0;
/** An AdmissionReview for the CREATE of `obj`, as kube-apiserver sends it. */
export function createReview(obj: KubeObject, namespace: string, opts: { operation?: string; dryRun?: boolean; uid?: string; oldObject?: KubeObject } = {}) {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  const resource = resourceOf(obj.kind);
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: opts.uid ?? `00000000-0000-4000-8000-${String(++uidCounter).padStart(12, '0')}`,
      kind: { group, version, kind: obj.kind },
      resource: { group, version, resource },
      requestKind: { group, version, kind: obj.kind },
      requestResource: { group, version, resource },
      name: obj.metadata.name,
      namespace,
      operation: opts.operation ?? 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller', groups: ['system:serviceaccounts', 'system:authenticated'] },
      object: obj,
      oldObject: opts.oldObject ?? null,
      dryRun: opts.dryRun ?? false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  };
}

/** POSTs JSON over HTTPS, verifying the server against `ca` under `servername`; resolves with status and parsed body. */
export function postJson(url: string, body: unknown, tls: { ca: string; servername: string; timeoutMs?: number }): Promise<{ status: number; body: any }> {
  const data = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolvePost, reject) => {
    const req = request(
      url,
      { method: 'POST', ca: tls.ca, servername: tls.servername, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }, timeout: tls.timeoutMs ?? 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          try {
            resolvePost({ status: res.statusCode ?? 0, body: JSON.parse(text) });
          } catch {
            resolvePost({ status: res.statusCode ?? 0, body: text });
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${tls.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}

export interface InjectDemoOptions {
  workload?: string;
  namespace?: string;
  mesh?: MeshConfig;
  out?: (text: string) => void;
  log?: Logger;
}

export interface InjectDemoResult {
  original: KubeObject;
  patch: unknown[];
  injected: KubeObject;
}

/** Runs the injection demo end to end and returns what it printed. */
export async function runInjectDemo(opts: InjectDemoOptions = {}): Promise<InjectDemoResult> {
  const out = opts.out ?? ((s: string) => void process.stdout.write(s));
  const namespace = opts.namespace ?? 'bookinfo';
  const workload = opts.workload ?? 'productpage-v1';
  const certsDir = mkdtempSync(join(tmpdir(), 'mizzen-demo-certs-'));
  const log = opts.log ?? createLogger({ level: 'warn' });
  const running = await startServe({ webhookPort: 0, monitoringPort: 0, host: '127.0.0.1', certsDir, mesh: opts.mesh ?? DEFAULT_MESH_CONFIG, log });
  try {
    const found = workloadPods(join(samplesDir(), 'platform', 'bookinfo.yaml'), namespace, false).find((p) => p.workload === workload);
    if (!found) throw new Error(`no workload ${workload} in the Bookinfo platform manifest`);
    const material = readServingMaterial(certsDir);
    if (!material.ok) throw new Error(material.errors.join('; '));
    out(`# mizzen serve: webhook https://127.0.0.1:${running.ports.webhook} (certificates generated in ${certsDir})\n`);
    out(`# kube-apiserver -> POST /inject: CREATE Pod ${namespace}/${found.pod.metadata.generateName}* (from Deployment ${workload})\n`);
    const res = await postJson(`https://127.0.0.1:${running.ports.webhook}/inject`, createReview(found.pod, namespace), { ca: material.value.ca, servername: 'mizzen.mizzen-system.svc' });
    const response = res.body?.response;
    if (res.status !== 200 || !response) throw new Error(`webhook answered HTTP ${res.status}: ${JSON.stringify(res.body)}`);
    if (!response.allowed) throw new Error(`webhook denied the pod: ${response.status?.message}`);
    const patch = response.patch ? (JSON.parse(Buffer.from(response.patch, 'base64').toString()) as fjp.Operation[]) : [];
    const injected = fjp.applyPatch(structuredClone(found.pod), patch, true, false).newDocument as KubeObject;
    out(`\n# the JSON patch (${response.patchType ?? 'none'}, ${patch.length} operations)\n`);
    out(JSON.stringify(patch, null, 2) + '\n');
    out(`\n# the injected pod\n`);
    out(stringify(injected, { lineWidth: 0 }));
    const names = (l: Array<{ name: string }> | undefined) => (l ?? []).map((c) => c.name).join(', ');
    out(`\n# containers: ${names(injected.spec?.containers)}; init containers: ${names(injected.spec?.initContainers)}\n`);
    return { original: found.pod, patch, injected };
  } finally {
    await running.shutdown();
    rmSync(certsDir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  const { values } = parseArgs({ options: { workload: { type: 'string' }, namespace: { type: 'string' } } });
  runInjectDemo({ workload: values.workload, namespace: values.namespace }).then(
    () => (process.exitCode = 0),
    (e: unknown) => {
      process.stderr.write(`demo: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
