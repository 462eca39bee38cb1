/**
 * The server keeps generated output across snapshots for types a change cannot affect, and regenerates EDS
 * only for changed services. This must equal a full regeneration: checked here for the Bookinfo mesh, with
 * sidecar, gateway and proxyless gRPC proxies, over a table of changes.
 */
import { expect } from 'chai';
import { readDocuments } from '../../../src/core/documents.js';
import { isKubeObject, type KubeObject } from '../../../src/core/kube.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { certMetadata } from '../../../src/bootstrap/envoy.js';
import { generateCa, generateServingCert, type KeyPair } from '../../../src/certs/generate.js';
import { parseNode, type Proxy } from '../../../src/model/proxy.js';
import { SnapshotCache } from '../../../src/xds/server/cache.js';
import { EncodedPool } from '../../../src/xds/server/pool.js';
import { defaultGenerators as gens } from '../../../src/xds/server/index.js';
import { planReuse } from '../../../src/xds/server/reuse.js';
import { pod } from './fixtures.js';
import { BOOKINFO_DIR } from '../../support/samples.js';
import { edit } from '../../support/objects.js';
import { DEFAULT_MESH_CONFIG, snapshotOptions } from '../../../src/config/mesh.js';

/** The default mesh config's settings (Istio's default providers among them, which a Telemetry names). */
const MESH = snapshotOptions(DEFAULT_MESH_CONFIG);

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
  const credential = secret('bookinfo-cert', { 'tls.crt': b64(pair.cert), 'tls.key': b64(pair.key), 'ca.crt': b64(pair.cert) });
  // The gateway's Service, which a Gateway API Gateway may name in its addresses.
  const ingress = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ingress', namespace: 'istio-system' }, spec: { selector: { istio: 'ingressgateway' }, ports: [{ name: 'https', port: 443 }] } } as KubeObject;
  return [...services, ingress, ...pods, credential, ...load('networking/destination-rule-all.yaml', 'networking/virtual-service-reviews-90-10.yaml', 'networking/bookinfo-gateway.yaml')];
}

const proxies: Array<{ proxy: Proxy; names: Record<string, string[] | undefined> }> = [
  { id: 'sidecar~10.2.0.6~productpage-v1.default~default.svc.cluster.local', meta: {} },
  { id: 'sidecar~10.2.0.3~reviews-v1.default~default.svc.cluster.local', meta: { LABELS: { app: 'reviews', version: 'v1' } } },
  // Self-discovery: its local_cluster reads the whole registry, whichever services' endpoints change.
  { id: 'sidecar~10.2.0.6~productpage-v1.default~default.svc.cluster.local', meta: { LABELS: { app: 'productpage', version: 'v1' }, WORKLOAD_NAME: 'productpage-v1', ENABLE_SELF_DISCOVERY: 'true' } },
  { id: 'router~10.2.0.9~gateway.istio-system~istio-system.svc.cluster.local', meta: { LABELS: { istio: 'ingressgateway' } } },
  { id: 'sidecar~127.0.0.1~client.default~default.svc.cluster.local', meta: { GENERATOR: 'grpc' }, lds: ['reviews:9080', 'ratings.default:9080'] },
  // A gateway that proved its identity: it gets its namespace's credentials over SDS, and its mesh certificates' files.
  { id: 'router~10.2.0.10~gateway-2.istio-system~istio-system.svc.cluster.local', meta: { LABELS: { istio: 'ingressgateway' }, ...certMetadata('/etc/certs') }, identified: true },
].map((p) => {
  const r = parseNode({ id: p.id, metadata: p.meta });
  if (!r.ok) throw new Error(r.errors.join());
  const proxy = p.identified ? { ...r.value, identity: { trustDomain: 'cluster.local', namespace: r.value.namespace, serviceAccount: 'gateway' } } : r.value;
  return { proxy, names: { [TypeUrls.listener]: p.lds } };
});

