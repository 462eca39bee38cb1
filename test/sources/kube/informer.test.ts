/**
 * The supervised informer against the stand-in API server: initial sync, events, and what real API servers do
 * to watches (dropped connections, 410 Gone as an event and as a status, stalls, bookmarks, missing CRDs,
 * failing lists). No timing assertions: every wait polls for a state.
 */
import { expect } from 'chai';
import { startFakeApiServer, type FakeApiServer, type FakeApiServerOptions } from '../../support/fake-apiserver.js';
import { eventually } from '../../support/mesh.js';
import { createKubeClient, loadKubeConfig } from '../../../src/sources/kube/client.js';
import { Informer, type InformerEvent } from '../../../src/sources/kube/informer.js';
import { KUBE_RESOURCES, SECRET_RESOURCE, type KubeResource } from '../../../src/sources/kube/resources.js';
import type { KubeObject } from '../../../src/core/kube.js';

const resource = (kind: string): KubeResource => (kind === 'Secret' ? SECRET_RESOURCE : KUBE_RESOURCES.find((r) => r.kind === kind)!);

const svc = (name: string, ns = 'default', labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns, labels },
  spec: { ports: [{ name: 'http', port: 80 }] },
});

const vs = (name: string, host: string): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name, namespace: 'default' },
  spec: { hosts: [host], http: [{ route: [{ destination: { host } }] }] },
});

interface Run {
  api: FakeApiServer;
  informer: Informer;
  /** What the informer's events amount to: ns/name → object. */
  seen: Map<string, KubeObject>;
  events: Array<{ type: InformerEvent; key: string }>;
  close(): Promise<void>;
}

async function run(kind: string, opts: FakeApiServerOptions = {}, setup: (api: FakeApiServer) => void = () => undefined, idleMs = 60_000): Promise<Run> {
  const api = await startFakeApiServer(opts);
  setup(api);
  const client = createKubeClient(await loadKubeConfig({ kubeconfig: api.kubeconfigPath }));
  const seen = new Map<string, KubeObject>();
  const events: Run['events'] = [];
  const informer = new Informer({
    client,
    resource: resource(kind),
    idleMs,
    backoff: { initialMs: 20, maxMs: 200 },
    crdRetryMaxMs: 100,
    onEvent: (type, obj) => {
      const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
      events.push({ type, key });
      if (type === 'delete') seen.delete(key);
      else seen.set(key, obj);
    },
  });
  await informer.start();
  return {
    api,
    informer,
    seen,
    events,
    close: async () => {
      informer.stop();
      await api.close();
    },
  };
}

const names = (r: Run): string[] => [...r.seen.keys()].sort();
const until = (what: string, cond: () => boolean): Promise<true> => eventually(what, async () => (cond() ? true : undefined), 10_000, 10);

