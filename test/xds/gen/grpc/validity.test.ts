/**
 * Every resource the gRPC generator produces, for every Bookinfo sample and the policies the tests use, passes both
 * Envoy's validate rules (protoc-gen-validate, as Envoy would) and grpc-js-xds's own validation (as a client would).
 */
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { generateGrpc } from '../../../../src/xds/gen/grpc/index.js';
import { GrpcXds, TypeUrls } from '../../../../src/core/constants.js';
import { checkPgv } from '../../../../src/xds/pgv.js';
import { envoyRoot } from '../../../../src/xds/proto.js';
import { grpcDecode } from './grpc-accepts.js';
import { SAMPLES, grpcNode, sample, snapshot, yaml } from './fixture.js';

const POLICIES = yaml(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: details, namespace: default}
spec:
  host: details
  trafficPolicy:
    loadBalancer: {consistentHash: {httpHeaderName: x-user, minimumRingSize: 64}}
    connectionPool: {http: {http2MaxRequests: 100, maxRetries: 3}, tcp: {maxConnections: 10, connectTimeout: 1s}}
    outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 100}
  subsets: [{name: v1, labels: {version: v1}, trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: details, namespace: default}
spec:
  hosts: [details]
  http:
  - match: [{uri: {regex: "/a\\\\.B/.*"}, headers: {x: {regex: "y+"}}, withoutHeaders: {z: {}}}]
    fault: {delay: {fixedDelay: 1s, percentage: {value: 0.5}}, abort: {grpcStatus: UNAVAILABLE, percentage: {value: 1}}}
    retries: {attempts: 4, perTryTimeout: 2s, retryOn: "unavailable,cancelled,503", backoff: 10ms}
    timeout: 5s
    route: [{destination: {host: details, subset: v1}, weight: 60}, {destination: {host: details}, weight: 40}]
  - route: [{destination: {host: details}}]`);

const scenarios: Array<[string, ReturnType<typeof snapshot>]> = [
  ['Bookinfo without routing rules', snapshot()],
  ['policies', snapshot(POLICIES)],
  ...readdirSync(SAMPLES)
    .filter((f) => f.startsWith('virtual-service-'))
    .map((f): [string, ReturnType<typeof snapshot>] => [f, snapshot(sample(f))]),
];

const NAMED_LISTENERS = ['reviews:9080', 'ratings.default:9080', 'details', `${GrpcXds.serverListenerPrefix}127.0.0.11:50051`, `${GrpcXds.serverListenerPrefix}0.0.0.0:8080`];

describe('gRPC generator output: valid for Envoy (PGV) and for gRPC clients', () => {
  for (const [name, snap] of scenarios) {
    it(name, () => {
      const node = grpcNode();
      let count = 0;
      for (const typeUrl of [TypeUrls.listener, TypeUrls.route, TypeUrls.cluster, TypeUrls.endpoint]) {
        const out = [...generateGrpc(snap, node, typeUrl), ...(typeUrl === TypeUrls.listener ? generateGrpc(snap, node, typeUrl, NAMED_LISTENERS) : [])];
        for (const r of out) {
          count += 1;
          expect(checkPgv(envoyRoot(), typeUrl, r.resource), `${r.name}`).to.deep.equal([]);
          const verdict = grpcDecode(typeUrl, r.resource);
          expect(verdict.error, `${r.name}: ${verdict.error}`).to.equal(undefined);
          expect(verdict.name).to.equal(r.name);
        }
      }
      expect(count).to.be.greaterThan(10);
    });
  }
});

describe('gRPC generator: malformed config never throws and still gives valid output', () => {
  const garbage = yaml(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews, 5, null]
  http:
  - null
  - 5
  - {route: x}
  - {route: [null, {destination: null}, {destination: {host: 7}}]}
  - {match: [null, 5, {uri: 5, headers: x, withoutHeaders: [1]}], fault: x, retries: {attempts: x, retryOn: 5}, timeout: 5, route: [{destination: {host: reviews, port: {number: x}, subset: 5}, weight: "50"}]}
  - {fault: {abort: {httpStatus: 999}, delay: {fixedDelay: soon}}, retries: {attempts: -1}, route: [{destination: {host: reviews}}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec: {hosts: ratings, http: x}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: details, namespace: default}
spec:
  host: details
  trafficPolicy: {loadBalancer: x, connectionPool: {http: {http2MaxRequests: -1}, tcp: 5}, outlierDetection: {interval: 5, consecutive5xxErrors: x, maxEjectionPercent: 500}, portLevelSettings: [null, {port: 5}]}
  subsets: [null, {name: 5}, {name: v1, labels: x, trafficPolicy: 7}]`);
  it('garbage VirtualServices and DestinationRules', () => {
    const snap = snapshot(garbage);
    const node = grpcNode();
    for (const typeUrl of [TypeUrls.listener, TypeUrls.route, TypeUrls.cluster, TypeUrls.endpoint]) {
      for (const r of [...generateGrpc(snap, node, typeUrl), ...generateGrpc(snap, node, typeUrl, ['reviews:9080', '', ':', '::::', 'outbound|x|y|z', `${GrpcXds.serverListenerPrefix}[zz]:1`])]) {
        expect(checkPgv(envoyRoot(), typeUrl, r.resource), r.name).to.deep.equal([]);
        expect(grpcDecode(typeUrl, r.resource).error, r.name).to.equal(undefined);
      }
    }
  });
});
