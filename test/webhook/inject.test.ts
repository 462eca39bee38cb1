import { expect } from 'chai';
import { buildWebhookApp, type WebhookApp } from '../../src/webhook/index.js';
import { createRegistry, webhookMetrics, type Registry } from '../../src/metrics.js';
import { testCerts } from '../support/certs.js';
import { admissionReview, applyAnswer, fakeInjector, injectorCalls, patchOf, podObject, type DecodedAnswer } from './helpers.js';

describe('webhook: POST /inject', () => {
  let app: WebhookApp;
  let registry: Registry;

  before(async () => {
    const certs = await testCerts();
    registry = createRegistry({ defaults: false });
    app = buildWebhookApp({ tls: certs.serving, injector: fakeInjector, metrics: webhookMetrics(registry) });
    await app.ready();
  });
  after(async () => app.close());

  const post = async (body: unknown, url = '/inject') => {
    const res = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    expect(res.statusCode, res.body).to.equal(200);
    return res.json() as DecodedAnswer;
  };

  it('patches a CREATE of a v1 Pod and echoes the uid', async () => {
    const review = admissionReview({ uid: 'abc-123' });
    const answer = await post(review);
    expect(answer.apiVersion).to.equal('admission.k8s.io/v1');
    expect(answer.kind).to.equal('AdmissionReview');
    expect(answer.response.uid).to.equal('abc-123');
    expect(answer.response.allowed).to.equal(true);
    expect(answer.response.patchType).to.equal('JSONPatch');
    const out = applyAnswer(review.request.object, answer);
    expect(out.spec.containers.map((c: { name: string }) => c.name)).to.deep.equal(['reviews', 'istio-proxy']);
    expect(out.spec.initContainers.map((c: { name: string }) => c.name)).to.deep.equal(['istio-init']);
    expect(patchOf(answer).map((o: any) => o.path)).to.have.members(['/metadata/annotations', '/spec/initContainers', '/spec/containers/-']);
  });

  it('answers v1beta1 in kind', async () => {
    const answer = await post(admissionReview({ apiVersion: 'admission.k8s.io/v1beta1' }));
    expect(answer.apiVersion).to.equal('admission.k8s.io/v1beta1');
    expect(answer.response.patch).to.be.a('string');
  });

  it('serves /inject/* suffixes as Istio does', async () => {
    const answer = await post(admissionReview({}), '/inject/cluster/Kubernetes/net/network1');
    expect(answer.response.patchType).to.equal('JSONPatch');
  });

  it('uses request.namespace when the pod has none, and handles generateName-only pods', async () => {
    injectorCalls.length = 0;
    await post(admissionReview({ namespace: 'bookinfo', object: podObject() }));
    expect(injectorCalls[0]!.namespace).to.equal('bookinfo');
    await post(admissionReview({ namespace: 'bookinfo', object: podObject({ namespace: 'other' }) }));
    expect(injectorCalls[1]!.namespace).to.equal('other');
  });

  const passthrough: Array<{ name: string; operation?: string; kind?: { group: string; version: string; kind: string }; object?: unknown }> = [
    { name: 'UPDATE', operation: 'UPDATE' },
    { name: 'DELETE', operation: 'DELETE', object: null },
    { name: 'CONNECT', operation: 'CONNECT', object: { kind: 'PodExecOptions', apiVersion: 'v1' } },
    { name: 'a Deployment', kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: {} } },
    { name: 'a Service', kind: { group: '', version: 'v1', kind: 'Service' }, object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } } },
  ];
  for (const c of passthrough) {
    it(`allows ${c.name} unchanged without calling the injector`, async () => {
      injectorCalls.length = 0;
      const answer = await post(admissionReview(c));
      expect(answer.response).to.deep.equal({ uid: answer.response.uid, allowed: true });
      expect(injectorCalls).to.have.length(0);
    });
  }

  it('adds the skip reason when the pod is not injected, and counts it', async () => {
    const review = admissionReview({ object: podObject({ labels: { app: 'x', skip: 'host-network' } }) });
    const answer = await post(review);
    expect(answer.response.allowed).to.equal(true);
    expect(patchOf(answer)).to.deep.equal([{ op: 'add', path: '/metadata/annotations', value: { 'sidecar.mizzen.io/skip-reason': 'host-network' } }]);
    expect(await registry.getSingleMetricAsString('mizzen_sidecar_injection_skips_total')).to.match(/reason="host-network"} 1/);
  });

  it('returns no patch for an already injected pod', async () => {
    const answer = await post(admissionReview({ object: podObject({ annotations: { injected: 'yes' } }) }));
    expect(answer.response).to.deep.equal({ uid: answer.response.uid, allowed: true });
  });

  it('denies invalid annotations with every error and code 400', async () => {
    const answer = await post(admissionReview({ object: podObject({ name: 'p1', annotations: { bad: 'sidecar.istio.io/proxyCPU: "lots" is not a quantity|sidecar.istio.io/logLevel: "loud" is not a level' } }) }));
    expect(answer.response.allowed).to.equal(false);
    expect(answer.response.status!.code).to.equal(400);
    expect(answer.response.status!.message).to.equal(
      'sidecar injection failed for pod default/p1: sidecar.istio.io/proxyCPU: "lots" is not a quantity; sidecar.istio.io/logLevel: "loud" is not a level',
    );
  });

  it('gives a dry run the same answer without counting it', async () => {
    const before = (await registry.getSingleMetric('mizzen_sidecar_injections_total')!.get()).values[0]?.value ?? 0;
    const wet = await post(admissionReview({ uid: 'w' }));
    const dry = await post(admissionReview({ uid: 'd', dryRun: true }));
    expect(dry.response.patch).to.equal(wet.response.patch);
    const after = (await registry.getSingleMetric('mizzen_sidecar_injections_total')!.get()).values[0]?.value ?? 0;
    expect(after - before).to.equal(1);
  });

  it('answers a handler that throws with code 500 and the uid', async () => {
    const answer = await post(admissionReview({ uid: 'boom', object: podObject({ labels: { throw: 'yes' } }) }));
    expect(answer.response.uid).to.equal('boom');
    expect(answer.response.allowed).to.equal(false);
    expect(answer.response.status!.code).to.equal(500);
    expect(answer.response.status!.message).to.match(/injector exploded/);
  });

  it('counts requests by route and outcome, with a latency histogram', async () => {
    const text = await registry.metrics();
    expect(text).to.match(/mizzen_webhook_requests_total\{route="inject",outcome="patched"\} \d+/);
    expect(text).to.match(/mizzen_webhook_requests_total\{route="inject",outcome="allowed"\} \d+/);
    expect(text).to.match(/mizzen_webhook_requests_total\{route="inject",outcome="denied"\} \d+/);
    expect(text).to.match(/mizzen_webhook_requests_total\{route="inject",outcome="error"\} \d+/);
    expect(text).to.match(/mizzen_webhook_request_duration_seconds_count\{route="inject"\} \d+/);
  });

  it('serves /healthz and /readyz, and 404 elsewhere', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).body).to.equal('ok');
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).to.equal(200);
    const nf = await app.inject({ method: 'GET', url: '/nope' });
    expect(nf.statusCode).to.equal(404);
    expect(nf.json().message).to.match(/no route GET \/nope/);
  });

  it('answers 503 on /readyz while not ready', async () => {
    const certs = await testCerts();
    let ready = false;
    const a = buildWebhookApp({ tls: certs.serving, injector: fakeInjector, ready: () => ready });
    expect((await a.inject({ method: 'GET', url: '/readyz' })).statusCode).to.equal(503);
    ready = true;
    expect((await a.inject({ method: 'GET', url: '/readyz' })).statusCode).to.equal(200);
    await a.close();
  });
});