const TYPES = [TypeUrls.cluster, TypeUrls.endpoint, TypeUrls.listener, TypeUrls.route, TypeUrls.secret];
const b64 = (text: string): string => Buffer.from(text).toString('base64');
/** A certificate and key for the gateway credential (made before the tests: key generation is async). */
let pair: KeyPair;
before(async () => {
  pair = await generateServingCert(await generateCa('reuse test CA'), ['bookinfo.example.com']);
});
const secret = (name: string, data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'istio-system' }, data }) as KubeObject;

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
  /** `ldsChanges`: the change must reach some listener (so that the equality below compares something that moved). */
  const changes: Array<{ name: string; change: (o: KubeObject[]) => KubeObject[]; reuse: string[]; ldsChanges?: true; sdsChanges?: true }> = [
    { name: 'endpoint IP changes', change: (o) => edit(o, 'Pod', 'reviews-v2', (p) => (p.status.podIP = '10.2.1.4')), reuse: ['cds', 'lds', 'rds', 'sds'] },
    { name: 'endpoint added', change: (o) => [...o, pod('ratings-v2', 'ratings', '10.2.0.7', { version: 'v2' })], reuse: ['cds', 'lds', 'rds', 'sds'] },
    // details' last endpoint: its service account goes, which mTLS clusters check servers against.
    { name: 'endpoint removed', change: (o) => o.filter((x) => x.metadata.name !== 'details-v1'), reuse: ['lds', 'rds', 'sds'] },
    { name: 'endpoint label changes subset', change: (o) => edit(o, 'Pod', 'reviews-v3', (p) => (p.metadata.labels.version = 'v2')), reuse: ['cds', 'lds', 'rds', 'sds'] },
    { name: 'endpoint of the proxy itself', change: (o) => edit(o, 'Pod', 'productpage-v1', (p) => (p.status.conditions[0].status = 'False')), reuse: ['cds', 'lds', 'rds', 'sds'] },
    { name: 'VirtualService weights', change: (o) => edit(o, 'VirtualService', 'reviews', (v) => (v.spec.http[0].route[0].weight = 50, v.spec.http[0].route[1].weight = 50)), reuse: ['cds', 'eds', 'sds'] },
    { name: 'VirtualService added', change: (o) => [...o, ...load('networking/virtual-service-ratings-test-abort.yaml')], reuse: ['cds', 'eds', 'sds'] },
    { name: 'Gateway port', change: (o) => edit(o, 'Gateway', 'bookinfo-gateway', (g) => (g.spec.servers[0].port.number = 8081)), reuse: ['cds', 'eds'] },
    {
      name: 'Telemetry added (access logs)',
      change: (o) => [...o, { apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name: 'logs', namespace: 'default' }, spec: { accessLogging: [{ providers: [{ name: 'envoy' }] }] } }],
      reuse: ['cds', 'eds', 'rds', 'sds'],
      ldsChanges: true,
    },
    {
      name: 'WasmPlugin added (a filter on every connection manager of reviews, and the cluster of its remote code)',
      change: (o) => [
        ...o,
        { apiVersion: 'extensions.istio.io/v1alpha1', kind: 'WasmPlugin', metadata: { name: 'headers', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'reviews' } }, url: 'https://wasm.example.com/h.wasm', sha256: 'a'.repeat(64) } },
      ],
      reuse: ['eds', 'rds', 'sds'],
      ldsChanges: true,
    },
    {
      name: 'Gateway API Gateway added (an HTTPS listener: its kubernetes-gateway:// certificate is served to the gateway)',
      change: (o) => [
        ...o,
        {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'Gateway',
          metadata: { name: 'edge', namespace: 'istio-system' },
          spec: { gatewayClassName: 'istio', addresses: [{ type: 'Hostname', value: 'ingress' }], listeners: [{ name: 'https', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'bookinfo-cert' }] } }] },
        },
      ],
      reuse: ['cds', 'eds'],
      ldsChanges: true,
      sdsChanges: true,
    },
    { name: 'Secret changed (a gateway credential)', change: (o) => edit(o, 'Secret', 'bookinfo-cert', (x) => delete x.data['ca.crt']), reuse: ['cds', 'eds', 'lds', 'rds'], sdsChanges: true },
    { name: 'DestinationRule subsets', change: (o) => edit(o, 'DestinationRule', 'reviews', (d) => d.spec.subsets.pop()), reuse: [] },
    { name: 'Service port', change: (o) => edit(o, 'Service', 'ratings', (s) => (s.spec.ports[0].port = 9081)), reuse: [] },
  ];
  for (const t of changes) {
    it(t.name, () => {
      const before = bookinfo();
      const prevSnap = gens.buildSnapshot(before, MESH);
      const pool = new EncodedPool();
      const prev = new SnapshotCache(prevSnap, gens, pool);
      const prevAll = generateAll(prev);
      const nextSnap = gens.buildSnapshot(t.change(before), MESH);
      const plan = planReuse(prevSnap, nextSnap);
      const short = (u: string) => ({ [TypeUrls.cluster]: 'cds', [TypeUrls.endpoint]: 'eds', [TypeUrls.listener]: 'lds', [TypeUrls.route]: 'rds', [TypeUrls.secret]: 'sds' })[u];
      expect([...plan.reuse].map(short).sort()).to.deep.equal(t.reuse);
      const reused = generateAll(new SnapshotCache(nextSnap, gens, pool, undefined, { cache: prev, plan }));
      const fresh = generateAll(new SnapshotCache(nextSnap, gens, new EncodedPool()));
      expect(reused).to.deep.equal(fresh);
      const lds = (all: string[]) => all.filter((l) => l.includes(` ${TypeUrls.listener} `));
      if (t.ldsChanges) expect(lds(fresh)).to.not.deep.equal(lds(prevAll));
      const sds = (all: string[]) => all.filter((l) => l.includes(` ${TypeUrls.secret} `));
      expect(sds(fresh), 'the identified gateway gets secrets').to.not.deep.equal([]);
      if (t.sdsChanges) expect(sds(fresh)).to.not.deep.equal(sds(prevAll));
    });
  }
});

