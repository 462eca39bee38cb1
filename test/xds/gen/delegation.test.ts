/** VirtualService delegation: the merge rules (Istio's), and the routes that come out for Envoy and gRPC. */
import { expect } from 'chai';
import { generate } from '../../../src/xds/gen/index.js';
import { buildSnapshot, updateSnapshot } from '../../../src/model/snapshot.js';
import { objectKey } from '../../../src/core/kube.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { matchConflict, mergeRule, stringMatchConflict } from '../../../src/xds/gen/delegation.js';
import { PRODUCTPAGE, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

const V1 = 'outbound|9080|v1|reviews.default.svc.cluster.local';
const V2 = 'outbound|9080|v2|reviews.default.svc.cluster.local';
const V3 = 'outbound|9080|v3|reviews.default.svc.cluster.local';

const ROOT = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews-root, namespace: default }
spec:
  hosts: [reviews]
  http:
  - name: api
    match: [{ uri: { prefix: /api } }]
    timeout: 3s
    delegate: { name: reviews-api, namespace: team }
  - route: [{ destination: { host: reviews, subset: v1 } }]`;

const delegate = (extra = ''): string => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews-api, namespace: team }
spec:
  ${extra}
  http:
  - name: v2
    match: [{ uri: { prefix: /api/v2 } }]
    route: [{ destination: { host: reviews.default.svc.cluster.local, subset: v2 } }]
  - name: elsewhere
    match: [{ uri: { prefix: /other } }]
    route: [{ destination: { host: reviews.default.svc.cluster.local, subset: v3 } }]
  - route: [{ destination: { host: reviews.default.svc.cluster.local, subset: v3 } }]
    timeout: 1s`;

function reviewsRoutes(...docs: string[]): any[] {
  const snap = buildSnapshot([...bookinfo('destination-rule-all.yaml'), ...docs.flatMap((d) => yamlObjects(d))]);
  const routes = generate(snap, proxy(PRODUCTPAGE), TypeUrls.route);
  expectValid(TypeUrls.route, routes);
  return byName(routes, '9080').virtual_hosts.find((v: any) => v.name === 'reviews.default.svc.cluster.local:9080').routes;
}

/** "name prefix cluster timeout" per route; unnamed rules are named <namespace>/<VirtualService>/<index>. */
const summary = (routes: any[]) => routes.map((r) => `${r.name} ${r.match.prefix ?? r.match.path ?? ''} ${r.route?.cluster} ${r.route?.timeout?.seconds ?? '-'}s`);

