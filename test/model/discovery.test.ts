/**
 * Istio's meshConfig.discoverySelectors (src/model/discovery.ts): which namespaces a selector list discovers, how
 * the mesh config checks the list, and what a snapshot keeps of the namespaces left out (nothing), built whole or
 * updated as namespaces are relabelled.
 */
import { expect } from 'chai';
import { objectKey, type KubeObject } from '../../src/core/kube.js';
import type { LabelSelector } from '../../src/config/mesh.js';
import { DEFAULT_MESH_CONFIG, resolveMeshConfig, snapshotOptions } from '../../src/config/mesh.js';
import { buildSnapshot, updateSnapshot, type SnapshotOptions } from '../../src/model/snapshot.js';
import { discoveredAmong, discoveredIn, discoveryNotes, namespaceViews, selectsNamespace, snapshotDiscovery } from '../../src/model/discovery.js';
import type { Snapshot } from '../../src/model/types.js';
import { edit } from '../support/objects.js';

const ns = (name: string, labels?: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } });
const svc = (name: string, namespace: string): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 8080 }] } });
const pod = (name: string, namespace: string, ip: string, app: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels: { app } },
  spec: { containers: [{ name: 'app' }] },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
});
const istio = (kind: string, name: string, namespace: string, spec: object, group = 'networking'): KubeObject => ({ apiVersion: `${group}.istio.io/v1`, kind, metadata: { name, namespace }, spec });
const b64 = (s: string): string => Buffer.from(s).toString('base64');

const ON = { 'istio-discovery': 'enabled' };
const SELECT_ON: LabelSelector[] = [{ matchLabels: ON }];

describe('discoverySelectors: which namespaces are discovered', () => {
  const labels = { team: 'a', tier: 'web', 'istio-discovery': 'enabled' };
  const table: Array<[string, LabelSelector[], Record<string, string>, boolean]> = [
    ['no selectors: every namespace', [], {}, true],
    ['an empty selector matches every namespace', [{}], {}, true],
    ['matchLabels, all present', [{ matchLabels: { team: 'a', tier: 'web' } }], labels, true],
    ['matchLabels, one value differs', [{ matchLabels: { team: 'a', tier: 'db' } }], labels, false],
    ['matchLabels, a key missing', [{ matchLabels: { owner: 'x' } }], labels, false],
    ['any of the selectors (the second matches)', [{ matchLabels: { team: 'b' } }, { matchLabels: { tier: 'web' } }], labels, true],
    ['none of the selectors', [{ matchLabels: { team: 'b' } }, { matchLabels: { tier: 'db' } }], labels, false],
    ['In', [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['db', 'web'] }] }], labels, true],
    ['In, another value', [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] }], labels, false],
    ['In, the key missing', [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }], labels, false],
    ['NotIn, another value', [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] }], labels, true],
    ['NotIn, the value listed', [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }], labels, false],
    ['NotIn, the key missing (matches, as in Kubernetes)', [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }], labels, true],
    ['Exists', [{ matchExpressions: [{ key: 'team', operator: 'Exists' }] }], labels, true],
    ['Exists, the key missing', [{ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }], labels, false],
    ['DoesNotExist', [{ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }], labels, true],
    ['DoesNotExist, the key present', [{ matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }], labels, false],
    ['matchLabels and matchExpressions must both hold', [{ matchLabels: { team: 'a' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] }], labels, false],
    ['the name label the API server sets, though the object does not say it', [{ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['shop', 'web'] }] }], {}, true],
    ['the name label is the name, whatever the object says', [{ matchLabels: { 'kubernetes.io/metadata.name': 'other' } }], { 'kubernetes.io/metadata.name': 'other' }, false],
  ];
  for (const [name, selectors, l, want] of table) {
    it(name, () => expect(selectsNamespace(selectors, 'shop', l)).to.equal(want));
  }

  it('a namespace without a Namespace object is not discovered, even by {} (istiod selects from its Namespace informer)', () => {
    const objects = [ns('shop', ON), ns('plain'), svc('cart', 'shop'), svc('web', 'orphan'), svc('x', 'plain')];
    expect(namespaceViews(objects, [{}])).to.deep.equal([
      { name: 'orphan', labels: {}, discovered: false, why: 'no Namespace object is known for it', objects: 1 },
      { name: 'plain', labels: {}, discovered: true, objects: 1 },
      { name: 'shop', labels: ON, discovered: true, objects: 1 },
    ]);
    expect(namespaceViews(objects, SELECT_ON).map((v) => [v.name, v.discovered, v.why])).to.deep.equal([
      ['orphan', false, 'no Namespace object is known for it'],
      ['plain', false, 'its labels match no discovery selector'],
      ['shop', true, undefined],
    ]);
    // Without selectors every namespace is, Namespace object or not.
    expect(namespaceViews(objects, []).every((v) => v.discovered)).to.equal(true);
  });

  it('filters objects by their namespace; cluster-scoped ones always stay', () => {
    const objects = [
      svc('cart', 'shop'),
      svc('web', 'plain'),
      { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'istio' } } as KubeObject,
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'istio-remote' } } as KubeObject,
    ];
    const names = (list: readonly KubeObject[]): string[] => list.map((o) => o.metadata.name!);
    expect(names(discoveredAmong(objects, [ns('shop', ON), ns('plain')], SELECT_ON))).to.deep.equal(['cart', 'istio', 'istio-remote']);
    expect(names(discoveredAmong(objects, [ns('shop', ON), ns('plain')], []))).to.deep.equal(['cart', 'web', 'istio', 'istio-remote']);
    const snap = buildSnapshot([ns('shop', ON), ns('plain')], { discoverySelectors: SELECT_ON });
    expect(names(discoveredIn(snap, objects))).to.deep.equal(['cart', 'istio', 'istio-remote']);
    expect(names(discoveredIn(undefined, objects)), 'no snapshot yet: nothing is filtered').to.deep.equal(['cart', 'web', 'istio', 'istio-remote']);
  });
});

