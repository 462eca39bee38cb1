import { expect } from 'chai';
import { analyze, analyzeObject } from '../../src/analysis/index.js';
import type { KubeObject } from '../../src/core/kube.js';
import { covers } from '../../src/analysis/analyzers/gateway-merge.js';
import { type Case, brief, describeTable, gw, ingressPod, ns, reviewsBase, svc, pod } from './fixtures.js';

/** A VirtualService bound to default/g for `hosts`, one rule per match (`undefined`: a rule without match) to reviews. */
function bound(name: string, hosts: string[], matches: Array<Record<string, unknown> | undefined>, o: { namespace?: string; created?: string; exportTo?: string[]; gateways?: string[] } = {}): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace: o.namespace ?? 'default', ...(o.created ? { creationTimestamp: o.created } : {}) },
    spec: {
      hosts,
      gateways: o.gateways ?? ['default/g'],
      ...(o.exportTo ? { exportTo: o.exportTo } : {}),
      http: matches.map((m) => ({ ...(m ? { match: [m] } : {}), route: [{ destination: { host: 'reviews.default.svc.cluster.local' } }] })),
    },
  };
}

const DAY1 = '2026-01-01T00:00:00Z';
const DAY2 = '2026-01-02T00:00:00Z';
const prefix = (p: string, extra: Record<string, unknown> = {}) => ({ uri: { prefix: p }, ...extra });
const base = (): KubeObject[] => [...reviewsBase(), ns('team-a'), ns('team-b'), gw('g'), ingressPod()];

const table: Record<string, Case[]> = {
  'merged without loss: nothing said': [
    { name: 'two teams, /api and /web of one host', objects: [...base(), bound('api', ['shop.example.com'], [prefix('/api')], { created: DAY1 }), bound('web', ['shop.example.com'], [prefix('/web')], { created: DAY2 })], expect: [] },
    { name: 'an older default route does not hide a newer path: catch-alls go last', objects: [...base(), bound('site', ['shop.example.com'], [undefined], { created: DAY1 }), bound('api', ['shop.example.com'], [prefix('/api')], { created: DAY2 })], expect: [] },
    { name: 'different hosts', objects: [...base(), bound('a', ['a.example.com'], [undefined]), bound('b', ['b.example.com'], [undefined])], expect: [] },
    { name: 'a narrower prefix first', objects: [...base(), bound('a', ['shop.example.com'], [prefix('/api/v2')], { created: DAY1 }), bound('b', ['shop.example.com'], [prefix('/api')], { created: DAY2 })], expect: [] },
    { name: 'the earlier route has a header condition the later lacks', objects: [...base(), bound('a', ['shop.example.com'], [prefix('/api', { headers: { x: { exact: '1' } } })], { created: DAY1 }), bound('b', ['shop.example.com'], [prefix('/api')], { created: DAY2 })], expect: [] },
    { name: 'not exported to the gateway’s namespace: not merged there', objects: [...base(), bound('a', ['shop.example.com'], [undefined], { created: DAY1 }), bound('b', ['shop.example.com'], [undefined], { namespace: 'team-a', created: DAY2, exportTo: ['.'] })], expect: [] },
    { name: 'a match for another port', objects: [...base(), bound('a', ['shop.example.com'], [prefix('/api', { port: 8080 })], { created: DAY1 }), bound('b', ['shop.example.com'], [prefix('/api')], { created: DAY2 })], expect: [] },
  ],
  'a route merging hides': [
    { name: 'a second default route for the host', objects: [...base(), bound('a', ['shop.example.com'], [undefined], { created: DAY1 }), bound('b', ['shop.example.com'], [prefix('/b'), undefined], { created: DAY2 })], expect: ['MZ0004 VirtualService default/b spec.http[1]'] },
    { name: 'the same prefix twice', objects: [...base(), bound('a', ['shop.example.com'], [prefix('/api')], { created: DAY1 }), bound('b', ['shop.example.com'], [prefix('/api/v2'), prefix('/web')], { created: DAY2 })], expect: ['MZ0004 VirtualService default/b spec.http[0].match[0]'] },
    { name: 'same age: by name, then namespace (a of team-b before b of team-a)', objects: [...base(), bound('b', ['shop.example.com'], [prefix('/x')], { namespace: 'team-a' }), bound('a', ['shop.example.com'], [prefix('/x')], { namespace: 'team-b' })], expect: ['MZ0004 VirtualService team-a/b spec.http[0].match[0]'] },
    { name: 'a wildcard VirtualService narrowed to the server’s host meets the specific one', objects: [...reviewsBase(), ingressPod(), gw('g', undefined, 'default', ['shop.example.com']), bound('wild', ['*.example.com'], [undefined], { created: DAY1 }), bound('shop', ['shop.example.com'], [undefined], { created: DAY2 })], expect: ['MZ0004 VirtualService default/shop spec.http[0]'] },
    { name: 'private to the gateway’s namespace: first, though newer', objects: [...base(), bound('public', ['shop.example.com'], [prefix('/x')], { created: DAY1 }), bound('private', ['shop.example.com'], [prefix('/x')], { created: DAY2, exportTo: ['.'] })], expect: ['MZ0004 VirtualService default/public spec.http[0].match[0]'] },
    { name: 'case-insensitive prefix takes a case-sensitive exact path', objects: [...base(), bound('a', ['shop.example.com'], [prefix('/API', { ignoreUriCase: true })], { created: DAY1 }), bound('b', ['shop.example.com'], [{ uri: { exact: '/api/login' } }], { created: DAY2 })], expect: ['MZ0004 VirtualService default/b spec.http[0].match[0]'] },
  ],
};

