import { expect } from 'chai';
import { connect } from 'node:tls';
import { once } from 'node:events';
import supertest from 'supertest';
import { attachCertReload, buildWebhookApp, type WebhookApp } from '../../src/webhook/index.js';
import { fingerprint, generateAll, writeCerts, type CertWatcher } from '../../src/certs/index.js';
import { testCertsDir } from '../support/certs.js';
import { admissionReview, fakeInjector, fakeValidator, type DecodedAnswer } from './helpers.js';

/** The certificate a fresh TLS connection is served, verified against `ca` under `servername`. */
function peerFingerprint(port: number, ca: string, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca, servername }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.end();
      resolve(fp);
    });
    s.on('error', reject);
  });
}

describe('webhook: over real HTTPS', () => {
  let app: WebhookApp;
  let url: string;
  let fixture: Awaited<ReturnType<typeof testCertsDir>>;
  let watcher: CertWatcher;

  before(async () => {
    fixture = await testCertsDir();
    app = buildWebhookApp({ tls: fixture.certs.serving, injector: fakeInjector, validate: fakeValidator });
    // Attached before listening: hooks cannot be added to a started app.
    watcher = attachCertReload(app, fixture.dir, { current: fixture.certs.serving, debounceMs: 20 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `https://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  after(async () => {
    await app.close();
    fixture.cleanup();
  });

  it('injects over TLS verified against the CA', async () => {
    const res = await supertest(url).post('/inject').ca(fixture.certs.serving.ca).set('content-type', 'application/json').send(JSON.stringify(admissionReview({ uid: 'tls-1' })));
    expect(res.status).to.equal(200);
    const a = res.body as DecodedAnswer;
    expect(a.response).to.include({ uid: 'tls-1', allowed: true, patchType: 'JSONPatch' });
  });

  it('validates over TLS', async () => {
    const res = await supertest(url)
      .post('/validate')
      .ca(fixture.certs.serving.ca)
      .set('content-type', 'application/json')
      .send(JSON.stringify(admissionReview({ kind: { group: 'networking.istio.io', version: 'v1', kind: 'Gateway' }, object: { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'g' }, spec: { bad: ['spec.servers: required'] } } })));
    expect(res.body.response.allowed).to.equal(false);
    expect(res.body.response.status.message).to.match(/Gateway default\/g is invalid: spec.servers: required/);
  });

  it('serves a certificate valid for the service DNS name', async () => {
    const port = Number(new URL(url).port);
    for (const name of ['mizzen.mizzen-system.svc', 'mizzen.mizzen-system.svc.cluster.local', 'localhost']) {
      expect(await peerFingerprint(port, fixture.certs.serving.ca, name)).to.equal(fingerprint(fixture.certs.serving.cert));
    }
  });

  it('picks up rotated certificate files for new connections, without a restart', async () => {
    const port = Number(new URL(url).port);
    const next = await generateAll();
    const reloaded = once(watcher, 'reloaded');
    writeCerts(fixture.dir, next);
    await reloaded;
    expect(await peerFingerprint(port, next.serving.ca, 'mizzen.mizzen-system.svc')).to.equal(fingerprint(next.serving.cert));
    // The old CA no longer verifies the server.
    let failed = false;
    await peerFingerprint(port, fixture.certs.serving.ca, 'mizzen.mizzen-system.svc').catch(() => (failed = true));
    expect(failed).to.equal(true);
    const res = await supertest(url).post('/inject').ca(next.serving.ca).set('content-type', 'application/json').send(JSON.stringify(admissionReview({ uid: 'after-rotation' })));
    expect(res.body.response.uid).to.equal('after-rotation');
  });
});
