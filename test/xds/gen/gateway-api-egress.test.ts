/**
 * Istio's egress gateway with the Gateway API, as its "Egress Gateways" task writes it (the Gateway API tab): a
 * Gateway that mizzen deploys (--deploy-gateways names its Service `<name>-istio`), whose HTTPS listener terminates
 * mesh mTLS (tls-terminate-mode ISTIO_MUTUAL); an HTTPRoute on the ServiceEntry sending mesh traffic for the external
 * host to that gateway; an HTTPRoute on the Gateway sending it on to the external host, whose DestinationRule
 * originates TLS. The pieces meet here: each proxy's configuration, checked against Envoy's protos.
 */
import { expect } from 'chai';
import { TypeUrls } from '../../../src/core/constants.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { certMetadata } from '../../../src/bootstrap/envoy.js';
import { expectValid, proxy, yamlObjects } from './helpers.js';

const EGRESS = yamlObjects(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: cnn, namespace: default}
spec:
  hosts: [edition.cnn.com]
  ports:
  - {number: 80, name: http-port, protocol: HTTP}
  - {number: 443, name: https, protocol: HTTPS}
  resolution: DNS
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: cnn-egress-gateway
  namespace: default
  annotations: {networking.istio.io/service-type: ClusterIP}
spec:
  gatewayClassName: istio
  listeners:
  - name: https-listener-for-tls-origination
    hostname: edition.cnn.com
    port: 80
    protocol: HTTPS
    tls:
      mode: Terminate
      options: {gateway.istio.io/tls-terminate-mode: ISTIO_MUTUAL}
    allowedRoutes: {namespaces: {from: Same}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: egressgateway-for-cnn, namespace: default}
spec:
  host: cnn-egress-gateway-istio.default.svc.cluster.local
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    portLevelSettings:
    - port: {number: 80}
      tls: {mode: ISTIO_MUTUAL, sni: edition.cnn.com}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: direct-cnn-to-egress-gateway, namespace: default}
spec:
  parentRefs:
  - {kind: ServiceEntry, group: networking.istio.io, name: cnn}
  rules:
  - backendRefs:
    - {name: cnn-egress-gateway-istio, port: 80}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: forward-cnn-from-egress-gateway, namespace: default}
spec:
  parentRefs:
  - {name: cnn-egress-gateway, sectionName: https-listener-for-tls-origination}
  hostnames: [edition.cnn.com]
  rules:
  - backendRefs:
    - {kind: Hostname, group: networking.istio.io, name: edition.cnn.com, port: 443}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: originate-tls-for-edition-cnn-com, namespace: default}
spec:
  host: edition.cnn.com
  trafficPolicy:
    portLevelSettings:
    - port: {number: 443}
      tls: {mode: SIMPLE}
---
# What serve --deploy-gateways makes of the Gateway (its Service), and a pod of its Deployment.
apiVersion: v1
kind: Service
metadata: {name: cnn-egress-gateway-istio, namespace: default}
spec:
  type: ClusterIP
  selector: {gateway.networking.k8s.io/gateway-name: cnn-egress-gateway}
  ports:
  - {name: status-port, port: 15021, appProtocol: tcp}
  - {name: https-listener-for-tls-origination, port: 80, targetPort: 80, appProtocol: https}
---
apiVersion: v1
kind: Pod
metadata:
  name: cnn-egress-gateway-istio-5d8f-x1
  namespace: default
  labels: {gateway.networking.k8s.io/gateway-name: cnn-egress-gateway}
spec: {containers: [{name: istio-proxy}]}
status: {phase: Running, podIP: 10.244.0.40, conditions: [{type: Ready, status: 'True'}]}
`);

const SLEEP = 'sidecar~10.244.0.30~sleep-7f8d-a1.default~default.svc.cluster.local';
const EGRESS_POD = 'router~10.244.0.40~cnn-egress-gateway-istio-5d8f-x1.default~default.svc.cluster.local';
const withCerts = { ...certMetadata('/etc/certs') };

describe("Istio's egress gateway with the Gateway API (ServiceEntry parent, ISTIO_MUTUAL listener, TLS origination)", () => {
  const snap = buildSnapshot(EGRESS);

  it('a sidecar sends edition.cnn.com:80 to the egress gateway, over mesh mTLS with the external host as SNI', () => {
    const sleep = proxy(SLEEP, { LABELS: { app: 'sleep' }, ...withCerts });
    const routes = generate(snap, sleep, TypeUrls.route);
    expectValid(TypeUrls.route, routes);
    const vhost = routes.flatMap((r: any) => r.resource.virtual_hosts).find((v: any) => v.domains.includes('edition.cnn.com'));
    expect(vhost, 'a virtual host for edition.cnn.com').to.not.equal(undefined);
    expect(vhost.routes.map((r: any) => r.route?.cluster)).to.deep.equal(['outbound|80||cnn-egress-gateway-istio.default.svc.cluster.local']);
    const clusters = generate(snap, sleep, TypeUrls.cluster);
    expectValid(TypeUrls.cluster, clusters);
    const toGateway = clusters.find((c) => c.name === 'outbound|80||cnn-egress-gateway-istio.default.svc.cluster.local')!.resource as any;
    const tls = toGateway.transport_socket.typed_config;
    expect(tls.sni).to.equal('edition.cnn.com');
    expect(JSON.stringify(tls.common_tls_context)).to.contain('/etc/certs');
  });

  it('the egress gateway terminates mesh mTLS on 80 and originates TLS to edition.cnn.com:443', () => {
    const gw = proxy(EGRESS_POD, { LABELS: { 'gateway.networking.k8s.io/gateway-name': 'cnn-egress-gateway' }, ...withCerts });
    const listeners = generate(snap, gw, TypeUrls.listener);
    expectValid(TypeUrls.listener, listeners);
    const l80 = listeners.find((l) => l.name === '0.0.0.0_80')!.resource as any;
    const chain = l80.filter_chains[0];
    expect(chain.transport_socket.typed_config.require_client_certificate).to.deep.equal({ value: true });
    const routes = generate(snap, gw, TypeUrls.route);
    expectValid(TypeUrls.route, routes);
    const vhost = routes.flatMap((r: any) => r.resource.virtual_hosts).find((v: any) => v.domains.some((d: string) => d.startsWith('edition.cnn.com')));
    expect(vhost.routes.map((r: any) => r.route?.cluster)).to.deep.equal(['outbound|443||edition.cnn.com']);
    const clusters = generate(snap, gw, TypeUrls.cluster);
    expectValid(TypeUrls.cluster, clusters);
    const external = clusters.find((c) => c.name === 'outbound|443||edition.cnn.com')!.resource as any;
    expect(external.transport_socket.typed_config['@type']).to.equal('type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext');
    // No sni in the DestinationRule: the request's host is the SNI, and the server's certificate is checked for it.
    const options = external.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].upstream_http_protocol_options;
    expect(options).to.deep.equal({ auto_sni: true, auto_san_validation: true });
  });
});
