/**
 * Workload certificate Secrets for pods that mount them (mesh config workloadCertificateSecrets): the pure finder
 * (which volumes name a Secret mizzen issues), then the issuer against the stand-in API server — created once,
 * with the type, label and annotation the rotator needs, by the leader only; an existing Secret left alone;
 * refusals reported, counted and retried — and last in `mizzen serve`, where a new pod gets its Secret.
 */
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startFakeApiServer, type FakeApiServer } from '../../support/fake-apiserver.js';
import { createKubeClient, loadKubeConfig, type KubeClient } from '../../../src/sources/kube/client.js';
import { CertIssuer, workloadSecretsNeeded, type CertIssuerOptions } from '../../../src/sources/kube/cert-issuer.js';
import { CertRotator } from '../../../src/sources/kube/cert-rotator.js';
import { fingerprintsOf, generateCa, meshTrust } from '../../../src/certs/index.js';
import { startServe, type RunningServe, type ServeOptions } from '../../../src/cmd/serve.js';
import { DEFAULT_MESH_CONFIG } from '../../../src/config/mesh.js';
import { injectPod } from '../../../src/inject/index.js';
import { silentLogger, type Logger } from '../../../src/core/log.js';
import type { KubeObject } from '../../../src/core/kube.js';
import { testCerts, testCertsDir, tempDir } from '../../support/certs.js';
import { eventually } from '../../support/mesh.js';
import { mizzen } from '../../support/cli.js';

const DAY = 24 * 60 * 60 * 1000;
const pem = (s: KubeObject | undefined, key: string): string => Buffer.from(((s as any)?.data?.[key] as string) ?? '', 'base64').toString('utf8');

/** A pod whose istio-certs volume is the Secret `secretName` (or, with `volume`, any volume). */
const pod = (name: string, ns: string, o: { secretName?: string; volume?: unknown; phase?: string; deleting?: boolean } = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, uid: `uid-${ns}-${name}`, ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
  spec: {
    containers: [{ name: 'app', image: 'app' }, { name: 'istio-proxy', image: 'proxy' }],
    volumes: [{ name: 'istio-envoy', emptyDir: {} }, ...(o.volume ? [o.volume] : o.secretName ? [{ name: 'istio-certs', secret: { secretName: o.secretName } }] : [])],
  },
  status: { phase: o.phase ?? 'Pending' },
});

/** A logger whose lines (parsed) the test reads. */
function capture(): { log: Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  return { log: pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) }), lines };
}

