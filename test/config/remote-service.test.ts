/** ProxyConfig envoyAccessLogService (Istio's RemoteService) as mizzen reads it: good shapes, and bad ones named by field. */
import { expect } from 'chai';
import { addressIssue, readRemoteService } from '../../src/config/remote-service.js';

const read = (v: unknown) => readRemoteService(v);
const errorsOf = (v: unknown): string[] => {
  const r = read(v);
  return r.ok ? [] : r.errors;
};

describe('envoyAccessLogService (a RemoteService)', () => {
  describe('address, as istiod checks it (host:port, the host a DNS name or an IP)', () => {
    const table: Array<[string, boolean]> = [
      ['als.istio-system:15000', true],
      ['als.istio-system.svc.cluster.local:15000', true],
      ['10.0.0.7:9000', true],
      ['[fd00::7]:9000', true],
      ['ALS.Example.com:1', true],
      ['als.istio-system', false],
      ['als:', false],
      [':15000', false],
      ['als:0', false],
      ['als:65536', false],
      ['als:http', false],
      ['fd00::7:9000', false],
      ['under_score.example:80', false],
      ['als.example.123:80', false],
    ];
    for (const [address, good] of table) {
      it(`${JSON.stringify(address)}: ${good ? 'taken' : 'refused'}`, () => {
        expect(addressIssue(address) === undefined).to.equal(good);
        const errors = errorsOf({ address });
        if (good) expect(errors).to.deep.equal([]);
        else expect(errors).to.have.length(1).and.satisfy((e: string[]) => e[0]!.startsWith('address: '));
      });
    }
  });

  it('reads TLS and keepalive by JSON or proto names; keepalive as whole seconds above 0, as istiod writes it', () => {
    const r = read({ address: 'als:9000', tls_settings: { mode: 'MUTUAL', client_certificate: '/c.pem', private_key: '/k.pem', ca_certificates: '/ca.pem', subject_alt_names: ['als.example', ''], sni: 'als.example' }, tcpKeepalive: { probes: 3, time: '10.9s', interval: '500ms' } });
    expect(r).to.deep.equal({
      ok: true,
      value: {
        address: 'als:9000',
        tls: { mode: 'MUTUAL', clientCertificate: '/c.pem', privateKey: '/k.pem', caCertificates: '/ca.pem', subjectAltNames: ['als.example'], sni: 'als.example' },
        keepalive: { probes: 3, timeSeconds: 10 },
      },
      unknown: [],
      warnings: [],
    });
  });

  it('DISABLE, an empty mapping or an empty address: nothing to apply (no cluster without an address, as in Istio)', () => {
    expect(read({ address: 'als:9000', tlsSettings: { mode: 'DISABLE' } })).to.deep.include({ ok: true, value: { address: 'als:9000' } });
    expect(read({})).to.deep.include({ ok: true, value: {} });
    expect(read({ address: '' })).to.deep.include({ ok: true, value: {} });
    const r = read({ tcpKeepalive: { probes: 2 } });
    expect(r.ok && r.warnings).to.deep.equal(['address: not set, so the proxy gets no cluster for this service and its tlsSettings and tcpKeepalive do nothing']);
  });

  it('lists unknown keys (the annotation ignores them, the mesh config refuses them) rather than failing', () => {
    const r = read({ address: 'als:9000', adress: 'x', tlsSettings: { mode: 'SIMPLE', verify: true }, tcpKeepalive: { count: 1 } });
    expect(r.ok && r.unknown).to.deep.equal(['adress', 'tlsSettings.verify', 'tcpKeepalive.count']);
  });

  it('warns for what a plain Envoy bootstrap cannot take: credentialName, and files beside ISTIO_MUTUAL', () => {
    const simple = read({ address: 'als:9000', tlsSettings: { mode: 'SIMPLE', credentialName: 'als-cert' } });
    expect(simple.ok && simple.warnings[0]).to.match(/^tlsSettings\.credentialName: not applied by mizzen/);
    const mesh = read({ address: 'als:9000', tlsSettings: { mode: 'ISTIO_MUTUAL', caCertificates: '/ca.pem', insecureSkipVerify: true } });
    expect(mesh.ok && mesh.warnings).to.deep.equal(["tlsSettings: ISTIO_MUTUAL uses the proxy's mesh certificate; caCertificates, insecureSkipVerify not applied"]);
    expect(mesh.ok && mesh.value.tls).to.deep.equal({ mode: 'ISTIO_MUTUAL', subjectAltNames: [] });
  });

  describe('bad input: an error naming the field, never a throw', () => {
    const table: Array<[string, unknown, string[]]> = [
      ['not a mapping', 'als:9000', ['must be a mapping with an address, got "als:9000"']],
      ['a list', [], ['must be a mapping with an address, got a list of 0']],
      ['address not a string', { address: 9000 }, ['address: must be a string, got 9000']],
      ['a mode Istio lacks', { address: 'a:1', tlsSettings: { mode: 'STRICT' } }, ['tlsSettings.mode: "STRICT" must be one of DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL']],
      ['a mode of the wrong type', { address: 'a:1', tlsSettings: { mode: 1 } }, ['tlsSettings.mode: 1 must be one of DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL']],
      ['tlsSettings not a mapping', { address: 'a:1', tlsSettings: 'SIMPLE' }, ['tlsSettings: must be a mapping, got "SIMPLE"']],
      ['MUTUAL without files', { address: 'a:1', tlsSettings: { mode: 'MUTUAL', credentialName: 'c' } }, ['tlsSettings.clientCertificate: is required for MUTUAL mode (a file in the proxy)', 'tlsSettings.privateKey: is required for MUTUAL mode (a file in the proxy)']],
      ['a file path not a string', { address: 'a:1', tlsSettings: { mode: 'SIMPLE', caCertificates: ['/ca.pem'] } }, ['tlsSettings.caCertificates: must be a string, got a list of 1']],
      ['subjectAltNames not strings', { address: 'a:1', tlsSettings: { mode: 'SIMPLE', subjectAltNames: [1] } }, ['tlsSettings.subjectAltNames: must be a list of strings, got a list of 1']],
      ['insecureSkipVerify with a CA', { address: 'a:1', tlsSettings: { mode: 'SIMPLE', insecureSkipVerify: true, caCertificates: '/ca.pem' } }, ['tlsSettings: cannot set caCertificates or subjectAltNames when insecureSkipVerify is true']],
      ['insecureSkipVerify not a boolean', { address: 'a:1', tlsSettings: { mode: 'SIMPLE', insecureSkipVerify: 'yes' } }, ['tlsSettings.insecureSkipVerify: must be true or false, got "yes"']],
      ['keepalive not a mapping', { address: 'a:1', tcpKeepalive: 3 }, ['tcpKeepalive: must be a mapping, got 3']],
      ['keepalive probes negative', { address: 'a:1', tcpKeepalive: { probes: -1 } }, ['tcpKeepalive.probes: must be a whole number from 0 to 4294967295, got -1']],
      ['keepalive time not a duration', { address: 'a:1', tcpKeepalive: { time: 10 } }, ['tcpKeepalive.time: 10 must be a duration like 10s']],
      ['several at once', { address: 'a', tcpKeepalive: { interval: 'soon' } }, ['address: "a" must be host:port', 'tcpKeepalive.interval: "soon" must be a duration like 10s']],
    ];
    for (const [name, input, errors] of table) it(name, () => expect(errorsOf(input)).to.deep.equal(errors));
  });
});
