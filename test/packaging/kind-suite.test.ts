/**
 * The kind suite cannot run here (no Docker engine, no kind): check that its scripts parse,
 * that it skips with a message saying why, and that its pure helpers judge pages and splits right.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createVerify, generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateObject } from '../../src/validation/index.js';
import { buildSnapshot } from '../../src/model/snapshot.js';
import type { KubeObject } from '../../src/core/kube.js';
import { policiesFor } from '../../src/xds/gen/authz.js';
import { jwtFilterOf } from '../../src/xds/gen/jwt.js';
import { generate } from '../../src/xds/gen/index.js';
import { parseNode } from '../../src/model/proxy.js';
import { resolveMeshConfig, snapshotOptions } from '../../src/config/mesh.js';
import { ROOT_NAMESPACES, TypeUrls } from '../../src/core/constants.js';
import { gatewayDeployments } from '../../src/model/gateway-api-deploy.js';
import { parseDocuments } from '../../src/core/documents.js';
import { injectedPodProblems, hasNoSidecar, reviewsVersion, splitWithin, count, INVALID_VIRTUAL_SERVICE, optOutPod, signJwt, gatewayJwtPolicies, MESH_ACCESS_LOGS, GATEWAY_LUA_FILTER, LUA_HEADER, type PodLike, STRICT_MTLS, PLAIN_NAMESPACE, plainClientPod, plainClientResult, probedPod, HTTPS_HOST, HTTPS_CLIENT_NAMESPACE, HTTPS_VIRTUAL_SERVICE, HTTPS_CLIENT_SCRIPT, GATEWAY_HTTPS, CREDENTIAL, httpsGateway, credentialSecret, caSecret, httpsClientEnv, httpsClientPod, httpsClientResult, type HttpsTarget, PROXY_CONFIG, proxyConfigPod, proxyConfigProblems, GATEWAY_API_BOOKINFO, GATEWAY_API_HOST, GAMMA_REVIEWS_V3, conditionStatus, DEPLOYED_GATEWAY, DEPLOYED_GATEWAY_WORKLOAD, DEPLOYED_GATEWAY_OPTIONS, GATEWAY_API_DEPLOYED } from '../e2e/kind/lib.js';
import { createServer, type Server } from 'node:https';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { generateCa, generateServingCert, signLeaf, type KeyPair } from '../../src/certs/generate.js';
import { injectPod } from '../../src/inject/index.js';
import { proxyConfigLookup } from '../../src/inject/proxy-configs.js';
import { decideInjection } from '../../src/inject/policy.js';
import { DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const KIND_DIR = join(REPO, 'test', 'e2e', 'kind');

function sh(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd: REPO, env, encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

function which(cmd: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(':')) if (d && existsSync(join(d, cmd))) return join(d, cmd);
  return undefined;
}

describe('kind end-to-end suite (test/e2e/kind)', () => {
  const scripts = readdirSync(KIND_DIR).filter((f) => f.endsWith('.sh'));

  it('has run.sh', async () => {
    expect(scripts).to.include('run.sh');
  });
  for (const s of scripts) {
    it(`${s} parses (bash -n)`, async () => {
      const r = await sh('bash', ['-n', join(KIND_DIR, s)]);
      expect(r.code, r.stderr).to.equal(0);
    });
  }

  describe('skips with a message where the tools are missing', () => {
    let bin = '';
    let calls = '';
    /** Fake tools record their calls; `docker info` fails unless told otherwise. */
    const fake = (name: string, body = 'exit 0') => {
      const p = join(bin, name);
      writeFileSync(p, `#!/bin/bash\necho "${name} $*" >> "${calls}"\n${body}\n`);
      chmodSync(p, 0o755);
    };
    beforeEach(() => {
      bin = mkdtempSync(join(tmpdir(), 'mizzen-kind-path-'));
      calls = join(bin, 'calls.log');
      writeFileSync(calls, '');
      // Only what the script needs before it decides to skip; no docker, kind or kubectl.
      for (const tool of ['bash', 'sed', 'dirname', 'mktemp', 'rm', 'grep']) {
        const real = which(tool);
        if (real) symlinkSync(real, join(bin, tool));
      }
    });
    afterEach(() => rmSync(bin, { recursive: true, force: true }));

    const cases: Array<{ name: string; setup: () => void; message: string }> = [
      { name: 'no docker', setup: () => undefined, message: 'e2e-kind: SKIPPED: docker is not installed' },
      { name: 'docker but no kind', setup: () => fake('docker'), message: 'e2e-kind: SKIPPED: kind is not installed' },
      { name: 'docker and kind but no kubectl', setup: () => (fake('docker'), fake('kind')), message: 'e2e-kind: SKIPPED: kubectl is not installed' },
      {
        name: 'docker without a running engine',
        setup: () => (fake('docker', '[ "$1" = info ] && { echo "Cannot connect to the Docker daemon" >&2; exit 1; }; exit 0'), fake('kind'), fake('kubectl')),
        message: "e2e-kind: SKIPPED: docker is installed but its engine is not reachable ('docker info' failed)",
      },
    ];
    for (const t of cases) {
      it(`${t.name}: exits 0 saying so, touching nothing`, async () => {
        t.setup();
        const r = await sh(join(bin, 'bash'), [join(KIND_DIR, 'run.sh')], { PATH: bin, HOME: bin });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.contain(t.message);
        const invoked = readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean);
        expect(invoked.filter((c) => c !== 'docker info'), 'no cluster or image commands').to.deep.equal([]);
      });
    }
  });

  describe('helpers', () => {
    const page = (reviews: string) => `<html><h4>Book Reviews</h4>${reviews}</html>`;
    const pages: Array<[string, string, string]> = [
      ['the pod name', page('<dd>Reviews served by:</dd><u>reviews-v2-5b667bcbf8-x7k2p</u>'), 'v2'],
      ['red stars', page('<font color="red"><span class="glyphicon glyphicon-star"></span></font>'), 'v3'],
      ['black stars', page('<font color="black"><span class="glyphicon glyphicon-star"></span></font>'), 'v2'],
      ['no stars', page('<p>An extremely entertaining play by Shakespeare.</p><small>Reviewer1</small>'), 'v1'],
      ['an error', page('<h4>Error fetching product reviews!</h4>'), 'error'],
      ['something else', '<html>upstream connect error</html>', 'unknown'],
    ];
    for (const [name, html, want] of pages) {
      it(`reads the reviews version from ${name}`, async () => {
        expect(reviewsVersion(html)).to.equal(want);
      });
    }

    const splits: Array<[string, Record<string, number>, boolean]> = [
      ['exactly 90/10', { v1: 270, v2: 30 }, true],
      ['within tolerance', { v1: 255, v2: 45 }, true],
      ['v2 too often', { v1: 240, v2: 60 }, false],
      ['an unexpected version', { v1: 260, v2: 20, v3: 20 }, false],
      ['nothing', {}, false],
    ];
    for (const [name, counts, ok] of splits) {
      it(`judges a 90/10 split: ${name}`, async () => {
        const v = splitWithin(counts, { v1: 0.9, v2: 0.1 }, 0.06);
        expect(v.ok, v.detail).to.equal(ok);
      });
    }
    it('counts', async () => {
      expect(count(['v1', 'v2', 'v1'])).to.deep.equal({ v1: 2, v2: 1 });
    });

    it('tells injected pods from others', async () => {
      const ready = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
      const injected: PodLike = { metadata: { name: 'a' }, spec: { initContainers: [{ name: 'istio-init' }], containers: [{ name: 'app' }, { name: 'istio-proxy' }] }, status: ready };
      const native: PodLike = { metadata: { name: 'b' }, spec: { initContainers: [{ name: 'istio-init' }, { name: 'istio-proxy', restartPolicy: 'Always' }], containers: [{ name: 'app' }] }, status: ready };
      const bare: PodLike = { metadata: { name: 'c' }, spec: { containers: [{ name: 'app' }] }, status: { phase: 'Pending' } };
      expect(injectedPodProblems(injected)).to.deep.equal([]);
      expect(injectedPodProblems(native)).to.deep.equal([]);
      expect(injectedPodProblems(bare)).to.deep.equal(['c: no istio-init init container', 'c: no istio-proxy container', 'c: not Ready (phase Pending)']);
      expect(hasNoSidecar(bare)).to.equal(true);
      expect(hasNoSidecar(injected)).to.equal(false);
    });

    it('opts pods out by label or by annotation', async () => {
      const l = optOutPod('x', 'label') as any;
      const a = optOutPod('y', 'annotation') as any;
      expect(l.metadata.labels['sidecar.istio.io/inject']).to.equal('false');
      expect(l.metadata.annotations).to.equal(undefined);
      expect(a.metadata.annotations['sidecar.istio.io/inject']).to.equal('false');
      expect(a.metadata.labels['sidecar.istio.io/inject']).to.equal(undefined);
    });

    it("its Gateway API objects become, on the install's ingress gateway and Bookinfo, the listener and routes the checks expect", async () => {
      const read = (...p: string[]): KubeObject[] => parseDocuments(readFileSync(join(REPO, ...p), 'utf8')).map((d) => d.value as KubeObject);
      const objects = [
        ...read('manifests', 'gateway', 'gateway.yaml'),
        ...read('..', 'shared', 'samples', 'bookinfo', 'platform', 'bookinfo.yaml'),
        ...read('..', 'shared', 'samples', 'bookinfo', 'platform', 'bookinfo-versions.yaml'),
        ...(GATEWAY_API_BOOKINFO as KubeObject[]),
        GAMMA_REVIEWS_V3 as KubeObject,
      ];
      const snap = buildSnapshot(objects);
      const gw = snap.gateways.find((g) => g.name.startsWith('bookinfo-gateway-api'));
      expect(gw?.spec).to.deep.equal({ selector: { app: 'istio-ingressgateway', istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [`*/${GATEWAY_API_HOST}`] }] });
      const routes = snap.virtualServices.filter((v) => v.name.endsWith('.gateway-api'));
      expect(routes.map((v) => [v.spec.hosts[0], v.spec.http.map((h: any) => h.route?.[0]?.destination.host)])).to.deep.equal([
        ['reviews.default.svc.cluster.local', ['reviews-v3.default.svc.cluster.local']],
        [GATEWAY_API_HOST, ['productpage.default.svc.cluster.local', 'productpage.default.svc.cluster.local']],
      ]);
      expect(conditionStatus({ status: { conditions: [{ type: 'Programmed', status: 'True' }] } }, 'Programmed')).to.equal('True');
      expect(conditionStatus({}, 'Programmed')).to.equal('absent');
    });

    it('its Gateway for --deploy-gateways gets a ClusterIP Service, a router Deployment and the PodDisruptionBudget of its ConfigMap, of that name, and the Bookinfo route', async () => {
      const read = (...p: string[]): KubeObject[] => parseDocuments(readFileSync(join(REPO, ...p), 'utf8')).map((d) => d.value as KubeObject);
      const [gateway, route] = GATEWAY_API_DEPLOYED as KubeObject[];
      const customization = { configMaps: [DEPLOYED_GATEWAY_OPTIONS as KubeObject], controlPlaneNamespace: 'mizzen-system' };
      const plans = gatewayDeployments([{ ...gateway!, metadata: { ...gateway!.metadata, uid: 'u1' } }], [], { mesh: DEFAULT_MESH_CONFIG, customization });
      expect(plans).to.have.length(1);
      if (!plans[0]!.ok) throw new Error(plans[0]!.errors.join());
      const [, deployment, service, pdb] = plans[0]!.value.objects as any[];
      expect([deployment.metadata.name, service.metadata.name, service.spec.type]).to.deep.equal([DEPLOYED_GATEWAY_WORKLOAD, DEPLOYED_GATEWAY_WORKLOAD, 'ClusterIP']);
      expect([pdb.kind, pdb.metadata.name, pdb.spec.minAvailable]).to.deep.equal(['PodDisruptionBudget', DEPLOYED_GATEWAY_WORKLOAD, 1]);
      expect(deployment.spec.template.metadata.labels, 'the PDB selects its pods').to.include(pdb.spec.selector.matchLabels);
      expect(service.spec.ports.map((p: any) => p.port)).to.deep.equal([15021, 80]);
      const snap = buildSnapshot([...read('..', 'shared', 'samples', 'bookinfo', 'platform', 'bookinfo.yaml'), gateway!, route!]);
      const vs = snap.virtualServices.filter((v) => v.name.startsWith(`${DEPLOYED_GATEWAY}.`));
      expect(vs.map((v) => v.spec.http.map((h: any) => h.route[0].destination.host))).to.deep.equal([['productpage.default.svc.cluster.local', 'productpage.default.svc.cluster.local']]);
      expect(snap.gateways.find((g) => g.namespace === 'default' && g.name.startsWith(DEPLOYED_GATEWAY))?.spec.selector).to.deep.equal(deployment.spec.selector.matchLabels);
    });

    it('its ProxyConfig is valid, and the pod it selects, injected with it, passes the check (and without it, does not)', async () => {
      expect(validateObject(PROXY_CONFIG).errors).to.deep.equal([]);
      const mesh = DEFAULT_MESH_CONFIG;
      const withIt = injectPod(proxyConfigPod() as KubeObject, { namespace: 'default', mesh, proxyConfigs: proxyConfigLookup([PROXY_CONFIG]) });
      const without = injectPod(proxyConfigPod() as KubeObject, { namespace: 'default', mesh });
      if (!withIt.ok || !without.ok) throw new Error('injection failed');
      expect(proxyConfigProblems(withIt.value.pod as PodLike)).to.deep.equal([]);
      expect(proxyConfigProblems(without.value.pod as PodLike)).to.deep.equal(['--concurrency is 2, not 3', "no MIZZEN_E2E=proxyconfig in istio-proxy's environment"]);
    });

    it('signs RS256 tokens that verify with the public key only, for the kid it names', async () => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const token = signJwt({ iss: 'i', sub: 's' }, privateKey, 'k1');
      const [h, p, sig] = token.split('.') as [string, string, string];
      expect(JSON.parse(Buffer.from(h, 'base64url').toString())).to.deep.equal({ alg: 'RS256', typ: 'JWT', kid: 'k1' });
      expect(JSON.parse(Buffer.from(p, 'base64url').toString())).to.deep.equal({ iss: 'i', sub: 's' });
      expect(createVerify('RSA-SHA256').update(`${h}.${p}`).verify(publicKey, Buffer.from(sig, 'base64url'))).to.equal(true);
      const { publicKey: other } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      expect(createVerify('RSA-SHA256').update(`${h}.${p}`).verify(other, Buffer.from(sig, 'base64url'))).to.equal(false);
    });

    it('its JWT policies are valid Istio resources, and generate a jwt_authn filter on the gateway', async () => {
      const policies = gatewayJwtPolicies('https://issuer.example.com', JSON.stringify({ keys: [{ kty: 'RSA', e: 'AQAB', n: 'abc', kid: 'e2e' }] }));
      for (const p of policies) expect(validateObject(p).errors).to.deep.equal([]);
      const snap = buildSnapshot(policies as KubeObject[]);
      const selected = policiesFor(snap.requestAuthentications, 'istio-system', { istio: 'ingressgateway' }, ROOT_NAMESPACES);
      expect(jwtFilterOf(snap, selected, 'istio-system')?.typed_config.providers['origins-0']).to.include({ issuer: 'https://issuer.example.com' });
      expect(policiesFor(snap.authorizationPolicies, 'istio-system', { istio: 'ingressgateway' }, ROOT_NAMESPACES)).to.have.length(1);
    });

    it("its EnvoyFilter is valid and puts its Lua filter before the router of the gateway's connection managers only", async () => {
      const filter = structuredClone(GATEWAY_LUA_FILTER) as unknown as KubeObject;
      const report = validateObject(filter);
      expect(report.errors).to.deep.equal([]);
      expect(report.warnings, 'only the warning every EnvoyFilter gets').to.have.length(1);
      const gateway = parseDocuments(readFileSync(join(REPO, '../shared/samples/bookinfo/networking/bookinfo-gateway.yaml'), 'utf8')).map((d) => d.value as KubeObject);
      const platform = parseDocuments(readFileSync(join(REPO, '../shared/samples/bookinfo/platform/bookinfo.yaml'), 'utf8')).map((d) => d.value as KubeObject);
      const snap = buildSnapshot([...platform, ...gateway, filter]);
      const filters = (id: string, labels: Record<string, string>) => {
        const node = parseNode({ id, metadata: { LABELS: labels } });
        if (!node.ok) throw new Error(node.errors.join());
        return generate(snap, node.value, TypeUrls.listener).flatMap((l: any) => (l.resource.filter_chains ?? []).flatMap((c: any) => c.filters)).filter((f: any) => f.typed_config?.http_filters);
      };
      const gw = filters('router~10.244.0.20~istio-ingressgateway-5b7c8d9f6-ghijk.istio-system~istio-system.svc.cluster.local', { istio: 'ingressgateway' });
      expect(gw).to.not.be.empty;
      for (const f of gw) {
        const names = f.typed_config.http_filters.map((h: any) => h.name);
        expect(names.slice(-2)).to.deep.equal(['envoy.filters.http.lua', 'envoy.filters.http.router']);
        expect(f.typed_config.http_filters.at(-2).typed_config.default_source_code.inline_string).to.contain(LUA_HEADER);
      }
      const sidecar = filters('sidecar~10.244.0.16~productpage-v1-9c1a0f8e2-fghij.default~default.svc.cluster.local', { app: 'productpage' });
      expect(sidecar).to.not.be.empty;
      for (const f of sidecar) expect(f.typed_config.http_filters.map((h: any) => h.name)).to.not.include('envoy.filters.http.lua');
    });

    it("its Telemetry is a valid resource that puts an access log on the gateway's connection managers", async () => {
      const telemetry = structuredClone(MESH_ACCESS_LOGS) as unknown as KubeObject;
      expect(validateObject(telemetry)).to.deep.equal({ errors: [], warnings: [] });
      const mesh = resolveMeshConfig({});
      if (!mesh.ok) throw new Error(mesh.errors.join());
      const gateway = parseDocuments(readFileSync(join(REPO, '../shared/samples/bookinfo/networking/bookinfo-gateway.yaml'), 'utf8')).map((d) => d.value as KubeObject);
      const snap = buildSnapshot([...gateway, telemetry], snapshotOptions(mesh.value));
      const node = parseNode({ id: 'router~10.244.0.20~istio-ingressgateway-5b7c8d9f6-ghijk.istio-system~istio-system.svc.cluster.local', metadata: { LABELS: { istio: 'ingressgateway' } } });
      if (!node.ok) throw new Error(node.errors.join());
      const hcms = generate(snap, node.value, TypeUrls.listener).flatMap((l: any) => l.resource.filter_chains.flatMap((c: any) => c.filters));
      expect(hcms).to.not.be.empty;
      for (const f of hcms) expect(f.typed_config.access_log?.[0]?.typed_config.path).to.equal('/dev/stdout');
    });

    it('its mTLS check: a valid STRICT policy, a plain client that is never injected, and its log read right', async () => {
      expect(validateObject(structuredClone(STRICT_MTLS) as unknown as KubeObject).errors).to.deep.equal([]);
      const pod = plainClientPod('c', 'img:1', 'http://productpage.default:9080/productpage') as unknown as KubeObject;
      expect(pod.metadata.namespace).to.equal(PLAIN_NAMESPACE);
      expect(decideInjection(pod, { mesh: DEFAULT_MESH_CONFIG, namespace: PLAIN_NAMESPACE }).inject, 'labelled sidecar.istio.io/inject=false').to.equal(false);
      expect(plainClientResult('200\n')).to.deep.equal({ status: 200 });
      expect(plainClientResult('ERR ECONNRESET\n')).to.deep.equal({ error: 'ECONNRESET' });
      expect(plainClientResult('')).to.equal(undefined);
      // The probed pod, injected with mesh certificates: its readiness probe asks the sidecar.
      const mesh = resolveMeshConfig({ workloadCertificateSecrets: true });
      if (!mesh.ok) throw new Error(mesh.errors.join());
      const injected = injectPod(probedPod('p', 'img:1') as unknown as KubeObject, { namespace: 'default', mesh: mesh.value });
      if (!injected.ok) throw new Error(injected.errors.join());
      const web = (injected.value.pod.spec.containers as any[]).find((c) => c.name === 'web');
      expect(web.readinessProbe.httpGet).to.deep.equal({ path: '/app-health/web/readyz', port: 15020, scheme: 'HTTP' });
    });

    describe("its HTTPS Gateway by credentialName (the gateway authenticates on xDS over TLS: manifests/mtls/)", () => {
      let ca: KeyPair;
      let server: KeyPair;
      let client: KeyPair;
      before(async () => {
        ca = await generateCa('kind-suite test CA', 1);
        server = await generateServingCert(ca, [HTTPS_HOST], 1);
        client = await signLeaf(ca, { subject: [{ name: 'commonName', value: 'client' }], days: 1, usages: { clientAuth: true }, altNames: [{ type: 2, value: 'client.example.com' }] });
      });

      const ROUTER = 'router~10.244.0.20~istio-ingressgateway-5b7c8d9f6-ghijk.istio-system~istio-system.svc.cluster.local';
      for (const mode of ['SIMPLE', 'MUTUAL'] as const) {
        it(`${mode}: valid resources; the gateway listens on the Service's targetPort of 443 and asks SDS for the credential`, async () => {
          const gw = structuredClone(httpsGateway(mode)) as unknown as KubeObject;
          const vs = structuredClone(HTTPS_VIRTUAL_SERVICE) as unknown as KubeObject;
          for (const o of [gw, vs]) expect(validateObject(o).errors, o.kind).to.deep.equal([]);
          const install = parseDocuments(readFileSync(join(REPO, 'manifests', 'gateway', 'gateway.yaml'), 'utf8')).map((d) => d.value as KubeObject);
          const service = install.find((o) => o.kind === 'Service')!;
          const port = (service.spec.ports as Array<{ port: number; targetPort: number }>).find((p) => p.port === GATEWAY_HTTPS.port);
          expect(port, 'the gateway Service exposes 443').to.not.equal(undefined);
          const platform = parseDocuments(readFileSync(join(REPO, '../shared/samples/bookinfo/platform/bookinfo.yaml'), 'utf8')).map((d) => d.value as KubeObject);
          const snap = buildSnapshot([...platform, service, gw, vs]);
          const node = parseNode({ id: ROUTER, metadata: { LABELS: { app: 'istio-ingressgateway', istio: 'ingressgateway' } } });
          if (!node.ok) throw new Error(node.errors.join());
          const listener = generate(snap, node.value, TypeUrls.listener).find((l: any) => l.resource.address.socket_address.port_value === port!.targetPort);
          expect(listener, `a listener on ${port!.targetPort}`).to.not.equal(undefined);
          const sds = [...new Set(JSON.stringify(listener!.resource).match(/kubernetes:\/\/[a-z0-9-]+/g))].sort();
          expect(sds).to.deep.equal(mode === 'SIMPLE' ? [`kubernetes://${CREDENTIAL}`] : [`kubernetes://${CREDENTIAL}`, `kubernetes://${CREDENTIAL}-cacert`]);
          const routes = JSON.stringify(generate(snap, node.value, TypeUrls.route));
          expect(routes).to.contain(HTTPS_HOST).and.to.contain('outbound|9080||productpage.default.svc.cluster.local');
        });
      }

      it('its Secrets carry the certificate, its key and the CA in the keys Istio reads', async () => {
        const pem = (s: any, k: string) => Buffer.from(s.data[k], 'base64').toString('utf8');
        const tls = credentialSecret(server) as any;
        expect(tls.metadata).to.deep.equal({ name: CREDENTIAL, namespace: 'istio-system' });
        expect(new X509Certificate(pem(tls, 'tls.crt')).checkHost(HTTPS_HOST)).to.equal(HTTPS_HOST);
        expect(pem(tls, 'tls.key')).to.equal(server.key);
        const cacert = caSecret(ca.cert) as any;
        expect(cacert.metadata.name).to.equal(`${CREDENTIAL}-cacert`);
        expect(pem(cacert, 'ca.crt')).to.equal(ca.cert);
      });

      /** Runs the client script as the pod would, against a local HTTPS server. */
      const runClient = (target: HttpsTarget) =>
        new Promise<ReturnType<typeof httpsClientResult>>((done, failed) => {
          execFile(process.execPath, ['-e', HTTPS_CLIENT_SCRIPT], { env: { PATH: process.env.PATH ?? '', ...httpsClientEnv(target) }, timeout: 20_000 }, (err, stdout) =>
            err ? failed(err) : done(httpsClientResult(stdout)),
          );
        });
      const serve = async (mutual: boolean): Promise<Server> => {
        const s = createServer({ cert: server.cert, key: server.key, ...(mutual ? { ca: ca.cert, requestCert: true, rejectUnauthorized: true } : {}) }, (req, res) => res.end(`${req.headers.host} ${req.url}`));
        await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
        return s;
      };
      // `error`: what Node says (the suite only needs some error; the codes show each case fails for its own reason).
      const cases: Array<{ name: string; mutual: boolean; target: (t: HttpsTarget) => HttpsTarget; error?: string }> = [
        { name: 'SIMPLE: trusts the server by the CA and the name', mutual: false, target: (t) => t },
        { name: 'SIMPLE: refuses a server its CA did not sign', mutual: false, target: (t) => ({ ...t, ca: client.cert }), error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
        { name: 'SIMPLE: refuses a server certificate for another name', mutual: false, target: (t) => ({ ...t, servername: 'other.example.com' }), error: 'ERR_TLS_CERT_ALTNAME_INVALID' },
        { name: 'MUTUAL: without a client certificate, refused', mutual: true, target: (t) => t, error: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' },
        { name: 'MUTUAL: with one, served', mutual: true, target: (t) => ({ ...t, client }) },
      ];
      for (const t of cases) {
        it(`its HTTPS client (curl --resolve --cacert [--cert]) ${t.name}`, async () => {
          const s = await serve(t.mutual);
          try {
            const target = t.target({ host: '127.0.0.1', port: (s.address() as AddressInfo).port, servername: HTTPS_HOST, path: '/productpage', ca: ca.cert });
            const r = await runClient(target);
            expect(r).to.deep.equal(t.error ? { error: t.error } : { status: 200, body: `${target.servername} /productpage` });
          } finally {
            s.close();
          }
        });
      }

      it('its HTTPS client pod has no sidecar and reads its settings from the environment', async () => {
        const pod = httpsClientPod('c', 'img:1', { ...GATEWAY_HTTPS, servername: HTTPS_HOST, path: '/productpage', ca: ca.cert, client }) as unknown as KubeObject;
        expect(pod.metadata.namespace).to.equal(HTTPS_CLIENT_NAMESPACE);
        expect(decideInjection(pod, { mesh: DEFAULT_MESH_CONFIG, namespace: HTTPS_CLIENT_NAMESPACE }).inject).to.equal(false);
        const env = Object.fromEntries((pod.spec.containers[0].env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]));
        expect(env).to.include({ E2E_HOST: GATEWAY_HTTPS.host, E2E_PORT: '443', E2E_SNI: HTTPS_HOST, E2E_CA: ca.cert, E2E_CERT: client.cert });
        expect(httpsClientResult('{"error":"ECONNRESET"}\n')).to.deep.equal({ error: 'ECONNRESET' });
        expect(httpsClientResult('starting\n')).to.equal(undefined);
      });
    });

    it("uses a VirtualService that mizzen's validator rejects naming the field", async () => {
      const report = validateObject(INVALID_VIRTUAL_SERVICE.object);
      expect(report.errors.some((e) => e.startsWith(`${INVALID_VIRTUAL_SERVICE.field}:`)), report.errors.join('; ')).to.equal(true);
    });
  });
});
