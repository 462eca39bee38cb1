/** render-manifests: caBundles filled from the CA, the mizzen-certs Secret added, files kubectl can apply. */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { certSecret, defaultManifestsDir, fillCaBundles, Gateway, gatewayBootstrap, main, mtlsGatewayFiles, MtlsGatewayFiles, parseObjects, renderManifests, writeRendered, WEBHOOK_KINDS } from '../../src/tools/render-manifests.js';
import type { KubeObject } from '../../src/core/kube.js';
import { testCerts, testCertsDir, tempDir } from '../support/certs.js';
import { captureOutput } from '../support/cli.js';
import { skipWithoutKubectl } from '../support/kubectl.js';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_MESH_CONFIG, resolveMeshConfig, type MeshConfig } from '../../src/config/mesh.js';
import { certMetadata, xdsClientSds, XDS_CLIENT_SECRET } from '../../src/bootstrap/envoy.js';
import { encode, envoyRoot } from '../../src/xds/proto.js';
import { checkPgv } from '../../src/xds/pgv.js';
import { MeshCerts } from '../../src/core/constants.js';
import { workloadCertMount } from '../../src/sources/kube/cert-issuer.js';

const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');


const webhooksOf = (objects: KubeObject[]) => objects.filter((o) => WEBHOOK_KINDS.includes(o.kind)).flatMap((o) => o.webhooks as Array<{ name: string; clientConfig: { caBundle?: string } }>);

describe('render-manifests (pure parts)', () => {
  const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
  const input: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'm' }, webhooks: [{ name: 'a', clientConfig: { service: { name: 'x' }, caBundle: '' } }, { name: 'b' }] },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'v' }, webhooks: [{ name: 'c', clientConfig: { url: 'https://x' } }] },
  ];

  it('fills every caBundle, keeps the rest, and does not touch its input', async () => {
    const before = structuredClone(input);
    const out = fillCaBundles(input, PEM);
    expect(input).to.deep.equal(before);
    expect(webhooksOf(out).map((w) => decode(w.clientConfig.caBundle!))).to.deep.equal([PEM, PEM, PEM]);
    expect((out[1]!.webhooks as any)[0].clientConfig.service).to.deep.equal({ name: 'x' });
    expect((out[2]!.webhooks as any)[0].clientConfig.url).to.equal('https://x');
    expect(out[0]).to.deep.equal(input[0]);
  });

  const badBundles = ['', 'not a pem', '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----'];
  for (const bad of badBundles) {
    it(`refuses a caBundle that is not a certificate: ${JSON.stringify(bad.slice(0, 20))}`, async () => {
      expect(() => fillCaBundles(input, bad)).to.throw('caBundlePem: not a PEM certificate');
    });
  }

  it('builds the TLS Secret with the names the Deployment mounts', async () => {
    const s = certSecret({ crt: PEM, key: '-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n', ca: PEM });
    expect(s).to.deep.include({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls' });
    expect(s.metadata).to.deep.include({ name: 'mizzen-certs', namespace: 'mizzen-system' });
    expect(Object.keys(s.data as object)).to.deep.equal(['tls.crt', 'tls.key', 'ca.crt']);
    expect(() => certSecret({ crt: PEM, key: 'nope', ca: PEM })).to.throw('tls.key: not PEM');
    // With the mesh CA, for --rotate-workload-certs in the cluster.
    const withCa = certSecret({ crt: PEM, key: PEM, ca: PEM, meshCaCrt: PEM, meshCaKey: PEM }) as any;
    expect(Object.keys(withCa.data)).to.deep.equal(['tls.crt', 'tls.key', 'ca.crt', 'mesh-ca.crt', 'mesh-ca.key']);
    expect(Object.keys((certSecret({ crt: PEM, key: PEM, ca: PEM }) as any).data)).to.deep.equal(['tls.crt', 'tls.key', 'ca.crt']);
  });

  it('names the document that is not a Kubernetes object', async () => {
    expect(() => parseObjects('kind: X\n---\n- a\n', 'src')).to.throw('src: document 0 is not a Kubernetes object');
  });
});

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const MTLS_DIR = join(defaultManifestsDir(), 'mtls');

