import { expect } from 'chai';
import { connect } from 'node:tls';
import { request as httpsRequest } from 'node:https';
import { buildWebhookApp, type WebhookApp } from '../../src/webhook/index.js';
import { createRegistry, webhookMetrics, type Registry } from '../../src/metrics.js';
import { testCerts } from '../support/certs.js';
import { admissionReview, fakeInjector, fakeValidator, podObject, type DecodedAnswer } from './helpers.js';

interface Case {
  name: string;
  payload: string | Buffer;
  contentType?: string;
  /** HTTP status when no uid can be read; 200 with an AdmissionReview otherwise. */
  status: number;
  uid?: string;
  code?: number;
  message: RegExp;
}

const valid = (o: Parameters<typeof admissionReview>[0]) => JSON.stringify(admissionReview(o));

const cases: Case[] = [
  { name: 'an empty body', payload: '', status: 400, message: /empty/ },
  { name: 'not JSON', payload: '{"kind": "AdmissionReview", ', status: 400, message: /not valid JSON/ },
  { name: 'binary garbage', payload: Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]), status: 400, message: /not valid JSON/ },
  { name: 'a JSON number', payload: '42', status: 400, message: /a number, expected an AdmissionReview/ },
  { name: 'a Pod instead of a review', payload: JSON.stringify(podObject()), status: 400, message: /not an AdmissionReview: kind is "Pod"/ },
  { name: 'a review without request', payload: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), status: 400, message: /no request/ },
  { name: 'a request without uid', payload: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { operation: 'CREATE' } }), status: 400, message: /request\.uid/ },
  { name: 'a CREATE without object', payload: valid({ uid: 'no-obj', object: undefined }), status: 200, uid: 'no-obj', code: 400, message: /request\.object: missing for CREATE/ },
  { name: 'an object that is not a Kubernetes object', payload: valid({ uid: 'odd', object: [1, 2] }), status: 200, uid: 'odd', code: 400, message: /request\.object: not a Kubernetes object/ },
  { name: 'an unknown operation with a uid', payload: valid({ uid: 'op', operation: 'MERGE' }), status: 200, uid: 'op', code: 400, message: /request\.operation/ },
  { name: 'the wrong kind with a uid', payload: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'Review', request: { uid: 'k1' } }), status: 200, uid: 'k1', code: 400, message: /not an AdmissionReview/ },
  { name: 'text/plain with a uid', payload: valid({ uid: 'ct' }), contentType: 'text/plain', status: 200, uid: 'ct', code: 415, message: /content-type "text\/plain" is not supported/ },
  { name: 'form data without a uid', payload: 'a=b', contentType: 'application/x-www-form-urlencoded', status: 415, message: /content-type "application\/x-www-form-urlencoded"/ },
];

describe('webhook: malformed requests', () => {
  let app: WebhookApp;
  let registry: Registry;
  before(async () => {
    registry = createRegistry({ defaults: false });
    app = buildWebhookApp({ tls: (await testCerts()).serving, injector: fakeInjector, validate: fakeValidator, metrics: webhookMetrics(registry) });
    await app.ready();
  });
  after(async () => app.close());

  for (const route of ['/inject', '/validate']) {
    for (const c of cases) {
      it(`${route}: ${c.name}`, async () => {
        const res = await app.inject({ method: 'POST', url: route, headers: { 'content-type': c.contentType ?? 'application/json' }, payload: c.payload });
        expect(res.statusCode, res.body).to.equal(c.status);
        const body = res.json();
        if (c.status === 200) {
          const a = body as DecodedAnswer;
          expect(a.kind).to.equal('AdmissionReview');
          expect(a.response.uid).to.equal(c.uid);
          expect(a.response.allowed).to.equal(false);
          expect(a.response.status!.code).to.equal(c.code);
          expect(a.response.status!.message).to.match(c.message);
        } else {
          expect(body).to.include({ kind: 'Status', status: 'Failure', code: c.status });
          expect(body.message).to.match(c.message);
        }
      });
    }
  }

  it('accepts application/json with a charset', async () => {
    const res = await app.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json; charset=utf-8' }, payload: valid({}) });
    expect(res.json().response.allowed).to.equal(true);
  });

  it('rejects a body over 7 MiB with a clear 413', async () => {
    const big = JSON.stringify(admissionReview({ object: podObject({ annotations: { pad: 'x'.repeat(7 * 1024 * 1024) } }) }));
    const res = await app.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json' }, payload: big });
    expect(res.statusCode).to.equal(413);
    expect(res.json().message).to.equal('request body is larger than the 7 MiB limit');
    expect(await registry.getSingleMetricAsString('mizzen_webhook_requests_total')).to.match(/route="inject",outcome="too_large"} 1/);
  });

  it('answers GET on a review route with a 404 naming the routes', async () => {
    const res = await app.inject({ method: 'GET', url: '/inject' });
    expect(res.statusCode).to.equal(404);
  });

  it('survives a burst of garbage over real TLS and then answers a good review', async () => {
    const certs = await testCerts();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    const raw = (data: string | Buffer) =>
      new Promise<string>((resolve) => {
        const s = connect({ host: '127.0.0.1', port, ca: certs.serving.ca, servername: 'localhost' }, () => {
          s.end(data);
        });
        let out = '';
        s.on('data', (d) => (out += d.toString()));
        s.on('close', () => resolve(out));
        s.on('error', () => resolve(out));
      });
    const plainTcpGarbage = new Promise<void>((resolve) => {
      // Not even TLS: the handshake fails and the server carries on.
      import('node:net').then(({ connect: tcp }) => {
        const s = tcp({ host: '127.0.0.1', port }, () => s.end('GET / HTTP/1.1\r\n\r\n'));
        s.on('close', () => resolve());
        s.on('error', () => resolve());
      });
    });
    await Promise.all([
      plainTcpGarbage,
      raw('\x00\x01\x02 not http at all\r\n\r\n'),
      raw('POST /inject HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"trunc'),
      raw('POST /inject HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{{{{{'),
      raw('POST /inject HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n'),
      raw('POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n'),
      ...Array.from({ length: 20 }, (_, i) => raw(`POST /inject HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${i}\r\n\r\n${'['.repeat(i)}`)),
    ]);
    const body = valid({ uid: 'after-burst' });
    const answer = await new Promise<DecodedAnswer>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port, path: '/inject', method: 'POST', ca: certs.serving.ca, servername: 'mizzen.mizzen-system.svc', headers: { 'content-type': 'application/json' } },
        (res) => {
          let s = '';
          res.on('data', (d) => (s += d));
          res.on('end', () => resolve(JSON.parse(s)));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(answer.response.uid).to.equal('after-burst');
    expect(answer.response.patchType).to.equal('JSONPatch');
  });
});
