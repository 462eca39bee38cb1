import { expect } from 'chai';
import { validateObject } from '../../src/validation/index.js';
import { runTable, wrap, type Case } from './table.js';

const http = { number: 80, name: 'http', protocol: 'HTTP' };
const https = { number: 443, name: 'https', protocol: 'HTTPS' };
const server = (s: Record<string, unknown>) => ({ port: http, hosts: ['*'], ...s });
const gw = (...servers: Array<Record<string, unknown>>) => ({ selector: { istio: 'ingressgateway' }, servers });
const tlsServer = (tls: Record<string, unknown>) => gw(server({ port: https, hosts: ['a.example.com'], tls }));

const cases: Case[] = [
  { name: 'http server', in: gw(server({})), valid: true },
  { name: 'no servers', in: { selector: { istio: 'ingressgateway' } }, valid: false, error: 'spec.servers: a Gateway must have at least one server' },
  { name: 'server needs hosts', in: gw({ port: http }), valid: false, error: 'spec.servers[0].hosts: is required' },
  { name: 'server empty hosts', in: gw(server({ hosts: [] })), valid: false, error: 'at least one host' },
  { name: 'server needs port', in: gw({ hosts: ['*'] }), valid: false, error: 'spec.servers[0].port: is required' },
  { name: 'port needs name', in: gw(server({ port: { number: 80, protocol: 'HTTP' } })), valid: false, error: 'spec.servers[0].port.name: is required' },
  { name: 'port needs protocol', in: gw(server({ port: { number: 80, name: 'http' } })), valid: false, error: 'port.protocol: is required' },
  { name: 'port bad protocol', in: gw(server({ port: { number: 80, name: 'http', protocol: 'SMTP' } })), valid: false, error: 'port.protocol: unsupported protocol "SMTP"' },
  { name: 'port protocol is case-insensitive', in: gw(server({ port: { number: 80, name: 'http', protocol: 'http' } })), valid: true },
  { name: 'port number out of range', in: gw(server({ port: { number: 65536, name: 'http', protocol: 'HTTP' } })), valid: false, error: 'port.number: port number 65536' },
  { name: 'port as string', in: gw(server({ port: { number: '80', name: 'http', protocol: 'HTTP' } })), valid: false, error: 'port.number: must be an integer' },
  { name: 'targetPort has no effect', in: gw(server({ port: { ...http, targetPort: 8080 } })), valid: false, error: 'targetPort' },
  { name: 'duplicate port names', in: gw(server({}), server({ port: { number: 8080, name: 'http', protocol: 'HTTP' } })), valid: false, error: 'spec.servers[1].port.name: port names must be unique' },
  // hosts
  { name: 'namespaced hosts', in: gw(server({ hosts: ['bookinfo/*', './reviews.example.com', '*/*.example.com'] })), valid: true },
  { name: 'short host name', in: gw(server({ hosts: ['reviews'] })), valid: false, error: 'hosts[0]: short name "reviews"' },
  { name: 'partial wildcard', in: gw(server({ hosts: ['*foo.example.com'] })), valid: false, error: 'partial wildcard' },
  { name: 'wildcard not leftmost', in: gw(server({ hosts: ['foo.*.com'] })), valid: false, error: 'hosts[0]' },
  { name: 'IP host', in: gw(server({ hosts: ['10.0.0.1'] })), valid: true },
  { name: 'bad namespace in host', in: gw(server({ hosts: ['Bad_NS/a.example.com'] })), valid: false, error: 'invalid namespace "Bad_NS"' },
  { name: 'empty host part', in: gw(server({ hosts: ['ns/'] })), valid: false, error: 'cannot be empty' },
  // bind
  { name: 'bind IP', in: gw(server({ bind: '0.0.0.0' })), valid: true },
  { name: 'bind bad IP', in: gw(server({ bind: '300.0.0.1' })), valid: false, error: 'spec.servers[0].bind' },
  { name: 'bind unix socket needs port 0', in: gw(server({ bind: 'unix:///var/run/gw.sock' })), valid: false, error: 'must be 0 for a unix domain socket' },
  // tls
  { name: 'https with credentialName', in: tlsServer({ mode: 'SIMPLE', credentialName: 'bookinfo-cert' }), valid: true },
  { name: 'https with files', in: tlsServer({ mode: 'SIMPLE', serverCertificate: '/c.pem', privateKey: '/k.pem' }), valid: true },
  { name: 'https without tls', in: gw(server({ port: https, hosts: ['a.example.com'] })), valid: false, error: 'spec.servers[0].tls: is required for HTTPS' },
  { name: 'SIMPLE without credentials', in: tlsServer({ mode: 'SIMPLE' }), valid: false, error: 'tls.serverCertificate' },
  { name: 'SIMPLE without key', in: tlsServer({ mode: 'SIMPLE', serverCertificate: '/c.pem' }), valid: false, error: 'tls.privateKey' },
  { name: 'MUTUAL with files and CA', in: tlsServer({ mode: 'MUTUAL', serverCertificate: '/c.pem', privateKey: '/k.pem', caCertificates: '/ca.pem' }), valid: true },
  { name: 'MUTUAL without CA', in: tlsServer({ mode: 'MUTUAL', serverCertificate: '/c.pem', privateKey: '/k.pem' }), valid: false, error: 'tls.caCertificates' },
  { name: 'MUTUAL with credentialName', in: tlsServer({ mode: 'MUTUAL', credentialName: 'c' }), valid: true },
  { name: 'two credential sources', in: tlsServer({ mode: 'SIMPLE', credentialName: 'c', serverCertificate: '/c.pem', privateKey: '/k.pem' }), valid: false, error: 'only one of credentialName' },
  { name: 'credentialName and credentialNames', in: tlsServer({ mode: 'SIMPLE', credentialName: 'c', credentialNames: ['d'] }), valid: false, error: 'only one of' },
  { name: 'two credentialNames', in: tlsServer({ mode: 'SIMPLE', credentialNames: ['rsa', 'ecdsa'] }), valid: true },
  { name: 'three credentialNames', in: tlsServer({ mode: 'SIMPLE', credentialNames: ['a', 'b', 'c'] }), valid: false, error: 'tls.credentialNames: must have at most 2 items' },
  { name: 'empty credentialNames', in: tlsServer({ mode: 'SIMPLE', credentialNames: [], serverCertificate: '/c.pem', privateKey: '/k.pem' }), valid: false, error: 'tls.credentialNames: must have at least 1' },
  { name: 'tlsCertificates', in: tlsServer({ mode: 'SIMPLE', tlsCertificates: [{ serverCertificate: '/a.pem', privateKey: '/a.key' }] }), valid: true },
  { name: 'tlsCertificates missing key', in: tlsServer({ mode: 'SIMPLE', tlsCertificates: [{ serverCertificate: '/a.pem' }] }), valid: false, error: 'tlsCertificates[0].privateKey' },
  { name: 'PASSTHROUGH', in: tlsServer({ mode: 'PASSTHROUGH' }), valid: true },
  { name: 'ISTIO_MUTUAL: warned, it needs a gateway with mesh certificates', in: tlsServer({ mode: 'ISTIO_MUTUAL' }), valid: true, warning: 'tls.mode: ISTIO_MUTUAL is served only by a gateway with mesh certificates' },
  { name: 'ISTIO_MUTUAL on a TLS server: warned as on HTTPS, it needs mesh certificates', in: gw(server({ port: { number: 15443, name: 'tls', protocol: 'TLS' }, hosts: ['*.local'], tls: { mode: 'ISTIO_MUTUAL' } })), valid: true, warning: 'tls.mode: ISTIO_MUTUAL is served only by a gateway with mesh certificates' },
  { name: 'caCertCredentialName names the client CA of MUTUAL files', in: tlsServer({ mode: 'MUTUAL', serverCertificate: '/c', privateKey: '/k', caCertCredentialName: 'ca' }), valid: true },
  { name: 'caCertCredentialName on SIMPLE: warned, unused', in: tlsServer({ mode: 'SIMPLE', credentialName: 'c', caCertCredentialName: 'ca' }), valid: true, warning: 'tls.caCertCredentialName: is used only by MUTUAL and OPTIONAL_MUTUAL servers, not SIMPLE' },
  { name: 'bind: warned, not applied', in: gw(server({ bind: '10.0.0.1' })), valid: true, warning: 'servers[0].bind: mizzen binds gateway listeners to every address' },
  { name: 'PASSTHROUGH with certs warns', in: tlsServer({ mode: 'PASSTHROUGH', credentialName: 'c' }), valid: true, warning: 'does not use certificates' },
  { name: 'AUTO_PASSTHROUGH', in: gw(server({ port: { number: 15443, name: 'tls', protocol: 'TLS' }, hosts: ['*.local'], tls: { mode: 'AUTO_PASSTHROUGH' } })), valid: true },
  { name: 'ISTIO_MUTUAL', in: tlsServer({ mode: 'ISTIO_MUTUAL' }), valid: true },
  { name: 'ISTIO_MUTUAL with certificate', in: tlsServer({ mode: 'ISTIO_MUTUAL', serverCertificate: '/c.pem' }), valid: false, error: 'tls.serverCertificate: ISTIO_MUTUAL' },
  { name: 'bad tls mode', in: tlsServer({ mode: 'STRICT' }), valid: false, error: 'tls.mode: unsupported value' },
  { name: 'CRL with SIMPLE', in: tlsServer({ mode: 'SIMPLE', serverCertificate: '/c', privateKey: '/k', caCrl: '/crl' }), valid: false, error: 'CRL is not supported with SIMPLE' },
  { name: 'CRL with MUTUAL and credentialName (not checked, as Istio)', in: tlsServer({ mode: 'MUTUAL', credentialName: 'foo', caCrl: '/etc/crl.pem' }), valid: true },
  { name: 'CRL with PASSTHROUGH and credentialName', in: tlsServer({ mode: 'PASSTHROUGH', credentialName: 'foo', caCrl: '/etc/crl.pem' }), valid: false, error: 'tls.caCrl: CRL is not supported with credentialName' },
  { name: 'old TLS without ciphers warns', in: tlsServer({ mode: 'SIMPLE', credentialName: 'c', minProtocolVersion: 'TLSV1_0' }), valid: true, warning: 'cipherSuites' },
  { name: 'invalid cipher warns', in: tlsServer({ mode: 'SIMPLE', credentialName: 'c', cipherSuites: ['NOT-A-CIPHER'] }), valid: true, warning: 'invalid cipher suite' },
  { name: 'ecdh curves', in: tlsServer({ mode: 'SIMPLE', credentialName: 'c', ecdhCurves: ['X25519', 'P-256'] }), valid: true },
  { name: 'unknown ecdh curve warns', in: tlsServer({ mode: 'SIMPLE', credentialName: 'c', ecdhCurves: ['P-999'] }), valid: true, warning: 'unrecognized ECDH curve' },
  { name: 'httpsRedirect on HTTP', in: gw(server({ tls: { httpsRedirect: true } })), valid: true },
  { name: 'httpsRedirect on TCP warns, tls rejected', in: gw(server({ port: { number: 31400, name: 'tcp', protocol: 'TCP' }, tls: { httpsRedirect: true } })), valid: false, warning: 'should only be used with HTTP', error: 'neither HTTPS nor TLS' },
  { name: 'HTTP server with certificates', in: gw(server({ tls: { mode: 'SIMPLE', credentialName: 'c' } })), valid: false, error: 'plain-text HTTP servers' },
  { name: 'Gateway name must be a DNS label', in: gw(server({})), meta: { name: 'my.gateway' }, valid: false, error: 'metadata.name: invalid name "my.gateway"' },
];