/** The mesh config that manifests/mtls/ gives mizzen. */
function mtlsMesh(): MeshConfig {
  const mesh = resolveMeshConfig(parseYaml(readFileSync(join(MTLS_DIR, 'mesh.yaml'), 'utf8')));
  if (!mesh.ok) throw new Error(mesh.errors.join('; '));
  return mesh.value;
}

describe("render-manifests: the ingress gateway's bootstrap with mesh mTLS (manifests/mtls/)", () => {
  for (const [name, text] of Object.entries(mtlsGatewayFiles(mtlsMesh()))) {
    it(`manifests/mtls/${name} is what src/bootstrap/envoy.ts renders (UPDATE_GOLDEN=1 rewrites it)`, async () => {
      const file = join(MTLS_DIR, name);
      if (UPDATE) writeFileSync(file, text);
      else expect(readFileSync(file, 'utf8'), `${file} is out of date: run the test with UPDATE_GOLDEN=1`).to.equal(text);
    });
  }

  it('renders the base bootstrap too: the one manifests/gateway/gateway.yaml carries (plaintext xDS)', async () => {
    const objects = parseObjects(readFileSync(join(defaultManifestsDir(), 'gateway', 'gateway.yaml'), 'utf8'), 'gateway.yaml') as any[];
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'istio-ingressgateway-bootstrap');
    expect(parseYaml(cm.data['bootstrap.yaml'])).to.deep.equal(gatewayBootstrap(DEFAULT_MESH_CONFIG, false));
  });

  const T = 'envoy.config.bootstrap.v3.Bootstrap';
  it("dials xdsTlsAddress over TLS, checks mizzen's name against the mesh CA, and presents its certificate by the SDS file", async () => {
    const mesh = mtlsMesh();
    const doc = gatewayBootstrap(mesh, true) as any;
    // (Not compared after a round trip: node.metadata, a Struct, decodes in its wire form.)
    expect(() => encode(T, doc)).not.to.throw();
    expect(checkPgv(envoyRoot(), T, doc)).to.deep.equal([]);
    const xds = doc.static_resources.clusters.find((c: any) => c.name === 'xds-grpc');
    const [host, port] = mesh.xdsTlsAddress.split(':');
    expect(xds.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).to.deep.equal({ address: host, port_value: Number(port) });
    const tls = xds.transport_socket.typed_config;
    expect(tls.sni).to.equal(host);
    expect(tls.common_tls_context.validation_context).to.deep.equal({
      trusted_ca: { filename: `${MeshCerts.dir}/root-cert.pem` },
      match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: host } }],
    });
    const [sds] = tls.common_tls_context.tls_certificate_sds_secret_configs;
    expect(sds.name).to.equal(XDS_CLIENT_SECRET);
    expect(sds.sds_config.path_config_source.path).to.equal(`${Gateway.xdsClientDir}/${MtlsGatewayFiles.xdsClient}`);
    // The same node as without mTLS, plus the certificate files for mesh mTLS to the services behind the gateway.
    const plain = gatewayBootstrap(mesh, false) as any;
    expect(doc.node).to.deep.equal({ ...plain.node, metadata: { ...plain.node.metadata, ...certMetadata(MeshCerts.dir) } });
    expect(plain.static_resources.clusters[0].transport_socket, 'the base install stays plaintext').to.equal(undefined);
  });
});

