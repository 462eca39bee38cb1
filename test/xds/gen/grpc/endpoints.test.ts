import { expect } from 'chai';
import { generateGrpc } from '../../../../src/xds/gen/grpc/index.js';
import { buildAssignment } from '../../../../src/xds/gen/grpc/endpoints.js';
import { TypeUrls } from '../../../../src/core/constants.js';
import type { Endpoint } from '../../../../src/model/types.js';
import { grpcDecode } from './grpc-accepts.js';
import { REVIEWS, grpcNode, snapshot } from './fixture.js';

const cluster = (subset: string) => `outbound|9080|${subset}|${REVIEWS}`;
const addresses = (cla: any): string[] => cla.endpoints.flatMap((l: any) => l.lb_endpoints.map((e: any) => `${e.endpoint.address.socket_address.address}:${e.endpoint.address.socket_address.port_value}`));

describe('gRPC generator: endpoints', () => {
  const snap = snapshot();
  const cases: Array<{ subset: string; want: string[] }> = [
    { subset: '', want: ['127.0.0.11:50051', '127.0.0.13:50051', '127.0.0.14:50051', '127.0.0.12:50051'] },
    { subset: 'v1', want: ['127.0.0.11:50051'] },
    { subset: 'v2', want: ['127.0.0.12:50051'] },
    { subset: 'v3', want: ['127.0.0.13:50051', '127.0.0.14:50051'] },
  ];
  for (const c of cases) {
    it(`subset "${c.subset}": endpoints filtered by the subset labels, every locality set and weighted`, () => {
      const [cla] = generateGrpc(snap, grpcNode(), TypeUrls.endpoint, [cluster(c.subset)]);
      const r = cla!.resource as any;
      expect(r.cluster_name).to.equal(cluster(c.subset));
      expect(addresses(r)).to.deep.equal(c.want);
      for (const l of r.endpoints) {
        expect(l.locality).to.be.an('object');
        expect(l.load_balancing_weight.value).to.be.greaterThan(0);
      }
      const verdict = grpcDecode(TypeUrls.endpoint, r);
      expect(verdict.error, verdict.error).to.equal(undefined);
    });
  }

  it('localities from topology labels; a not-ready pod is UNHEALTHY', () => {
    const [cla] = generateGrpc(snap, grpcNode(), TypeUrls.endpoint, [cluster('')]);
    const r = cla!.resource as any;
    expect(r.endpoints.map((l: any) => l.locality)).to.deep.equal([{}, { region: 'eu', zone: 'eu-1' }]);
    const v3b = r.endpoints[0].lb_endpoints.find((e: any) => e.endpoint.address.socket_address.address === '127.0.0.14');
    expect(v3b.health_status).to.equal('UNHEALTHY');
  });

  it('hostnames are left out and duplicates merged (gRPC NACKs both); weights kept', () => {
    const ep = (address: string, weight = 1, locality = ''): Endpoint => ({ address, port: 80, servicePortName: 'grpc', labels: {}, locality, weight, healthy: true, tlsMode: 'disabled' });
    const r = buildAssignment('c', [ep('db.example.com'), ep('10.0.0.1', 3), ep('10.0.0.1', 3, 'r/z'), ep('::1', 0, 'r/z')]) as any;
    expect(addresses(r)).to.deep.equal(['10.0.0.1:80', '::1:80']);
    expect(r.endpoints.map((l: any) => l.load_balancing_weight.value)).to.deep.equal([3, 1]);
    expect(grpcDecode(TypeUrls.endpoint, r).error).to.equal(undefined);
  });

  it('an empty assignment for a cluster without endpoints; unknown clusters left out; wildcard covers every cluster', () => {
    const [cla] = generateGrpc(snap, grpcNode(), TypeUrls.endpoint, ['outbound|9080|v2|ratings.default.svc.cluster.local']);
    expect(cla!.resource).to.deep.equal({ cluster_name: 'outbound|9080|v2|ratings.default.svc.cluster.local', endpoints: [] });
    expect(generateGrpc(snap, grpcNode(), TypeUrls.endpoint, ['outbound|9080|nope|' + REVIEWS, 'x'])).to.deep.equal([]);
    expect(generateGrpc(snap, grpcNode(), TypeUrls.endpoint).map((c) => c.name)).to.include.members([cluster(''), cluster('v3'), 'outbound|9080||details.default.svc.cluster.local']);
  });

  it('other resource types give nothing', () => {
    expect(generateGrpc(snap, grpcNode(), 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret', ['x'])).to.deep.equal([]);
  });
});
