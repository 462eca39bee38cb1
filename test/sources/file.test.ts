import { expect } from 'chai';
import { mkdtempSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { ConfigStore } from '../../src/model/store.js';
import { watchConfigDir, type FileSource } from '../../src/sources/file.js';

const SERVICE = `apiVersion: v1
kind: Service
metadata: { name: reviews, namespace: default }
spec: { selector: { app: reviews }, ports: [{ name: http, port: 9080 }] }
`;
const vs = (weight1: number, weight2: number): string => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: default }
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: { host: reviews, subset: v1 }
      weight: ${weight1}
    - destination: { host: reviews, subset: v2 }
      weight: ${weight2}
`;

const weights = (store: ConfigStore): number[] | undefined =>
  store
    .list()
    .find((o) => o.kind === 'VirtualService')
    ?.spec.http[0].route.map((r: { weight: number }) => r.weight);

/** Waits until `pred` holds, re-checking on every store change (no timing assertions: only a generous cap). */
function until(store: ConfigStore, pred: () => boolean, ms = 10_000): Promise<void> {
  if (pred()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      off();
      reject(new Error('condition not reached'));
    }, ms);
    const off = store.onChange(() => {
      if (!pred()) return;
      clearTimeout(t);
      off();
      resolve();
    });
  });
}

describe('file source (--config-dir)', () => {
  let dir: string;
  let store: ConfigStore;
  let src: FileSource | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mizzen-cfg-'));
    store = new ConfigStore();
  });
  afterEach(() => {
    src?.close();
    src = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads yaml, yml and json files, nested, multi-document, lists; ignores other files', async () => {
    mkdirSync(join(dir, 'nested'));
    writeFileSync(join(dir, 'a.yaml'), `${SERVICE}---\n${vs(90, 10)}`);
    writeFileSync(join(dir, 'nested', 'b.yml'), 'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: x}}\n');
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }));
    writeFileSync(join(dir, 'notes.txt'), 'not config');
    src = watchConfigDir(dir, store, { pollMs: 0 });
    await src.ready;
    expect(store.list().map((o) => o.kind).sort()).to.deep.equal(['ConfigMap', 'Namespace', 'Service', 'VirtualService']);
    expect(src.errors()).to.deep.equal([]);
  });

  const bad: Array<{ name: string; text: string; error: RegExp; kept: boolean }> = [
    { name: 'unparsable YAML keeps the whole file', text: `${SERVICE}---\nkind: [unclosed\n`, error: /document 1/, kept: true },
    { name: 'invalid VirtualService keeps its last good version', text: `${SERVICE}---\n${vs(90, 10).replace('weight: 90', 'weight: -5')}`, error: /VirtualService.*weight/, kept: true },
    { name: 'not a Kubernetes object', text: `${SERVICE}---\n${vs(90, 10)}---\njust: a map\n`, error: /not a Kubernetes object/, kept: false },
    { name: 'missing name', text: `${SERVICE}---\n${vs(90, 10)}---\n{apiVersion: v1, kind: Service, metadata: {}}\n`, error: /metadata.name: required/, kept: false },
  ];
  for (const t of bad) {
    it(`${t.name}: logged, counted, listed, last good in force`, async () => {
      const registry = new Registry();
      const seen: string[] = [];
      writeFileSync(join(dir, 'a.yaml'), `${SERVICE}---\n${vs(90, 10)}`);
      src = watchConfigDir(dir, store, { pollMs: 0, registry, onError: (e) => seen.push(e.message) });
      await src.ready;
      writeFileSync(join(dir, 'a.yaml'), t.text);
      src.rescan();
      expect(weights(store)).to.deep.equal([90, 10]);
      expect(store.list().some((o) => o.kind === 'Service')).to.equal(true);
      const errors = src.errors();
      expect(errors).to.have.length(1);
      expect(errors[0]!.message).to.match(t.error);
      expect(errors[0]!.keptLastGood).to.equal(t.kept);
      expect(seen).to.have.length(1);
      expect(await registry.getSingleMetricAsString('mizzen_config_errors_total')).to.match(/mizzen_config_errors_total 1/);
      expect(await registry.getSingleMetricAsString('mizzen_config_errors')).to.match(/mizzen_config_errors 1/);
      // Fixed: applied, error gone.
      writeFileSync(join(dir, 'a.yaml'), `${SERVICE}---\n${vs(50, 50)}`);
      src.rescan();
      expect(weights(store)).to.deep.equal([50, 50]);
      expect(src.errors()).to.deep.equal([]);
    });
  }

  it('an invalid Istio resource never reaches the store on first load', async () => {
    writeFileSync(join(dir, 'a.yaml'), vs(90, 10).replace('weight: 90', 'weight: -5'));
    src = watchConfigDir(dir, store, { pollMs: 0 });
    await src.ready;
    expect(store.list()).to.deep.equal([]);
    expect(src.errors()[0]!.keptLastGood).to.equal(false);
  });

  it('deleting a file removes its objects', async () => {
    writeFileSync(join(dir, 'a.yaml'), SERVICE);
    writeFileSync(join(dir, 'b.yaml'), vs(90, 10));
    src = watchConfigDir(dir, store, { pollMs: 0 });
    await src.ready;
    rmSync(join(dir, 'b.yaml'));
    src.rescan();
    expect(store.list().map((o) => o.kind)).to.deep.equal(['Service']);
  });

  it('a missing directory rejects ready with a clear error', async () => {
    src = watchConfigDir(join(dir, 'nope'), store, { pollMs: 0 });
    let err: Error | undefined;
    await src.ready.catch((e: Error) => (err = e));
    expect(err?.message).to.match(/config dir .*nope: no such file or directory/);
  });

  it('watches: an edit and an editor-style rename-replace are picked up without rescan()', async () => {
    writeFileSync(join(dir, 'vs.yaml'), vs(90, 10));
    src = watchConfigDir(dir, store, { debounceMs: 10, pollMs: 0 });
    await src.ready;
    writeFileSync(join(dir, 'vs.yaml'), vs(80, 20));
    await until(store, () => weights(store)?.[0] === 80);
    writeFileSync(join(dir, '.vs.yaml.swp'), vs(70, 30));
    renameSync(join(dir, '.vs.yaml.swp'), join(dir, 'vs.yaml'));
    await until(store, () => weights(store)?.[0] === 70);
    mkdirSync(join(dir, 'later'));
    writeFileSync(join(dir, 'later', 'svc.yaml'), SERVICE);
    await until(store, () => store.list().some((o) => o.kind === 'Service'));
  });

  it('polling alone catches changes when events are missed', async () => {
    writeFileSync(join(dir, 'vs.yaml'), vs(90, 10));
    src = watchConfigDir(dir, store, { debounceMs: 10_000, pollMs: 20 });
    await src.ready;
    writeFileSync(join(dir, 'vs.yaml'), vs(60, 40) + '\n# changed size\n');
    await until(store, () => weights(store)?.[0] === 60);
  });
});