describe('discoverySelectors in the mesh config', () => {
  it('defaults to none (every namespace), which the snapshot options leave out', () => {
    expect(DEFAULT_MESH_CONFIG.discoverySelectors).to.deep.equal([]);
    expect(snapshotOptions(DEFAULT_MESH_CONFIG)).to.not.have.property('discoverySelectors');
  });

  it('takes Istio\'s list as it is, into the snapshot options', () => {
    const selectors = [{ matchLabels: ON }, { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['istio-system'] }] }, {}];
    const r = resolveMeshConfig({ discoverySelectors: selectors });
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.warnings, 'applied, so not warned about').to.equal(undefined);
    expect(snapshotOptions(r.value).discoverySelectors).to.deep.equal(selectors);
  });

  const bad: Array<[string, unknown, string[]]> = [
    ['not a list', { matchLabels: ON }, ['discoverySelectors: must be a list']],
    ['a null entry', [SELECT_ON[0], null], ['discoverySelectors[1]: must be an object, not null']],
    ['an unknown operator', [{}, { matchExpressions: [{ key: 'team', operator: 'Equals', values: ['a'] }] }], ['discoverySelectors[1].matchExpressions[0].operator: unsupported value "Equals", must be one of In, NotIn, Exists, DoesNotExist']],
    ['In without values', [{ matchExpressions: [{ key: 'team', operator: 'In' }] }], ['discoverySelectors[0].matchExpressions[0].values: must be non-empty for In and NotIn']],
    ['an invalid label value', [{ matchLabels: { team: 'a b' } }], ['discoverySelectors[0].matchLabels[team]: invalid label value "a b"']],
    ['a misspelled field', [{ matchLabel: ON }], ['discoverySelectors[0].matchLabel: unknown field']],
  ];
  for (const [name, value, errors] of bad) {
    it(`rejects ${name}, naming the entry`, () => expect(resolveMeshConfig({ discoverySelectors: value })).to.deep.equal({ ok: false, errors }));
  }
});

/** Two namespaces, `web` discovered, `shop` not (until labelled), each with a Service, a pod, Istio configs, a Secret. */
function world(): KubeObject[] {
  return [
    ns('web', ON),
    ns('shop', { team: 'shop' }),
    ns('istio-system'),
    svc('front', 'web'),
    pod('front-1', 'web', '10.0.0.1', 'front'),
    svc('cart', 'shop'),
    pod('cart-1', 'shop', '10.0.1.1', 'cart'),
    istio('VirtualService', 'front', 'web', { hosts: ['front'], http: [{ route: [{ destination: { host: 'front' } }] }] }),
    istio('VirtualService', 'cart', 'shop', { hosts: ['front.web.svc.cluster.local'], http: [{ timeout: '7s', route: [{ destination: { host: 'front.web.svc.cluster.local' } }] }] }),
    istio('DestinationRule', 'cart', 'shop', { host: 'cart', subsets: [{ name: 'v1', labels: { version: 'v1' } }] }),
    istio('ServiceEntry', 'ext', 'shop', { hosts: ['api.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS' }),
    istio('WorkloadEntry', 'vm', 'shop', { address: '10.9.0.1', labels: { app: 'cart' } }),
    istio('PeerAuthentication', 'default', 'istio-system', { mtls: { mode: 'STRICT' } }, 'security'),
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cert', namespace: 'shop' }, type: 'kubernetes.io/tls', data: { 'tls.crt': b64('x'), 'tls.key': b64('y') } } as KubeObject,
    { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'istio' }, spec: { controller: 'istio.io/ingress-controller' } } as KubeObject,
  ];
}
const OPTS: SnapshotOptions = { discoverySelectors: SELECT_ON };
const labelShop = (objs: KubeObject[]): KubeObject[] => edit(objs, 'Namespace', 'shop', (n) => (n.metadata.labels = { ...n.metadata.labels, ...ON }));

