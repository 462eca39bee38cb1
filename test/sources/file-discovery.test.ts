/**
 * `mizzen serve --config-dir` with the mesh config's discoverySelectors: the file source honours them as the
 * Kubernetes source does (the snapshot leaves out what they do not select), with the Namespace objects of the
 * directory; editing a Namespace's labels in its file moves it into or out of the selection without a restart.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';
import { silentLogger } from '../../src/core/log.js';
import { startServe, type RunningServe } from '../../src/cmd/serve.js';
import { eventually } from '../support/mesh.js';

const ON = { 'istio-discovery': 'enabled' };
const docs = (...objs: object[]): string => objs.map((o) => stringify(o)).join('---\n');
const ns = (name: string, labels: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const svc = (name: string, namespace: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 8080 }] } });

describe('mizzen serve --config-dir: discoverySelectors', function () {
  this.timeout(20_000);
  let dir: string;
  let running: RunningServe;
  const hosts = async (): Promise<string[]> =>
    ((await (await running.monitoring.inject({ method: 'GET', url: '/debug/registryz' })).json()) as { services: Array<{ hostname: string }> }).services.map((s) => s.hostname).sort();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mizzen-discovery-'));
    writeFileSync(join(dir, 'web.yaml'), docs(ns('web', ON), svc('front', 'web')));
    writeFileSync(join(dir, 'shop.yaml'), docs(ns('shop', {}), svc('cart', 'shop')));
    // A namespace no Namespace object declares is not discovered, as in istiod.
    writeFileSync(join(dir, 'loose.yaml'), docs(svc('stray', 'loose')));
    running = await startServe({
      webhookPort: 0,
      monitoringPort: 0,
      xdsPort: 0,
      host: '127.0.0.1',
      mesh: { ...DEFAULT_MESH_CONFIG, debounce: { quietMs: 5, maxMs: 50 }, discoverySelectors: [{ matchLabels: ON }] },
      configDir: dir,
      log: silentLogger,
    });
  });
  after(async () => {
    await running?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the selected namespace only, and a namespace labelled in its file too, until labelled out', async () => {
    await eventually('front served', async () => ((await hosts()).length > 0 ? true : undefined));
    expect(await hosts()).to.deep.equal(['front.web.svc.cluster.local']);
    writeFileSync(join(dir, 'shop.yaml'), docs(ns('shop', ON), svc('cart', 'shop')));
    await eventually('cart served', async () => ((await hosts()).length === 2 ? true : undefined));
    expect(await hosts()).to.deep.equal(['cart.shop.svc.cluster.local', 'front.web.svc.cluster.local']);
    writeFileSync(join(dir, 'shop.yaml'), docs(ns('shop', {}), svc('cart', 'shop')));
    await eventually('cart dropped', async () => ((await hosts()).length === 1 ? true : undefined));
    expect(await hosts()).to.deep.equal(['front.web.svc.cluster.local']);
  });
});