describeTable('analysis: routes merging hides on a gateway (MZ0004)', table);

describe('analysis: MZ0004 at apply time and its details', () => {
  it('the object being applied is the youngest; its hidden route is reported, with a message naming the route that hides it', () => {
    const world = [...base(), bound('a', ['shop.example.com'], [undefined], { created: DAY1 })];
    const found = analyzeObject(bound('b', ['shop.example.com'], [undefined]), world);
    expect(found.map(brief)).to.deep.equal(['MZ0004 VirtualService default/b spec.http[0]']);
    expect(found[0]!.message).to.include('gateway default/g (port 80) for host shop.example.com').and.include('spec.http[0] of VirtualService default/a');
    // Applying the older one reports nothing on it: it hides, it is not hidden.
    expect(analyzeObject(world.at(-1)!, [...world.slice(0, -1), bound('b', ['shop.example.com'], [undefined], { created: DAY2 })]).map(brief)).to.deep.equal([]);
  });

  it('delegating VirtualServices, and rules after a VirtualService’s own catch-all, are left out', () => {
    const delegating: KubeObject = { ...bound('a', ['shop.example.com'], [], { created: DAY1 }), spec: { hosts: ['shop.example.com'], gateways: ['default/g'], http: [{ delegate: { name: 'leaf' } }] } };
    const leaf: KubeObject = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'leaf', namespace: 'default' }, spec: { http: [{ route: [{ destination: { host: 'reviews' } }] }] } };
    expect(analyze([...base(), delegating, leaf, bound('b', ['shop.example.com'], [undefined], { created: DAY2 })]).map(brief)).to.deep.equal([]);
    // a's rule after its catch-all never becomes a route, so it hides nothing of b's.
    expect(analyze([...base(), bound('a', ['shop.example.com'], [undefined, prefix('/b')], { created: DAY1 }), bound('b', ['shop.example.com'], [prefix('/b')], { created: DAY2 })]).map(brief)).to.deep.equal([]);
    // The same after a match that takes every request (prefix `/`).
    expect(analyze([...base(), bound('a', ['shop.example.com'], [prefix('/'), prefix('/b')], { created: DAY1 }), bound('b', ['shop.example.com'], [prefix('/b')], { created: DAY2 })]).map(brief)).to.deep.equal([]);
  });

  it('covers: paths, cases, conditions', () => {
    const cases: Array<[Record<string, unknown> | undefined, Record<string, unknown> | undefined, boolean]> = [
      [undefined, prefix('/a'), true],
      [prefix('/'), { uri: { regex: '/x.*' } }, true],
      [{ uri: { regex: '.*' } }, undefined, true],
      [prefix('/a'), undefined, false],
      [prefix('/a'), prefix('/ab'), true],
      [prefix('/ab'), prefix('/a'), false],
      [prefix('/a'), { uri: { exact: '/a/b' } }, true],
      [{ uri: { exact: '/a' } }, { uri: { exact: '/a' } }, true],
      [{ uri: { exact: '/a' } }, prefix('/a'), false],
      [{ uri: { regex: '/a.*' } }, prefix('/a'), false],
      [prefix('/a'), prefix('/a', { ignoreUriCase: true }), false],
      [prefix('/A', { ignoreUriCase: true }), prefix('/a/b'), true],
      [prefix('/a', { headers: { x: { exact: '1' } } }), prefix('/a', { headers: { x: { exact: '1' }, y: { exact: '2' } } }), true],
      [prefix('/a', { headers: { x: { exact: '1' } } }), prefix('/a', { headers: { x: { exact: '2' } } }), false],
      [prefix('/a', { method: { exact: 'GET' } }), prefix('/a'), false],
      [prefix('/a'), prefix('/a', { method: { exact: 'GET' } }), true],
    ];
    for (const [a, b, want] of cases) expect(covers(a, b), `${JSON.stringify(a)} covers ${JSON.stringify(b)}`).to.equal(want);
  });

  it('malformed VirtualServices and Gateways never throw', () => {
    const junk: KubeObject[] = [
      { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'g', namespace: 'default' }, spec: { servers: [null, { port: 7 }, { port: { number: 80, protocol: 'HTTP' }, hosts: 7 }] } },
      { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'a', namespace: 'default' }, spec: { hosts: ['x'], gateways: ['g'], http: [null, { match: 'x' }, { match: [null] }] } },
      { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'b', namespace: 'default' }, spec: { hosts: 'x', gateways: 'g', http: 5 } },
      svc('reviews'),
      pod('r', { app: 'reviews' }),
    ];
    expect(() => analyze(junk)).to.not.throw();
  });
});
