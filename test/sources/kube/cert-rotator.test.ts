/**
 * Workload certificate rotation against the stand-in API server: the leader renews the labelled Secrets that are
 * due (and only those), writes them conditionally, skips what it cannot handle, and survives refusals.
 */
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { Registry } from 'prom-client';
import { startFakeApiServer, type FakeApiServer } from '../../support/fake-apiserver.js';
import { createKubeClient, loadKubeConfig, type KubeClient } from '../../../src/sources/kube/client.js';
import { CertRotator } from '../../../src/sources/kube/cert-rotator.js';
import { CertFiles, fingerprintsOf, generateCa, issueWorkloadCert, meshTrust, workloadSecret, type KeyPair, type MeshTrust, type WorkloadCert, type WorkloadId } from '../../../src/certs/index.js';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../../support/mesh.js';
import { createLogger } from '../../../src/core/log.js';
import type { KubeObject } from '../../../src/core/kube.js';
import { testCerts, testCertsDir, tempDir } from '../../support/certs.js';
import { startKubeServe } from '../../support/kube-serve.js';
import { mizzen } from '../../support/cli.js';
import type { RunningServe } from '../../../src/cmd/serve.js';

const DAY = 24 * 60 * 60 * 1000;
const id = (namespace: string, serviceAccount: string): WorkloadId => ({ trustDomain: 'cluster.local', namespace, serviceAccount });
const pem = (s: KubeObject | undefined, key: string): string => Buffer.from(((s as any)?.data?.[key] as string) ?? '', 'base64').toString('utf8');
const fp = (text: string): string => fingerprintsOf(text)![0]!;
/** The trust of `ca` with `bundle` as mesh-roots.crt. */
const trustOf = (ca: KeyPair, bundle?: string): MeshTrust => {
  const r = meshTrust(ca, bundle, Date.now());
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
};
/** Which CA signed a Secret's certificate (by fingerprint), and the roots of its root-cert.pem. */
const issuedBy = (s: KubeObject | undefined, cas: KeyPair[]): { by: string | undefined; roots: string[] | undefined } => {
  const leaf = new X509Certificate(pem(s, 'cert-chain.pem'));
  return { by: cas.map((c) => fp(c.cert)).find((f, i) => leaf.verify(new X509Certificate(cas[i]!.cert).publicKey) && f), roots: fingerprintsOf(pem(s, 'root-cert.pem')) };
};

