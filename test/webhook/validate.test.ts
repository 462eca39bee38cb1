import { expect } from 'chai';
import { buildWebhookApp, type Validator, type WebhookApp } from '../../src/webhook/index.js';
import { createRegistry, webhookMetrics, type Registry } from '../../src/metrics.js';
import { testCerts } from '../support/certs.js';
import { admissionReview, fakeValidator, type DecodedAnswer } from './helpers.js';

const VS = { group: 'networking.istio.io', version: 'v1', kind: 'VirtualService' };
const vs = (spec: Record<string, unknown>, name = 'reviews') => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name }, spec: { hosts: ['reviews'], ...spec } });

describe('webhook: POST /validate', () => {
  let app: WebhookApp;
  let registry: Registry;
  const seen: Array<{ operation: string; namespace: string }> = [];
  const validator: Validator = (obj, ctx) => {
    seen.push(ctx);
    return fakeValidator(obj, ctx);
  };

  before(async () => {
    registry = createRegistry({ defaults: false });
    app = buildWebhookApp({ tls: (await testCerts()).serving, validate: validator, metrics: webhookMetrics(registry) });
    await app.ready();
  });
  after(async () => app.close());

  const post = async (body: unknown) => {
    const res = await app.inject({ method: 'POST', url: '/validate', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    expect(res.statusCode, res.body).to.equal(200);
    return res.json() as DecodedAnswer;
  };

  it('allows a valid resource, with its warnings', async () => {
    const a = await post(admissionReview({ kind: VS, namespace: 'bookinfo', object: vs({ warn: ['subset v9 is not defined by any DestinationRule'] }) }));
    expect(a.response.allowed).to.equal(true);
    expect(a.response.warnings).to.deep.equal(['subset v9 is not defined by any DestinationRule']);
    expect(a.response.patch).to.equal(undefined);
    expect(seen.at(-1)).to.deep.equal({ operation: 'CREATE', namespace: 'bookinfo' });
  });

  it('denies an invalid resource listing every problem, code 400, warnings kept', async () => {
    const a = await post(admissionReview({ kind: VS, uid: 'v-1', object: vs({ bad: ['spec.http[0].route[0].weight: must be between 0 and 100', 'spec.http[0].timeout: not a duration'], warn: ['w'] }) }));
    expect(a.response.uid).to.equal('v-1');
    expect(a.response.allowed).to.equal(false);
    expect(a.response.status).to.deep.include({
      code: 400,
      message: 'VirtualService default/reviews is invalid: spec.http[0].route[0].weight: must be between 0 and 100; spec.http[0].timeout: not a duration',
    });
    expect(a.response.warnings).to.deep.equal(['w']);
  });

  it('validates UPDATE too', async () => {
    const a = await post(admissionReview({ kind: VS, operation: 'UPDATE', object: vs({ bad: ['spec.hosts: required'] }), oldObject: vs({}) }));
    expect(a.response.allowed).to.equal(false);
    expect(seen.at(-1)!.operation).to.equal('UPDATE');
  });

  it('allows DELETE without validating', async () => {
    const n = seen.length;
    const a = await post(admissionReview({ kind: VS, operation: 'DELETE', object: null, oldObject: vs({ bad: ['x'] }) }));
    expect(a.response).to.deep.equal({ uid: a.response.uid, allowed: true });
    expect(seen.length).to.equal(n);
  });

  it('gives a dry run the same verdict', async () => {
    const a = await post(admissionReview({ kind: VS, dryRun: true, object: vs({ bad: ['spec.hosts: required'] }) }));
    expect(a.response.allowed).to.equal(false);
  });

  it('counts reviews by kind and verdict', async () => {
    const text = await registry.getSingleMetricAsString('mizzen_validation_reviews_total');
    expect(text).to.match(/kind="VirtualService",verdict="allowed"} 1/);
    expect(text).to.match(/kind="VirtualService",verdict="denied"} 3/);
    expect(await registry.getSingleMetricAsString('mizzen_webhook_requests_total')).to.match(/route="validate",outcome="denied"} 3/);
  });

  it('waits for an async validator and reports one that throws with code 500', async () => {
    const a2 = buildWebhookApp({
      tls: (await testCerts()).serving,
      validate: async (obj) => {
        await new Promise((r) => setImmediate(r));
        if (obj.metadata.name === 'boom') throw new Error('validator bug');
        return { errors: [], warnings: ['async ok'] };
      },
    });
    const call = async (name: string) =>
      (await a2.inject({ method: 'POST', url: '/validate', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(admissionReview({ kind: VS, uid: name, object: vs({}, name) })) })).json() as DecodedAnswer;
    expect((await call('fine')).response.warnings).to.deep.equal(['async ok']);
    const boom = await call('boom');
    expect(boom.response).to.deep.include({ uid: 'boom', allowed: false });
    expect(boom.response.status).to.deep.include({ code: 500 });
    expect(boom.response.status!.message).to.match(/validator bug/);
    await a2.close();
  });
});
