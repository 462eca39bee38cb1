/**
 * The stand-in API server keeps the Kubernetes semantics the other tests rely on: list shape and
 * resourceVersion, label selectors on list and watch (edits entering/leaving a selector become ADDED/DELETED),
 * replay from a resourceVersion, 410 for a compacted one, conflicts (DELETE preconditions too), auth.
 */
import { expect } from 'chai';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { startFakeApiServer, type FakeApiServer } from '../../support/fake-apiserver.js';
import { createKubeClient, loadKubeConfig, type KubeClient } from '../../../src/sources/kube/client.js';
import type { KubeObject } from '../../../src/core/kube.js';

const cm = (name: string, labels: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels }, data: {} });

/** Reads a watch stream until `n` events arrived or the server ended it. */
function watchEvents(api: FakeApiServer, query: string, n: number, during: () => void = () => undefined): Promise<any[]> {
  const kc = JSON.parse(readFileSync(api.kubeconfigPath, 'utf8'));
  const ca = Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64');
  return new Promise((resolve, reject) => {
    const events: any[] = [];
    const req = request(`${api.url}/api/v1/namespaces/default/configmaps?watch=true&${query}`, { ca, headers: { authorization: 'Bearer fake-token' } }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
          if (events.length === n) {
            req.destroy();
            resolve(events);
          }
        }
      });
      res.on('end', () => resolve(events));
      setImmediate(during);
    });
    req.on('error', (e) => (events.length >= n ? undefined : reject(e)));
    req.end();
  });
}

describe('stand-in API server', function () {
  this.timeout(10_000);
  let api: FakeApiServer;
  let client: KubeClient;
  before(async () => {
    api = await startFakeApiServer();
    client = createKubeClient(await loadKubeConfig({ kubeconfig: api.kubeconfigPath }));
  });
  after(async () => api?.close());

  it('lists with a resourceVersion, items without apiVersion/kind, filtered by label selector', async () => {
    api.apply(cm('a', { tier: 'web', env: 'prod' }));
    api.apply(cm('b', { tier: 'db' }));
    api.apply(cm('c', { tier: 'web' }));
    const all = await client.get('/api/v1/configmaps');
    expect(all.body.kind).to.equal('ConfigMapList');
    expect(all.body.metadata.resourceVersion).to.equal(String(api.resourceVersion));
    expect(all.body.items[0].kind).to.equal(undefined);
    const names = async (sel: string): Promise<string[]> => (await client.get(`/api/v1/namespaces/default/configmaps?labelSelector=${encodeURIComponent(sel)}`)).body.items.map((i: KubeObject) => i.metadata.name);
    expect(await names('tier=web')).to.deep.equal(['a', 'c']);
    expect(await names('tier!=web')).to.deep.equal(['b']);
    expect(await names('tier in (db, web),env')).to.deep.equal(['a']);
    expect(await names('!env')).to.deep.equal(['b', 'c']);
  });

  it('watch with a selector turns edits entering or leaving it into ADDED / DELETED, and replays from a resourceVersion', async () => {
    const from = api.resourceVersion;
    api.apply(cm('d', { tier: 'web' }));
    const events = await watchEvents(api, `resourceVersion=${from}&labelSelector=tier%3Dweb`, 4, () => {
      api.apply(cm('d', { tier: 'db' }));
      api.apply(cm('b', { tier: 'web' }));
      api.delete('ConfigMap', 'default', 'b');
    });
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).to.deep.equal(['ADDED d', 'DELETED d', 'ADDED b', 'DELETED b']);
    expect(events[0].object.kind).to.equal('ConfigMap');
  });

  it('answers a compacted resourceVersion with an ERROR 410 event, then ends the stream', async () => {
    const old = api.resourceVersion;
    api.apply(cm('e', {}));
    api.compact();
    const events = await watchEvents(api, `resourceVersion=${old}`, 5);
    expect(events).to.have.length(1);
    expect(events[0]).to.deep.include({ type: 'ERROR' });
    expect(events[0].object).to.include({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('conflicts on a stale resourceVersion or an existing name; 404 for unknown objects; 401 without the token', async () => {
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l', namespace: 'x' }, spec: { holderIdentity: 'a' } };
    const path = '/apis/coordination.k8s.io/v1/namespaces/x/leases';
    expect((await client.create(path, lease)).status).to.equal(201);
    expect((await client.create(path, lease)).status).to.equal(409);
    const got = await client.get(`${path}/l`);
    expect((await client.replace(`${path}/l`, { ...got.body, spec: { holderIdentity: 'b' } })).status).to.equal(200);
    const stale = await client.replace(`${path}/l`, { ...got.body, spec: { holderIdentity: 'c' } });
    expect(stale.status).to.equal(409);
    expect(stale.message).to.match(/the object has been modified/);
    expect((await client.get(`${path}/nope`)).status).to.equal(404);
    expect((await client.get('/apis/nope.io/v1/things')).status).to.equal(404);
    expect((await client.patch(`${path}/l`, { spec: { holderIdentity: null } })).body.spec).to.deep.equal({});
    const now = (await client.get(`${path}/l`)).body;
    expect((await client.request('DELETE', `${path}/l`, { preconditions: { uid: 'another' } })).status, 'a DELETE precondition: uid').to.equal(409);
    expect((await client.request('DELETE', `${path}/l`, { preconditions: { resourceVersion: got.body.metadata.resourceVersion } })).status, 'resourceVersion').to.equal(409);
    expect((await client.request('DELETE', `${path}/l`, { preconditions: { uid: now.metadata.uid, resourceVersion: now.metadata.resourceVersion } })).status).to.equal(200);
    expect((await client.get(`${path}/l`)).status).to.equal(404);
    const kc = JSON.parse(readFileSync(api.kubeconfigPath, 'utf8'));
    const ca = Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64');
    const code = await new Promise<number>((resolve) => request(`${api.url}/version`, { ca }, (res) => resolve(res.statusCode ?? 0)).end());
    expect(code).to.equal(401);
  });
});
