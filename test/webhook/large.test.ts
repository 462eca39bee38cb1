import { expect } from 'chai';
import { buildWebhookApp, type WebhookApp } from '../../src/webhook/index.js';
import { injectPod } from '../../src/inject/index.js';
import { DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';
import type { KubeObject } from '../../src/core/kube.js';
import { testCerts } from '../support/certs.js';
import { admissionReview, applyAnswer, podObject, type DecodedAnswer } from './helpers.js';

// Large pods reach /inject with their bulk (here 2000 environment variables, or 2000 annotations) left unparsed
// until read (src/core/lazy-json.ts): the answer must be the one the injector gives the fully parsed pod.
const env = Array.from({ length: 2000 }, (_, i) => ({ name: `E${i}`, value: `value-${i}` }));

function largePod(): KubeObject {
  const pod = podObject({ name: 'big-1', namespace: 'default' });
  pod.spec.containers[0].env = env;
  return pod;
}

describe('webhook: large pods', () => {
  let app: WebhookApp;
  before(async () => {
    app = buildWebhookApp({ tls: (await testCerts()).serving, injector: (pod, { namespace }) => injectPod(pod, { namespace, mesh: DEFAULT_MESH_CONFIG }) });
    await app.ready();
  });
  after(async () => app.close());

  const post = async (payload: string) => {
    const res = await app.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json' }, payload });
    expect(res.statusCode, res.body).to.equal(200);
    return res.json() as DecodedAnswer;
  };

  const expectedPatch = (pod: KubeObject): unknown => {
    const r = injectPod(structuredClone(pod), { namespace: 'default', mesh: DEFAULT_MESH_CONFIG });
    if (!r.ok) throw new Error(r.errors.join('; '));
    return JSON.parse(r.value.patch!);
  };

  it('injects a 64 KB pod with the same patch as the fully parsed pod, its env untouched', async () => {
    const pod = largePod();
    const body = JSON.stringify(admissionReview({ object: pod }));
    expect(body.length).to.be.greaterThan(60_000);
    const answer = await post(body);
    expect(answer.response.allowed).to.equal(true);
    expect(JSON.parse(Buffer.from(answer.response.patch!, 'base64').toString())).to.deep.equal(expectedPatch(pod));
    const out = applyAnswer(pod, answer);
    expect(out.spec.containers[0].env).to.deep.equal(env);
    expect(out.spec.containers.map((c: { name: string }) => c.name)).to.deep.equal(['reviews', 'istio-proxy']);
  });

  it('reads bulky annotations when injection needs them (skip annotation, proxy resources)', async () => {
    const annotations: Record<string, string> = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`example.com/a${i}`, `v${i}`]));
    annotations['sidecar.istio.io/proxyCPU'] = '250m';
    const pod = podObject({ name: 'annotated', namespace: 'default', annotations });
    const answer = await post(JSON.stringify(admissionReview({ object: pod })));
    expect(JSON.parse(Buffer.from(answer.response.patch!, 'base64').toString())).to.deep.equal(expectedPatch(pod));
    const proxy = applyAnswer(pod, answer).spec.containers.find((c: { name: string }) => c.name === 'istio-proxy');
    expect(proxy.resources.requests.cpu).to.equal('250m');

    const skipped = podObject({ name: 'opted-out', namespace: 'default', annotations: { ...annotations, 'sidecar.istio.io/inject': 'false' } });
    const skip = await post(JSON.stringify(admissionReview({ object: skipped })));
    expect(applyAnswer(skipped, skip).metadata.annotations['sidecar.mizzen.io/skip-reason']).to.be.a('string');
  });

  it('refuses a large body that is not valid JSON deep inside its bulk, and keeps serving', async () => {
    const body = JSON.stringify(admissionReview({ object: largePod() })).replace('"value-1000"', 'value-1000');
    const res = await app.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json' }, payload: body });
    expect(res.statusCode).to.equal(400);
    expect(res.json().message).to.match(/request body is not valid JSON/);
    const again = await post(JSON.stringify(admissionReview({ object: largePod() })));
    expect(again.response.allowed).to.equal(true);
  });
});