runTable('Gateway', cases);

describe('Gateway validation: certificates', () => {
  it('files in the gateway pod, and Secrets by credentialName (served over SDS), draw no warning', () => {
    for (const tls of [
      { mode: 'MUTUAL', serverCertificate: '/c.pem', privateKey: '/k.pem', caCertificates: '/ca.pem' },
      { mode: 'SIMPLE', credentialName: 'bookinfo-cert' },
      { mode: 'MUTUAL', credentialName: 'bookinfo-cert' },
      { mode: 'OPTIONAL_MUTUAL', credentialNames: ['rsa', 'ecdsa'] },
      { mode: 'MUTUAL', credentialName: 'bookinfo-cert', caCertCredentialName: 'clients' },
    ]) {
      expect(validateObject(wrap('Gateway', tlsServer(tls))), JSON.stringify(tls)).to.deep.equal({ errors: [], warnings: [] });
    }
    // A TLS server terminated, then routed by tcp routes, the same.
    for (const tls of [{ mode: 'SIMPLE', serverCertificate: '/c', privateKey: '/k' }, { mode: 'SIMPLE', credentialName: 'db-cert' }]) {
      const tlsOnly = gw(server({ port: { number: 9443, name: 'tls', protocol: 'TLS' }, hosts: ['db.example.com'], tls }));
      expect(validateObject(wrap('Gateway', tlsOnly)), JSON.stringify(tls)).to.deep.equal({ errors: [], warnings: [] });
    }
  });
});
