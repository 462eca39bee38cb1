import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { BodyPool, readPooledBody, type PooledBody } from '../../src/webhook/body.js';
import { buildWebhookApp, type Injector } from '../../src/webhook/index.js';
import { ok } from '../../src/core/result.js';
import type { KubeObject } from '../../src/core/kube.js';
import { testCerts } from '../support/certs.js';
import { admissionReview, podObject } from './helpers.js';

/** A request stream with headers, fed by hand. */
function upload(headers: Record<string, string>): PassThrough & IncomingMessage {
  const s = new PassThrough() as PassThrough & IncomingMessage;
  (s as { headers: Record<string, string> }).headers = headers;
  return s;
}

function read(payload: IncomingMessage, limit: number, pool = new BodyPool()): Promise<PooledBody> {
  return new Promise((resolve, reject) => readPooledBody(payload, limit, pool, (err, body) => (err ? reject(err) : resolve(body!))));
}

describe('webhook: request bodies in pooled buffers', () => {
  it('reads a body sent in pieces, with or without a content-length, and reuses the buffer once released', async () => {
    const pool = new BodyPool();
    const text = 'x'.repeat(40_000);
    const sized = upload({ 'content-length': String(text.length) });
    const first = read(sized, 1 << 20, pool);
    for (let i = 0; i < text.length; i += 7000) sized.write(text.slice(i, i + 7000));
    sized.end();
    const a = await first;
    expect(a.bytes.toString()).to.equal(text);
    const buffer = a.bytes.buffer;
    a.release();
    a.release(); // idempotent: the buffer goes back once
    const chunked = upload({});
    const second = read(chunked, 1 << 20, pool);
    chunked.end('{"small":true}');
    const b = await second;
    expect(b.bytes.toString()).to.equal('{"small":true}');
    expect(b.bytes.buffer).to.equal(buffer);
    const third = upload({});
    const grown = read(third, 1 << 20, pool);
    for (let i = 0; i < 5; i++) third.write('y'.repeat(30_000));
    third.end();
    expect((await grown).bytes.length).to.equal(150_000);
  });

  it('refuses what Fastify refuses: over the limit (announced or received), a length that does not match, a broken upload', async () => {
    const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: Error & { code?: string; statusCode?: number }) => `${e.code ?? e.message} ${e.statusCode}`);
    expect(await codeOf(read(upload({ 'content-length': '2000' }), 1000))).to.equal('FST_ERR_CTP_BODY_TOO_LARGE 413');
    const big = upload({});
    const over = codeOf(read(big, 1000));
    big.write('z'.repeat(600));
    big.write('z'.repeat(600));
    expect(await over).to.equal('FST_ERR_CTP_BODY_TOO_LARGE 413');
    const short = upload({ 'content-length': '10' });
    const mismatch = codeOf(read(short, 1000));
    short.end('abc');
    expect(await mismatch).to.equal('FST_ERR_CTP_INVALID_CONTENT_LENGTH 400');
    const broken = upload({ 'content-length': '10' });
    const aborted = codeOf(read(broken, 1000));
    broken.destroy(new Error('aborted'));
    expect(await aborted).to.equal('aborted 400');
  });

  it('hands the injector a large pod that stays intact after its buffer serves the next reviews', async () => {
    const seen: KubeObject[] = [];
    const injector: Injector = (pod) => {
      seen.push(pod);
      return ok({ pod, decision: { inject: false, reason: 'test', message: 'test' } });
    };
    const app = buildWebhookApp({ tls: (await testCerts()).serving, injector });
    await app.ready();
    try {
      const envOf = (tag: string) => Array.from({ length: 2000 }, (_, i) => ({ name: `${tag}${i}`, value: `${tag}-value-${i}` }));
      for (const tag of ['first', 'second', 'third']) {
        const pod = podObject({ name: tag, namespace: 'default' });
        pod.spec.containers[0].env = envOf(tag);
        const res = await app.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(admissionReview({ object: pod })) });
        expect(res.statusCode).to.equal(200);
      }
      // The first pod's env was left unparsed; reading it now, after two more bodies went through the pool:
      expect(seen.map((p) => p.spec.containers[0].env)).to.deep.equal([envOf('first'), envOf('second'), envOf('third')]);
    } finally {
      await app.close();
    }
  });
});
