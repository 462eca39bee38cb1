import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startServe, type RunningServe } from '../../src/cmd/serve.js';
import { loadMeshConfig } from '../../src/config/mesh.js';
import { silentLogger } from '../../src/core/log.js';
import { TypeUrls } from '../../src/core/constants.js';
import { createReview, postJson, samplesDir, workloadPods } from '../../src/demo/inject.js';
import type { XdsComponent } from '../../src/xds/server/component.js';
import { RawAds, node } from '../xds/server/harness.js';
import { pod, service } from '../xds/server/fixtures.js';
import { testCertsDir } from '../support/certs.js';
import { scratchDir } from '../support/tmp.js';

const SERVICE = 'mizzen.mizzen-system.svc';

/** Polls until `check` returns something (the watch and the debouncer run on their own timers); fails after `ms`. */
async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('mizzen serve follows its --mesh-config file', function () {
  this.timeout(30_000);
  let running: RunningServe;
  let fixture: Awaited<ReturnType<typeof testCertsDir>>;
  let meshFile: string;
  let client: RawAds | undefined;
  const monitoring = () => `http://127.0.0.1:${running.ports.monitoring}`;
  const debugMesh = async (): Promise<any> => (await fetch(`${monitoring()}/debug/mesh`)).json();
  const injectedImage = async (): Promise<string> => {
    const { pod: p } = workloadPods(join(samplesDir(), 'platform', 'bookinfo.yaml'), 'bookinfo', false)[0]!;
    const res = await postJson(`https://127.0.0.1:${running.ports.webhook}/inject`, createReview(p, 'bookinfo'), { ca: fixture.certs.serving.ca, servername: SERVICE });
    const patch = JSON.parse(Buffer.from(res.body.response.patch, 'base64').toString()) as Array<{ path: string; value: any }>;
    const proxy = patch.flatMap((op) => (Array.isArray(op.value) ? op.value : [op.value])).find((c) => c?.name === 'istio-proxy');
    return proxy.image;
  };

  before(async () => {
    fixture = await testCertsDir();
    const dir = scratchDir('mizzen-serve-mesh-');
    meshFile = join(dir, 'mesh.yaml');
    writeFileSync(meshFile, 'proxyImage: envoyproxy/envoy:v1.32.3\n');
    const configDir = scratchDir('mizzen-serve-mesh-config-');
    writeFileSync(join(configDir, 'mesh.yaml'), [service('reviews'), pod('reviews-v1', 'reviews', '10.1.0.1')].map((o) => stringify(o)).join('---\n'));
    const mesh = loadMeshConfig(meshFile);
    if (!mesh.ok) throw new Error(mesh.errors.join('; '));
    running = await startServe({ webhookPort: 0, monitoringPort: 0, xdsPort: 0, host: '127.0.0.1', certsDir: fixture.dir, configDir, mesh: mesh.value, meshFile, log: silentLogger });
  });
  after(async () => {
    client?.close();
    await running.shutdown();
    fixture.cleanup();
  });

  it('injects the next pod and pushes every proxy with the changed config, without a restart', async () => {
    expect(await injectedImage()).to.equal('envoyproxy/envoy:v1.32.3');
    const xds = running.components.find((c) => c.name === 'xds') as XdsComponent;
    client = new RawAds(xds.port());
    client.send({ node: node('productpage'), type_url: TypeUrls.listener, resource_names: [] });
    const first = await client.next();
    expect(JSON.stringify(first.resources)).not.to.contain('/dev/stdout');
    client.ack(first);

    writeFileSync(meshFile, 'proxyImage: envoyproxy/envoy:v1.33.0\naccessLogFile: /dev/stdout\n');
    const pushed = await client.next(10_000);
    expect(pushed.version_info).not.to.equal(first.version_info);
    expect(JSON.stringify(pushed.resources)).to.contain('/dev/stdout');
    client.ack(pushed);
    expect(await injectedImage()).to.equal('envoyproxy/envoy:v1.33.0');
    const report = await debugMesh();
    expect(report).to.deep.include({ file: meshFile, pendingRestart: [] });
    expect(report.lastReload).to.deep.include({ outcome: 'applied', changed: ['accessLogFile', 'proxyImage'] });
    expect(report.config.proxyImage).to.equal('envoyproxy/envoy:v1.33.0');
  });

  it('keeps serving the running config when the file turns bad, and says so at /debug/mesh and /metrics', async () => {
    writeFileSync(meshFile, 'proxyImage: [oops\n');
    const report = await until('an invalid reload at /debug/mesh', async () => {
      const r = await debugMesh();
      return r.lastReload?.outcome === 'invalid' ? r : undefined;
    });
    expect(report.lastReload.errors.join('\n')).to.contain(meshFile);
    expect(report.config.proxyImage).to.equal('envoyproxy/envoy:v1.33.0');
    expect(await injectedImage()).to.equal('envoyproxy/envoy:v1.33.0');
    const metrics = await (await fetch(`${monitoring()}/metrics`)).text();
    expect(metrics).to.match(/mizzen_mesh_config_reloads_total\{outcome="invalid"\} [1-9]/);
    expect(metrics).to.match(/mizzen_mesh_config_reloads_total\{outcome="applied"\} 1/);
  });

  it('leaves a field read only at start as it runs, and lists it as waiting for a restart', async () => {
    writeFileSync(meshFile, 'proxyImage: envoyproxy/envoy:v1.33.0\naccessLogFile: /dev/stdout\ntrustDomain: example.org\n');
    const report = await until('trustDomain pending at /debug/mesh', async () => {
      const r = await debugMesh();
      return r.pendingRestart?.includes('trustDomain') ? r : undefined;
    });
    expect(report.config.trustDomain).to.equal('cluster.local');
    expect(report.lastReload.outcome).to.equal('unchanged');
  });
});