/** What of the `shop` and `istio-system` namespaces a snapshot has. */
function outside(snap: Snapshot): string[] {
  const out: string[] = [];
  for (const s of snap.services.values()) if (s.namespace !== 'web') out.push(`service ${s.hostname}`);
  for (const w of snap.workloads) if (w.namespace !== 'web') out.push(`workload ${w.namespace}/${w.name}`);
  for (const f of ['virtualServices', 'destinationRules', 'serviceEntries', 'peerAuthentications'] as const) for (const c of snap[f]) if (c.namespace !== 'web') out.push(`${c.kind} ${c.namespace}/${c.name}`);
  for (const k of snap.credentials.keys()) out.push(`credential ${k}`);
  return out.sort();
}

describe('discoverySelectors in the snapshot', () => {
  it('leaves out every object of the namespaces not discovered (the root namespace too), keeps cluster-scoped ones and every Namespace', () => {
    const snap = buildSnapshot(world(), OPTS);
    expect(outside(snap)).to.deep.equal([]);
    expect([...snap.services.keys()]).to.deep.equal(['front.web.svc.cluster.local']);
    expect(snap.virtualServices.map((v) => v.name)).to.deep.equal(['front']);
    expect(snap.ingressClasses.map((c) => c.name)).to.deep.equal(['istio']);
    expect([...snap.namespaces.keys()]).to.deep.equal(['istio-system', 'shop', 'web']);
    expect(snapshotDiscovery(snap)).to.deep.equal(new Set(['web']));
  });

  it('without selectors, and with {}, everything is in', () => {
    const all = outside(buildSnapshot(world()));
    expect(all).to.deep.equal([
      'DestinationRule shop/cart', 'PeerAuthentication istio-system/default', 'ServiceEntry shop/ext', 'VirtualService shop/cart',
      'credential shop/cert', 'service api.example.com', 'service cart.shop.svc.cluster.local', 'workload shop/cart-1', 'workload shop/vm',
    ]);
    expect(outside(buildSnapshot(world(), { discoverySelectors: [{}] }))).to.deep.equal(all);
    expect(snapshotDiscovery(buildSnapshot(world()))).to.equal(undefined);
  });

  it('a namespace labelled into the selection brings its objects, and labelled out takes them away, incrementally as whole', () => {
    const before = world();
    const prev = buildSnapshot(before, OPTS);
    const after = labelShop(before);
    const keys = [objectKey(after.find((o) => o.kind === 'Namespace' && o.metadata.name === 'shop')!)];
    const inc = updateSnapshot(prev, after, keys, OPTS);
    expect(inc).to.deep.equal(buildSnapshot(after, OPTS));
    expect(outside(inc)).to.deep.equal(['DestinationRule shop/cart', 'ServiceEntry shop/ext', 'VirtualService shop/cart', 'credential shop/cert', 'service api.example.com', 'service cart.shop.svc.cluster.local', 'workload shop/cart-1', 'workload shop/vm']);
    const back = updateSnapshot(inc, before, keys, OPTS);
    expect(outside(back)).to.deep.equal([]);
    expect(back.version).to.equal(prev.version);
  });

  const changes: Array<{ name: string; change: (o: KubeObject[]) => KubeObject[]; noEffect?: boolean }> = [
    { name: 'a namespace labelled in', change: labelShop },
    { name: 'a discovered namespace labelled out', change: (o) => edit(o, 'Namespace', 'web', (n) => (n.metadata.labels = {})) },
    { name: 'a discovered namespace relabelled, still selected', change: (o) => edit(o, 'Namespace', 'web', (n) => (n.metadata.labels = { ...ON, extra: 'x' })) },
    { name: 'a namespace relabelled, still not selected', change: (o) => edit(o, 'Namespace', 'shop', (n) => (n.metadata.labels = { team: 'other' })) },
    { name: 'a discovered namespace deleted', change: (o) => o.filter((x) => !(x.kind === 'Namespace' && x.metadata.name === 'web')) },
    { name: 'a selected namespace created after its objects', change: (o) => [...o, ns('late', ON)].concat([svc('late', 'late')]) },
    { name: 'a pod added in a namespace not discovered', change: (o) => [...o, pod('cart-2', 'shop', '10.0.1.2', 'cart')], noEffect: true },
    { name: 'a Service changed in a namespace not discovered', change: (o) => edit(o, 'Service', 'cart', (s) => (s.spec.ports[0].port = 9090)), noEffect: true },
    { name: 'a VirtualService deleted in a namespace not discovered', change: (o) => o.filter((x) => !(x.kind === 'VirtualService' && x.metadata.name === 'cart')), noEffect: true },
    { name: 'a pod added in a discovered namespace', change: (o) => [...o, pod('front-2', 'web', '10.0.0.2', 'front')] },
    { name: 'a VirtualService changed in a discovered namespace', change: (o) => edit(o, 'VirtualService', 'front', (v) => (v.spec.http[0].timeout = '3s')) },
  ];
  const changed = (a: KubeObject[], b: KubeObject[]): string[] => {
    const text = (l: KubeObject[]) => new Map(l.map((o) => [objectKey(o), JSON.stringify(o)]));
    const [ma, mb] = [text(a), text(b)];
    return [...new Set([...ma.keys(), ...mb.keys()])].filter((k) => ma.get(k) !== mb.get(k));
  };
  for (const t of changes) {
    it(`updateSnapshot equals buildSnapshot: ${t.name}`, () => {
      const before = world();
      const prev = buildSnapshot(before, OPTS);
      const after = t.change(before);
      const inc = updateSnapshot(prev, after, changed(before, after), OPTS);
      expect(inc).to.deep.equal(buildSnapshot(after, OPTS));
      if (t.noEffect) expect(inc.version).to.equal(prev.version);
      else expect(inc.version).to.not.equal(prev.version);
    });
  }

  it('updateSnapshot equals buildSnapshot over all those changes in a row', () => {
    let objs = world();
    let snap = buildSnapshot(objs, OPTS);
    for (const t of changes) {
      const next = t.change(objs);
      snap = updateSnapshot(snap, next, changed(objs, next), OPTS);
      objs = next;
      expect(snap, t.name).to.deep.equal(buildSnapshot(objs, OPTS));
    }
  });

  it('other selectors are another snapshot, built whole', () => {
    const objs = world();
    const prev = buildSnapshot(objs, OPTS);
    const next = updateSnapshot(prev, objs, [], { discoverySelectors: [{ matchLabels: { team: 'shop' } }] });
    expect(next.version).to.not.equal(prev.version);
    expect([...next.services.keys()]).to.deep.equal(['api.example.com', 'cart.shop.svc.cluster.local']);
  });
});