describe('kube workload certificate rotation', function () {
  this.timeout(30_000);
  let api: FakeApiServer;
  let client: KubeClient;
  let leader = true;
  let fresh: WorkloadCert;
  const log = createLogger({ level: 'silent' });

  before(async () => {
    api = await startFakeApiServer();
    client = createKubeClient(await loadKubeConfig({ kubeconfig: api.kubeconfigPath }));
  });
  after(async () => api?.close());
  beforeEach(async () => {
    leader = true;
    for (const s of api.list('Secret')) api.delete('Secret', s.metadata.namespace, s.metadata.name!);
    const { meshCa } = await testCerts();
    fresh = await issueWorkloadCert(meshCa, id('shop', 'reviews'));
    api.apply(workloadSecret('reviews-mesh-cert', id('shop', 'reviews'), fresh) as KubeObject);
    api.apply(workloadSecret('ratings-mesh-cert', id('shop', 'ratings'), await issueWorkloadCert(meshCa, id('shop', 'ratings'))) as KubeObject);
    api.requests.length = 0;
  });

  const rotator = async (o: { now?: number; registry?: Registry } = {}) => {
    const { meshCa } = await testCerts();
    return new CertRotator({ client, meshCa, trustDomain: 'cluster.local', isLeader: () => leader, log, ...(o.registry ? { registry: o.registry } : {}), ...(o.now ? { now: () => o.now! } : {}) });
  };

  it('leaves fresh certificates alone: one list, no write', async () => {
    const r = await rotator();
    await r.scan();
    expect(api.requests.map((q) => q.method)).to.deep.equal(['GET']);
    expect(api.requests[0]!.path).to.equal('/api/v1/secrets');
    expect(Object.values(r.report().secrets).every((s) => s.startsWith('fresh until'))).to.equal(true);
    expect(pem(api.get('Secret', 'shop', 'reviews-mesh-cert'), 'cert-chain.pem')).to.equal(fresh.certChain);
  });

  it('renews each due certificate with a new key, the same identity and lifetime, signed by the mesh CA', async () => {
    const { meshCa } = await testCerts();
    const registry = new Registry();
    const r = await rotator({ now: Date.now() + 0.9 * DAY, registry });
    await r.scan();
    for (const sa of ['reviews', 'ratings']) {
      const s = api.get('Secret', 'shop', `${sa}-mesh-cert`);
      const leaf = new X509Certificate(pem(s, 'cert-chain.pem'));
      expect(leaf.verify(new X509Certificate(meshCa.cert).publicKey), sa).to.equal(true);
      expect(leaf.subjectAltName).to.equal(`URI:spiffe://cluster.local/ns/shop/sa/${sa}`);
      expect(Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)).to.be.closeTo(DAY, 60_000);
      expect(pem(s, 'root-cert.pem')).to.equal(meshCa.cert);
      expect(s!.metadata.labels).to.deep.equal({ 'mizzen.io/workload-cert': 'true' });
    }
    expect(pem(api.get('Secret', 'shop', 'reviews-mesh-cert'), 'key.pem')).to.not.equal(fresh.key);
    expect(api.requests.filter((q) => q.method === 'PATCH')).to.have.length(2);
    expect(r.report().secrets['shop/reviews-mesh-cert']).to.equal('renewed: 90 % of its lifetime has passed');
    expect(await registry.getSingleMetricAsString('mizzen_workload_certs_renewed_total')).to.match(/ 2$/m);
    // Renewed, they are fresh again: the next scan at the same time writes nothing.
    api.requests.length = 0;
    await (await rotator()).scan();
    expect(api.requests.filter((q) => q.method === 'PATCH')).to.have.length(0);
  });

  it('renews a Secret edited by hand into something the mesh CA did not issue; skips one without a service account', async () => {
    const s = api.get('Secret', 'shop', 'ratings-mesh-cert') as any;
    api.apply({ ...s, data: { ...s.data, 'cert-chain.pem': Buffer.from('junk').toString('base64') } });
    api.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'anonymous', namespace: 'shop', labels: { 'mizzen.io/workload-cert': 'true' } }, data: {} });
    api.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'unlabelled', namespace: 'shop', annotations: { 'mizzen.io/service-account': 'x' } }, data: {} });
    const r = await rotator();
    await r.scan();
    const report = r.report().secrets;
    expect(report['shop/ratings-mesh-cert']).to.equal('renewed: no readable certificate');
    expect(report['shop/anonymous']).to.match(/^skipped: serviceAccount/);
    expect(report).to.not.have.property('shop/unlabelled');
    expect(new X509Certificate(pem(api.get('Secret', 'shop', 'ratings-mesh-cert'), 'cert-chain.pem')).subjectAltName).to.equal('URI:spiffe://cluster.local/ns/shop/sa/ratings');
  });

  it('only the leader writes; a refused list or write is reported and retried on the next scan', async () => {
    leader = false;
    const r = await rotator({ now: Date.now() + 0.9 * DAY });
    await r.scan();
    expect(api.requests).to.have.length(0);
    leader = true;
    api.fail('GET', '/api/v1/secrets', 403);
    await r.scan();
    expect(r.report().error).to.match(/^list secrets: .*grant the ClusterRole in manifests\/workload-certs\//);
    api.fail('PATCH', '/api/v1/namespaces/shop/secrets/reviews-mesh-cert', 409);
    await r.scan();
    expect(r.report().secrets['shop/reviews-mesh-cert']).to.match(/^failed: /);
    expect(r.report().secrets['shop/ratings-mesh-cert']).to.match(/^renewed: /);
    await r.scan();
    expect(r.report().secrets['shop/reviews-mesh-cert']).to.match(/^renewed: /);
  });

  it('a Secret changed after the list is not overwritten: the write is conditional on its resourceVersion', async () => {
    const r = await rotator({ now: Date.now() + 0.9 * DAY });
    const s = api.get('Secret', 'shop', 'reviews-mesh-cert') as any;
    // The list the rotator reads is older than the Secret: as if someone wrote it in between.
    const stale = { ...s, metadata: { ...s.metadata, resourceVersion: '1' } };
    const original = client.get.bind(client);
    client.get = async (path: string) => {
      const res = await original(path);
      if (path.startsWith('/api/v1/secrets')) res.body.items = res.body.items.map((i: any) => (i.metadata.name === 'reviews-mesh-cert' ? stale : i));
      return res;
    };
    try {
      await r.scan();
    } finally {
      client.get = original;
    }
    expect(r.report().secrets['shop/reviews-mesh-cert']).to.match(/^failed: /);
    expect(pem(api.get('Secret', 'shop', 'reviews-mesh-cert'), 'cert-chain.pem')).to.equal(fresh.certChain);
  });

  it('follows a mesh CA rotation: every Secret gets both roots, then a certificate from the new CA, then the new root alone', async () => {
    const { meshCa: a } = await testCerts();
    const b = await generateCa('rotation CA B');
    let trust = trustOf(a);
    const r = new CertRotator({ client, meshCa: () => trust, trustDomain: 'cluster.local', isLeader: () => true, log });
    const secrets = () => ['reviews', 'ratings'].map((sa) => api.get('Secret', 'shop', `${sa}-mesh-cert`));
    const patches = () => api.requests.filter((q) => q.method === 'PATCH').length;
    await r.scan();
    expect(patches(), 'fresh: nothing to do').to.equal(0);
    // 1. B added to the bundle.
    trust = trustOf(a, b.cert);
    await r.scan();
    expect(patches()).to.equal(2);
    for (const s of secrets()) expect(issuedBy(s, [a, b])).to.deep.equal({ by: fp(a.cert), roots: [fp(a.cert), fp(b.cert)] });
    expect(r.report().secrets['shop/reviews-mesh-cert']).to.equal('renewed: root-cert.pem is not the trusted roots (mesh-ca.crt and mesh-roots.crt)');
    // 2. B signs, A stays trusted.
    trust = trustOf(b, a.cert);
    await r.scan();
    expect(patches()).to.equal(4);
    for (const s of secrets()) expect(issuedBy(s, [a, b])).to.deep.equal({ by: fp(b.cert), roots: [fp(b.cert), fp(a.cert)] });
    expect(r.report().secrets['shop/reviews-mesh-cert']).to.equal('renewed: not signed by the mesh CA');
    // 3. A dropped.
    trust = trustOf(b);
    await r.scan();
    for (const s of secrets()) expect(issuedBy(s, [a, b])).to.deep.equal({ by: fp(b.cert), roots: [fp(b.cert)] });
    await r.scan();
    expect(patches(), 'settled: the next scan writes nothing').to.equal(6);
  });

  it('a scan asked for while one is under way runs after it, with the mesh CA in force then', async () => {
    const { meshCa: a } = await testCerts();
    const b = await generateCa('rotation CA B');
    let trust = trustOf(a);
    const r = new CertRotator({ client, meshCa: () => trust, trustDomain: 'cluster.local', isLeader: () => true, log });
    const first = r.scan();
    trust = trustOf(a, b.cert);
    const second = r.scan();
    const third = r.scan();
    await Promise.all([first, second, third]);
    expect(issuedBy(api.get('Secret', 'shop', 'reviews-mesh-cert'), [a, b]).roots).to.deep.equal([fp(a.cert), fp(b.cert)]);
    // The first pass found everything fresh under A; the one after it renewed both; the third call shared it.
    expect(api.requests.map((q) => q.method)).to.deep.equal(['GET', 'GET', 'PATCH', 'PATCH']);
  });

  describe('in mizzen serve', () => {
    let running: RunningServe | undefined;
    afterEach(async () => {
      await running?.shutdown();
      running = undefined;
    });

    it('--rotate-workload-certs: the leader renews a Secret that is due, and /debug/workloadcerts says so', async () => {
      const s = api.get('Secret', 'shop', 'reviews-mesh-cert') as any;
      api.apply({ ...s, data: { ...s.data, 'cert-chain.pem': Buffer.from('expired long ago').toString('base64') } });
      const certs = await testCertsDir();
      try {
        running = await startKubeServe(api, { leader: { namespace: 'mizzen-system', identity: 'rotator-test' }, workloadCerts: { certsDir: certs.dir, intervalMs: 100 } });
        // The Secret is what matters (the report moves on to "fresh" at the next scan, 100 ms later).
        const renewedCert = (): string => pem(api.get('Secret', 'shop', 'reviews-mesh-cert'), 'cert-chain.pem');
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline && !renewedCert().startsWith('-----BEGIN CERTIFICATE-----')) await new Promise((r) => setTimeout(r, 50));
        const leaf = new X509Certificate(renewedCert());
        expect(leaf.verify(new X509Certificate(certs.certs.meshCa.cert).publicKey)).to.equal(true);
        // The API server stores the patch before the rotator reads its answer and counts it: wait for the count.
        const renewals = async () => /^mizzen_workload_certs_renewed_total (\d+)$/m.exec((await running!.monitoring.inject({ method: 'GET', url: '/metrics' })).body)?.[1];
        while (Date.now() < deadline && (await renewals()) === '0') await new Promise((r) => setTimeout(r, 20));
        expect(await renewals()).to.equal('1');
        const report = JSON.parse((await running.monitoring.inject({ method: 'GET', url: '/debug/workloadcerts' })).body);
        expect(report.secrets['shop/reviews-mesh-cert']).to.match(/^(renewed: no readable certificate|fresh until )/);
      } finally {
        certs.cleanup();
      }
    });

    it('a mesh CA reloaded from the certs directory reaches every Secret at once, not at the next interval; a bad file changes nothing', async () => {
      const certs = await testCertsDir();
      const a = certs.certs.meshCa;
      const b = await generateCa('rotation CA B');
      const put = (name: string, text: string): void => {
        writeFileSync(join(certs.dir, `.${name}.tmp`), text);
        renameSync(join(certs.dir, `.${name}.tmp`), join(certs.dir, name));
      };
      const roots = (sa: string): string[] | undefined => fingerprintsOf(pem(api.get('Secret', 'shop', `${sa}-mesh-cert`), 'root-cert.pem'));
      try {
        // The interval is far off: only the reload can make the rotator pass again.
        running = await startKubeServe(api, { leader: { namespace: 'mizzen-system', identity: 'rotator-test' }, workloadCerts: { certsDir: certs.dir, intervalMs: 3_600_000 } });
        const debug = async (url: string) => JSON.parse((await running!.monitoring.inject({ method: 'GET', url })).body);
        await eventually('the first scan', async () => (Object.values((await debug('/debug/workloadcerts')).secrets as Record<string, string>).some((v) => v.startsWith('fresh until')) ? true : undefined));
        put(CertFiles.meshRoots, `${b.cert}\n${a.key}`);
        await eventually('the bad bundle refused', async () => ((await debug('/debug/meshca'))[0].lastRejection ? true : undefined));
        expect(roots('reviews'), 'nothing changed').to.deep.equal([fp(a.cert)]);
        put(CertFiles.meshRoots, b.cert);
        await eventually('both roots in every Secret', async () => (['reviews', 'ratings'].every((sa) => roots(sa)?.length === 2) ? true : undefined));
        expect((await debug('/debug/meshca'))[0].roots.map((r: { fingerprint: string }) => r.fingerprint)).to.deep.equal([fp(a.cert), fp(b.cert)]);
        put(CertFiles.meshRoots, `${a.cert}\n${b.cert}`);
        put(CertFiles.meshCaKey, b.key);
        put(CertFiles.meshCaCert, b.cert);
        const byB = async (sa: string) => issuedBy(api.get('Secret', 'shop', `${sa}-mesh-cert`), [a, b]).by === fp(b.cert);
        await eventually('certificates from B in every Secret', async () => ((await byB('reviews')) && (await byB('ratings')) ? true : undefined));
        expect(await running.monitoring.inject({ method: 'GET', url: '/metrics' }).then((r) => r.body)).to.match(/^mizzen_mesh_ca_reloads_total\{result="applied"\} 2$/m);
      } finally {
        certs.cleanup();
      }
    });

    it('does not start without the mesh CA, and says where it looked', async () => {
      const empty = tempDir('mizzen-no-mesh-ca-');
      try {
        let error: Error | undefined;
        await startKubeServe(api, { leader: { namespace: 'mizzen-system', identity: 'rotator-test' }, workloadCerts: { certsDir: empty.dir } }).then(
          (r) => (running = r),
          (e: Error) => (error = e),
        );
        expect(error?.message).to.match(/--rotate-workload-certs: .*mesh-ca\.crt/);
      } finally {
        empty.cleanup();
      }
    });

    it('the flag needs the Kubernetes source and a certificates directory (exit 2, naming what is missing)', async () => {
      const noKube = await mizzen(['serve', '--rotate-workload-certs', '--config-dir', '.']);
      expect(noKube.code).to.equal(2);
      expect(noKube.stderr).to.contain('--rotate-workload-certs needs the Kubernetes source');
      const noDir = await mizzen(['serve', '--rotate-workload-certs', '--kubeconfig', api.kubeconfigPath]);
      expect(noDir.code).to.equal(2);
      expect(noDir.stderr).to.contain('--rotate-workload-certs needs --certs-dir');
    });
  });
});
