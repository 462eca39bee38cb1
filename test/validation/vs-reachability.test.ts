import { expect } from 'chai';
import { coversHttp, reachabilityNotes } from '../../src/validation/vs-reachability.js';

const route = [{ destination: { host: 'a' } }];
const rule = (match?: unknown[], name?: string) => ({ ...(name ? { name } : {}), ...(match ? { match } : {}), route });
const brief = (spec: unknown) => reachabilityNotes(spec).map((n) => `${n.kind} ${n.path}`);

describe('validation: VirtualService rule reachability', () => {
  const table: Array<{ name: string; spec: unknown; expect: string[] }> = [
    { name: 'distinct matches, catch-all last: nothing', spec: { http: [rule([{ uri: { prefix: '/a' } }]), rule([{ uri: { prefix: '/b' } }]), rule()] }, expect: [] },
    { name: 'a rule after a catch-all', spec: { http: [rule(), rule([{ uri: { prefix: '/a' } }])] }, expect: ['rule spec.http[1]'] },
    { name: 'two catch-alls: the second', spec: { http: [rule(), rule()] }, expect: ['rule spec.http[1]'] },
    { name: 'a repeated match (its name aside) makes the rule unused', spec: { http: [rule([{ name: 'x', uri: { exact: '/a' } }]), rule([{ name: 'y', uri: { exact: '/a' } }])] }, expect: ['match spec.http[1].match[0]', 'rule spec.http[1]'] },
    { name: 'one repeated match of two: only the match', spec: { http: [rule([{ uri: { exact: '/a' } }]), rule([{ uri: { exact: '/a' } }, { uri: { exact: '/b' } }])] }, expect: ['match spec.http[1].match[0]'] },
    { name: 'a longer prefix after a shorter one', spec: { http: [rule([{ uri: { prefix: '/api' } }]), rule([{ uri: { prefix: '/api/v1' } }])] }, expect: ['match spec.http[1].match[0]', 'rule spec.http[1]'] },
    { name: 'the shorter prefix after the longer: reached', spec: { http: [rule([{ uri: { prefix: '/api/v1' } }]), rule([{ uri: { prefix: '/api' } }])] }, expect: [] },
    { name: 'an exact uri under an earlier prefix', spec: { http: [rule([{ uri: { prefix: '/a' } }]), rule([{ uri: { exact: '/a/b' } }])] }, expect: ['match spec.http[1].match[0]', 'rule spec.http[1]'] },
    { name: 'a later match with more conditions is covered', spec: { http: [rule([{ uri: { prefix: '/a' } }]), rule([{ uri: { prefix: '/a' }, headers: { x: { exact: '1' } } }])] }, expect: ['match spec.http[1].match[0]', 'rule spec.http[1]'] },
    { name: 'an earlier match with a header condition covers nothing without it', spec: { http: [rule([{ uri: { prefix: '/a' }, headers: { x: { exact: '1' } } }]), rule([{ uri: { prefix: '/a/b' } }])] }, expect: [] },
    { name: 'an earlier header presence match covers a value match', spec: { http: [rule([{ headers: { x: {} } }]), rule([{ headers: { x: { prefix: 'v' } } }])] }, expect: ['match spec.http[1].match[0]', 'rule spec.http[1]'] },
    { name: 'a regex against a prefix: not judged', spec: { http: [rule([{ uri: { regex: '/a.*' } }]), rule([{ uri: { prefix: '/a' } }])] }, expect: [] },
    { name: 'other ports are other requests', spec: { http: [rule([{ uri: { prefix: '/a' }, port: 80 }]), rule([{ uri: { prefix: '/a/b' }, port: 8080 }])] }, expect: [] },
    { name: 'a case-insensitive later match is wider', spec: { http: [rule([{ uri: { prefix: '/a' } }]), rule([{ uri: { prefix: '/a/b' }, ignoreUriCase: true }])] }, expect: [] },
    { name: 'gateway-limited matches cover only those gateways', spec: { http: [rule([{ uri: { prefix: '/' }, gateways: ['g1'] }]), rule([{ uri: { prefix: '/a' } }]), rule([{ uri: { prefix: '/a' }, gateways: ['g1'] }])] }, expect: ['match spec.http[2].match[0]', 'rule spec.http[2]'] },
    { name: 'an empty match takes everything after it', spec: { http: [rule([{}]), rule([{ uri: { prefix: '/a' } }])] }, expect: ['match spec.http[1].match[0]', 'rule spec.http[1]'] },
    { name: 'tcp: a repeated match', spec: { tcp: [rule([{ port: 27017 }]), rule([{ port: 27017 }])] }, expect: ['match spec.tcp[1].match[0]', 'rule spec.tcp[1]'] },
    { name: 'tls: prefixes are not judged, repeats are', spec: { tls: [rule([{ sniHosts: ['a.com'] }]), rule([{ sniHosts: ['a.com'], port: 443 }]), rule([{ sniHosts: ['a.com'] }])] }, expect: ['match spec.tls[2].match[0]', 'rule spec.tls[2]'] },
    { name: 'bad shapes are skipped', spec: { http: 'x', tcp: [null, 3, { match: 'y' }] }, expect: [] },
  ];
  for (const c of table) it(c.name, async () => expect(brief(c.spec)).to.deep.equal(c.expect));

  it('names rules and matches by name, as Istio does', async () => {
    const notes = reachabilityNotes({ http: [rule([{ name: 'm0', uri: { prefix: '/a' } }], 'first'), rule([{ name: 'm1', uri: { prefix: '/a/b' } }], 'second')] });
    expect(notes.map((n) => n.message)).to.deep.equal([
      'match "m1" of rule "second" is never used: match "m0" of rule "first" comes first and takes every request it matches',
      'rule "second" is never used: earlier rules take every request its matches match',
    ]);
  });

  it('coversHttp: method and authority prefixes', async () => {
    expect(coversHttp({ method: { exact: 'GET' } }, { method: { exact: 'GET' }, uri: { prefix: '/' } })).to.equal(true);
    expect(coversHttp({ method: { exact: 'GET' } }, { uri: { prefix: '/' } })).to.equal(false);
    expect(coversHttp({ authority: { prefix: 'a.' } }, { authority: { exact: 'a.com' } })).to.equal(true);
    expect(coversHttp({ withoutHeaders: { x: { exact: '1' } } }, { withoutHeaders: { x: { exact: '1' } }, uri: { exact: '/' } })).to.equal(true);
    expect(coversHttp({ withoutHeaders: { x: { exact: '1' } } }, { uri: { exact: '/' } })).to.equal(false);
    expect(coversHttp({ sourceLabels: { app: 'a' } }, { sourceLabels: { app: 'a', v: '1' } })).to.equal(true);
    expect(coversHttp({ queryParams: { q: { exact: '1' } } }, {})).to.equal(false);
  });
});
