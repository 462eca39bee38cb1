/**
 * Renders the install: `kubectl kustomize manifests/`, with every webhook caBundle filled from
 * the CA and the `mizzen-certs` TLS Secret added, so nothing patches the webhooks at runtime and
 * GitOps tools see no drift.
 *
 *   node dist/src/tools/render-manifests.js --certs-dir certs --out manifests/rendered
 *   kubectl apply -k manifests/rendered
 *
 * `renderManifests()` is what tests use (the API-server simulation loads the webhook
 * configurations with a test CA); `fillCaBundles()` and `certSecret()` are pure.
 *
 * The ingress gateway's bootstrap is rendered here too, from src/bootstrap/envoy.ts: `gatewayBootstrap()` is the
 * document of manifests/gateway/gateway.yaml (plaintext xDS) and, with `mtls`, of manifests/mtls/gateway-bootstrap.yaml
 * (xDS over TLS with a client certificate); `mtlsGatewayFiles()` is the text of the files manifests/mtls/ carries
 * (test/packaging checks they agree; UPDATE_GOLDEN=1 rewrites them).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { type KubeObject, isKubeObject } from '../core/kube.js';
import { CLUSTER_ID, Defaults, MeshCerts, WorkloadCertFiles } from '../core/constants.js';
import { CertFiles } from '../certs/files.js';
import { certMetadata, envoyBootstrap, parseHostPort, xdsClientSds } from '../bootstrap/envoy.js';
import type { MeshConfig } from '../config/mesh.js';

export interface TlsMaterial {
  crt: string;
  key: string;
  ca: string;
  /** The mesh CA, when the directory has it: `mizzen serve --rotate-workload-certs` signs with it in the cluster. */
  meshCaCrt?: string;
  meshCaKey?: string;
  /** Roots trusted besides the mesh CA (mesh-roots.crt), when the directory has them: a mesh CA rotation under way. */
  meshRoots?: string;
}

export interface RenderOptions {
  /** PEM of the CA that signed the webhook serving certificate. */
  caBundlePem: string;
  /** When given, the `mizzen-certs` Secret (tls.crt, tls.key, ca.crt) is added. */
  tls?: TlsMaterial;
  /** The kustomize directory; default: the repository's manifests/. */
  manifestsDir?: string;
}

export const CERT_SECRET_NAME = 'mizzen-certs';
export const WEBHOOK_KINDS = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** The repository's manifests/ directory, found from this module (works from src/ and dist/src/). */
export function defaultManifestsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'manifests', 'kustomization.yaml'))) return join(dir, 'manifests');
    dir = dirname(dir);
  }
  return resolve('manifests');
}

/** `kubectl kustomize DIR` as objects (the I/O shell; throws with kubectl's message when it fails). */
export function kustomize(dir: string): KubeObject[] {
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`kubectl kustomize ${dir}: ${(err.stderr || err.message).trim()}`);
  }
  return parseObjects(out, `kubectl kustomize ${dir}`);
}

export function parseObjects(text: string, source: string): KubeObject[] {
  const objects: KubeObject[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    if (doc.errors.length) throw new Error(`${source}: document ${i}: ${doc.errors[0]!.message}`);
    const v = doc.toJS() as unknown;
    if (v === null || v === undefined) return;
    if (!isKubeObject(v)) throw new Error(`${source}: document ${i} is not a Kubernetes object`);
    objects.push(v);
  });
  return objects;
}

/** Copies of `objects` with every webhook's clientConfig.caBundle set to base64(caBundlePem). Pure. */
export function fillCaBundles(objects: KubeObject[], caBundlePem: string): KubeObject[] {
  if (!PEM_CERT.test(caBundlePem)) throw new Error('caBundlePem: not a PEM certificate (no BEGIN/END CERTIFICATE block)');
  const bundle = b64(caBundlePem);
  return objects.map((o) => {
    const copy = structuredClone(o);
    if (!WEBHOOK_KINDS.includes(copy.kind) || !Array.isArray(copy.webhooks)) return copy;
    for (const w of copy.webhooks as Array<{ clientConfig?: Record<string, unknown> }>) {
      w.clientConfig = { ...(w.clientConfig ?? {}), caBundle: bundle };
    }
    return copy;
  });
}

