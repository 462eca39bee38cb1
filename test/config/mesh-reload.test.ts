import { expect } from 'chai';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { DEFAULT_MESH_CONFIG, loadMeshConfig, type MeshConfig } from '../../src/config/mesh.js';
import { MeshConfigHolder } from '../../src/config/mesh-reload.js';
import { createRegistry } from '../../src/metrics.js';
import { scratchDir } from '../support/tmp.js';

/** A logger that keeps each line (level name, message, fields) for the test to read. */
function capturingLogger(): { log: pino.Logger; lines: Array<{ level: string; msg: string } & Record<string, unknown>> } {
  const lines: Array<{ level: string; msg: string } & Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      const line = JSON.parse(String(chunk));
      lines.push({ ...line, level: pino.levels.labels[line.level] });
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

function meshFile(text: string): { dir: string; file: string } {
  const dir = scratchDir('mizzen-mesh-reload-');
  const file = join(dir, 'mesh.yaml');
  writeFileSync(file, text);
  return { dir, file };
}

function holderOf(file: string, o: { debounceMs?: number } = {}) {
  const loaded = loadMeshConfig(file);
  if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  const { log, lines } = capturingLogger();
  const registry = createRegistry({ defaults: false });
  const holder = new MeshConfigHolder({ file, initial: loaded.value, log, registry, ...o });
  return { holder, lines, registry };
}

const reloadsOf = async (registry: ReturnType<typeof createRegistry>): Promise<Record<string, number>> =>
  Object.fromEntries((await registry.getSingleMetric('mizzen_mesh_config_reloads_total')!.get()).values.map((v) => [String(v.labels.outcome), v.value]));

/** Resolves with the next config a listener hears; rejects after `ms` (the watch never fired). */
const nextChange = (holder: MeshConfigHolder, ms = 10_000): Promise<{ next: MeshConfig; previous: MeshConfig }> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no mesh config change heard in ${ms} ms`)), ms);
    const off = holder.onChange((next, previous) => {
      clearTimeout(timer);
      off();
      resolve({ next, previous });
    });
  });

describe('MeshConfigHolder: the mesh config of a running control plane, reloaded from its file', () => {
  it('applies a changed file and tells its listeners the new and the previous config', async () => {
    const { file } = meshFile('accessLogFile: /dev/stdout\n');
    const { holder, lines, registry } = holderOf(file);
    const heard: Array<[string, string]> = [];
    holder.onChange((next, previous) => heard.push([next.outboundTrafficPolicy.mode, previous.outboundTrafficPolicy.mode]));
    writeFileSync(file, 'accessLogFile: /dev/stdout\noutboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n');
    const r = holder.reload();
    expect(r).to.deep.include({ outcome: 'applied', changed: ['outboundTrafficPolicy'] });
    expect(holder.current().outboundTrafficPolicy.mode).to.equal('REGISTRY_ONLY');
    expect(heard).to.deep.equal([['REGISTRY_ONLY', 'ALLOW_ANY']]);
    expect(lines.find((l) => l.msg === 'mesh config reloaded')).to.deep.include({ changed: r.changed });
    expect(await reloadsOf(registry)).to.deep.equal({ applied: 1 });
  });

  it('keeps the running config when the file no longer loads, saying why, and serves the next good one', () => {
    const { file } = meshFile('proxyImage: envoyproxy/envoy:v1.32.3\n');
    const { holder, lines } = holderOf(file);
    const before = holder.current();
    let heard = 0;
    holder.onChange(() => heard++);
    for (const [text, why] of [
      ['proxyImage: [oops\n', /mesh config .*mesh\.yaml/],
      ['outboundTrafficPolicy:\n  mode: SOMETIMES\n', /outboundTrafficPolicy\.mode/],
      ['proxyImagee: envoyproxy/envoy:v1.33.0\n', /proxyImagee/],
      ['- a list\n', /mesh config/],
    ] as const) {
      writeFileSync(file, text);
      const r = holder.reload();
      expect(r.outcome, text).to.equal('invalid');
      expect(r.errors!.join('\n'), text).to.match(why);
      expect(holder.current(), text).to.equal(before);
    }
    rmSync(file);
    expect(holder.reload().outcome).to.equal('invalid');
    expect(heard).to.equal(0);
    expect(lines.filter((l) => l.msg === 'mesh config reload failed: the running mesh config stays')).to.have.length(5);
    writeFileSync(file, 'proxyImage: envoyproxy/envoy:v1.33.0\n');
    expect(holder.reload().outcome).to.equal('applied');
    expect(holder.current().proxyImage).to.equal('envoyproxy/envoy:v1.33.0');
    expect(heard).to.equal(1);
  });

  it('keeps fields read only at start as they run, warns of each once, and lists them until the file agrees again', async () => {
    const { file } = meshFile('trustDomain: cluster.local\n');
    const { holder, lines, registry } = holderOf(file);
    let heard = 0;
    holder.onChange(() => heard++);
    writeFileSync(file, 'trustDomain: example.org\n');
    expect(holder.reload()).to.deep.include({ outcome: 'unchanged' });
    expect(holder.current().trustDomain).to.equal('cluster.local');
    expect(holder.report()).to.deep.include({ pendingRestart: ['trustDomain'] });
    writeFileSync(file, 'trustDomain: example.org\nenableTracing: false\n');
    expect(holder.reload()).to.deep.include({ outcome: 'applied', changed: ['enableTracing'] });
    expect(holder.current()).to.deep.include({ trustDomain: 'cluster.local', enableTracing: false });
    const warned = lines.filter((l) => l.level === 'warn' && /trustDomain changed; it applies at the next restart/.test(l.msg));
    expect(warned).to.have.length(1);
    writeFileSync(file, 'trustDomain: cluster.local\nenableTracing: false\n');
    expect(holder.reload().outcome).to.equal('unchanged');
    expect(holder.report()).to.deep.include({ pendingRestart: [] });
    expect(heard).to.equal(1);
    expect(await reloadsOf(registry)).to.deep.equal({ unchanged: 2, applied: 1 });
  });

  it('warns that a changed capture port reaches pods only when they are restarted', () => {
    const { file } = meshFile('proxyListenPort: 15001\n');
    const { holder, lines } = holderOf(file);
    writeFileSync(file, 'proxyListenPort: 16001\n');
    expect(holder.reload()).to.deep.include({ outcome: 'applied', changed: ['proxyListenPort'] });
    expect(holder.current().proxyListenPort).to.equal(16001);
    const warned = lines.filter((l) => l.level === 'warn' && l.field === 'proxyListenPort').map((l) => l.msg);
    expect(warned).to.deep.equal(['mesh config reload: proxyListenPort changed: pods injected before still redirect outbound connections to the old port until they are restarted']);
  });

  it('reports the config in force, its file and the last reload', () => {
    const { file } = meshFile('accessLogFile: /dev/stdout\n');
    const { holder } = holderOf(file);
    expect(holder.report()).to.deep.include({ file, pendingRestart: [] }).and.not.have.property('lastReload');
    writeFileSync(file, 'accessLogFile: ""\n');
    holder.reload();
    const report = holder.report() as { lastReload: { outcome: string; changed: string[] }; config: MeshConfig };
    expect(report.lastReload).to.deep.include({ outcome: 'applied', changed: ['accessLogFile'] });
    expect(report.config.accessLogFile).to.equal('');
  });

  it('without a file runs the config it was given and watches nothing', () => {
    const { holder } = { holder: new MeshConfigHolder({ initial: DEFAULT_MESH_CONFIG, log: pino({ level: 'silent' }) }) };
    holder.start();
    expect(holder.reload().outcome).to.equal('unchanged');
    expect(holder.current()).to.equal(DEFAULT_MESH_CONFIG);
    expect(holder.report()).to.deep.include({ file: null });
    holder.close();
  });

  describe('watching the file', function () {
    this.timeout(20_000);

    it('reloads a file rewritten in place', async () => {
      const { file } = meshFile('enableTracing: true\n');
      const { holder } = holderOf(file, { debounceMs: 20 });
      holder.start();
      try {
        const change = nextChange(holder);
        writeFileSync(file, 'enableTracing: false\n');
        const { next, previous } = await change;
        expect([previous.enableTracing, next.enableTracing]).to.deep.equal([true, false]);
      } finally {
        holder.close();
      }
    });

    it("reloads a ConfigMap volume's atomic ..data symlink swap", async () => {
      // The kubelet's layout: mesh.yaml → ..data/mesh.yaml, ..data → ..<timestamp>; an update writes a new
      // timestamped directory and renames a new ..data symlink over the old one.
      const dir = scratchDir('mizzen-mesh-configmap-');
      const version = (name: string, text: string) => {
        mkdirSync(join(dir, name));
        writeFileSync(join(dir, name, 'mesh.yaml'), text);
      };
      version('..2026_11_23_1', 'proxyImage: envoyproxy/envoy:v1.32.3\n');
      symlinkSync('..2026_11_23_1', join(dir, '..data'));
      symlinkSync('..data/mesh.yaml', join(dir, 'mesh.yaml'));
      const { holder } = holderOf(join(dir, 'mesh.yaml'), { debounceMs: 20 });
      holder.start();
      try {
        const change = nextChange(holder);
        version('..2026_11_23_2', 'proxyImage: envoyproxy/envoy:v1.33.0\n');
        symlinkSync('..2026_11_23_2', join(dir, '..data_tmp'));
        renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
        rmSync(join(dir, '..2026_11_23_1'), { recursive: true });
        expect((await change).next.proxyImage).to.equal('envoyproxy/envoy:v1.33.0');
      } finally {
        holder.close();
      }
    });
  });
});
