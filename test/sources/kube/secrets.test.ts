/**
 * Secrets for the gateways' credentialName: the pure reduction (which keys and types are kept), the resource list
 * (Secrets only with workloadCertificateSecrets), the informer and source against the stand-in API server (field
 * selector on list and watch, the cache and the store holding only reduced Secrets, a Secret that loses its last
 * credential key leaving the store), and `mizzen serve` with and without workloadCertificateSecrets.
 */
import { expect } from 'chai';
import { startFakeApiServer, type FakeApiServer } from '../../support/fake-apiserver.js';
import { eventually } from '../../support/mesh.js';
import { testCertsDir } from '../../support/certs.js';
import { startKubeServe } from '../../support/kube-serve.js';
import { createKubeClient, loadKubeConfig } from '../../../src/sources/kube/client.js';
import { KubeSource, KUBE_SOURCE } from '../../../src/sources/kube/source.js';
import { KUBE_RESOURCES, kubeResources, resourceName, SECRET_RESOURCE } from '../../../src/sources/kube/resources.js';
import { CREDENTIAL_KEYS, reduceSecret, SECRET_FIELD_SELECTOR } from '../../../src/sources/kube/secrets.js';
import { startServe, type RunningServe } from '../../../src/cmd/serve.js';
import { DEFAULT_MESH_CONFIG } from '../../../src/config/mesh.js';
import { silentLogger } from '../../../src/core/log.js';
import { ConfigStore } from '../../../src/model/store.js';
import { objectKey, type KubeObject } from '../../../src/core/kube.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

const secret = (name: string, data: Record<string, string>, o: { ns?: string; type?: string; labels?: Record<string, string>; annotations?: Record<string, string> } = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: o.ns ?? 'istio-system', ...(o.labels ? { labels: o.labels } : {}), ...(o.annotations ? { annotations: o.annotations } : {}) },
  type: o.type ?? 'Opaque',
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});