/** The `mizzen-certs` Secret that the Deployment mounts at /etc/mizzen/certs (with the mesh CA when given). Pure. */
export function certSecret(tls: TlsMaterial, namespace: string = Defaults.controlPlaneNamespace): KubeObject {
  for (const [field, pem] of Object.entries(tls)) {
    if (typeof pem !== 'string' || !pem.includes('-----BEGIN ')) throw new Error(`tls.${field}: not PEM`);
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: CERT_SECRET_NAME, namespace, labels: { app: Defaults.serviceName, 'app.kubernetes.io/part-of': 'mizzen' } },
    type: 'kubernetes.io/tls',
    data: {
      [CertFiles.cert]: b64(tls.crt),
      [CertFiles.key]: b64(tls.key),
      [CertFiles.ca]: b64(tls.ca),
      ...(tls.meshCaCrt && tls.meshCaKey ? { [CertFiles.meshCaCert]: b64(tls.meshCaCrt), [CertFiles.meshCaKey]: b64(tls.meshCaKey) } : {}),
      ...(tls.meshCaCrt && tls.meshRoots ? { [CertFiles.meshRoots]: b64(tls.meshRoots) } : {}),
    },
  };
}

/** The whole install, ready to apply: kustomized manifests, caBundles filled, and the Secret when `tls` is given. */
export function renderManifests(opts: RenderOptions): KubeObject[] {
  const objects = fillCaBundles(kustomize(opts.manifestsDir ?? defaultManifestsDir()), opts.caBundlePem);
  if (opts.tls) objects.push(certSecret(opts.tls));
  return objects;
}

export const toYaml = (objects: KubeObject[]): string => objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');

/**
 * Writes mizzen.yaml, mizzen-certs.yaml (mode 0600) and a kustomization.yaml listing them; with `components`
 * (kustomize Component directories, e.g. manifests/mtls), the kustomization applies them too.
 */
export function writeRendered(objects: KubeObject[], outDir: string, components: readonly string[] = []): string[] {
  mkdirSync(outDir, { recursive: true });
  const isSecret = (o: KubeObject) => o.kind === 'Secret' && o.metadata.name === CERT_SECRET_NAME;
  const files: Array<[string, string, number]> = [['mizzen.yaml', toYaml(objects.filter((o) => !isSecret(o))), 0o644]];
  const secrets = objects.filter(isSecret);
  if (secrets.length) files.push(['mizzen-certs.yaml', toYaml(secrets), 0o600]);
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: files.map(([name]) => name),
    ...(components.length > 0 ? { components: components.map((c) => relative(resolve(outDir), resolve(c))) } : {}),
  };
  files.push(['kustomization.yaml', `# Rendered by render-manifests from manifests/ and the certificates: do not edit.\n${stringify(kustomization)}`, 0o644]);
  return files.map(([name, text, mode]) => {
    const p = join(outDir, name);
    writeFileSync(p, text, { mode });
    return p;
  });
}

/** The ingress gateway of manifests/gateway/, and where manifests/mtls/ mounts its xDS client SDS file. */
export const Gateway = {
  namespace: 'istio-system',
  clusterName: 'istio-ingressgateway.istio-system',
  labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' },
  /** The ConfigMap istio-ingressgateway-xds-client (manifests/mtls/xds-client.yaml) is mounted here. */
  xdsClientDir: '/etc/istio/xds-client',
  xdsClientFile: 'xds-client.yaml',
} as const;

/** The files of manifests/mtls/ rendered from src/bootstrap/envoy.ts. */
export const MtlsGatewayFiles = { bootstrap: 'gateway-bootstrap.yaml', xdsClient: Gateway.xdsClientFile } as const;

/**
 * The gateway's Envoy bootstrap (node id and cluster come from its command line). Without `mtls`: ADS over plaintext to
 * mesh.xdsAddress. With it: ADS over TLS to mesh.xdsTlsAddress, the server checked against the mesh CA, the gateway's
 * workload certificate (the Secret istio.istio-ingressgateway at /etc/certs) presented through the SDS file
 * xdsClientSds() describes, and node metadata naming those files (mesh mTLS to the services behind it). Pure.
 */