describe('EDS sets after an endpoint change, derived from the previous ones, equal sets built whole', () => {
  const proxy = proxies[0]!.proxy;
  const content = (set: { resources: ReadonlyMap<string, { name: string; hash: string }> }) => [...set.resources.values()].map((r) => `${r.name} ${r.hash}`).sort();
  const endpoints = (objects: KubeObject[], names: (all: string[]) => string[], wildcard = false) => {
    const prevSnap = gens.buildSnapshot(objects, {});
    const pool = new EncodedPool();
    const prev = new SnapshotCache(prevSnap, gens, pool);
    const scope = gens.proxyScope(prevSnap, proxy);
    const all = [...prev.resolve(scope, proxy, TypeUrls.endpoint, true, []).resources.keys()];
    const subscribed = [...new Set(names(all))].sort();
    const before = prev.resolve(scope, proxy, TypeUrls.endpoint, wildcard, subscribed);
    const nextSnap = gens.buildSnapshot(edit(objects, 'Pod', 'reviews-v2', (p) => (p.status.podIP = '10.2.1.4')), {});
    const next = new SnapshotCache(nextSnap, gens, pool, undefined, { cache: prev, plan: planReuse(prevSnap, nextSnap) });
    const after = next.resolve(gens.proxyScope(nextSnap, proxy), proxy, TypeUrls.endpoint, wildcard, subscribed);
    const complete = next.resolve(gens.proxyScope(nextSnap, proxy), proxy, TypeUrls.endpoint, true, []);
    const fresh = new SnapshotCache(nextSnap, gens, new EncodedPool()).resolve(gens.proxyScope(nextSnap, proxy), proxy, TypeUrls.endpoint, wildcard, subscribed);
    return { before, after, fresh, complete };
  };

  it('a subscription naming every cluster: same content as built whole, a new version, and the complete set itself (no copy)', () => {
    const { before, after, fresh, complete } = endpoints(bookinfo(), (all) => all);
    expect(content(after)).to.deep.equal(content(fresh));
    expect(after.version).to.not.equal(before.version);
    // The complete set's map is shared read-only by the subscriptions that cover it, derived or not.
    expect(after.resources).to.equal(complete.resources);
    const wild = endpoints(bookinfo(), () => [], true);
    expect(content(wild.after)).to.deep.equal(content(wild.fresh));
    expect(wild.after.resources).to.equal(wild.complete.resources);
  });

  it('a subscription naming some clusters and one that does not exist: same content as built whole', () => {
    const { before, after, fresh, complete } = endpoints(bookinfo(), (all) => [...all.filter((n) => n.includes('reviews')), 'outbound|9080||nowhere.default.svc.cluster.local']);
    expect(content(after)).to.deep.equal(content(fresh));
    expect(after.resources).to.not.equal(complete.resources);
    expect(content(after).some((l) => l.includes('nowhere'))).to.equal(false);
    expect(after.version).to.not.equal(before.version);
  });

  it('a subscription the change does not touch keeps its set (same object, same version)', () => {
    const { before, after, fresh } = endpoints(bookinfo(), (all) => all.filter((n) => n.includes('ratings')));
    expect(content(after)).to.deep.equal(content(fresh));
    expect(after).to.equal(before);
  });
});

describe('reuse: a headless service whose endpoints change', () => {
  it('regenerates CDS (its cluster takes mTLS when all of its endpoints do), the rest as for any service', () => {
    const headless = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'default' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'tcp', port: 5432 }] } } as KubeObject;
    const before = [...bookinfo(), headless, pod('db-0', 'db', '10.2.0.9', {})];
    const prev = gens.buildSnapshot(before, MESH);
    const next = gens.buildSnapshot(edit(before, 'Pod', 'db-0', (p) => (p.status.podIP = '10.2.0.10')), MESH);
    const plan = planReuse(prev, next);
    expect(plan.changed).to.include('endpoints');
    expect(plan.reuse.has(TypeUrls.cluster)).to.equal(false);
    expect(plan.reuse.has(TypeUrls.route)).to.equal(true);
  });
});