describe('discoverySelectors in the log', () => {
  const objs = world();
  const first = buildSnapshot(objs, OPTS);

  it('says at first that selectors are in force and what they discover, and warns of a root namespace left out that holds objects', () => {
    expect(discoveryNotes(undefined, first, () => objs)).to.deep.equal({
      info: ['discoverySelectors: 1 selector(s) in force: only the namespaces they select are served (/debug/namespacez)', 'discoverySelectors: namespace(s) now discovered: web'],
      warn: [
        'discoverySelectors: root namespace istio-system is not discovered (its labels match no discovery selector): its 1 object(s), mesh-wide configuration included, are ignored, as istiod ignores them; give it labels a selector matches',
      ],
    });
  });

  it("warns of the mesh config's rootNamespace left out, and no longer of istio-system then", () => {
    const rooted = buildSnapshot(objs, { ...OPTS, rootNamespace: 'shop' });
    expect(discoveryNotes(undefined, rooted, () => objs).warn).to.deep.equal([
      'discoverySelectors: root namespace shop is not discovered (its labels match no discovery selector): its 7 object(s), mesh-wide configuration included, are ignored, as istiod ignores them; give it labels a selector matches',
    ]);
  });

  it('says which namespaces enter and leave the selection, and nothing when none does', () => {
    const after = edit(labelShop(objs), 'Namespace', 'web', (n) => (n.metadata.labels = {}));
    const next = buildSnapshot(after, OPTS);
    const notes = discoveryNotes(first, next, () => after);
    expect(notes.info).to.deep.equal(['discoverySelectors: namespace(s) now discovered: shop', 'discoverySelectors: namespace(s) no longer discovered, their objects dropped: web']);
    expect(notes.warn).to.have.length(1);
    let read = 0;
    expect(discoveryNotes(first, buildSnapshot([...objs, pod('front-2', 'web', '10.0.0.2', 'front')], OPTS), () => (read++, objs))).to.deep.equal({ info: [], warn: [] });
    expect(read, 'the objects are not read when nothing moved').to.equal(0);
  });

  it('the first snapshot, of an empty store, says only that selectors are in force', () => {
    let read = 0;
    expect(discoveryNotes(undefined, buildSnapshot([], OPTS), () => (read++, objs))).to.deep.equal({ info: ['discoverySelectors: 1 selector(s) in force: only the namespaces they select are served (/debug/namespacez)'], warn: [] });
    expect(read).to.equal(0);
  });

  it('says nothing without selectors', () => {
    expect(discoveryNotes(undefined, buildSnapshot(objs), () => objs)).to.deep.equal({ info: [], warn: [] });
  });
});
