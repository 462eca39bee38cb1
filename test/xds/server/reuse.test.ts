/**
 * The server keeps generated output across snapshots for types a change cannot affect, and regenerates EDS
 * only for changed services. This must equal a full regeneration: checked here for the Bookinfo mesh, with
 * sidecar, gateway and proxyless gRPC proxies, over a table of changes.
 */
import { expect } from 'chai';
import { readDocuments } from '../../../src/core/documents.js';
import { isKubeObject, type KubeObject } from '../../../src/core/kube.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { parseNode, type Proxy } from '../../../src/model/proxy.js';
import { EncodedPool, SnapshotCache } from '../../../src/xds/server/cache.js';
import { defaultGenerators as gens } from '../../../src/xds/server/index.js';
import { planReuse } from '../../../src/xds/server/reuse.js';
import { pod } from './fixtures.js';
import { BOOKINFO_DIR } from '../../support/samples.js';
import { edit } from '../../support/objects.js';

const SAMPLES = BOOKINFO_DIR;
const load = (...files: string[]): KubeObject[] =>
  readDocuments(files.map((f) => `${SAMPLES}/${f}`))
    .map((d) => d.value)
    .filter(isKubeObject);

function bookinfo(): KubeObject[] {
  const services = load('platform/bookinfo.yaml').filter((o) => o.kind === 'Service');
  const pods = [
    pod('details-v1', 'details', '10.2.0.1', { version: 'v1' }),
    pod('ratings-v1', 'ratings', '10.2.0.2', { version: 'v1' }),
    pod('reviews-v1', 'reviews', '10.2.0.3', { version: 'v1' }),
    pod('reviews-v2', 'reviews', '10.2.0.4', { version: 'v2' }),
    pod('reviews-v3', 'reviews', '10.2.0.5', { version: 'v3' }),
    pod('productpage-v1', 'productpage', '10.2.0.6', { version: 'v1' }),
  ];
  return [...services, ...pods, ...load('networking/destination-rule-all.yaml', 'networking/virtual-service-reviews-90-10.yaml', 'networking/bookinfo-gateway.yaml')];
}

const proxies: Array<{ proxy: Proxy; names: Record<string, string[] | undefined> }> = [
  { id: 'sidecar~10.2.0.6~productpage-v1.default~default.svc.cluster.local', meta: {} },
  { id: 'sidecar~10.2.0.3~reviews-v1.default~default.svc.cluster.local', meta: { LABELS: { app: 'reviews', version: 'v1' } } },
  { id: 'router~10.2.0.9~gateway.istio-system~istio-system.svc.cluster.local', meta: { LABELS: { istio: 'ingressgateway' } } },
  { id: 'sidecar~127.0.0.1~client.default~default.svc.cluster.local', meta: { GENERATOR: 'grpc' }, lds: ['reviews:9080', 'ratings.default:9080'] },
].map((p) => {
  const r = parseNode({ id: p.id, metadata: p.meta });
  if (!r.ok) throw new Error(r.errors.join());
  return { proxy: r.value, names: { [TypeUrls.listener]: p.lds } };
});

const TYPES = [TypeUrls.cluster, TypeUrls.endpoint, TypeUrls.listener, TypeUrls.route];

/** name → version of everything each proxy gets. */
function generateAll(cache: SnapshotCache): string[] {
  const out: string[] = [];
  for (const { proxy, names } of proxies) {
    const scope = gens.proxyScope(cache.snapshot, proxy);
    for (const t of TYPES) {
      const n = names[t];
      const set = cache.resolve(scope, proxy, t, !n, n ?? []);
      for (const r of set.resources.values()) out.push(`${proxy.id} ${t} ${r.name} ${r.hash}`);
    }
  }
  return out.sort();
}

describe('xDS cache reuse across snapshots equals a full regeneration', () => {
  const changes: Array<{ name: string; change: (o: KubeObject[]) => KubeObject[]; reuse: string[] }> = [
    { name: 'endpoint IP changes', change: (o) => edit(o, 'Pod', 'reviews-v2', (p) => (p.status.podIP = '10.2.1.4')), reuse: ['cds', 'lds', 'rds'] },
    { name: 'endpoint added', change: (o) => [...o, pod('ratings-v2', 'ratings', '10.2.0.7', { version: 'v2' })], reuse: ['cds', 'lds', 'rds'] },
    { name: 'endpoint removed', change: (o) => o.filter((x) => x.metadata.name !== 'details-v1'), reuse: ['cds', 'lds', 'rds'] },
    { name: 'endpoint label changes subset', change: (o) => edit(o, 'Pod', 'reviews-v3', (p) => (p.metadata.labels.version = 'v2')), reuse: ['cds', 'lds', 'rds'] },
    { name: 'endpoint of the proxy itself', change: (o) => edit(o, 'Pod', 'productpage-v1', (p) => (p.status.conditions[0].status = 'False')), reuse: ['cds', 'lds', 'rds'] },
    { name: 'VirtualService weights', change: (o) => edit(o, 'VirtualService', 'reviews', (v) => (v.spec.http[0].route[0].weight = 50, v.spec.http[0].route[1].weight = 50)), reuse: ['cds', 'eds'] },
    { name: 'VirtualService added', change: (o) => [...o, ...load('networking/virtual-service-ratings-test-abort.yaml')], reuse: ['cds', 'eds'] },
    { name: 'Gateway port', change: (o) => edit(o, 'Gateway', 'bookinfo-gateway', (g) => (g.spec.servers[0].port.number = 8081)), reuse: ['cds', 'eds'] },
    { name: 'DestinationRule subsets', change: (o) => edit(o, 'DestinationRule', 'reviews', (d) => d.spec.subsets.pop()), reuse: [] },
    { name: 'Service port', change: (o) => edit(o, 'Service', 'ratings', (s) => (s.spec.ports[0].port = 9081)), reuse: [] },
  ];
  for (const t of changes) {
    it(t.name, () => {
      const before = bookinfo();
      const prevSnap = gens.buildSnapshot(before, {});
      const pool = new EncodedPool();
      const prev = new SnapshotCache(prevSnap, gens, pool);
      generateAll(prev);
      const nextSnap = gens.buildSnapshot(t.change(before), {});
      const plan = planReuse(prevSnap, nextSnap);
      const short = (u: string) => ({ [TypeUrls.cluster]: 'cds', [TypeUrls.endpoint]: 'eds', [TypeUrls.listener]: 'lds', [TypeUrls.route]: 'rds' })[u];
      expect([...plan.reuse].map(short).sort()).to.deep.equal(t.reuse);
      const reused = generateAll(new SnapshotCache(nextSnap, gens, pool, undefined, { cache: prev, plan }));
      const fresh = generateAll(new SnapshotCache(nextSnap, gens, new EncodedPool()));
      expect(reused).to.deep.equal(fresh);
    });
  }
});
