import { expect } from 'chai';
import { EncodedPool } from '../../../src/xds/server/pool.js';
import { decode, encode } from '../../../src/xds/proto.js';
import { TypeUrls } from '../../../src/core/constants.js';

const vh = (i: number, weight = 90) => ({
  name: `svc-${i}.ns.svc.cluster.local:9080`,
  domains: [`svc-${i}.ns.svc.cluster.local`, `svc-${i}.ns.svc.cluster.local:9080`],
  routes: [{ match: { prefix: '/' }, route: { weighted_clusters: { clusters: [{ name: `outbound|9080|v1|svc-${i}`, weight: { value: weight } }, { name: `outbound|9080|v2|svc-${i}`, weight: { value: 100 - weight } }] } } }],
});
const routeConfig = (n: number, change?: number) => ({
  name: '9080',
  virtual_hosts: Array.from({ length: n }, (_, i) => vh(i, i === change ? 50 : 90)),
  validate_clusters: { value: false },
});
/** The Any's value, decoded as a RouteConfiguration. */
const valueOf = (any: Buffer) => {
  const a = decode('google.protobuf.Any', any) as Record<string, unknown>;
  delete a['@type'];
  return a;
};

describe('EncodedPool', () => {
  for (const n of [3, 8, 40]) {
    it(`a route configuration with ${n} virtual hosts decodes as the whole encoded at once`, () => {
      const rc = routeConfig(n);
      const e = new EncodedPool().get(TypeUrls.route, rc);
      expect(valueOf(e.any)).to.deep.equal(decode(TypeUrls.route, encode(TypeUrls.route, rc)));
    });
  }

  it('virtual hosts are encoded once across configurations; equal content, equal entry; a change, a new version', () => {
    const pool = new EncodedPool();
    const a = pool.get(TypeUrls.route, routeConfig(20));
    expect(pool.encodes).to.equal(1);
    const same = pool.get(TypeUrls.route, routeConfig(20));
    expect(same).to.equal(a);
    expect(pool.encodes).to.equal(1);
    pool.rotate();
    const changed = pool.get(TypeUrls.route, routeConfig(20, 4));
    expect(changed.hash).to.not.equal(a.hash);
    expect(valueOf(changed.any)).to.deep.equal(decode(TypeUrls.route, encode(TypeUrls.route, routeConfig(20, 4))));
    // The previous snapshot's content is still found after one rotation.
    expect(pool.get(TypeUrls.route, routeConfig(20))).to.equal(a);
    const other = { ...routeConfig(20), name: '8080' };
    expect(pool.get(TypeUrls.route, other).hash).to.not.equal(a.hash);
  });
});