describe('render-manifests (with kubectl)', () => {
  before(function () {
    skipWithoutKubectl(this, 'render-manifests with kubectl');
  });

  it('renders the install with a test CA: every caBundle verifies the serving certificate', async () => {
    const certs = await testCerts();
    const objects = renderManifests({ caBundlePem: certs.serving.ca, tls: { crt: certs.serving.cert, key: certs.serving.key, ca: certs.serving.ca } });
    const hooks = webhooksOf(objects);
    expect(hooks.map((w) => w.name)).to.have.members([
      'sidecar-injector.mizzen.io',
      'rev.namespace.sidecar-injector.mizzen.io',
      'object.sidecar-injector.mizzen.io',
      'rev.object.sidecar-injector.mizzen.io',
      'validation.mizzen.io',
    ]);
    const serving = new X509Certificate(certs.serving.cert);
    for (const w of hooks) {
      const ca = new X509Certificate(decode(w.clientConfig.caBundle!));
      expect(serving.verify(ca.publicKey), `${w.name} caBundle signs the serving cert`).to.equal(true);
    }
    const secret = objects.find((o) => o.kind === 'Secret') as any;
    expect(decode(secret.data['tls.crt'])).to.equal(certs.serving.cert);
    expect(decode(secret.data['ca.crt'])).to.equal(certs.serving.ca);
  });

  it('leaves the Secret out when no TLS material is given', async () => {
    const certs = await testCerts();
    expect(renderManifests({ caBundlePem: certs.serving.ca }).some((o) => o.kind === 'Secret')).to.equal(false);
  });

  it('writes a directory that `kubectl kustomize` accepts, the Secret readable by its owner only', async () => {
    const certs = await testCerts();
    const { dir, cleanup } = tempDir('mizzen-rendered-');
    try {
      const objects = renderManifests({ caBundlePem: certs.serving.ca, tls: { crt: certs.serving.cert, key: certs.serving.key, ca: certs.serving.ca } });
      const files = writeRendered(objects, dir);
      expect(files.map((f) => f.slice(dir.length + 1))).to.deep.equal(['mizzen.yaml', 'mizzen-certs.yaml', 'kustomization.yaml']);
      expect(statSync(join(dir, 'mizzen-certs.yaml')).mode & 0o777).to.equal(0o600);
      const again = parseObjects(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' }), dir);
      expect(again.length).to.equal(objects.length);
      const cm = again.find((o) => o.kind === 'ConfigMap') as any;
      expect(cm.data['bootstrap.yaml']).to.contain('xds-grpc');
    } finally {
      cleanup();
    }
  });

  it('main: renders from a certs directory (what `make manifests` runs)', async () => {
    const c = await testCertsDir();
    const out = tempDir('mizzen-rendered-');
    try {
      const r = await captureOutput(() => main(['--certs-dir', c.dir, '--out', out.dir]));
      expect(r.code, r.err).to.equal(0);
      expect(r.out).to.contain(`kubectl apply -k ${out.dir}`);
      expect(readFileSync(join(out.dir, 'mizzen.yaml'), 'utf8')).not.to.contain('caBundle: ""');
      // The directory has the mesh CA (mizzen certs writes it): the Secret carries it, for --rotate-workload-certs.
      const secret = parseObjects(readFileSync(join(out.dir, 'mizzen-certs.yaml'), 'utf8'), out.dir)[0] as any;
      expect(Buffer.from(secret.data['mesh-ca.crt'], 'base64').toString()).to.equal(c.certs.meshCa.cert);
      expect(secret.data, 'no bundle in the directory, none in the Secret').to.not.have.property('mesh-roots.crt');
      // A rotation under way: the roots trusted besides the mesh CA go into the Secret too, where serve reads them.
      writeFileSync(join(c.dir, 'mesh-roots.crt'), c.certs.serving.ca);
      expect((await captureOutput(() => main(['--certs-dir', c.dir, '--out', out.dir]))).code).to.equal(0);
      const rotating = parseObjects(readFileSync(join(out.dir, 'mizzen-certs.yaml'), 'utf8'), out.dir)[0] as any;
      expect(Buffer.from(rotating.data['mesh-roots.crt'], 'base64').toString()).to.equal(c.certs.serving.ca);
    } finally {
      c.cleanup();
      out.cleanup();
    }
  });

  it('main --mtls: the install turns on sidecar mTLS by Secrets, with their RBAC, and the gateway authenticates to xDS with its own certificate', async () => {
    const c = await testCertsDir();
    const out = tempDir('mizzen-rendered-');
    try {
      const r = await captureOutput(() => main(['--certs-dir', c.dir, '--out', out.dir, '--mtls']));
      expect(r.code, r.err).to.equal(0);
      const objects = parseObjects(execFileSync('kubectl', ['kustomize', out.dir], { encoding: 'utf8' }), out.dir) as any[];
      const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name.startsWith(name));
      // mizzen reads a mesh config that mizzen accepts and that sets workloadCertificateSecrets.
      const mizzen = find('Deployment', 'mizzen').spec.template.spec;
      expect(mizzen.containers[0].args.slice(-2)).to.deep.equal(['--mesh-config', '/etc/mizzen/mesh/mesh.yaml']);
      const meshVolume = mizzen.volumes.find((v: any) => v.name === 'mesh');
      const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === meshVolume.configMap.name);
      const mesh = resolveMeshConfig(parseYaml(cm.data['mesh.yaml']));
      expect(mesh.ok && mesh.value.workloadCertificateSecrets).to.equal(true);
      expect(find('ClusterRole', 'mizzen-workload-certs').rules[0].verbs).to.include('create');
      // The gateway mounts the Secret the leader issues for its service account.
      const gateway = find('Deployment', 'istio-ingressgateway').spec.template;
      const proxy = gateway.spec.containers[0];
      expect(proxy.volumeMounts).to.deep.include({ name: 'istio-certs', mountPath: MeshCerts.dir, readOnly: true });
      const mount = workloadCertMount({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'gw', namespace: 'istio-system' }, spec: gateway.spec }, 'cluster.local');
      expect(mount).to.deep.include({ ok: true, name: 'istio.istio-ingressgateway', serviceAccount: gateway.spec.serviceAccountName });
      // Its bootstrap is replaced whole (no --config-yaml merge, which would append a second xds-grpc cluster).
      expect(proxy.args, 'nothing merged over the bootstrap file').not.to.include('--config-yaml');
      const mounted = (path: string): any => {
        const m = proxy.volumeMounts.find((v: any) => v.mountPath === dirname(path));
        expect(m, `a volume mounted at ${dirname(path)}`).to.not.equal(undefined);
        expect(m.readOnly).to.equal(true);
        return gateway.spec.volumes.find((v: any) => v.name === m.name);
      };
      const configMap = (path: string): string => {
        const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === mounted(path).configMap.name && o.metadata.namespace === 'istio-system');
        expect(cm, `the ConfigMap mounted for ${path}`).to.not.equal(undefined);
        return cm.data[basename(path)];
      };
      const bootstrap = parseYaml(configMap(proxy.args[proxy.args.indexOf('-c') + 1]));
      expect(bootstrap, 'the rendered bootstrap').to.deep.equal(gatewayBootstrap(mesh.ok ? mesh.value : DEFAULT_MESH_CONFIG, true));
      expect(bootstrap.node.metadata).to.deep.include(certMetadata(MeshCerts.dir));
      // The SDS file it names is mounted, names the Secret the bootstrap asks for, and the files of the certificate Secret.
      const sds = bootstrap.static_resources.clusters.find((x: any) => x.name === 'xds-grpc').transport_socket.typed_config.common_tls_context.tls_certificate_sds_secret_configs[0];
      expect(parseYaml(configMap(sds.sds_config.path_config_source.path))).to.deep.equal(xdsClientSds(MeshCerts.dir));
      expect(sds.sds_config.path_config_source.watched_directory.path).to.equal(dirname(sds.sds_config.path_config_source.path));
      expect(mounted(`${MeshCerts.dir}/cert-chain.pem`).secret.secretName).to.equal('istio.istio-ingressgateway');
    } finally {
      c.cleanup();
      out.cleanup();
    }
  });

  const failures: Array<{ name: string; argv: (empty: string, certs: string) => string[]; code: number; message: string }> = [
    { name: 'no flags', argv: () => [], code: 2, message: '--certs-dir and --out are required' },
    { name: 'an unknown flag', argv: () => ['--nope'], code: 2, message: "Unknown option '--nope'" },
    { name: 'an empty certs directory', argv: (e) => ['--certs-dir', e, '--out', join(e, 'out')], code: 1, message: 'tls.crt: missing (run `mizzen certs' },
    { name: 'a manifests directory that is not a kustomization', argv: (e, c) => ['--certs-dir', c, '--out', join(e, 'out'), '--manifests', e], code: 1, message: `kubectl kustomize` },
  ];
  for (const t of failures) {
    it(`main: exits ${t.code} on ${t.name}`, async () => {
      const empty = tempDir('mizzen-render-bad-');
      const c = await testCertsDir();
      try {
        const r = await captureOutput(() => main(t.argv(empty.dir, c.dir)));
        expect(r.code).to.equal(t.code);
        expect(r.err).to.contain(t.message);
      } finally {
        empty.cleanup();
        c.cleanup();
      }
    });
  }
});
