/**
 * Bookinfo through a simulated kube-apiserver: the webhook configurations come from the rendered manifests
 * (caBundle = the test CA), calls go over TLS verified under mizzen.mizzen-system.svc, patches are applied
 * with `kubectl patch --local`. The webhook is a real `mizzen serve` (startServe) with its real injector and validator.
 */
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import fjp from 'fast-json-patch';
import { renderManifests } from '../../src/tools/render-manifests.js';
import { startServe, type RunningServe } from '../../src/cmd/serve.js';
import { DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';
import { silentLogger } from '../../src/core/log.js';
import type { KubeObject } from '../../src/core/kube.js';
import { samplesDir, workloadPods, readObjects } from '../../src/demo/inject.js';
import { ApiServerSim, type AdmitResult, type Namespace } from '../support/apiserver-sim.js';
import { testCertsDir, testCerts } from '../support/certs.js';
import { skipWithoutKubectl } from '../support/kubectl.js';

const names = (l: Array<{ name: string }> | undefined) => (l ?? []).map((c) => c.name);
const NAMESPACES: Namespace[] = [
  { name: 'bookinfo', labels: { 'istio-injection': 'enabled' } },
  { name: 'plain' },
  { name: 'kube-system', labels: { 'istio-injection': 'enabled' } },
  { name: 'revision', labels: { 'istio.io/rev': 'default' } },
  { name: 'disabled', labels: { 'istio-injection': 'disabled' } },
];

function expectAllowed(r: AdmitResult): asserts r is Extract<AdmitResult, { allowed: true }> {
  expect(r.allowed, r.allowed ? '' : (r as { message: string }).message).to.equal(true);
}

describe('API-server simulation', function () {
  this.timeout(60_000);
  let running: RunningServe;
  let fixture: Awaited<ReturnType<typeof testCertsDir>>;
  let manifests: KubeObject[];
  let sim: ApiServerSim;

  before(async function () {
    skipWithoutKubectl(this, 'the API-server simulation');
    fixture = await testCertsDir();
    running = await startServe({ webhookPort: 0, monitoringPort: 0, host: '127.0.0.1', certsDir: fixture.dir, mesh: DEFAULT_MESH_CONFIG, log: silentLogger });
    manifests = renderManifests({ caBundlePem: fixture.certs.serving.ca });
    sim = new ApiServerSim({
      manifests,
      namespaces: NAMESPACES,
      resolve: (svc) => {
        expect(svc).to.deep.equal({ name: 'mizzen', namespace: 'mizzen-system', port: 443 });
        return { host: '127.0.0.1', port: running.ports.webhook };
      },
    });
  });
  after(async () => {
    await running?.shutdown();
    fixture?.cleanup();
  });

  it('reads both webhook configurations from the manifests', async () => {
    expect(sim.mutating.map((c) => c.webhook.name)).to.have.length(4);
    expect(sim.validating.map((c) => c.webhook.name)).to.have.length.greaterThan(0);
  });

  describe('every Bookinfo platform pod, as its controller creates it', () => {
    const platform = join(samplesDir(), 'platform');
    const pods = readdirSync(platform)
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => workloadPods(join(platform, f), 'bookinfo', false).map((p) => ({ file: f, ...p })));

    it('has pods to test', async () => expect(pods.length).to.be.greaterThan(6));

    for (const p of pods) {
      it(`${p.file}: ${p.workload} in a labelled namespace is injected`, async () => {
        const r = await sim.admit(p.pod, { namespace: 'bookinfo' });
        expectAllowed(r);
        expect(r.calls.map((c) => c.webhook)).to.deep.equal(['sidecar-injector.mizzen.io']);
        const out = r.object!;
        expect(out.metadata.name).to.equal(undefined);
        expect(out.metadata.generateName).to.equal(p.pod.metadata.generateName);
        expect(out.metadata.annotations!['sidecar.istio.io/status']).to.be.a('string');
        expect(out.metadata.labels!['security.istio.io/tlsMode']).to.equal('istio');
        const all = [...names(out.spec.containers), ...names(out.spec.initContainers)];
        expect(all).to.include('istio-proxy').and.include('istio-init');
        // The user's containers are untouched, in order.
        expect(out.spec.containers.slice(0, p.pod.spec.containers.length)).to.deep.equal(p.pod.spec.containers);
        // kubectl's JSON-patch and fast-json-patch agree on our patch.
        expect(fjp.applyPatch(structuredClone(p.pod), r.calls[0]!.patch as fjp.Operation[], true, false).newDocument).to.deep.equal(out);
      });
    }

    it('a pod injected once comes back unchanged when sent again (no patch)', async () => {
      const first = await sim.admit(pods[0]!.pod, { namespace: 'bookinfo' });
      expectAllowed(first);
      const again = await sim.admit(first.object, { namespace: 'bookinfo' });
      expectAllowed(again);
      expect(again.calls[0]!.response!.patch).to.equal(undefined);
      expect(again.object).to.deep.equal(first.object);
    });
  });

  it('a pod in an unlabelled namespace is not sent', async () => {
    const pod = workloadPods(join(samplesDir(), 'platform', 'bookinfo.yaml'), 'plain', false)[0]!.pod;
    const r = await sim.admit(pod, { namespace: 'plain' });
    expectAllowed(r);
    expect(r.calls).to.deep.equal([]);
    expect(r.object).to.deep.equal(pod);
  });

  it('a pod in a namespace labelled istio.io/rev=default is injected, as by Istio default revision', async () => {
    const pod = workloadPods(join(samplesDir(), 'platform', 'bookinfo.yaml'), 'revision', false)[0]!.pod;
    const r = await sim.admit(pod, { namespace: 'revision' });
    expectAllowed(r);
    expect(r.calls.map((c) => c.webhook)).to.deep.equal(['rev.namespace.sidecar-injector.mizzen.io']);
    expect(names(r.object!.spec.containers)).to.include('istio-proxy');
  });

  it('a pod labelled sidecar.istio.io/inject=true is injected in an unlabelled namespace, not in a disabled one', async () => {
    const pod = workloadPods(join(samplesDir(), 'platform', 'bookinfo.yaml'), 'plain', false)[0]!.pod;
    pod.metadata.labels = { ...pod.metadata.labels, 'sidecar.istio.io/inject': 'true' };
    const r = await sim.admit(pod, { namespace: 'plain' });
    expectAllowed(r);
    expect(r.calls.map((c) => c.webhook)).to.deep.equal(['object.sidecar-injector.mizzen.io']);
    expect(names(r.object!.spec.containers)).to.include('istio-proxy');
    const off = await sim.admit({ ...pod, metadata: { ...pod.metadata, namespace: 'disabled' } }, { namespace: 'disabled' });
    expectAllowed(off);
    expect(off.calls).to.deep.equal([]);
  });

  it('a pod in kube-system is not sent, whatever its labels', async () => {
    const pod = workloadPods(join(samplesDir(), 'platform', 'bookinfo.yaml'), 'kube-system', false)[0]!.pod;
    const r = await sim.admit(pod, { namespace: 'kube-system' });
    expectAllowed(r);
    expect(r.calls).to.deep.equal([]);
  });

  it('a pod opted out by label or annotation gets no sidecar, and says why when the webhook sees it', async () => {
    const base = workloadPods(join(samplesDir(), 'platform', 'bookinfo.yaml'), 'bookinfo', false)[0]!.pod;
    const byLabel = structuredClone(base);
    byLabel.metadata.labels!['sidecar.istio.io/inject'] = 'false';
    const r1 = await sim.admit(byLabel, { namespace: 'bookinfo' });
    expectAllowed(r1);
    expect(names(r1.object!.spec.containers)).to.not.include('istio-proxy');
    // The manifests decide: an objectSelector on the label keeps such pods away; without one they are
    // sent and come back annotated.
    if (sim.mutating[0]!.webhook.objectSelector) expect(r1.calls).to.deep.equal([]);
    else expect(r1.object!.metadata.annotations!['sidecar.mizzen.io/skip-reason']).to.equal('disabled-by-label');

    const byAnnotation = structuredClone(base);
    byAnnotation.metadata.annotations = { 'sidecar.istio.io/inject': 'false' };
    const r2 = await sim.admit(byAnnotation, { namespace: 'bookinfo' });
    expectAllowed(r2);
    expect(r2.calls).to.have.length(1);
    expect(r2.object!.metadata.annotations!['sidecar.mizzen.io/skip-reason']).to.equal('disabled-by-annotation');
    expect(names(r2.object!.spec.containers)).to.not.include('istio-proxy');
  });

  it('a native-sidecar pod gets istio-init and istio-proxy before its own init containers (kubectl applies the inserts)', async () => {
    const pod = workloadPods(join(samplesDir(), 'platform', 'bookinfo.yaml'), 'bookinfo', false)[0]!.pod;
    pod.metadata.annotations = { 'sidecar.istio.io/nativeSidecar': 'true' };
    pod.spec.initContainers = [{ name: 'migrate', image: 'migrate:1' }, { name: 'warm', image: 'warm:1' }];
    const r = await sim.admit(pod, { namespace: 'bookinfo' });
    expectAllowed(r);
    const out = r.object!;
    expect(names(out.spec.initContainers)).to.deep.equal(['istio-init', 'istio-proxy', 'migrate', 'warm']);
    expect(out.spec.initContainers[1].restartPolicy).to.equal('Always');
    expect(out.spec.initContainers.slice(2)).to.deep.equal(pod.spec.initContainers);
    expect(names(out.spec.containers)).to.deep.equal(names(pod.spec.containers));
  });

  it('a pod with proxy annotations gets its volumes, mounts, ProxyConfig and rewritten probes, and warnings for what is not applied', async () => {
    const pod = workloadPods(join(samplesDir(), 'platform', 'bookinfo.yaml'), 'bookinfo', false)[0]!.pod;
    pod.spec.containers[0].readinessProbe = { httpGet: { path: '/health', port: 9080 }, periodSeconds: 5 };
    pod.metadata.annotations = {
      'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: true\nproxyMetadata: {ISTIO_META_DNS_CAPTURE: "true"}\ntracing: {sampling: 1}',
      'sidecar.istio.io/userVolume': '{"extra-certs":{"secret":{"secretName":"extra"}}}',
      'sidecar.istio.io/userVolumeMount': '{"extra-certs":{"mountPath":"/etc/extra","readOnly":true}}',
      'sidecar.istio.io/rewriteAppHTTPProbers': 'true',
    };
    const r = await sim.admit(pod, { namespace: 'bookinfo' });
    expectAllowed(r);
    const out = r.object!;
    expect(names(out.spec.containers)).to.deep.equal(['istio-proxy', ...names(pod.spec.containers)]);
    expect(out.spec.volumes.at(-1)).to.deep.equal({ name: 'extra-certs', secret: { secretName: 'extra' } });
    expect(out.spec.containers[0].volumeMounts.at(-1)).to.deep.equal({ name: 'extra-certs', mountPath: '/etc/extra', readOnly: true });
    expect(out.spec.containers[0].env.at(-1)).to.deep.equal({ name: 'ISTIO_META_DNS_CAPTURE', value: 'true' });
    // The application's probe asks the sidecar (15020), whose bootstrap routes it to the original port and path.
    const app = out.spec.containers[1];
    expect(app.readinessProbe).to.deep.equal({ httpGet: { path: `/app-health/${app.name}/readyz`, port: 15020, scheme: 'HTTP' }, periodSeconds: 5 });
    const bootstrap = JSON.parse(out.spec.containers[0].args[out.spec.containers[0].args.indexOf('--config-yaml') + 1]);
    const health = bootstrap.static_resources.listeners.find((l: any) => l.name === 'app-health');
    expect(health.filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes).to.deep.equal([
      { match: { path: `/app-health/${app.name}/readyz` }, route: { cluster: 'app-health-9080', prefix_rewrite: '/health' } },
    ]);
    expect(r.warnings).to.deep.equal([
      'metadata.annotations["proxy.istio.io/config"]: tracing.sampling not applied by mizzen (ignored)',
      "metadata.annotations[\"proxy.istio.io/config\"]: proxyMetadata: ISTIO_META_DNS_CAPTURE (mizzen's sidecars run no DNS proxy: the pod's DNS queries go to the cluster's resolver): read by Istio's node agent, which mizzen's sidecars do not run (set, not applied)",
    ]);
  });

  it('a pod with its own istio-proxy (image: auto) gets it laid over the injected sidecar, as in Istio (kubectl applies the remove)', async () => {
    const pod = workloadPods(join(samplesDir(), 'platform', 'bookinfo.yaml'), 'bookinfo', false)[0]!.pod;
    pod.spec.containers = [{ name: 'istio-proxy', image: 'auto', resources: { limits: { memory: '256Mi' } } }, ...pod.spec.containers];
    const r = await sim.admit(pod, { namespace: 'bookinfo' });
    expectAllowed(r);
    const out = r.object!;
    expect(names(out.spec.containers)).to.deep.equal([...names(pod.spec.containers).slice(1), 'istio-proxy']);
    const proxy = out.spec.containers.at(-1);
    expect(proxy.image).to.equal(DEFAULT_MESH_CONFIG.proxyImage);
    expect(proxy.resources.limits).to.deep.equal({ cpu: '2000m', memory: '256Mi' });
    expect(out.metadata.annotations!['sidecar.istio.io/status']).to.be.a('string');
  });

  it('a pod with a bad resource annotation is rejected with the field named', async () => {
    const pod = workloadPods(join(samplesDir(), 'platform', 'bookinfo.yaml'), 'bookinfo', false)[0]!.pod;
    pod.metadata.annotations = { 'sidecar.istio.io/proxyCPU': 'lots' };
    const r = await sim.admit(pod, { namespace: 'bookinfo' });
    expect(r.allowed).to.equal(false);
    if (!r.allowed) {
      expect(r.code).to.equal(400);
      expect(r.message).to.match(/^admission webhook "sidecar-injector.mizzen.io" denied the request: .*proxyCPU/);
    }
  });

  describe('validation', () => {
    const vs = () => readObjects(join(samplesDir(), 'networking', 'virtual-service-reviews-80-20.yaml'))[0]!;

    it('a Bookinfo VirtualService is admitted', async () => {
      const r = await sim.admit(vs(), { namespace: 'bookinfo' });
      expectAllowed(r);
      expect(r.calls.map((c) => c.webhook)).to.deep.equal(['validation.mizzen.io']);
      expect(r.object).to.deep.equal(vs());
    });

    it('every Bookinfo DestinationRule and Gateway is admitted', async () => {
      for (const f of ['destination-rule-all.yaml', 'destination-rule-all-mtls.yaml', 'bookinfo-gateway.yaml']) {
        for (const o of readObjects(join(samplesDir(), 'networking', f))) expectAllowed(await sim.admit(o, { namespace: 'bookinfo' }));
      }
    });

    it('a broken VirtualService is rejected naming every problem', async () => {
      const bad = vs();
      delete bad.spec.http[0].route[0].destination.host;
      bad.spec.http[0].timeout = 'soon';
      const r = await sim.admit(bad, { namespace: 'bookinfo' });
      expect(r.allowed).to.equal(false);
      if (!r.allowed) {
        expect(r.code).to.equal(400);
        expect(r.message).to.match(/^admission webhook "validation.mizzen.io" denied the request: VirtualService bookinfo\/reviews is invalid: /);
        expect(r.message).to.match(/spec\.http\[0\]\.route\[0\]\.destination\.host/).and.match(/spec\.http\[0\]\.timeout/);
      }
    });

    it('a Telemetry reaches the validator: Istio\'s mesh-wide example is admitted, a bad one rejected naming the field', async () => {
      const telemetry = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name: 'mesh-default', namespace: 'bookinfo' }, spec });
      const good = await sim.admit(telemetry({ accessLogging: [{ providers: [{ name: 'envoy' }] }] }), { namespace: 'bookinfo' });
      expectAllowed(good);
      expect(good.calls.map((c) => c.webhook)).to.deep.equal(['validation.mizzen.io']);
      const warned = await sim.admit(telemetry({ metrics: [{ providers: [{ name: 'prometheus' }] }] }), { namespace: 'bookinfo' });
      expectAllowed(warned);
      expect(warned.warnings.join('\n')).to.match(/spec\.metrics: mizzen generates no Istio standard metrics/);
      const bad = await sim.admit(telemetry({ tracing: [{ randomSamplingPercentage: 150 }] }), { namespace: 'bookinfo' });
      expect(bad.allowed).to.equal(false);
      if (!bad.allowed) {
        expect(bad.code).to.equal(400);
        expect(bad.message).to.match(/^admission webhook "validation.mizzen.io" denied the request: Telemetry bookinfo\/mesh-default is invalid: spec\.tracing\[0\]\.randomSamplingPercentage/);
      }
    });

    it('an EnvoyFilter (v1alpha3) reaches the validator: a good one is admitted with its warnings, a bad one rejected naming the field', async () => {
      const envoyFilter = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name: 'lua', namespace: 'bookinfo' }, spec });
      const lua = { applyTo: 'HTTP_FILTER', match: { context: 'SIDECAR_INBOUND', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } } }, patch: { operation: 'INSERT_BEFORE', value: { name: 'envoy.filters.http.lua' } } };
      const good = await sim.admit(envoyFilter({ workloadSelector: { labels: { app: 'reviews' } }, configPatches: [lua] }), { namespace: 'bookinfo' });
      expectAllowed(good);
      expect(good.calls.map((c) => c.webhook)).to.deep.equal(['validation.mizzen.io']);
      expect(good.warnings.join('\n')).to.match(/EnvoyFilter edits the generated Envoy configuration directly/);
      const bad = await sim.admit(envoyFilter({ configPatches: [{ applyTo: 'CLUSTER', match: { listener: { portNumber: 80 } }, patch: { operation: 'MERGE', value: {} } }] }), { namespace: 'bookinfo' });
      expect(bad.allowed).to.equal(false);
      if (!bad.allowed) {
        expect(bad.code).to.equal(400);
        expect(bad.message).to.match(/^admission webhook "validation.mizzen.io" denied the request: EnvoyFilter bookinfo\/lua is invalid: spec\.configPatches\[0\]\.match\.listener: applyTo CLUSTER needs a cluster match/);
      }
    });

    it('a WasmPlugin (extensions.istio.io/v1alpha1) reaches the validator: an OCI one is admitted with its warning, a bad one rejected naming the field', async () => {
      const plugin = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'extensions.istio.io/v1alpha1', kind: 'WasmPlugin', metadata: { name: 'openid', namespace: 'bookinfo' }, spec });
      const oci = await sim.admit(plugin({ selector: { matchLabels: { app: 'productpage' } }, url: 'oci://ghcr.io/acme/openid:1.0', phase: 'AUTHN' }), { namespace: 'bookinfo' });
      expectAllowed(oci);
      expect(oci.calls.map((c) => c.webhook)).to.deep.equal(['validation.mizzen.io']);
      expect(oci.warnings.join('\n')).to.match(/spec\.url: an OCI image: .* this plugin is not applied/);
      const bad = await sim.admit(plugin({ url: 'file:///opt/openid.wasm', phase: 'FIRST' }), { namespace: 'bookinfo' });
      expect(bad.allowed).to.equal(false);
      if (!bad.allowed) {
        expect(bad.code).to.equal(400);
        expect(bad.message).to.match(/^admission webhook "validation.mizzen.io" denied the request: WasmPlugin bookinfo\/openid is invalid: spec\.phase/);
      }
    });

    it('UPDATE is validated, DELETE is not sent', async () => {
      const bad = vs();
      bad.spec.http[0].timeout = 'soon';
      const u = await sim.admit(bad, { namespace: 'bookinfo', operation: 'UPDATE', oldObject: vs() });
      expect(u.allowed).to.equal(false);
      const d = await sim.admit(undefined, { namespace: 'bookinfo', operation: 'DELETE', oldObject: bad });
      expectAllowed(d);
      expect(d.calls).to.deep.equal([]);
    });
  });

  describe('failures', () => {
    const podOf = () => workloadPods(join(samplesDir(), 'platform', 'bookinfo.yaml'), 'bookinfo', false)[0]!.pod;
    const withWebhooks = (edit: (w: any) => void, to: () => number, caBundlePem?: string) =>
      new ApiServerSim({
        manifests: (caBundlePem ? renderManifests({ caBundlePem }) : structuredClone(manifests)).map((o) => {
          for (const w of (o as any).webhooks ?? []) edit(w);
          return o;
        }),
        namespaces: NAMESPACES,
        resolve: () => ({ host: '127.0.0.1', port: to() }),
      });

    let silent: Server;
    let silentPort = 0;
    before(async () => {
      // Accepts TLS connections and never answers.
      const c = await testCerts();
      silent = createServer({ cert: c.serving.cert, key: c.serving.key }, () => {});
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
      silentPort = (silent.address() as { port: number }).port;
    });
    after(() => silent.close());

    it('a caBundle that does not verify the server fails the call, and failurePolicy Fail rejects', async () => {
      const other = (await import('../../src/certs/index.js')).generateCa('someone else');
      const s = withWebhooks(() => {}, () => running.ports.webhook, (await other).cert);
      const r = await s.admit(podOf(), { namespace: 'bookinfo' });
      expect(r.allowed).to.equal(false);
      if (!r.allowed) expect(r.message).to.match(/failed calling webhook "sidecar-injector.mizzen.io": .*(certificate|self.signed|verify)/i);
    });

    it('a webhook that does not answer within timeoutSeconds fails; Ignore admits unchanged', async () => {
      const fail = withWebhooks((w) => (w.timeoutSeconds = 1), () => silentPort);
      const r = await fail.admit(podOf(), { namespace: 'bookinfo' });
      expect(r.allowed).to.equal(false);
      if (!r.allowed) expect(r.message).to.match(/context deadline exceeded/);
      const ignore = withWebhooks((w) => ((w.timeoutSeconds = 1), (w.failurePolicy = 'Ignore')), () => silentPort);
      const r2 = await ignore.admit(podOf(), { namespace: 'bookinfo' });
      expectAllowed(r2);
      expect(r2.object).to.deep.equal(podOf());
    });
  });
});
