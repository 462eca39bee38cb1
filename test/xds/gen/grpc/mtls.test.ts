/**
 * Mesh mTLS in the gRPC generator's output: ISTIO_MUTUAL clusters and STRICT server listeners refer to the
 * bootstrap's certificate provider, pass Envoy's rules (PGV) and gRPC's own validation when the bootstrap has
 * that provider, and are refused (never taken as plaintext) when it has not.
 */
import { expect } from 'chai';
import { generateGrpc } from '../../../../src/xds/gen/grpc/index.js';
import { GrpcXds, TypeUrls } from '../../../../src/core/constants.js';
import { buildSnapshot } from '../../../../src/model/snapshot.js';
import { checkPgv } from '../../../../src/xds/pgv.js';
import { envoyRoot } from '../../../../src/xds/proto.js';
import { kubePod, kubeService } from '../../../../src/demo/objects.js';
import { grpcDecode } from './grpc-accepts.js';
import { REVIEWS, grpcNode, snapshot, yaml } from './fixture.js';

const ISTIO_MUTUAL_DR = yaml(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}, trafficPolicy: {tls: {mode: DISABLE}}}]`);

const STRICT = yaml(`apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: reviews, namespace: default}
spec: {selector: {matchLabels: {app: reviews}}, mtls: {mode: STRICT}, portLevelMtls: {"8080": {mode: DISABLE}}}`);

/** reviews, whose pods run as two service accounts; no DestinationRule. */
const reviews = () => [
  kubeService({ name: 'reviews', port: 9080, targetPort: 50051 }),
  kubePod({ name: 'reviews-v1', ip: '127.0.0.11', app: 'reviews', version: 'v1', serviceAccount: 'bookinfo-reviews' }),
  kubePod({ name: 'reviews-v2', ip: '127.0.0.12', app: 'reviews', version: 'v2', serviceAccount: 'bookinfo-reviews' }),
  kubePod({ name: 'reviews-v3', ip: '127.0.0.13', app: 'reviews', version: 'v3', serviceAccount: 'reviews-canary' }),
];

function valid(typeUrl: string, resource: object): any {
  expect(checkPgv(envoyRoot(), typeUrl, resource)).to.deep.equal([]);
  const verdict = grpcDecode(typeUrl, resource, true);
  expect(verdict.error, verdict.error).to.equal(undefined);
  return verdict.value;
}

describe('gRPC generator: mesh mTLS', () => {
  const clusterName = (subset: string) => `outbound|9080|${subset}|${REVIEWS}`;

  it('ISTIO_MUTUAL: the cluster presents the workload certificate and checks the server against the service identities', () => {
    const snap = buildSnapshot([...reviews(), ...ISTIO_MUTUAL_DR]);
    const out = Object.fromEntries(generateGrpc(snap, grpcNode(), TypeUrls.cluster, [clusterName(''), clusterName('v1'), clusterName('v2')]).map((c) => [c.name, c.resource as any]));
    const socket = out[clusterName('')].transport_socket;
    expect(socket.name).to.equal('envoy.transport_sockets.tls');
    expect(socket.typed_config.common_tls_context).to.deep.equal({
      tls_certificate_provider_instance: { instance_name: 'default', certificate_name: 'default' },
      validation_context: {
        ca_certificate_provider_instance: { instance_name: 'default', certificate_name: 'ROOTCA' },
        match_subject_alt_names: [{ exact: 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews' }, { exact: 'spiffe://cluster.local/ns/default/sa/reviews-canary' }],
      },
    });
    // gRPC reads it as a security update with our provider and SAN matchers.
    const decoded = valid(TypeUrls.cluster, out[clusterName('')]);
    expect(decoded.securityUpdate).to.include({ caCertificateProviderInstance: 'default', identityCertificateProviderInstance: 'default' });
    expect(decoded.securityUpdate.subjectAltNameMatchers).to.have.length(2);
    // A subset inherits the rule's tls; one that says DISABLE is plaintext.
    expect(out[clusterName('v1')].transport_socket).to.deep.equal(socket);
    expect(out[clusterName('v2')]).to.not.have.property('transport_socket');
    valid(TypeUrls.cluster, out[clusterName('v2')]);
  });

  it('the trust domain comes from the mesh config', () => {
    const snap = buildSnapshot([...reviews(), ...ISTIO_MUTUAL_DR], { trustDomain: 'example.org' });
    const [c] = generateGrpc(snap, grpcNode(), TypeUrls.cluster, [clusterName('')]);
    const sans = (c!.resource as any).transport_socket.typed_config.common_tls_context.validation_context.match_subject_alt_names;
    expect(sans[0]).to.deep.equal({ exact: 'spiffe://example.org/ns/default/sa/bookinfo-reviews' });
  });

  it('a ServiceEntry: its endpoints’ service accounts and its subjectAltNames are the identities checked', () => {
    const objects = yaml(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: vm-db, namespace: data}
spec:
  hosts: [db.data.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: grpc, protocol: GRPC}]
  subjectAltNames: ["spiffe://cluster.local/ns/data/sa/legacy-db"]
  endpoints: [{address: 10.0.0.7, serviceAccount: db}, {address: 10.0.0.8}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db, namespace: data}
spec: {host: db.data.svc.cluster.local, trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}`);
    const [c] = generateGrpc(buildSnapshot(objects), grpcNode(), TypeUrls.cluster, ['outbound|9080||db.data.svc.cluster.local']);
    const sans = (c!.resource as any).transport_socket.typed_config.common_tls_context.validation_context.match_subject_alt_names;
    expect(sans).to.deep.equal([{ exact: 'spiffe://cluster.local/ns/data/sa/db' }, { exact: 'spiffe://cluster.local/ns/data/sa/legacy-db' }]);
    valid(TypeUrls.cluster, c!.resource);
  });

  it('without a DestinationRule, or with SIMPLE/MUTUAL, gRPC clusters stay plaintext (no auto mTLS, as istiod)', () => {
    for (const mode of [undefined, 'SIMPLE', 'MUTUAL', 'DISABLE']) {
      const dr = mode ? yaml(`{apiVersion: networking.istio.io/v1, kind: DestinationRule, metadata: {name: reviews, namespace: default}, spec: {host: reviews, trafficPolicy: {tls: {mode: ${mode}}}}}`) : [];
      const [c] = generateGrpc(buildSnapshot([...reviews(), ...dr]), grpcNode(), TypeUrls.cluster, [clusterName('')]);
      expect(c!.resource, String(mode)).to.not.have.property('transport_socket');
    }
  });

  it('a service whose identities are unknown accepts any certificate of the mesh CA (no SAN matchers)', () => {
    const snap = buildSnapshot([kubeService({ name: 'reviews', port: 9080 }), ...ISTIO_MUTUAL_DR]);
    const [c] = generateGrpc(snap, grpcNode(), TypeUrls.cluster, [clusterName('')]);
    const vc = (c!.resource as any).transport_socket.typed_config.common_tls_context.validation_context;
    expect(vc).to.deep.equal({ ca_certificate_provider_instance: { instance_name: 'default', certificate_name: 'ROOTCA' } });
    expect(valid(TypeUrls.cluster, c!.resource).securityUpdate.subjectAltNameMatchers).to.deep.equal([]);
  });

  it('STRICT: the server listener requires a client certificate from the mesh CA; other ports and workloads stay plaintext', () => {
    const snap = snapshot(STRICT);
    const listener = (ip: string, port: number, labels: Record<string, string>) => {
      const name = `${GrpcXds.serverListenerPrefix}${ip}:${port}`;
      const [l] = generateGrpc(snap, grpcNode('default', labels), TypeUrls.listener, [name]);
      valid(TypeUrls.listener, l!.resource);
      return (l!.resource as any).default_filter_chain;
    };
    const strict = listener('127.0.0.11', 50051, { app: 'reviews', version: 'v1' });
    expect(strict.transport_socket.name).to.equal('envoy.transport_sockets.tls');
    expect(strict.transport_socket.typed_config).to.deep.include({
      require_client_certificate: { value: true },
      common_tls_context: {
        tls_certificate_provider_instance: { instance_name: 'default', certificate_name: 'default' },
        validation_context: { ca_certificate_provider_instance: { instance_name: 'default', certificate_name: 'ROOTCA' } },
      },
    });
    expect(listener('127.0.0.11', 8080, { app: 'reviews', version: 'v1' })).to.not.have.property('transport_socket');
    expect(listener('127.0.0.21', 50051, { app: 'ratings', version: 'v1' })).to.not.have.property('transport_socket');
  });

  it('PERMISSIVE (the default) serves plaintext: a gRPC server cannot accept both on one port', () => {
    const permissive = yaml(`{apiVersion: security.istio.io/v1, kind: PeerAuthentication, metadata: {name: default, namespace: istio-system}, spec: {mtls: {mode: PERMISSIVE}}}`);
    const name = `${GrpcXds.serverListenerPrefix}127.0.0.11:50051`;
    const [l] = generateGrpc(snapshot(permissive), grpcNode('default', { app: 'reviews', 'security.istio.io/tlsMode': 'istio' }), TypeUrls.listener, [name]);
    expect((l!.resource as any).default_filter_chain).to.not.have.property('transport_socket');
  });

  it('a client or server whose bootstrap has no certificate provider refuses mTLS resources instead of running them in plaintext', () => {
    const [c] = generateGrpc(buildSnapshot([...reviews(), ...ISTIO_MUTUAL_DR]), grpcNode(), TypeUrls.cluster, [clusterName('')]);
    expect(grpcDecode(TypeUrls.cluster, c!.resource).error).to.match(/instance_name: default/);
    const name = `${GrpcXds.serverListenerPrefix}127.0.0.11:50051`;
    const [l] = generateGrpc(snapshot(STRICT), grpcNode('default', { app: 'reviews' }), TypeUrls.listener, [name]);
    expect(grpcDecode(TypeUrls.listener, l!.resource).error).to.match(/instance_name: default/);
  });
});
