import { expect } from 'chai';
import type { KubeObject } from '../../../src/core/kube.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import type { Proxy } from '../../../src/model/proxy.js';
import { generate, proxyScope } from '../../../src/xds/gen/index.js';
import { credentialProblem } from '../../../src/xds/gen/credentials.js';
import { generateCa, generateServingCert, type KeyPair } from '../../../src/certs/generate.js';
import { GATEWAY, byName, expectValid, proxy } from './helpers.js';
import { certMetadata } from '../../../src/bootstrap/envoy.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const NS = 'istio-system';
/** A base64 SHA-256 pin (44 characters, as Envoy requires). */
const SPKI = Buffer.alloc(32, 7).toString('base64');
const gw = (servers: object[], namespace = NS): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'Gateway',
  metadata: { name: `gw-${namespace}`, namespace },
  spec: { selector: { istio: 'ingressgateway' }, servers },
});
const https = (port: number, tls: object) => ({ port: { number: port, name: `https-${port}`, protocol: 'HTTPS' }, hosts: ['*.example.com'], tls });
const secret = (name: string, data: Record<string, string>, namespace = NS): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, data }) as KubeObject;
const identified = (p: Proxy, namespace = p.namespace): Proxy => ({ ...p, identity: { trustDomain: 'cluster.local', namespace, serviceAccount: 'istio-ingressgateway' } });
const names = (snapObjs: KubeObject[], p: Proxy): string[] => generate(buildSnapshot(snapObjs), p, TypeUrls.secret).map((r) => r.name).sort();

