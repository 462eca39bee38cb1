import { expect } from 'chai';
import { base64, decodeAdmissionReview, encodeAdmissionReview, encodeAdmissionReviewBytes, encodeAdmissionReviewWire, responseBody, allowed, denied, errored, patched, patchedJson, withWarnings } from '../../src/admission/index.js';

const review = (request: unknown, apiVersion = 'admission.k8s.io/v1') => JSON.stringify({ apiVersion, kind: 'AdmissionReview', request });
const goodRequest = {
  uid: 'u-1',
  kind: { group: '', version: 'v1', kind: 'Pod' },
  resource: { group: '', version: 'v1', resource: 'pods' },
  operation: 'CREATE',
  namespace: 'default',
  object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } },
};

describe('admission/review: decodeAdmissionReview', () => {
  it('decodes a v1 review', async () => {
    const d = decodeAdmissionReview(review(goodRequest));
    expect(d.ok).to.equal(true);
    if (d.ok) {
      expect(d.apiVersion).to.equal('admission.k8s.io/v1');
      expect(d.request.uid).to.equal('u-1');
      expect(d.request.operation).to.equal('CREATE');
    }
  });

  it('keeps v1beta1 so the answer matches', async () => {
    const d = decodeAdmissionReview(review(goodRequest, 'admission.k8s.io/v1beta1'));
    expect(d.ok && d.apiVersion).to.equal('admission.k8s.io/v1beta1');
  });

  it('accepts an already parsed object and a Buffer', async () => {
    expect(decodeAdmissionReview(JSON.parse(review(goodRequest))).ok).to.equal(true);
    expect(decodeAdmissionReview(Buffer.from(review(goodRequest))).ok).to.equal(true);
  });

  const bad: Array<{ name: string; body: string; uid?: string; message: RegExp }> = [
    { name: 'empty body', body: '', message: /empty/ },
    { name: 'not JSON', body: '{"apiVersion": ', message: /not valid JSON/ },
    { name: 'JSON array', body: '[1,2]', message: /an array, expected an AdmissionReview/ },
    { name: 'JSON string', body: '"x"', message: /a string, expected/ },
    { name: 'wrong kind without request', body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod' }), message: /not an AdmissionReview: kind is "Pod"/ },
    { name: 'wrong kind with a readable uid', body: JSON.stringify({ kind: 'Status', request: { uid: 'u-2' } }), uid: 'u-2', message: /not an AdmissionReview/ },
    { name: 'unsupported apiVersion', body: review(goodRequest, 'admission.k8s.io/v2'), uid: 'u-1', message: /apiVersion "admission.k8s.io\/v2" is not supported/ },
    { name: 'no request', body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), message: /no request/ },
    { name: 'request not an object', body: review(7), message: /request: must be an object, got a number/ },
    { name: 'no uid', body: review({ ...goodRequest, uid: undefined }), message: /request.uid/ },
    { name: 'bad operation', body: review({ ...goodRequest, operation: 'PATCH' }), uid: 'u-1', message: /request.operation: "PATCH" is not one of/ },
    { name: 'no kind', body: review({ ...goodRequest, kind: undefined }), uid: 'u-1', message: /request.kind/ },
    { name: 'bad dryRun', body: review({ ...goodRequest, dryRun: 'yes' }), uid: 'u-1', message: /request.dryRun/ },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, async () => {
      const d = decodeAdmissionReview(c.body);
      expect(d.ok).to.equal(false);
      if (!d.ok) {
        expect(d.message).to.match(c.message);
        expect(d.uid).to.equal(c.uid);
      }
    });
  }
});

describe('admission/review: encoding', () => {
  it('allowed without patch has no patchType', async () => {
    expect(responseBody('u', allowed())).to.deep.equal({ uid: 'u', allowed: true });
  });

  it('patched carries a base64 JSONPatch', async () => {
    const r = responseBody('u', patched({ a: 1 }, { a: 2 }));
    expect(r.patchType).to.equal('JSONPatch');
    expect(JSON.parse(Buffer.from(r.patch!, 'base64').toString())).to.deep.equal([{ op: 'replace', path: '/a', value: 2 }]);
  });

  it('patched with no difference is a plain allow', async () => {
    expect(responseBody('u', patched({ a: 1 }, { a: 1 }))).to.deep.equal({ uid: 'u', allowed: true });
  });

  it('denied carries a Failure status with code 400 and warnings', async () => {
    expect(responseBody('u', denied('spec.x: bad', 400, ['careful']))).to.deep.equal({
      uid: 'u',
      allowed: false,
      status: { metadata: {}, status: 'Failure', code: 400, message: 'spec.x: bad', reason: 'BadRequest' },
      warnings: ['careful'],
    });
  });

  it('errored carries the code', async () => {
    expect(responseBody('u', errored(500, 'boom')).status).to.include({ code: 500, message: 'boom', reason: 'InternalError' });
  });

  it('withWarnings appends', async () => {
    expect(withWarnings(allowed(['a']), ['b']).warnings).to.deep.equal(['a', 'b']);
    expect(withWarnings(allowed(), [])).to.deep.equal({ allowed: true });
  });

  describe('encodeAdmissionReviewBytes is encodeAdmissionReview in UTF-8', () => {
    const results = {
      allowed: allowed(),
      'allowed with non-ASCII warnings': allowed(['ünïcode ✓', 'plain']),
      denied: denied('spec.x: "bad" ✗', 400),
      'patch from a diff': patched({ a: 1 }, { a: 2, b: 'ü' }),
      'patch written by the handler': patchedJson('[{"op":"add","path":"/x","value":"y"}]'),
      'non-ASCII patch written by the handler': patchedJson('[{"op":"add","path":"/x","value":"wëb ✓"}]'),
      'empty patch written by the handler': patchedJson('[]'),
    };
    for (const [name, result] of Object.entries(results)) {
      it(name, async () => {
        for (const uid of ['u-1', 'ü-uid "quoted"']) {
          const text = encodeAdmissionReview('admission.k8s.io/v1', uid, result);
          expect(encodeAdmissionReviewBytes('admission.k8s.io/v1', uid, result).equals(Buffer.from(text))).to.equal(true);
          // What the server sends: a string when there is no patch, bytes with one; the same document either way.
          const wire = encodeAdmissionReviewWire('admission.k8s.io/v1', uid, result);
          const hasPatch = JSON.parse(text).response.patch !== undefined;
          expect(typeof wire === 'string', 'string exactly when there is no patch').to.equal(!hasPatch);
          expect(Buffer.from(wire).equals(Buffer.from(text))).to.equal(true);
        }
      });
    }
    it('a patch written as [] is no patch', async () => {
      expect(responseBody('u', patchedJson('[]'))).to.deep.equal({ uid: 'u', allowed: true });
    });
    it('base64 is of the UTF-8 bytes, ASCII or not', async () => {
      for (const s of ['', 'plain ascii', 'wëb ✓ 😀', '\\u00e9 \u00e9', 'lone \ud800 surrogate', 'Ł looks like A in Latin-1', 'é'.repeat(100_000)]) expect(base64(s)).to.equal(Buffer.from(s).toString('base64'));
    });
  });

  it('encodes the envelope in the request apiVersion', async () => {
    const out = JSON.parse(encodeAdmissionReview('admission.k8s.io/v1beta1', 'u-9', allowed()));
    expect(out).to.deep.equal({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', response: { uid: 'u-9', allowed: true } });
  });
});