export function gatewayBootstrap(mesh: MeshConfig, mtls: boolean): Record<string, unknown> {
  const metadata = { CLUSTER_ID, NAMESPACE: Gateway.namespace, LABELS: { ...Gateway.labels }, ...(mtls ? certMetadata(MeshCerts.dir) : {}) };
  const base = { logLevel: 'warning', clusterName: Gateway.clusterName, metadata };
  let doc;
  if (mtls) {
    const server = parseHostPort(mesh.xdsTlsAddress);
    if (!server.ok) throw new Error(server.errors.join('; '));
    const xdsTls = { caFile: `${MeshCerts.dir}/${WorkloadCertFiles.root}`, serverName: server.value.host, clientSds: `${Gateway.xdsClientDir}/${Gateway.xdsClientFile}` };
    doc = envoyBootstrap({ ...base, xdsAddress: mesh.xdsTlsAddress, xdsTls });
  } else doc = envoyBootstrap({ ...base, xdsAddress: mesh.xdsAddress });
  // The mesh config was validated when it was resolved: a failure here is a bug.
  if (!doc.ok) throw new Error(doc.errors.join('; '));
  return doc.value;
}

const GENERATED = (what: string) =>
  `# ${what}.\n# Rendered by render-manifests from src/bootstrap/envoy.ts: do not edit (test/packaging/render.test.ts checks it; UPDATE_GOLDEN=1 rewrites it).\n`;

/** The text of manifests/mtls/gateway-bootstrap.yaml and xds-client.yaml, by file name. Pure. */
export function mtlsGatewayFiles(mesh: MeshConfig): Record<string, string> {
  return {
    [MtlsGatewayFiles.bootstrap]: GENERATED("The ingress gateway's Envoy bootstrap with mesh mTLS: replaces bootstrap.yaml of the ConfigMap istio-ingressgateway-bootstrap") + stringify(gatewayBootstrap(mesh, true)),
    [MtlsGatewayFiles.xdsClient]: GENERATED("The gateway's client certificate for xDS as file-based SDS (Envoy re-reads it when the Secret volume at /etc/certs changes)") + stringify(xdsClientSds(MeshCerts.dir)),
  };
}

const HELP = `usage: node dist/src/tools/render-manifests.js --certs-dir DIR --out DIR [--manifests DIR] [--mtls]

Renders manifests/ with the webhook caBundles from DIR/ca.crt and the mizzen-certs Secret from
DIR/tls.crt, tls.key, ca.crt, and mesh-ca.crt, mesh-ca.key when present (as \`mizzen certs\` writes
them), and mesh-roots.crt when present (roots trusted besides the mesh CA, while it is rotated).
Apply with: kubectl apply -k OUT

  --mtls   mesh mTLS: the install applies manifests/mtls/ too (mesh config
           workloadCertificateSecrets, the Secret permissions of manifests/workload-certs/,
           certificates for the ingress gateway, which it also presents on xDS over TLS so
           that mizzen serves it the Secrets its Gateways name); DIR must hold the mesh CA
`;

export function main(argv: string[]): number {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: { 'certs-dir': { type: 'string' }, out: { type: 'string' }, manifests: { type: 'string' }, mtls: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    process.stderr.write(`render-manifests: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values['certs-dir'] || !values.out) {
    process.stderr.write(`render-manifests: --certs-dir and --out are required\n\n${HELP}`);
    return 2;
  }
  try {
    const dir = values['certs-dir'];
    const read = (name: string) => {
      const p = join(dir, name);
      if (!existsSync(p)) throw new Error(`${p}: missing (run \`mizzen certs --out ${dir}\`)`);
      return readFileSync(p, 'utf8');
    };
    const tls: TlsMaterial = { crt: read(CertFiles.cert), key: read(CertFiles.key), ca: read(CertFiles.ca) };
    if (values.mtls || (existsSync(join(dir, CertFiles.meshCaCert)) && existsSync(join(dir, CertFiles.meshCaKey)))) {
      // --mtls: the leader signs workload certificates with it, so it must be there.
      tls.meshCaCrt = read(CertFiles.meshCaCert);
      tls.meshCaKey = read(CertFiles.meshCaKey);
      if (existsSync(join(dir, CertFiles.meshRoots))) tls.meshRoots = read(CertFiles.meshRoots);
    }
    const manifestsDir = values.manifests ?? defaultManifestsDir();
    const objects = renderManifests({ caBundlePem: tls.ca, tls, manifestsDir });
    for (const f of writeRendered(objects, values.out, values.mtls ? [join(manifestsDir, 'mtls')] : [])) process.stdout.write(`wrote ${f}\n`);
    process.stdout.write(`apply with: kubectl apply -k ${values.out}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`render-manifests: ${(e as Error).message}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