describe('kube informer', function () {
  this.timeout(20_000);
  let r: Run | undefined;
  afterEach(async () => {
    await r?.close();
    r = undefined;
  });

  it('lists, syncs, and sets apiVersion/kind on list items (the server sends none)', async () => {
    r = await run('Service', {}, (api) => {
      api.apply(svc('a'));
      api.apply(svc('b', 'other'));
    });
    await until('synced', () => r!.informer.synced);
    expect(names(r)).to.deep.equal(['default/a', 'other/b']);
    const a = r.seen.get('default/a')!;
    expect(a.apiVersion).to.equal('v1');
    expect(a.kind).to.equal('Service');
    const list = r.api.requests.find((q) => q.path === '/api/v1/services' && q.query.watch === undefined)!;
    expect(list.query.limit).to.equal('500');
  });

  it('follows ADDED, MODIFIED and DELETED, watching with bookmarks and a server timeout', async () => {
    r = await run('Service', {}, (api) => api.apply(svc('a')));
    await until('watching', () => r!.api.watchCount('services') === 1);
    const watch = r.api.requests.find((q) => q.path === '/api/v1/services' && q.query.watch === 'true')!;
    expect(watch.query.allowWatchBookmarks).to.equal('true');
    expect(Number(watch.query.timeoutSeconds)).to.be.within(300, 599);
    r.api.apply(svc('b'));
    r.api.apply(svc('a', 'default', { changed: 'yes' }));
    r.api.delete('Service', 'default', 'b');
    await until('edits seen', () => r!.seen.get('default/a')?.metadata.labels?.changed === 'yes' && r!.events.some((e) => e.type === 'delete' && e.key === 'default/b'));
    expect(names(r)).to.deep.equal(['default/a']);
    expect(r.seen.get('default/a')!.kind).to.equal('Service');
  });

  it('tolerates bookmarks and resumes from their resourceVersion', async () => {
    r = await run('Service', {}, (api) => api.apply(svc('a')));
    await until('watching', () => r!.api.watchCount('services') === 1);
    r.api.apply(svc('other-kind-noise'));
    r.api.delete('Service', 'default', 'other-kind-noise');
    r.api.bookmark();
    await until('bookmark received', () => r!.informer.status().watch.bookmarks === 1);
    expect(r.informer.status().resourceVersion).to.equal(String(r.api.resourceVersion));
    r.api.dropWatches();
    await until('rewatched', () => r!.api.watchCount('services') === 1);
    const rewatch = r.api.requests.filter((q) => q.query.watch === 'true').at(-1)!;
    expect(rewatch.query.resourceVersion).to.equal(String(r.api.resourceVersion));
    expect(names(r)).to.deep.equal(['default/a']);
  });

  it('restarts after a dropped connection and catches up without relisting', async () => {
    r = await run('Service', {}, (api) => api.apply(svc('a')));
    await until('watching', () => r!.api.watchCount('services') === 1);
    const lists = r.informer.status().lists;
    for (let i = 0; i < 3; i++) {
      r.api.dropWatches();
      r.api.apply(svc(`during-${i}`));
      await until(`during-${i} seen`, () => r!.seen.has(`default/during-${i}`));
    }
    expect(r.informer.status().lists).to.equal(lists);
    expect(r.informer.status().restarts).to.be.greaterThanOrEqual(3);
    expect(names(r)).to.deep.equal(['default/a', 'default/during-0', 'default/during-1', 'default/during-2']);
  });

  for (const gone of ['event', 'status'] as const) {
    it(`relists on 410 Gone (${gone}) and sees a delete that happened in the gap`, async () => {
      r = await run('Service', { gone }, (api) => {
        api.apply(svc('keep'));
        api.apply(svc('doomed'));
      });
      await until('watching', () => r!.api.watchCount('services') === 1);
      // The delete is never delivered (stalled), history expires, then the connection drops.
      r.api.stallWatches();
      r.api.delete('Service', 'default', 'doomed');
      r.api.apply(svc('born'));
      r.api.compact();
      r.api.dropWatches();
      await until('relisted', () => r!.informer.status().lists === 2 && !r!.seen.has('default/doomed') && r!.seen.has('default/born'));
      expect(names(r)).to.deep.equal(['default/born', 'default/keep']);
      expect(r.events.filter((e) => e.key === 'default/doomed').map((e) => e.type)).to.deep.equal(['add', 'delete']);
      // The watch goes on from the new list.
      r.api.apply(svc('after'));
      await until('after seen', () => r!.seen.has('default/after'));
    });
  }

  it('restarts a stalled watch after the idle period and replays what it missed', async () => {
    r = await run('Service', {}, (api) => api.apply(svc('a')), 300);
    await until('watching', () => r!.api.watchCount('services') === 1);
    expect(r.api.stallWatches()).to.equal(1);
    r.api.apply(svc('missed'));
    await until('missed seen', () => r!.seen.has('default/missed'));
    expect(r.informer.status().watch.stalls).to.be.greaterThanOrEqual(1);
    expect(r.informer.status().lists).to.equal(1);
  });

  it('treats a missing CRD as empty and synced, and picks the kind up once the CRD is installed', async () => {
    r = await run('VirtualService', { missingCrds: ['virtualservices'] });
    await until('synced although missing', () => r!.informer.synced);
    expect(r.informer.status().state).to.equal('crd-missing');
    expect(r.seen.size).to.equal(0);
    r.api.installCrd('virtualservices');
    r.api.apply(vs('reviews', 'reviews'));
    await until('vs seen', () => r!.seen.has('default/reviews'));
    expect(r.seen.get('default/reviews')!.apiVersion).to.equal('networking.istio.io/v1');
    // The CRD goes away again: its objects go with it.
    r.api.removeCrd('virtualservices');
    await until('vs gone', () => r!.seen.size === 0);
  });

  it('an optional resource the API server forbids (Secrets without their RBAC) is empty and synced, says why once, and is picked up once allowed', async () => {
    r = await run('Secret', {}, (api) => {
      api.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'web-cert', namespace: 'istio-system' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'Yw==', 'tls.key': 'aw==' } } as KubeObject);
      api.fail('GET', '/api/v1/secrets', 403, 4);
    });
    await until('synced although forbidden', () => r!.informer.synced);
    expect(r.informer.status().state).to.equal('forbidden');
    expect(r.informer.status().lastError).to.contain("gateways' credentialName Secrets are not served");
    expect(r.seen.size).to.equal(0);
    await until('allowed: listed', () => r!.seen.has('istio-system/web-cert'));
    expect(r.informer.status().state).to.not.equal('forbidden');
  });

  it('a required resource the API server forbids holds readiness, as any failing list', async () => {
    r = await run('Pod', {}, (api) => api.fail('GET', '/api/v1/pods', 403, 1000));
    // The third request may still be in flight (state 'listing') when the server has counted it: wait for its answer.
    await until('retried, backing off', () => r!.api.requests.filter((q) => q.path === '/api/v1/pods').length >= 3 && r!.informer.status().state === 'backoff');
    expect(r.informer.synced).to.equal(false);
    expect(r.informer.status().lastError).to.contain('403');
  });

  it('retries failing lists with backoff and is not synced until one succeeds', async () => {
    r = await run('Pod', {}, (api) => api.fail('GET', '/api/v1/pods', 500, 3));
    await until('synced after failures', () => r!.informer.synced);
    const lists = r.api.requests.filter((q) => q.path === '/api/v1/pods' && q.query.watch === undefined);
    expect(lists.length).to.equal(4);
    expect(r.informer.status().restarts).to.equal(3);
  });

  it('restarts a watch that the server refuses (HTTP 500) and one that ends with a non-410 ERROR', async () => {
    r = await run('Service', {}, (api) => api.apply(svc('a')));
    await until('watching', () => r!.api.watchCount('services') === 1);
    r.api.fail('GET', '/api/v1/services', 500, 2);
    r.api.dropWatches();
    r.api.apply(svc('b'));
    await until('b seen', () => r!.seen.has('default/b'));
    expect(r.informer.status().watch.failures).to.be.greaterThanOrEqual(3);
    await until('watching again', () => r!.api.watchCount('services') === 1);
    expect(r.api.errorWatches(500, 'etcd hiccup')).to.equal(1);
    r.api.apply(svc('c'));
    await until('c seen', () => r!.seen.has('default/c'));
    expect(r.informer.status().watch.lastError).to.match(/etcd hiccup/);
    expect(r.informer.status().lists).to.equal(1);
  });

  it('skips malformed events and list items without crashing or losing its place', async () => {
    r = await run('Service', {}, (api) => {
      api.apply(svc('a'));
      api.plant('v1', 'Service', 'default/junk', { metadata: { namespace: 'default' } });
      api.plant('v1', 'Service', 'default/junk2', 'not an object');
    });
    await until('watching', () => r!.api.watchCount('services') === 1);
    expect(names(r)).to.deep.equal(['default/a']);
    const rv = r.informer.status().resourceVersion;
    for (const junk of [
      { type: 'ADDED', object: null },
      { type: 'ADDED', object: { metadata: null } },
      { type: 'MODIFIED', object: { metadata: { namespace: 'default' } } },
      { type: 'DELETED', object: [] },
      { type: 'BOOKMARK', object: { metadata: {} } },
      { type: 'SURPRISE', object: { metadata: { name: 'x' } } },
      { object: { metadata: { name: 'x' } } },
      'a string',
      42,
    ]) r.api.sendRaw('services', JSON.stringify(junk));
    r.api.apply(svc('b'));
    await until('b seen', () => r!.seen.has('default/b'));
    const st = r.informer.status();
    expect(st.watch.skipped).to.equal(9);
    expect(st.lists).to.equal(1);
    expect(Number(st.resourceVersion)).to.be.greaterThan(Number(rv));
    expect(names(r)).to.deep.equal(['default/a', 'default/b']);
    // An undecodable line ends the watch (the stream cannot be trusted); it resumes from where it was.
    r.api.sendRaw('services', '{"type": "ADDED", "object": {');
    r.api.apply(svc('c'));
    await until('c seen', () => r!.seen.has('default/c'));
    expect(r.informer.status().lists).to.equal(1);
  });

  it('a throwing consumer does not break the informer', async () => {
    const api = await startFakeApiServer();
    api.apply(svc('boom'));
    api.apply(svc('fine'));
    const client = createKubeClient(await loadKubeConfig({ kubeconfig: api.kubeconfigPath }));
    const seen: string[] = [];
    const informer = new Informer({
      client,
      resource: resource('Service'),
      onEvent: (_t, obj) => {
        if (obj.metadata.name === 'boom') throw new Error('consumer bug');
        seen.push(obj.metadata.name!);
      },
    });
    try {
      await informer.start();
      await until('synced', () => informer.synced);
      api.apply(svc('later'));
      await until('later seen', () => seen.includes('later'));
      expect(seen).to.deep.equal(['fine', 'later']);
    } finally {
      informer.stop();
      await api.close();
    }
  });
});