describe('kube workload certificate issuing', function () {
  this.timeout(30_000);

  describe('workloadSecretsNeeded', () => {
    const cases: Array<{ name: string; pods: KubeObject[]; needs: string[]; skipped?: Array<[string, RegExp, boolean]> }> = [
      { name: 'a pod that mounts istio.<sa>', pods: [pod('a', 'shop', { secretName: 'istio.reviews' })], needs: ['shop/istio.reviews sa=reviews pods=shop/a'] },
      { name: 'a pod without the volume', pods: [pod('a', 'shop')], needs: [] },
      { name: 'istio-certs as an emptyDir', pods: [pod('a', 'shop', { volume: { name: 'istio-certs', emptyDir: {} } })], needs: [] },
      { name: 'istio.<sa> under another volume name', pods: [pod('a', 'shop', { volume: { name: 'certs', secret: { secretName: 'istio.reviews' } } })], needs: [] },
      {
        name: 'istio.<sa> as a source of a projected istio-certs volume (what injection mounts)',
        pods: [pod('a', 'shop', { volume: { name: 'istio-certs', projected: { sources: [{ downwardAPI: { items: [] } }, { secret: { name: 'istio.reviews' } }] } } })],
        needs: ['shop/istio.reviews sa=reviews pods=shop/a'],
      },
      { name: 'a projected istio-certs volume with no Secret', pods: [pod('a', 'shop', { volume: { name: 'istio-certs', projected: { sources: [{ configMap: { name: 'x' } }] } } })], needs: [] },
      {
        name: 'pods sharing a service account share the Secret; namespaces do not',
        pods: [pod('b', 'shop', { secretName: 'istio.reviews' }), pod('a', 'shop', { secretName: 'istio.reviews' }), pod('a', 'store', { secretName: 'istio.reviews' })],
        needs: ['shop/istio.reviews sa=reviews pods=shop/a,shop/b', 'store/istio.reviews sa=reviews pods=store/a'],
      },
      { name: 'a dotted service account', pods: [pod('a', 'shop', { secretName: 'istio.reviews.v2' })], needs: ['shop/istio.reviews.v2 sa=reviews.v2 pods=shop/a'] },
      { name: 'a finished pod', pods: [pod('a', 'shop', { secretName: 'istio.reviews', phase: 'Succeeded' })], needs: [] },
      { name: 'a pod being deleted', pods: [pod('a', 'shop', { secretName: 'istio.reviews', deleting: true })], needs: [] },
      { name: 'a Secret that is not istio.<sa>: someone else makes it', pods: [pod('a', 'shop', { secretName: 'my-certs' })], needs: [], skipped: [['shop/a', /^secretName "my-certs" is not istio\.<service account>/, false]] },
      { name: 'istio. with no service account', pods: [pod('a', 'shop', { secretName: 'istio.' })], needs: [], skipped: [['shop/a', /^secretName "istio\.": serviceAccount: "" must be a DNS-1123 subdomain/, true]] },
      { name: 'a service account Kubernetes would not accept', pods: [pod('a', 'shop', { secretName: 'istio.Bad_Name' })], needs: [], skipped: [['shop/a', /serviceAccount: "Bad_Name" must be a DNS-1123 subdomain/, true]] },
    ];
    it('what the injector mounts with workloadCertificateSecrets is what gets issued (spec.serviceAccountName, else default)', () => {
      const mesh = { ...DEFAULT_MESH_CONFIG, workloadCertificateSecrets: true };
      const injected = ['reviews', undefined].map((sa) => {
        const r = injectPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: sa ?? 'anon', namespace: 'shop' }, spec: { ...(sa ? { serviceAccountName: sa } : {}), containers: [{ name: 'app', image: 'app' }] } }, { namespace: 'shop', mesh });
        if (!r.ok) throw new Error(r.errors.join('; '));
        return r.value.pod;
      });
      expect(workloadSecretsNeeded(injected, 'cluster.local').needs.map((n) => `${n.namespace}/${n.name} ${n.pods.join(',')}`)).to.deep.equal(['shop/istio.default shop/anon', 'shop/istio.reviews shop/reviews']);
    });

    for (const c of cases) {
      it(c.name, () => {
        const r = workloadSecretsNeeded(c.pods, 'cluster.local');
        expect(r.needs.map((n) => `${n.namespace}/${n.name} sa=${n.serviceAccount} pods=${n.pods.join(',')}`)).to.deep.equal(c.needs);
        expect(r.skipped.map((s) => [s.pod, s.reason, s.invalid])).to.have.length((c.skipped ?? []).length);
        (c.skipped ?? []).forEach(([podKey, reason, invalid], i) => {
          expect(r.skipped[i]!.pod).to.equal(podKey);
          expect(r.skipped[i]!.reason).to.match(reason);
          expect(r.skipped[i]!.invalid).to.equal(invalid);
        });
      });
    }
  });

  describe('CertIssuer', () => {
    let api: FakeApiServer;
    let client: KubeClient;
    let leader = true;

    before(async () => {
      api = await startFakeApiServer();
      client = createKubeClient(await loadKubeConfig({ kubeconfig: api.kubeconfigPath }));
    });
    after(async () => api?.close());
    beforeEach(() => {
      leader = true;
      for (const s of api.list('Secret')) api.delete('Secret', s.metadata.namespace, s.metadata.name!);
      for (const p of api.list('Pod')) api.delete('Pod', p.metadata.namespace, p.metadata.name!);
      api.clearFaults();
      api.requests.length = 0;
    });

    /** An issuer over the API server's pods (the informer's cache in serve). */
    const issuer = async (o: Partial<CertIssuerOptions> = {}): Promise<CertIssuer> => {
      const { meshCa } = await testCerts();
      return new CertIssuer({ client, meshCa, trustDomain: 'cluster.local', pods: () => api.list('Pod'), isLeader: () => leader, log: silentLogger, ...o });
    };
    const writes = () => api.requests.filter((q) => q.method !== 'GET');

    it('creates istio.<sa> for a pod that mounts it: the type, the rotator label and annotation, a certificate from the mesh CA', async () => {
      const { meshCa } = await testCerts();
      api.apply(pod('reviews-v1-0', 'shop', { secretName: 'istio.reviews' }));
      api.apply(pod('plain-0', 'shop'));
      const registry = new Registry();
      const i = await issuer({ registry });
      await i.ensure();
      expect(writes().map((q) => `${q.method} ${q.path}`)).to.deep.equal(['POST /api/v1/namespaces/shop/secrets']);
      const s = api.get('Secret', 'shop', 'istio.reviews') as any;
      expect(s.type).to.equal('istio.io/key-and-cert');
      expect(s.metadata.labels).to.deep.equal({ 'mizzen.io/workload-cert': 'true' });
      expect(s.metadata.annotations).to.deep.equal({ 'mizzen.io/service-account': 'reviews' });
      expect(Object.keys(s.data).sort()).to.deep.equal(['cert-chain.pem', 'key.pem', 'root-cert.pem']);
      const leaf = new X509Certificate(pem(s, 'cert-chain.pem'));
      expect(leaf.verify(new X509Certificate(meshCa.cert).publicKey)).to.equal(true);
      expect(leaf.subjectAltName).to.equal('URI:spiffe://cluster.local/ns/shop/sa/reviews');
      expect(leaf.checkPrivateKey((await import('node:crypto')).createPrivateKey(pem(s, 'key.pem')))).to.equal(true);
      expect(pem(s, 'root-cert.pem')).to.equal(meshCa.cert);
      expect(api.list('Secret').map((x) => x.metadata.name)).to.deep.equal(['istio.reviews']);
      expect(i.report().secrets['shop/istio.reviews']).to.match(/^created /);
      expect(await registry.getSingleMetricAsString('mizzen_workload_certs_issued_total')).to.match(/ 1$/m);
    });

    it('creates it once: later passes and more pods of the same account write nothing; a resync only lists', async () => {
      api.apply(pod('reviews-v1-0', 'shop', { secretName: 'istio.reviews' }));
      const i = await issuer();
      await i.ensure();
      api.apply(pod('reviews-v1-1', 'shop', { secretName: 'istio.reviews' }));
      expect(i.wants(api.get('Pod', 'shop', 'reviews-v1-1')!)).to.equal(false);
      await Promise.all([i.ensure(), i.ensure()]);
      await i.resync();
      expect(writes()).to.have.length(1);
      expect(api.requests.filter((q) => q.method === 'GET').map((q) => q.path)).to.deep.equal(['/api/v1/secrets']);
      expect(i.report().secrets['shop/istio.reviews']).to.equal('exists (renewed by the rotator)');
    });

    it('a resync recreates a Secret deleted since', async () => {
      api.apply(pod('reviews-v1-0', 'shop', { secretName: 'istio.reviews' }));
      const i = await issuer();
      await i.ensure();
      api.delete('Secret', 'shop', 'istio.reviews');
      await i.ensure();
      expect(api.get('Secret', 'shop', 'istio.reviews'), 'a plain pass trusts what it made').to.equal(undefined);
      await i.resync();
      expect(api.get('Secret', 'shop', 'istio.reviews')?.type).to.equal('istio.io/key-and-cert');
    });

    it('leaves an existing Secret of that name alone (409 is done), and says when it will not be renewed', async () => {
      const theirs = api.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'istio.reviews', namespace: 'shop' }, type: 'Opaque', data: { 'cert-chain.pem': 'dGhlaXJz' } });
      api.apply(pod('reviews-v1-0', 'shop', { secretName: 'istio.reviews' }));
      const { log, lines } = capture();
      const registry = new Registry();
      const i = await issuer({ log, registry });
      await i.ensure();
      expect(i.report().secrets['shop/istio.reviews']).to.equal('exists: left alone');
      expect(i.wants(api.get('Pod', 'shop', 'reviews-v1-0')!)).to.equal(false);
      await i.resync();
      await i.resync();
      expect(i.report().secrets['shop/istio.reviews']).to.equal('exists without the label mizzen.io/workload-cert=true: left alone, not renewed');
      expect(writes().map((q) => q.method)).to.deep.equal(['POST', 'POST', 'POST']);
      expect(api.get('Secret', 'shop', 'istio.reviews')).to.deep.equal(theirs);
      expect(lines.filter((l) => /exists but mizzen did not make it/.test(l.msg)), 'warned once').to.have.length(1);
      expect(await registry.getSingleMetricAsString('mizzen_workload_cert_issue_failures_total')).to.not.match(/ [1-9]\d*$/m);
      expect(await registry.getSingleMetricAsString('mizzen_workload_certs_issued_total')).to.match(/ 0$/m);
    });

    it('a refused creation (403) is reported with the RBAC hint, counted, logged once, and retried with backoff until it succeeds', async () => {
      api.apply(pod('reviews-v1-0', 'shop', { secretName: 'istio.reviews' }));
      api.fail('POST', '/api/v1/namespaces/shop/secrets', 403, 2);
      const { log, lines } = capture();
      const registry = new Registry();
      const i = await issuer({ log, registry, retryMs: 20 });
      try {
        await i.ensure();
        const first = i.report();
        expect(first.secrets['shop/istio.reviews']).to.match(/^failed: create: 403: .*manifests\/workload-certs\//);
        expect(first.retryAt).to.be.a('string');
        expect(i.wants(api.get('Pod', 'shop', 'reviews-v1-0')!), 'a failure waits for its retry').to.equal(false);
        await eventually('the retries to create the Secret', async () => api.get('Secret', 'shop', 'istio.reviews'));
        await eventually('the report to say so', async () => (/^created /.test(i.report().secrets['shop/istio.reviews'] ?? '') ? true : undefined));
        expect(i.report().retryAt).to.equal(undefined);
        expect(api.requests.filter((q) => q.method === 'POST')).to.have.length(3);
        expect(await registry.getSingleMetricAsString('mizzen_workload_cert_issue_failures_total')).to.match(/\{reason="forbidden"\} 2$/m);
        expect(lines.filter((l) => l.level === 40 && /could not create Secret shop\/istio\.reviews: create: 403/.test(l.msg)), 'the same failure is logged once').to.have.length(1);
      } finally {
        i.stop();
      }
    });

    it('an unreachable API server and a refused list are reported and counted; nothing throws', async () => {
      api.apply(pod('reviews-v1-0', 'shop', { secretName: 'istio.reviews' }));
      const down: KubeClient = { ...client, get: async () => ({ status: 0, body: undefined, message: 'GET /api/v1/secrets: connect ECONNREFUSED' }), create: async () => ({ status: 0, body: undefined, message: 'POST: connect ECONNREFUSED' }) };
      const registry = new Registry();
      const i = await issuer({ client: down, registry, retryMs: 60_000 });
      try {
        await i.resync();
        expect(i.report().error).to.equal('list secrets: GET /api/v1/secrets: connect ECONNREFUSED');
        expect(i.report().secrets['shop/istio.reviews']).to.equal('failed: create: POST: connect ECONNREFUSED');
        expect(await registry.getSingleMetricAsString('mizzen_workload_cert_issue_failures_total')).to.match(/\{reason="unreachable"\} 2$/m);
      } finally {
        i.stop();
      }
      api.fail('GET', '/api/v1/secrets', 403);
      const j = await issuer();
      await j.resync();
      expect(j.report().error).to.match(/^list secrets: 403: .*manifests\/workload-certs\//);
      expect(j.report().secrets['shop/istio.reviews'], 'a failed list does not stop the creation').to.match(/^created /);
    });

    it('a non-leader does nothing', async () => {
      leader = false;
      api.apply(pod('reviews-v1-0', 'shop', { secretName: 'istio.reviews' }));
      api.apply(pod('bad-0', 'shop', { secretName: 'istio.Bad_Name' }));
      const registry = new Registry();
      const i = await issuer({ registry });
      await i.ensure();
      await i.resync();
      expect(api.requests).to.deep.equal([]);
      expect(i.report()).to.deep.equal({ leader: false, secrets: {}, skipped: [] });
      expect(await registry.getSingleMetricAsString('mizzen_workload_cert_issue_failures_total')).to.not.match(/ [1-9]\d*$/m);
      leader = true;
      await i.resync();
      expect(api.get('Secret', 'shop', 'istio.reviews')).to.not.equal(undefined);
    });

    it('skips a volume naming no Secret it issues, with the reason; a malformed name is counted once per pod', async () => {
      api.apply(pod('bad-0', 'shop', { secretName: 'istio.Bad_Name' }));
      api.apply(pod('own-0', 'shop', { secretName: 'my-certs' }));
      const { log, lines } = capture();
      const registry = new Registry();
      const i = await issuer({ log, registry });
      expect(i.wants(api.get('Pod', 'shop', 'bad-0')!)).to.equal(true);
      await i.ensure();
      await i.resync();
      expect(writes()).to.deep.equal([]);
      expect(i.report().skipped).to.deep.equal([
        { pod: 'shop/bad-0', secretName: 'istio.Bad_Name', reason: 'secretName "istio.Bad_Name": serviceAccount: "Bad_Name" must be a DNS-1123 subdomain (lowercase letters, digits, \'-\', \'.\'; at most 253)' },
        { pod: 'shop/own-0', secretName: 'my-certs', reason: 'secretName "my-certs" is not istio.<service account>: mizzen issues only those' },
      ]);
      expect(i.wants(api.get('Pod', 'shop', 'bad-0')!), 'reported already').to.equal(false);
      expect(await registry.getSingleMetricAsString('mizzen_workload_cert_issue_failures_total')).to.match(/\{reason="invalid"\} 1$/m);
      expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).to.deep.equal(['workload certificates: pod shop/bad-0 mounts no Secret mizzen can issue: ' + i.report().skipped[0]!.reason]);
      expect(lines.filter((l) => l.level === 30 && /shop\/own-0/.test(l.msg))).to.have.length(1);
    });

    it('signs with the mesh CA in force at each creation, and gives the trusted roots; the rotator then moves what it made', async () => {
      const { meshCa: a } = await testCerts();
      const b = await generateCa('issuer rotation CA B');
      const trustOf = (ca: typeof a, bundle?: string) => {
        const r = meshTrust(ca, bundle, Date.now());
        if (!r.ok) throw new Error(r.errors.join('; '));
        return r.value;
      };
      let trust = trustOf(a, b.cert);
      const i = await issuer({ meshCa: () => trust });
      const signer = (name: string): string => {
        const leaf = new X509Certificate(pem(api.get('Secret', 'shop', name), 'cert-chain.pem'));
        return leaf.verify(new X509Certificate(a.cert).publicKey) ? 'A' : leaf.verify(new X509Certificate(b.cert).publicKey) ? 'B' : 'neither';
      };
      api.apply(pod('reviews-v1-0', 'shop', { secretName: 'istio.reviews' }));
      await i.ensure();
      expect(signer('istio.reviews')).to.equal('A');
      expect(fingerprintsOf(pem(api.get('Secret', 'shop', 'istio.reviews'), 'root-cert.pem'))).to.deep.equal([a.cert, b.cert].map((c) => new X509Certificate(c).fingerprint256));
      trust = trustOf(b, a.cert);
      api.apply(pod('ratings-v1-0', 'shop', { secretName: 'istio.ratings' }));
      await i.ensure();
      expect(signer('istio.ratings')).to.equal('B');
      expect(signer('istio.reviews'), 'an existing Secret is the rotator\'s to renew').to.equal('A');
      const rotator = new CertRotator({ client, meshCa: () => trust, trustDomain: 'cluster.local', isLeader: () => true, log: silentLogger });
      await rotator.scan();
      expect(rotator.report().secrets).to.deep.include({ 'shop/istio.reviews': 'renewed: not signed by the mesh CA' });
      expect(signer('istio.reviews')).to.equal('B');
      expect(rotator.report().secrets['shop/istio.ratings']).to.match(/^fresh until /);
    });

    it('the rotator renews a Secret it created (label and annotation), keeping its type', async () => {
      const { meshCa } = await testCerts();
      api.apply(pod('reviews-v1-0', 'shop', { secretName: 'istio.reviews' }));
      await (await issuer()).ensure();
      const before = pem(api.get('Secret', 'shop', 'istio.reviews'), 'cert-chain.pem');
      const rotator = new CertRotator({ client, meshCa, trustDomain: 'cluster.local', isLeader: () => true, log: silentLogger, now: () => Date.now() + 0.9 * DAY });
      await rotator.scan();
      expect(rotator.report().secrets['shop/istio.reviews']).to.equal('renewed: 90 % of its lifetime has passed');
      const s = api.get('Secret', 'shop', 'istio.reviews') as any;
      expect(pem(s, 'cert-chain.pem')).to.not.equal(before);
      expect(new X509Certificate(pem(s, 'cert-chain.pem')).subjectAltName).to.equal('URI:spiffe://cluster.local/ns/shop/sa/reviews');
      expect(s.type).to.equal('istio.io/key-and-cert');
    });
  });

  describe('in mizzen serve', () => {
    let api: FakeApiServer;
    let running: RunningServe | undefined;
    before(async () => {
      api = await startFakeApiServer();
    });
    after(async () => api?.close());
    afterEach(async () => {
      await running?.shutdown();
      running = undefined;
    });

    const serve = (o: Partial<ServeOptions>): Promise<RunningServe> =>
      startServe({
        webhookPort: 0,
        monitoringPort: 0,
        xdsPort: 0,
        host: '127.0.0.1',
        mesh: { ...DEFAULT_MESH_CONFIG, workloadCertificateSecrets: true, debounce: { quietMs: 5, maxMs: 50 } },
        log: silentLogger,
        kube: { kubeconfig: api.kubeconfigPath, leader: { namespace: 'mizzen-system', identity: 'issuer-test' } },
        ...o,
      });

    it('workloadCertificateSecrets: a new pod gets its Secret, rotation runs too, /debug/workloadcerts shows both', async () => {
      const certs = await testCertsDir();
      try {
        running = await serve({ certsDir: certs.dir });
        const get = async (url: string) => (await running!.monitoring.inject({ method: 'GET', url })).body;
        await eventually('leadership', async () => (JSON.parse(await get('/debug/workloadcerts')).issuing.leader ? true : undefined));
        api.apply(pod('reviews-v1-0', 'shop', { secretName: 'istio.reviews' }));
        const s = await eventually('the Secret', async () => api.get('Secret', 'shop', 'istio.reviews'));
        expect(new X509Certificate(pem(s, 'cert-chain.pem')).verify(new X509Certificate(certs.certs.meshCa.cert).publicKey)).to.equal(true);
        expect(s.type).to.equal('istio.io/key-and-cert');
        const report = await eventually('the report', async () => {
          const r = JSON.parse(await get('/debug/workloadcerts'));
          return /^created /.test(r.issuing.secrets['shop/istio.reviews'] ?? '') ? r : undefined;
        });
        expect(report.lastScan, 'the rotator scans as with --rotate-workload-certs').to.be.a('string');
        expect(await get('/metrics')).to.match(/^mizzen_workload_certs_issued_total 1$/m);
      } finally {
        certs.cleanup();
      }
    });

    it("caCertificates: the mesh config's pem roots reach the Secret's root-cert.pem after the mesh CA, and /debug/meshca names them", async () => {
      const certs = await testCertsDir();
      const corp = await generateCa('corp root for secrets');
      try {
        running = await serve({ certsDir: certs.dir, mesh: { ...DEFAULT_MESH_CONFIG, workloadCertificateSecrets: true, debounce: { quietMs: 5, maxMs: 50 }, caCertificates: [{ pem: corp.cert }] } });
        const get = async (url: string) => (await running!.monitoring.inject({ method: 'GET', url })).body;
        await eventually('leadership', async () => (JSON.parse(await get('/debug/workloadcerts')).issuing.leader ? true : undefined));
        api.apply(pod('ratings-v1-0', 'shop', { secretName: 'istio.ratings' }));
        const s = await eventually('the Secret', async () => api.get('Secret', 'shop', 'istio.ratings'));
        expect(fingerprintsOf(pem(s, 'root-cert.pem'))).to.deep.equal([certs.certs.meshCa.cert, corp.cert].map((c) => fingerprintsOf(c)![0]));
        const meshca = JSON.parse(await get('/debug/meshca'));
        expect(meshca[0].roots.map((r: any) => [r.source, r.where ?? ''])).to.deep.equal([['mesh-ca.crt', ''], ['meshConfig.caCertificates', 'caCertificates[0].pem']]);
      } finally {
        certs.cleanup();
      }
    });

    it('does not start without the mesh CA, and names the setting', async () => {
      const empty = tempDir('mizzen-no-mesh-ca-');
      try {
        // Only the serving files: servingMaterial() generates nothing, and the mesh CA is missing.
        const certs = await testCerts();
        writeFileSync(join(empty.dir, 'tls.crt'), certs.serving.cert);
        writeFileSync(join(empty.dir, 'tls.key'), certs.serving.key);
        writeFileSync(join(empty.dir, 'ca.crt'), certs.serving.ca);
        const error = await serve({ certsDir: empty.dir }).then(
          (r) => ((running = r), undefined),
          (e: Error) => e,
        );
        expect(error?.message).to.match(/^workload-certs: workloadCertificateSecrets \(mesh config\): .*mesh-ca\.crt: missing/);
      } finally {
        empty.cleanup();
      }
    });

    it('without the Kubernetes source there is nothing to issue: said once, at info', async () => {
      const lines: Array<{ level: number; msg: string }> = [];
      const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
      running = await serve({ kube: undefined, log });
      const said = lines.filter((l) => /workloadCertificateSecrets/.test(l.msg));
      expect(said.map((l) => l.level)).to.deep.equal([30]);
      expect(said[0]!.msg).to.contain('without the Kubernetes source mizzen issues none');
      expect((await running.monitoring.inject({ method: 'GET', url: '/debug/workloadcerts' })).statusCode).to.equal(404);
    });

    it('the CLI asks for --certs-dir when the mesh config turns it on with the Kubernetes source (exit 2)', async () => {
      const dir = tempDir('mizzen-mesh-');
      try {
        const mesh = join(dir.dir, 'mesh.yaml');
        writeFileSync(mesh, 'workloadCertificateSecrets: true\n');
        const r = await mizzen(['serve', '--mesh-config', mesh, '--kubeconfig', api.kubeconfigPath]);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.contain('workloadCertificateSecrets (mesh config) needs --certs-dir, where mesh-ca.crt and mesh-ca.key are');
      } finally {
        dir.cleanup();
      }
    });
  });
});
