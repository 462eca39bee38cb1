import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { request } from 'node:https';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { run, startServe, type RunningServe } from '../../src/cmd/serve.js';
import { DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';
import { silentLogger } from '../../src/core/log.js';
import { readServingMaterial } from '../../src/certs/index.js';
import { createReview, postJson, samplesDir, workloadPods, readObjects } from '../../src/demo/inject.js';
import { testCertsDir, tempDir } from '../support/certs.js';
import { stringify } from 'yaml';
import { captureOutput } from '../support/cli.js';

const SERVICE = 'mizzen.mizzen-system.svc';

describe('mizzen serve', function () {
  this.timeout(30_000);

  describe('in process', () => {
    let running: RunningServe;
    let fixture: Awaited<ReturnType<typeof testCertsDir>>;
    let base: string;
    const post = (path: string, body: unknown) => postJson(`${base}${path}`, body, { ca: fixture.certs.serving.ca, servername: SERVICE });

    before(async () => {
      fixture = await testCertsDir();
      running = await startServe({ webhookPort: 0, monitoringPort: 0, host: '127.0.0.1', certsDir: fixture.dir, mesh: DEFAULT_MESH_CONFIG, log: silentLogger });
      base = `https://127.0.0.1:${running.ports.webhook}`;
    });
    after(async () => {
      await running.shutdown();
      fixture.cleanup();
    });

    it('injects a Bookinfo pod with the real injector', async () => {
      const { pod } = workloadPods(join(samplesDir(), 'platform', 'bookinfo.yaml'), 'bookinfo', false)[0]!;
      const res = await post('/inject', createReview(pod, 'bookinfo'));
      expect(res.status).to.equal(200);
      expect(res.body.response).to.include({ allowed: true, patchType: 'JSONPatch' });
    });

    it('validates with the real validator: a Bookinfo VirtualService passes, a broken one is denied', async () => {
      const good = readObjects(join(samplesDir(), 'networking', 'virtual-service-reviews-80-20.yaml'))[0]!;
      expect((await post('/validate', createReview(good, 'bookinfo'))).body.response.allowed).to.equal(true);
      const bad = structuredClone(good);
      delete bad.spec.http[0].route[0].destination.host;
      bad.spec.http[0].timeout = 'soon';
      const res = (await post('/validate', createReview(bad, 'bookinfo'))).body.response;
      expect(res.allowed).to.equal(false);
      expect(res.status.code).to.equal(400);
      expect(res.status.message).to.match(/spec\.http\[0\]\.route\[0\]\.destination\.host/).and.match(/spec\.http\[0\]\.timeout/);
    });

    it('validates a Telemetry with the real validator: a good one passes with its warnings, a bad one is denied naming the field', async () => {
      const telemetry = (spec: Record<string, unknown>) => ({ apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name: 'mesh-default', namespace: 'istio-system' }, spec });
      const good = (await post('/validate', createReview(telemetry({ tracing: [{ randomSamplingPercentage: 10, customTags: { my_tag: { literal: { value: 'x' } } } }] }), 'istio-system'))).body.response;
      expect(good.allowed).to.equal(true);
      const warned = (await post('/validate', createReview(telemetry({ targetRef: { kind: 'Service', name: 'reviews' } }), 'istio-system'))).body.response;
      expect(warned.allowed).to.equal(true);
      expect(warned.warnings).to.deep.equal(["spec.targetRef: attaches this Telemetry to nothing: a Service target is for waypoints, which mizzen does not run (a Gateway of gateway.networking.k8s.io attaches it to that Gateway's gateways)"]);
      const bad = (await post('/validate', createReview(telemetry({ accessLogging: [{ filter: { expression: '' } }], metrics: [{ overrides: [{ tagOverrides: { t: { operation: 'REMOVE', value: 'x' } } }] }] }), 'istio-system'))).body.response;
      expect(bad.allowed).to.equal(false);
      expect(bad.status.code).to.equal(400);
      expect(bad.status.message).to.match(/spec\.accessLogging\[0\]\.filter\.expression: must not be empty/).and.match(/spec\.metrics\[0\]\.overrides\[0\]\.tagOverrides\[t\]\.value/);
    });

    it('validates an EnvoyFilter with the real validator: a good one passes with its warnings, a bad one is denied naming the field', async () => {
      const envoyFilter = (spec: Record<string, unknown>) => ({ apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name: 'tweaks', namespace: 'istio-system' }, spec });
      const merge = { applyTo: 'CLUSTER', match: { context: 'SIDECAR_OUTBOUND', cluster: { service: 'reviews.default.svc.cluster.local' } }, patch: { operation: 'MERGE', value: { connect_timeout: '2s' } } };
      const good = (await post('/validate', createReview(envoyFilter({ configPatches: [merge] }), 'istio-system'))).body.response;
      expect(good.allowed).to.equal(true);
      expect(good.warnings).to.have.length(1);
      expect(good.warnings[0]).to.match(/^EnvoyFilter edits the generated Envoy configuration directly/);
      const bootstrap = (await post('/validate', createReview(envoyFilter({ configPatches: [{ applyTo: 'BOOTSTRAP', patch: { operation: 'MERGE', value: {} } }] }), 'istio-system'))).body.response;
      expect(bootstrap.allowed).to.equal(true);
      expect(bootstrap.warnings).to.include('spec.configPatches[0].applyTo: mizzen writes the Envoy bootstrap when it injects the sidecar and does not patch it: this patch has no effect');
      const bad = (await post('/validate', createReview(envoyFilter({ configPatches: [{ applyTo: 'CLUSTER', patch: { operation: 'ADD' } }, { applyTo: 'HTTP_FILTER', match: { proxy: { proxyVersion: '1.2(' } }, patch: { operation: 'REMOVE' } }] }), 'istio-system'))).body.response;
      expect(bad.allowed).to.equal(false);
      expect(bad.status.code).to.equal(400);
      expect(bad.status.message).to.match(/spec\.configPatches\[0\]\.patch\.value: is required for operation ADD/).and.match(/spec\.configPatches\[1\]\.match\.proxy\.proxyVersion: invalid RE2 regex/);
    });

    it('serves metrics and readiness', async () => {
      const metrics = await (await fetch(`http://127.0.0.1:${running.ports.monitoring}/metrics`)).text();
      expect(metrics).to.match(/mizzen_webhook_requests_total\{route="inject",outcome="patched"\} 1/);
      expect(metrics).to.match(/mizzen_validation_reviews_total\{kind="VirtualService",verdict="denied"\} 1/);
      expect(metrics).to.match(/mizzen_sidecar_injections_total 1/);
      const ready = await new Promise<number>((resolve, reject) =>
        request(`${base}/readyz`, { ca: fixture.certs.serving.ca, servername: SERVICE }, (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        })
          .on('error', reject)
          .end(),
      );
      expect(ready).to.equal(200);
    });
  });

  it('finishes in-flight reviews on shutdown and refuses new connections', async () => {
    const fixture = await testCertsDir();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const running = await startServe({
      webhookPort: 0,
      monitoringPort: 0,
      host: '127.0.0.1',
      certsDir: fixture.dir,
      mesh: DEFAULT_MESH_CONFIG,
      log: silentLogger,
      validate: async () => {
        entered();
        await gate;
        return { errors: [], warnings: ['slow but fine'] };
      },
    });
    const url = `https://127.0.0.1:${running.ports.webhook}`;
    const tls = { ca: fixture.certs.serving.ca, servername: SERVICE };
    const vs = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'r', namespace: 'default' }, spec: { hosts: ['r'] } };
    const inflight = postJson(`${url}/validate`, createReview(vs, 'default'), tls);
    await inside;
    let stopped = false;
    const shutdown = running.shutdown().then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    const refused = await postJson(`${url}/validate`, createReview(vs, 'default'), tls).then(
      () => 'answered',
      (e: NodeJS.ErrnoException) => e.code,
    );
    expect(refused).to.equal('ECONNREFUSED');
    expect(stopped).to.equal(false);
    release();
    const res = await inflight;
    expect(res.status).to.equal(200);
    expect(res.body.response).to.include({ allowed: true });
    expect(res.body.response.warnings).to.deep.equal(['slow but fine']);
    await shutdown;
    expect(stopped).to.equal(true);
    fixture.cleanup();
  });

  it('on SIGTERM, a real process answers the review in flight, then exits 0', async () => {
    const t = tempDir();
    // An Istio mesh config starts, with a warning per field mizzen does not apply.
    writeFileSync(join(t.dir, 'mesh.yaml'), 'serviceSettings: []\nenableTracing: false\n');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--mesh-config', join(t.dir, 'mesh.yaml'), '--webhook-port', '0', '--monitoring-port', '0', '--xds-port', '0', '--xds-tls-port', '0', '--host', '127.0.0.1', '--certs-dir', t.dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Array<Record<string, any>> = [];
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const waitFor = (pred: (l: Record<string, any>) => boolean) =>
      new Promise<Record<string, any>>((resolve, reject) => {
        const found = lines.find(pred);
        if (found) return resolve(found);
        const onLine = (l: Record<string, any>) => pred(l) && (child.stdout.off('line', onLine), resolve(l));
        child.stdout.on('line', onLine);
        child.once('exit', (code) => reject(new Error(`serve exited (${code}) before the expected log line; stderr: ${stderr}`)));
      });
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const l = JSON.parse(line);
          lines.push(l);
          child.stdout.emit('line', l);
        } catch {
          /* not a log line */
        }
      }
    });
    try {
      const listening = await waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('webhook listening'));
      expect(lines.filter((l) => l.level === 40 && /serviceSettings: Istio's field is accepted but not applied/.test(l.msg))).to.have.length(1);
      const material = readServingMaterial(t.dir);
      expect(material.ok).to.equal(true);
      const ca = material.ok ? material.value.ca : '';
      const body = JSON.stringify(createReview(workloadPods(join(samplesDir(), 'platform', 'bookinfo.yaml'), 'bookinfo', false)[0]!.pod, 'bookinfo'));
      const half = Math.floor(body.length / 2);
      // Send half the review, then SIGTERM, then the rest: the server must wait for it and answer.
      const answer = new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = request(
          `https://127.0.0.1:${listening.port}/inject`,
          { method: 'POST', ca, servername: SERVICE, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
          (res) => {
            let s = '';
            res.on('data', (d) => (s += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(s) }));
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, half));
        req.once('socket', (s) =>
          s.once('secureConnect', async () => {
            await new Promise((r) => setTimeout(r, 50)); // let the first half reach the server
            child.kill('SIGTERM');
            await waitFor((l) => typeof l.msg === 'string' && l.msg.includes('SIGTERM'));
            req.end(body.slice(half));
          }),
        );
      });
      const res = await answer;
      expect(res.status).to.equal(200);
      expect(res.body.response).to.include({ allowed: true, patchType: 'JSONPatch' });
      const [code] = await once(child, 'exit');
      expect(code, stderr).to.equal(0);
      expect(lines.some((l) => l.msg === 'stopped')).to.equal(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      t.cleanup();
    }
  });

  describe('with a config directory', () => {
    it('applies the ProxyConfig resources of its config source to the pods it injects, and an edit to the next pod', async () => {
      const fixture = await testCertsDir();
      const config = tempDir('mizzen-serve-pc-');
      const proxyConfig = (concurrency: number) =>
        stringify({ apiVersion: 'networking.istio.io/v1beta1', kind: 'ProxyConfig', metadata: { name: 'ratings', namespace: 'bookinfo' }, spec: { selector: { matchLabels: { app: 'ratings' } }, concurrency, environmentVariables: { ISTIO_META_TEAM: 'books' } } });
      writeFileSync(join(config.dir, 'proxyconfig.yaml'), proxyConfig(1));
      const running = await startServe({ webhookPort: 0, monitoringPort: 0, xdsPort: 0, host: '127.0.0.1', certsDir: fixture.dir, configDir: config.dir, mesh: DEFAULT_MESH_CONFIG, log: silentLogger });
      try {
        const pods = workloadPods(join(samplesDir(), 'platform', 'bookinfo.yaml'), 'bookinfo', false);
        const ratings = pods.find((p) => p.workload === 'ratings-v1')!.pod;
        const details = pods.find((p) => p.workload === 'details-v1')!.pod;
        const patchOf = async (pod: unknown): Promise<string> => {
          const res = await postJson(`https://127.0.0.1:${running.ports.webhook}/inject`, createReview(pod as never, 'bookinfo'), { ca: fixture.certs.serving.ca, servername: SERVICE });
          expect(res.body.response).to.include({ allowed: true, patchType: 'JSONPatch' });
          return Buffer.from(res.body.response.patch, 'base64').toString();
        };
        const first = await patchOf(ratings);
        expect(first).to.include('"--concurrency","1"').and.include('{"name":"ISTIO_META_TEAM","value":"books"}').and.include('\\"TEAM\\":\\"books\\"');
        expect(await patchOf(details), 'the selector does not match details').to.include('"--concurrency","2"').and.not.include('ISTIO_META_TEAM');
        writeFileSync(join(config.dir, 'proxyconfig.yaml'), proxyConfig(3));
        const deadline = Date.now() + 10_000;
        let later = await patchOf(ratings);
        while (!later.includes('"--concurrency","3"') && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 50));
          later = await patchOf(ratings);
        }
        expect(later).to.include('"--concurrency","3"');
      } finally {
        await running.shutdown();
        config.cleanup();
        fixture.cleanup();
      }
    });
  });

  describe('flags', () => {
    const capture = (argv: string[]) => captureOutput(() => run(argv));
    it('rejects a bad port with usage (exit 2)', async () => {
      const r = await capture(['--webhook-port', '99999']);
      expect(r.code).to.equal(2);
      expect(r.err).to.match(/--webhook-port: "99999" is not a port/);
    });
    it('rejects a bad log level (exit 2)', async () => {
      expect((await capture(['--log-level', 'loud'])).code).to.equal(2);
    });
    it('reports a bad mesh config (exit 1)', async () => {
      const t = tempDir();
      writeFileSync(join(t.dir, 'mesh.yaml'), 'proxyImage: 3\nnoSuchKey: true\n');
      const r = await capture(['--mesh-config', join(t.dir, 'mesh.yaml')]);
      t.cleanup();
      expect(r.code).to.equal(1);
      expect(r.err).to.match(/proxyImage: must be a string/).and.match(/noSuchKey: unknown field/);
    });
    it('refuses to start with an inject selector that is not a label selector (exit 1), naming the field', async () => {
      const t = tempDir();
      writeFileSync(join(t.dir, 'mesh.yaml'), 'neverInjectSelector: [null]\nalwaysInjectSelector:\n- matchExpressions: [{key: app, operator: Exists, values: [x]}]\n');
      const r = await capture(['--mesh-config', join(t.dir, 'mesh.yaml'), '--webhook-port', '0', '--monitoring-port', '0']);
      t.cleanup();
      expect(r.code).to.equal(1);
      expect(r.err).to.equal(
        `mesh config ${join(t.dir, 'mesh.yaml')}: neverInjectSelector[0]: must be an object, not null\n` +
          `mesh config ${join(t.dir, 'mesh.yaml')}: alwaysInjectSelector[0].matchExpressions[0].values: must be empty for Exists and DoesNotExist\n`,
      );
    });
  });
});