describe('SDS: gateway credentials (credentialName)', () => {
  let ca: KeyPair;
  let leaf: KeyPair;
  let leaf2: KeyPair;
  let gateway: Proxy;
  before(async () => {
    ca = await generateCa('gen credentials CA');
    leaf = await generateServingCert(ca, ['a.example.com']);
    leaf2 = await generateServingCert(ca, ['b.example.com']);
    gateway = proxy(GATEWAY, { LABELS: { istio: 'ingressgateway' } });
  });
  const tlsSecret = (name: string, p: KeyPair, extra: Record<string, string> = {}, namespace = NS) => secret(name, { 'tls.crt': b64(p.cert), 'tls.key': b64(p.key), ...extra }, namespace);

  it('serves every credential of its namespace (the server sends what is asked for), among them every name its listeners use', () => {
    const objs = [
      gw([
        https(443, { mode: 'SIMPLE', credentialName: 'simple' }),
        https(8443, { mode: 'MUTUAL', credentialName: 'mutual' }),
        https(9443, { mode: 'OPTIONAL_MUTUAL', credentialNames: ['rsa', 'ecdsa'] }),
      ]),
      tlsSecret('simple', leaf, { 'ca.crt': b64(ca.cert) }),
      tlsSecret('mutual', leaf, { 'ca.crt': b64(ca.cert) }),
      tlsSecret('rsa', leaf),
      tlsSecret('ecdsa', leaf2),
      secret('rsa-cacert', { cacert: b64(ca.cert) }),
      tlsSecret('unused', leaf),
    ];
    const snap = buildSnapshot(objs);
    const p = identified(gateway);
    const secrets = generate(snap, p, TypeUrls.secret);
    expect(secrets.map((r) => r.name).sort()).to.deep.equal([
      'kubernetes://ecdsa',
      'kubernetes://mutual',
      'kubernetes://mutual-cacert',
      'kubernetes://rsa',
      'kubernetes://rsa-cacert',
      'kubernetes://simple',
      'kubernetes://simple-cacert',
      'kubernetes://unused',
    ]);
    expectValid(TypeUrls.secret, secrets);
    expect(byName(secrets, 'kubernetes://ecdsa').tls_certificate.certificate_chain.inline_bytes).to.equal(b64(leaf2.cert));
    expect(byName(secrets, 'kubernetes://mutual-cacert')).to.deep.equal({ name: 'kubernetes://mutual-cacert', validation_context: { trusted_ca: { inline_bytes: b64(ca.cert) } } });
    // Every name a listener asks for is served.
    const asked = [...new Set(JSON.stringify(generate(snap, p, TypeUrls.listener)).match(/kubernetes:\/\/[a-z0-9-]+/g))].sort();
    expect(asked).to.deep.equal(['kubernetes://ecdsa', 'kubernetes://mutual', 'kubernetes://mutual-cacert', 'kubernetes://rsa', 'kubernetes://rsa-cacert', 'kubernetes://simple']);
    expect(secrets.map((r) => r.name)).to.include.members(asked);
  });

  it('only to a gateway that proved an identity of its own namespace, and only from that namespace', () => {
    const objs = [gw([https(443, { mode: 'SIMPLE', credentialName: 'c' })]), tlsSecret('c', leaf, {}, 'default')];
    expect(names(objs, identified(gateway)), 'the Secret is in another namespace').to.deep.equal([]);
    const here = [...objs, tlsSecret('c', leaf)];
    expect(names(here, gateway), 'no identity').to.deep.equal([]);
    expect(names(here, identified(gateway, 'default')), 'an identity of another namespace').to.deep.equal([]);
    expect(names(here, identified(gateway))).to.deep.equal(['kubernetes://c']);
    const sidecar = proxy('sidecar~10.0.0.1~app.istio-system~istio-system.svc.cluster.local', { LABELS: { istio: 'ingressgateway' } });
    expect(names(here, sidecar), 'a sidecar that proved nothing').to.deep.equal([]);
    expect(names(here, identified(sidecar)), 'a sidecar that proved its identity: its namespace').to.deep.equal(['kubernetes://c']);
  });

  it("a Gateway API listener's certificate (kubernetes-gateway://): from the Secret's namespace, to the proxies of that Gateway only", () => {
    const apiGateway = (certificateRefs: object[]): KubeObject => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'edge', namespace: 'web' },
      spec: { gatewayClassName: 'istio', addresses: [{ type: 'Hostname', value: `istio-ingressgateway.${NS}.svc.cluster.local` }], listeners: [{ name: 'https', port: 443, protocol: 'HTTPS', tls: { certificateRefs } }] },
    });
    const ingress: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'istio-ingressgateway', namespace: NS }, spec: { selector: { istio: 'ingressgateway' }, ports: [{ name: 'https', port: 443 }] } };
    const grant: KubeObject = { apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'ReferenceGrant', metadata: { name: 'certs', namespace: 'certs' }, spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'web' }], to: [{ group: '', kind: 'Secret' }] } };
    const secrets = [tlsSecret('web-cert', leaf, { 'ca.crt': b64(ca.cert) }, 'web'), tlsSecret('shared', leaf2, {}, 'certs'), tlsSecret('web-cert', leaf2)];
    const p = identified(gateway);
    // The Gateway (namespace web) is served by the istio-system gateway, which reads web's Secret.
    const own = buildSnapshot([ingress, apiGateway([{ name: 'web-cert' }]), ...secrets]);
    const served = generate(own, p, TypeUrls.secret);
    expect(served.map((r) => r.name).filter((n) => n.startsWith('kubernetes-gateway://')).sort()).to.deep.equal(['kubernetes-gateway://web/web-cert', 'kubernetes-gateway://web/web-cert-cacert']);
    expectValid(TypeUrls.secret, served);
    expect(byName(served, 'kubernetes-gateway://web/web-cert').tls_certificate.certificate_chain.inline_bytes).to.equal(b64(leaf.cert));
    const asked = [...new Set(JSON.stringify(generate(own, p, TypeUrls.listener)).match(/kubernetes-gateway:\/\/[a-z0-9/-]+/g))];
    expect(asked).to.deep.equal(['kubernetes-gateway://web/web-cert']);
    expect(credentialProblem(own, p, 'kubernetes-gateway://web/web-cert')).to.equal(undefined);
    expect(names([ingress, apiGateway([{ name: 'web-cert' }]), ...secrets], gateway), 'no identity').to.deep.equal([]);
    // Another namespace's Secret: with a ReferenceGrant there only.
    const cross = [ingress, apiGateway([{ name: 'shared', namespace: 'certs' }]), ...secrets];
    expect(names(cross, p).filter((n) => n.startsWith('kubernetes-gateway://'))).to.deep.equal([]);
    expect(names([...cross, grant], p).filter((n) => n.startsWith('kubernetes-gateway://'))).to.deep.equal(['kubernetes-gateway://certs/shared']);
    // An Istio Gateway written with such a name reads nothing: only converted Gateways carry verified references.
    const forged = buildSnapshot([gw([https(443, { mode: 'SIMPLE', credentialName: 'kubernetes-gateway://web/web-cert' })]), ...secrets]);
    expect(generate(forged, p, TypeUrls.secret).map((r) => r.name).filter((n) => n.startsWith('kubernetes-gateway://'))).to.deep.equal([]);
    expect(credentialProblem(forged, p, 'kubernetes-gateway://web/web-cert')).to.equal('no Gateway API Gateway that this proxy serves names it as a listener certificate');
    expect(credentialProblem(forged, p, 'kubernetes-gateway://web')).to.contain('names no Secret');
  });

  it("a Gateway API listener with tls-terminate-mode MUTUAL asks for the client CA beside its certificate (kubernetes-gateway://…-cacert), and both are served", () => {
    const objs: KubeObject[] = [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'istio-ingressgateway', namespace: NS }, spec: { selector: { istio: 'ingressgateway' }, ports: [{ name: 'https', port: 443 }] } } as KubeObject,
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: 'edge', namespace: 'web' },
        spec: {
          gatewayClassName: 'istio',
          addresses: [{ type: 'Hostname', value: `istio-ingressgateway.${NS}.svc.cluster.local` }],
          listeners: [{ name: 'https', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'web-cert' }], options: { 'gateway.istio.io/tls-terminate-mode': 'MUTUAL' } } }],
        },
      } as KubeObject,
      tlsSecret('web-cert', leaf, { 'ca.crt': b64(ca.cert) }, 'web'),
    ];
    const snap = buildSnapshot(objs);
    const p = identified(gateway);
    const listeners = generate(snap, p, TypeUrls.listener);
    expectValid(TypeUrls.listener, listeners);
    const text = JSON.stringify(listeners);
    expect(text).to.contain('"require_client_certificate":{"value":true}');
    expect([...new Set(text.match(/kubernetes-gateway:\/\/[a-z0-9/-]+/g))].sort()).to.deep.equal(['kubernetes-gateway://web/web-cert', 'kubernetes-gateway://web/web-cert-cacert']);
    const served = generate(snap, p, TypeUrls.secret);
    expect(byName(served, 'kubernetes-gateway://web/web-cert-cacert')).to.deep.equal({ name: 'kubernetes-gateway://web/web-cert-cacert', validation_context: { trusted_ca: { inline_bytes: b64(ca.cert) } } });
    expect(credentialProblem(snap, p, 'kubernetes-gateway://web/web-cert-cacert')).to.equal(undefined);
  });

  it('skips what cannot be served (a missing Secret, a key that does not match, no CA anywhere); a name ending in -cacert is a CA', () => {
    const objs = [
      gw([https(443, { mode: 'SIMPLE', credentialName: 'missing' }), https(8443, { mode: 'MUTUAL', credentialName: 'bad' }), https(9443, { mode: 'MUTUAL', credentialName: 'noca' })]),
      secret('bad', { 'tls.crt': b64(leaf.cert), 'tls.key': b64(leaf2.key), 'ca.crt': b64(ca.cert) }),
      tlsSecret('noca', leaf),
    ];
    expect(names(objs, identified(gateway))).to.deep.equal(['kubernetes://bad-cacert', 'kubernetes://noca']);
    // x-cacert holds a CA (and a certificate, which no name can ask for): kubernetes://x-cacert is its CA, not x's.
    const both = [tlsSecret('x', leaf, { 'ca.crt': b64(leaf2.cert) }), tlsSecret('x-cacert', leaf2, { 'ca.crt': b64(ca.cert) })];
    const secrets = generate(buildSnapshot(both), identified(gateway), TypeUrls.secret);
    expect(secrets.map((r) => r.name)).to.deep.equal(['kubernetes://x', 'kubernetes://x-cacert']);
    expect(byName(secrets, 'kubernetes://x-cacert').validation_context.trusted_ca.inline_bytes).to.equal(b64(ca.cert));
    expectValid(TypeUrls.secret, secrets);
  });

  it('gateways that may read credentials have a scope of their own; the others share theirs', () => {
    const snap = buildSnapshot([gw([https(443, { mode: 'SIMPLE', credentialName: 'c' })]), tlsSecret('c', leaf)]);
    expect(proxyScope(snap, identified(gateway))).to.not.equal(proxyScope(snap, gateway));
    expect(proxyScope(snap, identified(gateway))).to.equal(proxyScope(snap, identified({ ...gateway, id: GATEWAY.replace('5b7c8d9f6', 'other') })));
  });

  it("a DestinationRule's credentialName: a gateway originates TLS with the credential by SDS; a sidecar keeps its files-or-nothing form", () => {
    const se: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: 'ext', namespace: NS },
      spec: { hosts: ['api.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }, { number: 8443, name: 'tls-simple', protocol: 'TLS' }], resolution: 'DNS' },
    };
    const dr: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'ext', namespace: NS },
      spec: {
        host: 'api.example.com',
        trafficPolicy: {
          portLevelSettings: [
            { port: { number: 443 }, tls: { mode: 'MUTUAL', credentialName: 'client', sni: 'api.example.com', subjectAltNames: ['api.example.com'] } },
            { port: { number: 8443 }, tls: { mode: 'SIMPLE', credentialName: 'client' } },
          ],
        },
      },
    };
    const snap = buildSnapshot([se, dr, tlsSecret('client', leaf, { 'ca.crt': b64(ca.cert) })]);
    const clusters = generate(snap, identified(gateway), TypeUrls.cluster);
    expectValid(TypeUrls.cluster, clusters);
    const mutual = byName(clusters, 'outbound|443||api.example.com').transport_socket.typed_config;
    expect(mutual.sni).to.equal('api.example.com');
    expect(mutual.common_tls_context).to.deep.equal({
      tls_params: { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3' },
      tls_certificate_sds_secret_configs: [{ name: 'kubernetes://client', sds_config: { ads: {}, resource_api_version: 'V3' } }],
      combined_validation_context: {
        default_validation_context: { match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'api.example.com' } }] },
        validation_context_sds_secret_config: { name: 'kubernetes://client-cacert', sds_config: { ads: {}, resource_api_version: 'V3' } },
      },
    });
    const simple = byName(clusters, 'outbound|8443||api.example.com').transport_socket.typed_config.common_tls_context;
    expect(simple).to.deep.equal({
      tls_params: mutual.common_tls_context.tls_params,
      combined_validation_context: { default_validation_context: {}, validation_context_sds_secret_config: { name: 'kubernetes://client-cacert', sds_config: { ads: {}, resource_api_version: 'V3' } } },
    });
    // The SDS names the clusters use are served to the gateway.
    expect(names([se, dr, tlsSecret('client', leaf, { 'ca.crt': b64(ca.cert) })], identified(gateway))).to.deep.equal(['kubernetes://client', 'kubernetes://client-cacert']);
    // A sidecar without mesh certificates: MUTUAL without files stays plaintext, SIMPLE checks against the system's CAs.
    const sidecar = generate(snap, proxy('sidecar~10.0.0.1~app.istio-system~istio-system.svc.cluster.local'), TypeUrls.cluster);
    expect(byName(sidecar, 'outbound|443||api.example.com').transport_socket).to.equal(undefined);
    expect(byName(sidecar, 'outbound|8443||api.example.com').transport_socket.typed_config.common_tls_context.validation_context.trusted_ca).to.deep.equal({ filename: '/etc/ssl/certs/ca-certificates.crt' });
    // One with mesh certificates proves its identity on xDS: it takes the credential by SDS as the gateway does,
    // mesh mTLS elsewhere unchanged, and is served the credential once it proved who it is.
    const meshSidecar = proxy('sidecar~10.0.0.2~app2.istio-system~istio-system.svc.cluster.local', certMetadata('/etc/certs'));
    const withCerts = generate(snap, meshSidecar, TypeUrls.cluster);
    expectValid(TypeUrls.cluster, withCerts);
    expect(byName(withCerts, 'outbound|443||api.example.com').transport_socket.typed_config.common_tls_context).to.deep.equal(mutual.common_tls_context);
    expect(generate(snap, meshSidecar, TypeUrls.secret).map((r) => r.name).filter((n) => n.startsWith('kubernetes://'))).to.deep.equal([]);
    expect(generate(snap, identified(meshSidecar), TypeUrls.secret).map((r) => r.name).filter((n) => n.startsWith('kubernetes://'))).to.deep.equal(['kubernetes://client', 'kubernetes://client-cacert']);
  });

  it('says why each name it is not served is not, and nothing of the ones it is', () => {
    const objs = [
      tlsSecret('good', leaf, { 'ca.crt': b64(ca.cert) }),
      secret('bad', { 'tls.crt': b64(leaf.cert), 'tls.key': b64(leaf2.key) }),
      secret('half', { cert: b64(leaf.cert) }),
      secret('only-ca', { cacert: b64(ca.cert) }),
      tlsSecret('x-cacert', leaf),
    ];
    const snap = buildSnapshot(objs);
    const p = identified(gateway);
    const asked = ['kubernetes://good', 'kubernetes://good-cacert', 'kubernetes://bad', 'kubernetes://bad-cacert', 'kubernetes://half', 'kubernetes://only-ca', 'kubernetes://only-ca-cacert', 'kubernetes://x-cacert', 'kubernetes://gone', 'kubernetes://gone-cacert', 'file-cert:/a~/b'];
    const served = new Set(generate(snap, p, TypeUrls.secret).map((r) => r.name));
    const problems = Object.fromEntries(asked.map((n) => [n, credentialProblem(snap, p, n)]).filter(([, why]) => why !== undefined));
    expect(problems).to.deep.equal({
      'kubernetes://bad': 'Secret istio-system/bad: the private key does not belong to the certificate',
      'kubernetes://bad-cacert': 'Secret istio-system/bad: it has no CA (ca.crt or cacert)',
      'kubernetes://half': 'Secret istio-system/half: the Secret has cert but no key',
      'kubernetes://only-ca': 'Secret istio-system/only-ca: it has no certificate and key (tls.crt and tls.key, or cert and key)',
      'kubernetes://x-cacert': 'Secret istio-system/x-cacert: it has no CA (ca.crt or cacert)',
      'kubernetes://gone': 'no Secret istio-system/gone with a certificate and key (tls.crt and tls.key, or cert and key) or a CA (ca.crt or cacert)',
      'kubernetes://gone-cacert':
        'no Secret istio-system/gone-cacert with a certificate and key (tls.crt and tls.key, or cert and key) or a CA (ca.crt or cacert), nor a Secret istio-system/gone with a CA',
    });
    // Every credential name is either served or explained, never both.
    for (const n of asked.filter((x) => x.startsWith('kubernetes://'))) expect(served.has(n) !== (n in problems), n).to.equal(true);
    expect(credentialProblem(snap, gateway, 'kubernetes://good')).to.equal('the proxy did not prove its identity (a client certificate from the mesh CA on xDS over TLS)');
    expect(credentialProblem(snap, p, 'file-cert:/a~/b')).to.equal(undefined);
  });

  it('caCertCredentialName: the client CA comes from that Secret, with files or a credentialName, and is served', () => {
    const objs = [
      gw([
        https(443, { mode: 'MUTUAL', credentialName: 'server', caCertCredentialName: 'clients' }),
        https(8443, { mode: 'OPTIONAL_MUTUAL', serverCertificate: '/etc/c.pem', privateKey: '/etc/k.pem', caCertCredentialName: 'clients', verifyCertificateSpki: [SPKI] }),
      ]),
      tlsSecret('server', leaf, { 'ca.crt': b64(leaf2.cert) }),
      secret('clients', { 'ca.crt': b64(ca.cert) }),
    ];
    const snap = buildSnapshot(objs);
    const p = identified(gateway);
    const listeners = generate(snap, p, TypeUrls.listener);
    expectValid(TypeUrls.listener, listeners);
    const contexts = listeners.flatMap((l) => (l.resource.filter_chains as any[]).filter((c) => c.transport_socket).map((c) => c.transport_socket.typed_config.common_tls_context));
    const sds = { name: 'kubernetes://clients-cacert', sds_config: { ads: {}, resource_api_version: 'V3' } };
    expect(contexts.map((c) => c.validation_context_sds_secret_config ?? c.combined_validation_context)).to.deep.equal([
      sds,
      { default_validation_context: { verify_certificate_spki: [SPKI] }, validation_context_sds_secret_config: sds },
    ]);
    const secrets = generate(snap, p, TypeUrls.secret);
    expect(byName(secrets, 'kubernetes://clients-cacert').validation_context.trusted_ca.inline_bytes).to.equal(b64(ca.cert));
  });
});
