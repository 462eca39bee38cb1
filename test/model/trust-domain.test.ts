import { expect } from 'chai';
import { expandTrustDomains, migratePrincipals } from '../../src/model/trust-domain.js';

describe('trust domain migration (authorization principals)', () => {
  const domains = ['td1', 'td2', 'td3'];

  it('a principal of the trust domain or an alias matches under each, the mesh trust domain first', () => {
    expect(migratePrincipals(['td2/ns/foo/sa/bar'], domains)).to.deep.equal(['td1/ns/foo/sa/bar', 'td2/ns/foo/sa/bar', 'td3/ns/foo/sa/bar']);
    expect(migratePrincipals(['td1/ns/foo/sa/bar', 'td3/ns/foo/sa/bar'], domains)).to.deep.equal(['td1/ns/foo/sa/bar', 'td2/ns/foo/sa/bar', 'td3/ns/foo/sa/bar']);
  });

  it('cluster.local stands for the local trust domain', () => {
    expect(migratePrincipals(['cluster.local/ns/foo/sa/bar'], ['example.org'])).to.deep.equal(['example.org/ns/foo/sa/bar']);
    expect(migratePrincipals(['cluster.local/ns/foo/sa/bar'], ['cluster.local'])).to.deep.equal(['cluster.local/ns/foo/sa/bar']);
  });

  it('kept as written: another trust domain, *, not five parts; wildcard domains keep their pattern', () => {
    expect(migratePrincipals(['other.org/ns/foo/sa/bar', '*', '*/ns/foo/sa/bar', 'sa/bar', 'a/b/c'], domains)).to.deep.equal(['other.org/ns/foo/sa/bar', '*', '*/ns/foo/sa/bar', 'sa/bar', 'a/b/c']);
    expect(migratePrincipals(['*-td/ns/foo/sa/bar'], ['old-td', 'new-td'])).to.deep.equal(['*-td/ns/foo/sa/bar']);
    expect(migratePrincipals(['td1/ns/foo/sa/bar'], ['td1', 'td*'])).to.deep.equal(['td1/ns/foo/sa/bar', 'td*/ns/foo/sa/bar']);
    expect(migratePrincipals(['td1/ns/foo/sa/bar'], [])).to.deep.equal(['td1/ns/foo/sa/bar']);
  });

  it('trust domain values naming one of them name them all; others stay', () => {
    expect(expandTrustDomains(['td2', 'other'], domains)).to.deep.equal(['td1', 'td2', 'td3', 'other']);
    expect(expandTrustDomains(['other'], domains)).to.deep.equal(['other']);
  });
});
