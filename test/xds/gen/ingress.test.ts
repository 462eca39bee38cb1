/**
 * What the ingress gateway proxy receives for Kubernetes Ingresses of Istio's class (model/ingress.ts): an HTTP
 * listener on 80 and an HTTPS one on 443 terminated with the tls Secret of the gateway's namespace, routes whose
 * prefixes match whole path segments (a trailing slash dropped, as istiod does), exact paths, every path last;
 * nothing for a sidecar or for an Ingress of another class. All of it encodes and passes Envoy's validate rules.
 */
import { expect } from 'chai';
import type { KubeObject } from '../../../src/core/kube.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { credentialProblem } from '../../../src/xds/gen/credentials.js';
import { generateCa, generateServingCert } from '../../../src/certs/generate.js';
import { GATEWAY, PRODUCTPAGE, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

const INGRESS = `
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: istio }
spec: { controller: istio.io/ingress-controller }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: bookinfo, namespace: default }
spec:
  ingressClassName: istio
  tls: [{ hosts: [bookinfo.example.com], secretName: bookinfo-cert }]
  rules:
  - host: bookinfo.example.com
    http:
      paths:
      - { path: /productpage, pathType: Exact, backend: { service: { name: productpage, port: { number: 9080 } } } }
      - { path: /static/, pathType: Prefix, backend: { service: { name: productpage, port: { name: http } } } }
      - { path: /api/v1/products, pathType: Prefix, backend: { service: { name: productpage, port: { number: 9080 } } } }
      - { path: /, pathType: Prefix, backend: { service: { name: reviews, port: { number: 9080 } } } }
  - http:
      paths:
      - { path: /*, pathType: ImplementationSpecific, backend: { service: { name: ratings, port: { number: 9080 } } } }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: elsewhere, namespace: default }
spec:
  ingressClassName: nginx
  rules: [{ host: nginx.example.com, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: reviews, port: { number: 9080 } } } }] } }]
`;

const gatewayProxy = () => proxy(GATEWAY, { LABELS: { istio: 'ingressgateway' } });
const cluster = (host: string) => `outbound|9080||${host}.default.svc.cluster.local`;

describe('Envoy config of the ingress gateway for Kubernetes Ingresses', () => {
  const objs = (): KubeObject[] => [...bookinfo(), ...yamlObjects(INGRESS)];

  it("listens on 80 and on 443, at the gateway Service's target ports (TLS with the Secret named by the Ingress, read by SDS)", () => {
    const listeners = generate(buildSnapshot(objs()), gatewayProxy(), TypeUrls.listener);
    expectValid(TypeUrls.listener, listeners);
    expect(listeners.map((l) => l.name).sort()).to.deep.equal(['0.0.0.0_8080', '0.0.0.0_8443']);
    const chains = byName(listeners, '0.0.0.0_8443').filter_chains;
    expect(chains).to.have.length(1);
    expect(chains[0].filter_chain_match.server_names).to.deep.equal(['bookinfo.example.com']);
    expect(chains[0].transport_socket.typed_config.common_tls_context.tls_certificate_sds_secret_configs.map((c: any) => c.name)).to.deep.equal(['kubernetes://bookinfo-cert']);
  });

  it('routes: longest path first, prefixes by whole segments (trailing slash dropped), a port by name resolved, every path last; another class makes nothing', () => {
    const routes = generate(buildSnapshot(objs()), gatewayProxy(), TypeUrls.route);
    expectValid(TypeUrls.route, routes);
    const http = byName(routes, 'http.8080');
    expect(http.virtual_hosts.map((v: any) => v.domains)).to.deep.equal([['*'], ['bookinfo.example.com', 'bookinfo.example.com:*']]);
    expect(http.virtual_hosts[1].routes.map((r: any) => [r.match, r.route.cluster])).to.deep.equal([
      [{ path_separated_prefix: '/api/v1/products' }, cluster('productpage')],
      [{ path: '/productpage' }, cluster('productpage')],
      [{ path_separated_prefix: '/static' }, cluster('productpage')], // Prefix /static/, port by name
      [{ prefix: '/' }, cluster('reviews')],
    ]);
    // The rule without host: `*`, ImplementationSpecific /* is every path.
    expect(http.virtual_hosts[0].routes.map((r: any) => [r.match, r.route.cluster])).to.deep.equal([[{ prefix: '/' }, cluster('ratings')]]);
    expect(JSON.stringify(routes)).not.to.contain('nginx.example.com');
  });

  it('the HTTPS routes are those of the hosts its tls entry names', () => {
    // Without the rule of host `*` (whose catch-all, bound to the same Gateway, would take bookinfo.example.com on
    // 443 first: in istiod too its VirtualService comes first, and its / route shadows the others).
    const withoutCatchAll = objs().filter((o) => o.kind !== 'Ingress' || o.metadata.name !== 'bookinfo');
    const ing = yamlObjects(INGRESS).find((o) => o.metadata.name === 'bookinfo')!;
    (ing.spec as any).rules = (ing.spec as any).rules.slice(0, 1);
    const routes = generate(buildSnapshot([...withoutCatchAll, ing]), gatewayProxy(), TypeUrls.route);
    expectValid(TypeUrls.route, routes);
    const https = routes.find((r) => r.name.startsWith('https.443.https-443-ingress-bookinfo-default-0.'));
    expect(https, routes.map((r) => r.name).join()).to.not.equal(undefined);
    const vhosts: any[] = (https!.resource as any).virtual_hosts;
    expect(vhosts.map((v: any) => v.domains)).to.deep.equal([['bookinfo.example.com', 'bookinfo.example.com:*']]);
    expect(vhosts[0].routes.map((r: any) => r.route.cluster)).to.deep.equal([cluster('productpage'), cluster('productpage'), cluster('productpage'), cluster('reviews')]);
  });

  it("the credential is served from the gateway's own namespace, as istiod serves it", async () => {
    const ca = await generateCa('ingress test CA');
    const leaf = await generateServingCert(ca, ['bookinfo.example.com']);
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const secret = (namespace: string): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bookinfo-cert', namespace }, data: { 'tls.crt': b64(leaf.cert), 'tls.key': b64(leaf.key) } }) as KubeObject;
    const p = { ...gatewayProxy(), identity: { trustDomain: 'cluster.local', namespace: 'istio-system', serviceAccount: 'istio-ingressgateway' } };
    const beside = buildSnapshot([...objs(), secret('default')]);
    expect(credentialProblem(beside, p, 'kubernetes://bookinfo-cert')).to.match(/no Secret istio-system\/bookinfo-cert/);
    const there = buildSnapshot([...objs(), secret('istio-system')]);
    expect(credentialProblem(there, p, 'kubernetes://bookinfo-cert')).to.equal(undefined);
    expect(generate(there, p, TypeUrls.secret).map((r) => r.name)).to.include('kubernetes://bookinfo-cert');
  });

  it('a sidecar gets nothing of it', () => {
    const routes = generate(buildSnapshot(objs()), proxy(PRODUCTPAGE), TypeUrls.route);
    expect(JSON.stringify(routes)).not.to.contain('bookinfo.example.com');
  });
});
