import { expect } from 'chai';
import {
  parseDuration,
  validateDuration,
  validateFqdn,
  validateWildcardDomain,
  validateIpOrCidr,
  validateRegex,
  validateHeaderValue,
  validateLabelKey,
  hostsOverlap,
  hostSubsetOf,
  isDns1123Label,
  isDns1123Subdomain,
  parseProtocol,
} from '../../src/validation/common.js';

describe('validation: common validators', () => {
  it('parses Go/Kubernetes durations to nanoseconds', async () => {
    const cases: Array<[string, bigint | undefined]> = [
      ['10s', 10_000_000_000n], ['1.5s', 1_500_000_000n], ['250ms', 250_000_000n], ['1h30m', 5_400_000_000_000n],
      ['0', 0n], ['-1s', -1_000_000_000n], ['1us', 1000n], ['1µs', 1000n], ['.5s', 500_000_000n],
      ['', undefined], ['10', undefined], ['s', undefined], ['1d', undefined], ['1 s', undefined], ['1s2', undefined], ['.s', undefined],
    ];
    for (const [s, ns] of cases) expect(parseDuration(s), s).to.equal(ns);
  });

  it('applies Istio duration rules (≥ 1ms, ms precision)', async () => {
    expect(validateDuration('1ms')).to.equal(undefined);
    expect(validateDuration('0.001s')).to.equal(undefined);
    expect(validateDuration('999us')).to.match(/at least 1ms/);
    expect(validateDuration('1500us')).to.match(/ms precision/);
    expect(validateDuration('0s', { allowZero: true })).to.equal(undefined);
  });

  it('checks host names', async () => {
    for (const ok of ['reviews', 'reviews.default.svc.cluster.local', 'istio.io.', 'a-b.c']) expect(validateFqdn(ok), ok).to.equal(undefined);
    for (const bad of ['', '*.a.com', 'a..b', '-a.com', 'a.123', 'a_b.com', `${'a'.repeat(64)}.com`]) expect(validateFqdn(bad), bad).to.be.a('string');
    for (const ok of ['*', '*.a.com', '*a.com', '*-a.com', 'a.com']) expect(validateWildcardDomain(ok), ok).to.equal(undefined);
    for (const bad of ['a.*.com', 'a*.com', '**.com', '*.*.com']) expect(validateWildcardDomain(bad), bad).to.be.a('string');
  });

  it('compares hosts like Istio', async () => {
    expect(hostsOverlap('*.a.com', 'b.a.com')).to.equal(true);
    expect(hostsOverlap('*.a.com', '*.b.a.com')).to.equal(true);
    expect(hostsOverlap('a.com', 'b.com')).to.equal(false);
    expect(hostsOverlap('*', 'anything')).to.equal(true);
    expect(hostSubsetOf('b.a.com', '*.a.com')).to.equal(true);
    expect(hostSubsetOf('a.com', '*.a.com')).to.equal(false);
    expect(hostSubsetOf('*.b.a.com', '*.a.com')).to.equal(true);
    expect(hostSubsetOf('*.a.com', 'b.a.com')).to.equal(false);
  });

  it('checks IPs and CIDRs', async () => {
    for (const ok of ['10.0.0.1', '::1', '2001:db8::/32', '10.0.0.0/8', '0.0.0.0/0']) expect(validateIpOrCidr(ok), ok).to.equal(undefined);
    for (const bad of ['10.0.0.256', '10.0.0.0/33', '::/129', 'a.b.c.d', '10.0.0.0/', '10.0.0.0/x']) expect(validateIpOrCidr(bad), bad).to.be.a('string');
  });

  it('compiles regexes as RE2 (no lookaround, no backreferences)', async () => {
    expect(validateRegex('^/api/v[0-9]+/.*$')).to.equal(undefined);
    expect(validateRegex('(?=x)')).to.match(/invalid RE2/);
    expect(validateRegex('(a)\\1')).to.match(/invalid RE2/);
    expect(validateRegex('[')).to.match(/invalid RE2/);
  });

  it('parses header values as Envoy does', async () => {
    for (const ok of ['foo', '%HOSTNAME%', '100%%', 'prefix %HOSTNAME% suffix', '%REQ(x-a)%', '%UPSTREAM_METADATA(["a", "b"])%', '']) expect(validateHeaderValue(ok), ok).to.equal(undefined);
    for (const bad of ['abc%123', '%START_TIME%%', '50%', '%REQ(x-a', 'a\u0001b']) expect(validateHeaderValue(bad), bad).to.be.a('string');
  });

  it('checks Kubernetes names and label keys', async () => {
    expect(isDns1123Label('reviews-v1')).to.equal(true);
    expect(isDns1123Label('Reviews')).to.equal(false);
    expect(isDns1123Label('a.b')).to.equal(false);
    expect(isDns1123Subdomain('a.b-c')).to.equal(true);
    expect(isDns1123Subdomain('a..b')).to.equal(false);
    expect(validateLabelKey('app.kubernetes.io/name')).to.equal(undefined);
    expect(validateLabelKey('version')).to.equal(undefined);
    expect(validateLabelKey('bad key')).to.be.a('string');
    expect(validateLabelKey('a/b/c')).to.be.a('string');
  });

  it('parses protocols case-insensitively', async () => {
    expect(parseProtocol('http')).to.equal('HTTP');
    expect(parseProtocol('grpc-web')).to.equal('GRPC-WEB');
    expect(parseProtocol('Mongo')).to.equal('MONGO');
    expect(parseProtocol('smtp')).to.equal(undefined);
  });
});
