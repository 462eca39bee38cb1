import { expect } from 'chai';
import { ConfigStore, type StoreChange } from '../../src/model/store.js';
import type { KubeObject } from '../../src/core/kube.js';

const svc = (name: string, port = 80, ns = 'default'): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { ports: [{ port }] } });
const vs = (name: string): KubeObject => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace: 'default' }, spec: { hosts: [name] } });

function recorder(store: ConfigStore): StoreChange[] {
  const events: StoreChange[] = [];
  store.onChange((e) => events.push(e));
  return events;
}

describe('ConfigStore', () => {
  it('setSource emits one change with kinds and keys, and nothing when unchanged', async () => {
    const store = new ConfigStore();
    const events = recorder(store);
    store.setSource('file:a.yaml', [svc('a'), vs('a')]);
    expect(events).to.have.length(1);
    expect(events[0]!.version).to.equal(1);
    expect([...events[0]!.kinds].sort()).to.deep.equal(['Service', 'VirtualService']);
    expect(events[0]!.keys).to.deep.equal(['Service/default/a', 'VirtualService.networking.istio.io/default/a']);
    store.setSource('file:a.yaml', [svc('a'), vs('a')]);
    expect(events).to.have.length(1);
    expect(store.version).to.equal(1);
  });

  const table: Array<{ name: string; act: (s: ConfigStore) => void; keys: string[]; list: string[] }> = [
    { name: 'replace drops objects gone from the source', act: (s) => s.setSource('file:a.yaml', [svc('a')]), keys: ['VirtualService.networking.istio.io/default/a'], list: ['Service/default/a'] },
    { name: 'changed object', act: (s) => s.setSource('file:a.yaml', [svc('a', 81), vs('a')]), keys: ['Service/default/a'], list: ['Service/default/a', 'VirtualService.networking.istio.io/default/a'] },
    { name: 'empty source', act: (s) => s.setSource('file:a.yaml', []), keys: ['Service/default/a', 'VirtualService.networking.istio.io/default/a'], list: [] },
    { name: 'upsert', act: (s) => s.upsert('kube', svc('b')), keys: ['Service/default/b'], list: ['Service/default/a', 'Service/default/b', 'VirtualService.networking.istio.io/default/a'] },
    { name: 'remove', act: (s) => s.remove('file:a.yaml', 'Service/default/a'), keys: ['Service/default/a'], list: ['VirtualService.networking.istio.io/default/a'] },
  ];
  for (const t of table) {
    it(t.name, async () => {
      const store = new ConfigStore();
      store.setSource('file:a.yaml', [svc('a'), vs('a')]);
      const events = recorder(store);
      t.act(store);
      expect(events).to.have.length(1);
      expect(events[0]!.keys).to.deep.equal(t.keys);
      expect(store.list().map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`.replace('VirtualService', 'VirtualService.networking.istio.io'))).to.deep.equal(t.list);
    });
  }

  it('the newest write of a key wins across sources, and removal uncovers the other', async () => {
    const store = new ConfigStore();
    store.setSource('file:a.yaml', [svc('a', 80)]);
    store.upsert('kube', svc('a', 90));
    expect(store.list()[0]!.spec.ports[0].port).to.equal(90);
    store.remove('kube', 'Service/default/a');
    expect(store.list()[0]!.spec.ports[0].port).to.equal(80);
  });

  it('list() after any sequence of edits, listed or not in between, equals a list built from scratch', () => {
    // Edits of listed objects patch the previous list in place; anything else rebuilds it. A model says what wins.
    const store = new ConfigStore();
    const model = new Map<string, Map<string, { obj: KubeObject; at: number }>>();
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    const sources = ['file:a.yaml', 'kube', 'file:b.yaml'];
    for (let step = 1; step <= 400; step++) {
      const source = sources[rand(3)]!;
      const name = `s${rand(12)}`;
      const m = model.get(source) ?? new Map();
      model.set(source, m);
      const key = `Service/default/${name}`;
      if (rand(5) === 0) {
        store.remove(source, key);
        m.delete(key);
      } else {
        const obj = svc(name, 80 + rand(4));
        const before = store.version;
        store.upsert(source, obj);
        if (store.version !== before) m.set(key, { obj, at: step });
      }
      if (rand(3) === 0) continue; // several edits before the next list()
      const winners = new Map<string, { obj: KubeObject; at: number }>();
      for (const entries of model.values()) for (const [k, e] of entries) if (!winners.has(k) || e.at > winners.get(k)!.at) winners.set(k, e);
      const want = [...winners.keys()].sort().map((k) => winners.get(k)!.obj);
      expect(store.list(), `step ${step}`).to.deep.equal(want);
    }
  });

  it('ignores unknown removals and survives a throwing listener', async () => {
    const store = new ConfigStore();
    store.remove('nope', 'Service/default/x');
    expect(store.version).to.equal(0);
    store.onChange(() => {
      throw new Error('bug');
    });
    const events = recorder(store);
    store.upsert('kube', svc('x'));
    expect(events).to.have.length(1);
    expect(store.bySource()).to.deep.equal([{ source: 'kube', keys: ['Service/default/x'] }]);
  });
});
