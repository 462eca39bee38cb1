/**
 * Generated objects that do not depend on the proxy are shared: outbound clusters and default-route virtual hosts
 * come back as the same object for every proxy scope, and from the next snapshot when their inputs (service,
 * DestinationRule, domains) did not change, so the encoder finds them by identity. A change of any input gives a
 * new object with the new content.
 */
import { expect } from 'chai';
import { generate } from '../../../src/xds/gen/index.js';
import { buildSnapshot, updateSnapshot } from '../../../src/model/snapshot.js';
import { objectKey, type KubeObject } from '../../../src/core/kube.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { edit } from '../../support/objects.js';
import { PRODUCTPAGE, REVIEWS_V1, bookinfo, byName, proxy } from './helpers.js';

const OTHER_NS = 'sidecar~10.244.9.9~client-1.other~other.svc.cluster.local';
const DETAILS = 'outbound|9080||details.default.svc.cluster.local';
const DETAILS_VH = 'details.default.svc.cluster.local:9080';

const vhOf = (rcs: ReturnType<typeof generate>, name: string): any => byName(rcs, '9080').virtual_hosts.find((v: any) => v.name === name);
const changedKeys = (a: KubeObject[], b: KubeObject[]): string[] => {
  const before = new Map(a.map((o) => [objectKey(o), o]));
  const after = new Map(b.map((o) => [objectKey(o), o]));
  return [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k));
};

describe('generated objects shared between scopes and snapshots', () => {
  const objs = bookinfo('destination-rule-all.yaml');
  const snap = buildSnapshot(objs);

  it('two scopes get the same cluster and default-route virtual host objects', () => {
    const [a, b] = [PRODUCTPAGE, REVIEWS_V1].map((id) => proxy(id));
    expect(byName(generate(snap, a!, TypeUrls.cluster), DETAILS)).to.equal(byName(generate(snap, b!, TypeUrls.cluster), DETAILS));
    expect(vhOf(generate(snap, a!, TypeUrls.route), DETAILS_VH)).to.equal(vhOf(generate(snap, b!, TypeUrls.route), DETAILS_VH));
  });

  it('a proxy in another namespace shares the cluster but gets its own virtual host (no short domain)', () => {
    const [a, o] = [PRODUCTPAGE, OTHER_NS].map((id) => proxy(id));
    expect(byName(generate(snap, a!, TypeUrls.cluster), DETAILS)).to.equal(byName(generate(snap, o!, TypeUrls.cluster), DETAILS));
    const mine = vhOf(generate(snap, a!, TypeUrls.route), DETAILS_VH);
    const theirs = vhOf(generate(snap, o!, TypeUrls.route), DETAILS_VH);
    expect(mine.domains).to.include('details');
    expect(theirs.domains).to.not.include('details');
  });

  it('a changed DestinationRule gives new objects for its host only; the next snapshot keeps the others', () => {
    const p = proxy(PRODUCTPAGE);
    const next = edit(objs, 'DestinationRule', 'details', (d) => (d.spec.trafficPolicy = { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } }));
    const snap2 = updateSnapshot(snap, next, changedKeys(objs, next));
    const [c1, c2] = [snap, snap2].map((s) => generate(s, p, TypeUrls.cluster));
    const [r1, r2] = [snap, snap2].map((s) => generate(s, p, TypeUrls.route));
    expect(byName(c2!, DETAILS)).to.not.equal(byName(c1!, DETAILS));
    expect(byName(c2!, DETAILS).lb_policy).to.equal('RING_HASH');
    expect(vhOf(r2!, DETAILS_VH).routes[0].route.hash_policy).to.deep.equal([{ header: { header_name: 'x-user' } }]);
    expect(vhOf(r1!, DETAILS_VH).routes[0].route.hash_policy).to.equal(undefined);
    const RATINGS = 'outbound|9080||ratings.default.svc.cluster.local';
    expect(byName(c2!, RATINGS)).to.equal(byName(c1!, RATINGS));
    expect(vhOf(r2!, 'ratings.default.svc.cluster.local:9080')).to.equal(vhOf(r1!, 'ratings.default.svc.cluster.local:9080'));
    // Equal to what a fresh build generates.
    expect(generate(snap2, p, TypeUrls.cluster)).to.deep.equal(generate(buildSnapshot(next), p, TypeUrls.cluster));
    expect(generate(snap2, p, TypeUrls.route)).to.deep.equal(generate(buildSnapshot(next), p, TypeUrls.route));
  });
});
