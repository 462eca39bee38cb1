import { expect } from 'chai';
import { identityOfSubjectAltName, parseSpiffeId } from '../../../src/core/spiffe.js';
import { identityRefusal } from '../../../src/xds/server/peer.js';
import { parseNode, type Proxy } from '../../../src/model/proxy.js';

const gateway = (identity?: Proxy['identity']): Proxy => {
  const r = parseNode({ id: 'router~10.0.0.1~gw-1.istio-system~istio-system.svc.cluster.local' });
  if (!r.ok) throw new Error(r.errors.join());
  return identity ? { ...r.value, identity } : r.value;
};
const id = (namespace: string, trustDomain = 'cluster.local') => ({ trustDomain, namespace, serviceAccount: 'gw' });

describe('xDS peer identity', () => {
  it('reads the one SPIFFE URI of a certificate as Node prints its subjectAltName', () => {
    expect(identityOfSubjectAltName('URI:spiffe://cluster.local/ns/istio-system/sa/gw')).to.deep.equal(id('istio-system'));
    expect(identityOfSubjectAltName('DNS:gw.example.com, URI:spiffe://td.example/ns/a/sa/b')).to.deep.equal({ trustDomain: 'td.example', namespace: 'a', serviceAccount: 'b' });
    expect(identityOfSubjectAltName(undefined)).to.equal(undefined);
    expect(identityOfSubjectAltName('DNS:gw.example.com')).to.equal(undefined);
    expect(identityOfSubjectAltName('URI:spiffe://a/ns/x/sa/y, URI:spiffe://a/ns/z/sa/y'), 'two identities').to.equal(undefined);
    expect(parseSpiffeId('spiffe://cluster.local/ns/x/sa/y/extra')).to.equal(undefined);
    expect(parseSpiffeId('https://cluster.local/ns/x/sa/y')).to.equal(undefined);
  });

  it('refuses an identity of another namespace or trust domain, naming both sides; no identity is no refusal', () => {
    expect(identityRefusal(gateway(), 'cluster.local')).to.equal(undefined);
    expect(identityRefusal(gateway(id('istio-system')), 'cluster.local')).to.equal(undefined);
    expect(identityRefusal(gateway(id('default')), 'cluster.local')).to.equal(
      'client certificate spiffe://cluster.local/ns/default/sa/gw is for namespace default, but node router~10.0.0.1~gw-1.istio-system~istio-system.svc.cluster.local is in namespace istio-system',
    );
    expect(identityRefusal(gateway(id('istio-system', 'other.td')), 'cluster.local')).to.equal('client certificate spiffe://other.td/ns/istio-system/sa/gw is not of the mesh\'s trust domain cluster.local');
  });
});