describe('gateway credential Secrets', function () {
  this.timeout(30_000);

  describe('reduceSecret (pure)', () => {
    const full = {
      metadata: {
        name: 'bookinfo-cert',
        namespace: 'istio-system',
        uid: 'u-1',
        resourceVersion: '42',
        creationTimestamp: '2025-01-01T00:00:00Z',
        labels: { app: 'gw' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"tls.key":"c2VjcmV0"}}' },
        managedFields: [{ manager: 'kubectl' }],
        ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'x' }],
      },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5', 'ca.crt': 'Y2E=', 'other.pem': 'b3RoZXI=', password: 'cA==' },
    };

    it('keeps the credential keys, identity, version and labels, nothing else', () => {
      expect(reduceSecret(full)).to.deep.equal({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'bookinfo-cert', namespace: 'istio-system', resourceVersion: '42', uid: 'u-1', creationTimestamp: '2025-01-01T00:00:00Z', labels: { app: 'gw' } },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5', 'ca.crt': 'Y2E=' },
      });
      expect(full.data, 'the input is not modified').to.have.keys('tls.crt', 'tls.key', 'ca.crt', 'other.pem', 'password');
    });

    it('keeps every key Istio reads a credential from', () => {
      const data = Object.fromEntries(CREDENTIAL_KEYS.map((k) => [k, b64(k)]));
      expect(Object.keys(reduceSecret({ metadata: { name: 'all' }, data })!.data as object)).to.have.members(['tls.crt', 'tls.key', 'ca.crt', 'ca.crl', 'cert', 'key', 'cacert', 'crl', 'tls.ocsp-staple']);
    });

    const dropped: Array<{ name: string; in: unknown }> = [
      { name: 'a workload certificate Secret istio.<sa>', in: { metadata: { name: 'istio.default', namespace: 'default' }, type: 'istio.io/key-and-cert', data: { 'cert-chain.pem': 'YQ==', 'key.pem': 'Yg==', 'root-cert.pem': 'Yw==' } } },
      { name: 'a service-account token (it carries ca.crt)', in: { metadata: { name: 'default-token-x' }, type: 'kubernetes.io/service-account-token', data: { 'ca.crt': 'YQ==', token: 'dA==' } } },
      { name: 'a Helm release', in: { metadata: { name: 'sh.helm.release.v1.x.v1' }, type: 'helm.sh/release.v1', data: { cert: 'YQ==' } } },
      { name: 'a bootstrap token', in: { metadata: { name: 'bootstrap-token-abc' }, type: 'bootstrap.kubernetes.io/token', data: { key: 'YQ==' } } },
      { name: 'no data', in: { metadata: { name: 'empty' }, type: 'Opaque' } },
      { name: 'only stringData (never sent by the API server)', in: { metadata: { name: 's' }, stringData: { 'tls.crt': 'x' } } },
      { name: 'non-string values', in: { metadata: { name: 'n' }, data: { 'tls.crt': 5, 'tls.key': null } } },
      { name: 'no name', in: { metadata: {}, data: { cert: 'YQ==' } } },
      { name: 'not an object', in: 'Secret' },
    ];
    for (const t of dropped) {
      it(`reduces ${t.name} to nothing`, () => {
        expect(reduceSecret(t.in)).to.equal(undefined);
      });
    }

    it('keeps a Secret without type (a manifest) and without labels', () => {
      expect(reduceSecret({ metadata: { name: 'x', namespace: 'ns' }, data: { cacert: 'YQ==' } })).to.deep.equal({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x', namespace: 'ns' }, data: { cacert: 'YQ==' } });
    });
  });

  describe('resources', () => {
    it('lists Secrets only when asked (workloadCertificateSecrets), after everything else', () => {
      expect(kubeResources({ secrets: false })).to.equal(KUBE_RESOURCES);
      expect(KUBE_RESOURCES.map((r) => r.kind), 'the default list is unchanged').to.not.include('Secret');
      const withSecrets = kubeResources({ secrets: true });
      expect(withSecrets.slice(0, -1)).to.deep.equal([...KUBE_RESOURCES]);
      expect(withSecrets.at(-1)).to.equal(SECRET_RESOURCE);
      expect(SECRET_RESOURCE).to.include({ kind: 'Secret', apiVersion: 'v1', group: '', version: 'v1', plural: 'secrets', namespaced: true, crd: false, istio: false });
      expect(resourceName(SECRET_RESOURCE), 'named in logs, metrics and /debug/kubez like the others').to.equal('secrets');
    });

    it('leaves out the types that never carry a credential with a field selector', () => {
      expect(SECRET_FIELD_SELECTOR).to.equal('type!=kubernetes.io/service-account-token,type!=helm.sh/release.v1,type!=bootstrap.kubernetes.io/token');
      expect(SECRET_RESOURCE.fieldSelector).to.equal(SECRET_FIELD_SELECTOR);
    });
  });

  describe('KubeSource with Secrets (stand-in API server)', () => {
    let api: FakeApiServer;
    let source: KubeSource;
    let store: ConfigStore;
    const until = (what: string, cond: () => boolean): Promise<true> => eventually(what, async () => (cond() ? true : undefined), 10_000, 10);
    const stored = (ns: string, name: string): KubeObject | undefined => store.list().find((o) => objectKey(o) === `Secret/${ns}/${name}`);
    const storedSecrets = (): string[] => (store.bySource().find((s) => s.source === KUBE_SOURCE)?.keys ?? []).filter((k) => k.startsWith('Secret/'));

    const start = async (resources = kubeResources({ secrets: true })): Promise<void> => {
      store = new ConfigStore();
      const client = createKubeClient(await loadKubeConfig({ kubeconfig: api.kubeconfigPath }));
      source = new KubeSource({ client, store, resources, informer: { backoff: { initialMs: 20, maxMs: 100 }, crdRetryMaxMs: 100 } });
      await source.start();
      expect(await source.whenSynced(10_000)).to.equal(true);
    };

    beforeEach(async () => {
      api = await startFakeApiServer();
      api.apply(secret('gw-cert', { 'tls.crt': 'CERT', 'tls.key': 'KEY', extra: 'not a credential' }, { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"tls.key":"S0VZ"}}' } }));
      api.apply(secret('gw-generic', { cert: 'C', key: 'K', cacert: 'CA' }, { ns: 'shop' }));
      api.apply(secret('istio.default', { 'cert-chain.pem': 'C', 'key.pem': 'K', 'root-cert.pem': 'R' }, { ns: 'default', type: 'istio.io/key-and-cert' }));
      // The stand-in API server ignores field selectors: these reach the informer, which must drop them itself.
      api.apply(secret('default-token-abc', { 'ca.crt': 'CA', token: 'T' }, { ns: 'default', type: 'kubernetes.io/service-account-token' }));
      api.apply(secret('sh.helm.release.v1.app.v1', { cert: 'C' }, { ns: 'default', type: 'helm.sh/release.v1' }));
      api.apply(secret('app-config', { 'config.json': '{}' }, { ns: 'default' }));
    });
    afterEach(async () => {
      source?.stop();
      await api.close();
    });

    it('lists and watches with the field selector, and stores only reduced credential Secrets', async () => {
      await start();
      expect(storedSecrets()).to.deep.equal(['Secret/istio-system/gw-cert', 'Secret/shop/gw-generic']);
      expect(stored('istio-system', 'gw-cert')).to.deep.equal({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'gw-cert', namespace: 'istio-system', resourceVersion: stored('istio-system', 'gw-cert')!.metadata.resourceVersion, uid: api.get('Secret', 'istio-system', 'gw-cert')!.metadata.uid, creationTimestamp: api.get('Secret', 'istio-system', 'gw-cert')!.metadata.creationTimestamp },
        type: 'Opaque',
        data: { 'tls.crt': b64('CERT'), 'tls.key': b64('KEY') },
      });
      // The informer's own cache holds nothing more than the store.
      const cached = source.objects('Secret');
      expect(cached.map((o) => o.metadata.name).sort()).to.deep.equal(['gw-cert', 'gw-generic']);
      expect(JSON.stringify(cached)).to.not.contain(b64('not a credential')).and.not.contain('last-applied');
      const secretRequests = api.requests.filter((r) => r.path === '/api/v1/secrets');
      const list = secretRequests.find((r) => r.query.watch === undefined)!;
      expect(list.query.fieldSelector).to.equal(SECRET_FIELD_SELECTOR);
      await until('the watch', () => api.requests.some((r) => r.path === '/api/v1/secrets' && r.query.watch === 'true'));
      expect(api.requests.find((r) => r.path === '/api/v1/secrets' && r.query.watch === 'true')!.query.fieldSelector).to.equal(SECRET_FIELD_SELECTOR);
      expect(source.status().informers.find((i) => i.resource === 'secrets')).to.include({ synced: true, objects: 2 });
    });

    it('follows watch events: reduced on arrival, out of the store when the last credential key goes, back when one returns', async () => {
      await start();
      await until('watching', () => api.watchCount('secrets') === 1);
      const changes: string[] = [];
      source.onChange((type, kind, obj) => kind === 'Secret' && changes.push(`${type} ${obj.metadata.namespace}/${obj.metadata.name}`));

      api.apply(secret('new-cert', { 'tls.crt': 'C2', 'tls.key': 'K2', junk: 'J' }, { ns: 'shop' }));
      await until('added', () => stored('shop', 'new-cert') !== undefined);
      expect(stored('shop', 'new-cert')!.data).to.deep.equal({ 'tls.crt': b64('C2'), 'tls.key': b64('K2') });

      // An update that keeps no credential key is a delete for the store (and the cache).
      api.apply(secret('new-cert', { junk: 'J' }, { ns: 'shop' }));
      await until('removed', () => stored('shop', 'new-cert') === undefined);
      expect(source.objects('Secret').map((o) => o.metadata.name)).to.not.include('new-cert');

      api.apply(secret('new-cert', { cacert: 'CA2' }, { ns: 'shop' }));
      await until('back', () => stored('shop', 'new-cert') !== undefined);
      expect(stored('shop', 'new-cert')!.data).to.deep.equal({ cacert: b64('CA2') });

      // Excluded types and Secrets without credentials never enter, by watch either.
      api.apply(secret('sh.helm.release.v1.app.v2', { cert: 'C' }, { ns: 'default', type: 'helm.sh/release.v1' }));
      api.apply(secret('istio.reviews', { 'cert-chain.pem': 'C', 'key.pem': 'K', 'root-cert.pem': 'R' }, { ns: 'default', type: 'istio.io/key-and-cert' }));
      api.apply(secret('marker', { 'tls.crt': 'M' }, { ns: 'default' }));
      await until('marker', () => stored('default', 'marker') !== undefined);
      api.delete('Secret', 'default', 'marker');
      api.delete('Secret', 'default', 'app-config');
      await until('marker gone', () => stored('default', 'marker') === undefined);

      expect(changes).to.deep.equal(['add shop/new-cert', 'delete shop/new-cert', 'add shop/new-cert', 'add default/marker', 'delete default/marker']);
      expect(storedSecrets()).to.deep.equal(['Secret/istio-system/gw-cert', 'Secret/shop/gw-generic', 'Secret/shop/new-cert']);
    });

    it('a relist (410) removes what lost its credentials while the watch was down', async () => {
      await start();
      expect(storedSecrets()).to.deep.equal(['Secret/istio-system/gw-cert', 'Secret/shop/gw-generic']);
      await until('watching', () => api.watchCount('secrets') === 1);
      const lists = api.requests.filter((r) => r.path === '/api/v1/secrets' && r.query.watch === undefined).length;
      // The watch breaks; meanwhile gw-generic loses its keys and the history is compacted: the informer relists.
      api.stallWatches();
      api.apply(secret('gw-generic', { unrelated: 'x' }, { ns: 'shop' }));
      api.compact();
      api.dropWatches();
      await until('relisted', () => api.requests.filter((r) => r.path === '/api/v1/secrets' && r.query.watch === undefined).length > lists);
      await until('gw-generic gone', () => stored('shop', 'gw-generic') === undefined);
      expect(storedSecrets()).to.deep.equal(['Secret/istio-system/gw-cert']);
    });

    it('does not list Secrets without them in its resources (the default)', async () => {
      await start(KUBE_RESOURCES);
      expect(source.informer('Secret')).to.equal(undefined);
      expect(storedSecrets()).to.deep.equal([]);
      expect(api.requests.filter((r) => r.path.includes('/secrets'))).to.deep.equal([]);
    });
  });

  describe('in mizzen serve', () => {
    let api: FakeApiServer;
    let running: RunningServe | undefined;
    beforeEach(async () => {
      api = await startFakeApiServer();
      api.apply(secret('gw-cert', { 'tls.crt': 'CERT', 'tls.key': 'PRIVATE KEY TEXT' }));
    });
    afterEach(async () => {
      await running?.shutdown();
      running = undefined;
      await api.close();
    });
    const get = async (url: string): Promise<any> => JSON.parse((await running!.monitoring.inject({ method: 'GET', url })).body);

    it('workloadCertificateSecrets on: Secrets are watched, in the store, redacted in /debug/configz; issuing istio.<sa> goes on', async () => {
      const certs = await testCertsDir();
      try {
        running = await startServe({
          webhookPort: 0,
          monitoringPort: 0,
          xdsPort: 0,
          host: '127.0.0.1',
          certsDir: certs.dir,
          mesh: { ...DEFAULT_MESH_CONFIG, workloadCertificateSecrets: true, debounce: { quietMs: 5, maxMs: 50 } },
          log: silentLogger,
          kube: { kubeconfig: api.kubeconfigPath, leader: { namespace: 'mizzen-system', identity: 'secrets-test' } },
        });
        const kubez = await eventually('synced', async () => {
          const k = await get('/debug/kubez');
          return k.synced ? k : undefined;
        });
        expect(kubez.informers.find((i: any) => i.resource === 'secrets')).to.include({ synced: true, objects: 1 });
        const configz = await get('/debug/configz');
        const s = configz.objects.find((o: any) => o.kind === 'Secret' && o.metadata.name === 'gw-cert');
        expect(s.data).to.deep.equal({ 'tls.crt': '<redacted: 4 bytes>', 'tls.key': '<redacted: 16 bytes>' });
        expect(JSON.stringify(configz)).to.not.contain(b64('PRIVATE KEY TEXT'));

        // The issuer creates istio.reviews for a pod that mounts it; that Secret never enters the store.
        api.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'reviews-0', namespace: 'shop' }, spec: { serviceAccountName: 'reviews', volumes: [{ name: 'istio-certs', secret: { secretName: 'istio.reviews' } }], containers: [{ name: 'app', image: 'x' }] }, status: { phase: 'Pending' } });
        await eventually('issued', async () => api.get('Secret', 'shop', 'istio.reviews'));
        api.apply(secret('marker', { cert: 'M' }, { ns: 'shop' }));
        await eventually('the marker after it', async () => ((await get('/debug/configz')).objects.some((o: any) => o.metadata.name === 'marker') ? true : undefined));
        const names = (await get('/debug/configz')).objects.filter((o: any) => o.kind === 'Secret').map((o: any) => `${o.metadata.namespace}/${o.metadata.name}`);
        expect(names.sort()).to.deep.equal(['istio-system/gw-cert', 'shop/marker']);
      } finally {
        certs.cleanup();
      }
    });

    it('workloadCertificateSecrets off: no Secret informer, no Secret read', async () => {
      running = await startKubeServe(api, { leader: { namespace: 'mizzen-system', identity: 'secrets-test' } });
      const kubez = await eventually('synced', async () => {
        const k = await get('/debug/kubez');
        return k.synced ? k : undefined;
      });
      expect(kubez.informers.map((i: any) => i.resource)).to.not.include('secrets');
      expect((await get('/debug/configz')).objects.filter((o: any) => o.kind === 'Secret')).to.deep.equal([]);
      expect(api.requests.filter((r) => r.path.includes('/secrets'))).to.deep.equal([]);
    });
  });
});