describe('VirtualService delegation', () => {
  describe('string matches: a delegate match must lie within the root one', () => {
    const table: Array<[unknown, unknown, boolean]> = [
      [undefined, { prefix: '/a' }, false],
      [{ prefix: '/a' }, undefined, false],
      [{ prefix: '/a' }, { prefix: '/a/b' }, false],
      [{ prefix: '/a/b' }, { prefix: '/a' }, true],
      [{ prefix: '/a' }, { exact: '/a/x' }, false],
      [{ prefix: '/a' }, { exact: '/b' }, true],
      [{ exact: '/a' }, { exact: '/a' }, false],
      [{ exact: '/a' }, { exact: '/b' }, true],
      [{ exact: '/a' }, { prefix: '/a' }, true],
      [{ regex: '/a.*' }, { prefix: '/a' }, true],
      [{ prefix: '/a' }, { regex: '/a.*' }, true],
    ];
    for (const [root, leaf, conflict] of table) {
      it(`${JSON.stringify(root)} ⊇ ${JSON.stringify(leaf)}: ${conflict ? 'conflict' : 'fits'}`, () => expect(stringMatchConflict(root, leaf)).to.equal(conflict));
    }
  });

  it('other match fields: ports, source namespace and labels, gateways, ignoreUriCase, headers', () => {
    expect(matchConflict({ port: 9080 }, { port: 9081 })).to.equal(true);
    expect(matchConflict({ port: 9080 }, {})).to.equal(false);
    expect(matchConflict({ sourceNamespace: 'a' }, { sourceNamespace: 'b' })).to.equal(true);
    expect(matchConflict({ sourceNamespace: 'a' }, {})).to.equal(true);
    expect(matchConflict({ sourceLabels: { app: 'x' } }, { sourceLabels: { app: 'y' } })).to.equal(true);
    expect(matchConflict({ sourceLabels: { app: 'x' } }, { sourceLabels: { version: 'y' } })).to.equal(false);
    expect(matchConflict({ gateways: ['mesh', 'gw'] }, { gateways: ['gw'] })).to.equal(false);
    expect(matchConflict({ gateways: ['mesh'] }, { gateways: ['gw'] })).to.equal(true);
    expect(matchConflict({ ignoreUriCase: true }, {})).to.equal(true);
    expect(matchConflict({ headers: { a: { exact: 'x' } } }, { headers: { a: { exact: 'y' } } })).to.equal(true);
    expect(matchConflict({ headers: { a: { exact: 'x' } } }, { headers: { b: { exact: 'y' } } })).to.equal(false);
  });

  it('merges a rule: the delegate fields win, the root fills the rest, names join, matches narrow', () => {
    const root = { name: 'api', match: [{ uri: { prefix: '/api' }, headers: { a: { exact: '1' } } }], timeout: '3s', retries: { attempts: 2 } };
    expect(mergeRule(root, { name: 'v2', match: [{ uri: { prefix: '/api/v2' } }], timeout: '1s', route: [] })).to.deep.equal({
      name: 'api-v2',
      match: [{ uri: { prefix: '/api/v2' }, headers: { a: { exact: '1' } } }],
      timeout: '1s',
      retries: { attempts: 2 },
      route: [],
    });
    expect(mergeRule(root, { route: [] })).to.deep.equal({ name: 'api', match: root.match, timeout: '3s', retries: { attempts: 2 }, route: [] });
    expect(mergeRule(root, { match: [{ uri: { prefix: '/other' } }], route: [] })).to.equal(undefined);
  });

  it('routes: the delegate rules take the root rule place, merged; conflicting ones are dropped; the rest of the root stays', () => {
    // The unnamed delegate rule takes the root rule's name; the root's timeout fills in where the delegate sets none.
    expect(summary(reviewsRoutes(ROOT, delegate()))).to.deep.equal([`api-v2 /api/v2 ${V2} 3s`, `api /api ${V3} 1s`, `default/reviews-root/2 / ${V1} 0s`]);
  });

  it('a delegate not exported to the root namespace, or missing, routes nothing; the root rule is dropped', () => {
    expect(summary(reviewsRoutes(ROOT, delegate('exportTo: ["."]')))).to.deep.equal([`default/reviews-root/0 / ${V1} 0s`]);
    expect(summary(reviewsRoutes(ROOT))).to.deep.equal([`default/reviews-root/0 / ${V1} 0s`]);
  });

  it('a delegate alone is not a VirtualService of its own', () => {
    const routes = reviewsRoutes(delegate());
    expect(routes.map((r) => r.route.cluster)).to.deep.equal(['outbound|9080||reviews.default.svc.cluster.local']);
  });

  it('resolves short destination hosts of a delegate in its own namespace', () => {
    const root = ROOT.replace('namespace: team', 'namespace: default');
    const local = delegate().replace('namespace: team', 'namespace: default').replaceAll('host: reviews.default.svc.cluster.local', 'host: reviews');
    expect(summary(reviewsRoutes(root, local))[0]).to.equal(`api-v2 /api/v2 ${V2} 3s`);
  });

  it('proxyless gRPC gets the merged routes too', () => {
    const snap = buildSnapshot([...bookinfo('destination-rule-all.yaml'), ...yamlObjects(ROOT), ...yamlObjects(delegate())]);
    const grpc = proxy(PRODUCTPAGE, { GENERATOR: 'grpc' });
    const text = JSON.stringify(generate(snap, grpc, TypeUrls.route, ['reviews.default.svc.cluster.local:9080']));
    expect(text).to.include(V2).and.include(V3).and.include(V1);
  });

  it('follows an edited delegate (no resourceVersion) in an incremental snapshot', () => {
    const first = buildSnapshot([...bookinfo('destination-rule-all.yaml'), ...yamlObjects(ROOT), ...yamlObjects(delegate())]);
    const edited = yamlObjects(delegate().replace('prefix: /api/v2', 'prefix: /api/v9'));
    const second = updateSnapshot(first, [...bookinfo('destination-rule-all.yaml'), ...yamlObjects(ROOT), ...edited], [objectKey(edited[0]!)]);
    const text = (snap: typeof first) => JSON.stringify(generate(snap, proxy(PRODUCTPAGE), TypeUrls.route));
    expect(text(first)).to.include('/api/v2');
    expect(text(second)).to.include('/api/v9').and.not.include('/api/v2');
  });
});
