import { expect } from 'chai';
import type { KubeObject } from '../../src/core/kube.js';
import { checkedCredential, credentialOf } from '../../src/model/credentials.js';
import { generateCa, generateServingCert, type KeyPair } from '../../src/certs/generate.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const secret = (data: Record<string, string>, stringData?: Record<string, string>): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns' }, type: 'Opaque', data, ...(stringData ? { stringData } : {}) }) as KubeObject;

/** What of a Secret's credential can be served. */
const served = (o: KubeObject) => {
  const raw = credentialOf(o);
  return raw && checkedCredential(raw);
};

describe('credentials from Secrets (Istio formats)', () => {
  let ca: KeyPair;
  let leaf: KeyPair;
  let other: KeyPair;
  before(async () => {
    ca = await generateCa('credentials test CA');
    leaf = await generateServingCert(ca, ['a.example.com']);
    other = await generateServingCert(ca, ['b.example.com']);
  });

  it('a TLS Secret: tls.crt and tls.key, the CA in ca.crt, the CRL in ca.crl, an OCSP staple', () => {
    const c = served(secret({ 'tls.crt': b64(leaf.cert), 'tls.key': b64(leaf.key), 'ca.crt': b64(ca.cert), 'ca.crl': b64('crl'), 'tls.ocsp-staple': b64('ocsp') }));
    expect(c).to.deep.equal({ cert: b64(leaf.cert), key: b64(leaf.key), ocspStaple: b64('ocsp'), ca: b64(ca.cert), crl: b64('crl') });
  });

  it('a generic Secret: cert, key, cacert, crl; the generic pair wins over the TLS pair', () => {
    const c = served(secret({ cert: b64(leaf.cert), key: b64(leaf.key), cacert: b64(ca.cert), crl: b64('crl'), 'tls.crt': b64(other.cert), 'tls.key': b64(other.key) }));
    expect(c).to.deep.equal({ cert: b64(leaf.cert), key: b64(leaf.key), ca: b64(ca.cert), crl: b64('crl') });
  });

  it('stringData (a manifest not applied yet) counts as data', () => {
    expect(served(secret({}, { 'tls.crt': leaf.cert, 'tls.key': leaf.key }))).to.deep.equal({ cert: b64(leaf.cert), key: b64(leaf.key) });
  });

  it('a CA alone', () => {
    expect(credentialOf(secret({ cacert: b64(ca.cert) }))).to.deep.equal({ ca: b64(ca.cert) });
  });

  it('no credential keys: no credential', () => {
    expect(credentialOf(secret({ password: b64('x'), 'cert-chain.pem': b64(leaf.cert) }))).to.equal(undefined);
    expect(credentialOf(secret({ 'tls.crt': '' }))).to.equal(undefined);
  });

  it('unusable pairs carry the reason and serve nothing; their CA is still served', () => {
    // Unchecked, a Secret is taken as it is: its certificates are parsed only when a gateway asks (once).
    const raw = credentialOf(secret({ 'tls.crt': b64(leaf.cert), 'tls.key': b64(other.key) }));
    expect(raw).to.deep.equal({ cert: b64(leaf.cert), key: b64(other.key) });
    expect(checkedCredential(raw!)).to.equal(checkedCredential(raw!));
    const mismatched = served(secret({ 'tls.crt': b64(leaf.cert), 'tls.key': b64(other.key), 'ca.crt': b64(ca.cert) }));
    expect(mismatched).to.deep.equal({ certError: 'the private key does not belong to the certificate', ca: b64(ca.cert) });
    expect(served(secret({ 'tls.crt': b64(leaf.cert) }))).to.deep.equal({ certError: 'the Secret has tls.crt but no tls.key' });
    expect(served(secret({ key: b64(leaf.key) }))).to.deep.equal({ certError: 'the Secret has key but no cert' });
    expect(served(secret({ 'tls.crt': b64('junk'), 'tls.key': b64(leaf.key) }))?.certError).to.match(/^the certificate is not a PEM certificate/);
    expect(served(secret({ 'tls.crt': b64(leaf.cert), 'tls.key': b64('junk') }))?.certError).to.match(/^the private key is not a PEM private key/);
    expect(served(secret({ 'ca.crt': b64('junk') }))?.caError).to.match(/^the CA certificate is not a PEM certificate/);
  });

  it('bad input of every shape gives no credential or a reason, never a throw', () => {
    const odd = (extra: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns' }, ...extra }) as KubeObject;
    expect(served(odd({}))).to.equal(undefined);
    expect(served(odd({ data: 'tls.crt' }))).to.equal(undefined);
    expect(served(odd({ data: ['a'] }))).to.equal(undefined);
    expect(served(odd({ data: { 'tls.crt': 5, 'tls.key': null } }))).to.equal(undefined);
    expect(served(odd({ stringData: { 'tls.crt': { nested: true } } }))).to.equal(undefined);
    // Not base64 at all, and a megabyte of noise: reasons, not throws.
    expect(served(odd({ data: { 'tls.crt': '%%%not base64%%%', 'tls.key': '!!' } }))?.certError).to.match(/^the certificate is not a PEM certificate/);
    const noise = Buffer.alloc(1 << 20, 0x41).toString('base64');
    expect(served(odd({ data: { 'tls.crt': noise, 'tls.key': noise, 'ca.crt': noise } }))).to.include.keys('certError', 'caError');
  });
});
