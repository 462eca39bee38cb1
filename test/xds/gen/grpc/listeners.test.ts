import { expect } from 'chai';
import { generateGrpc } from '../../../../src/xds/gen/grpc/index.js';
import { TypeUrls, ExtensionTypeUrls, GrpcXds } from '../../../../src/core/constants.js';
import { decode, encode } from '../../../../src/xds/proto.js';
import { grpcDecode } from './grpc-accepts.js';
import { REVIEWS, grpcNode, snapshot } from './fixture.js';

describe('gRPC generator: listeners', () => {
  const snap = snapshot();
  const cases: Array<{ name: string; ns: string; requested: string; route?: string }> = [
    { name: 'FQDN with port', ns: 'default', requested: `${REVIEWS}:9080`, route: `${REVIEWS}:9080` },
    { name: 'short name in the node namespace', ns: 'default', requested: 'reviews:9080', route: `${REVIEWS}:9080` },
    { name: 'name.namespace', ns: 'other', requested: 'reviews.default:9080', route: `${REVIEWS}:9080` },
    { name: 'name.namespace.svc', ns: 'other', requested: 'reviews.default.svc:9080', route: `${REVIEWS}:9080` },
    { name: 'single-port service without port', ns: 'default', requested: 'reviews', route: `${REVIEWS}:9080` },
    { name: 'short name from another namespace', ns: 'other', requested: 'reviews:9080' },
    { name: 'unknown service', ns: 'default', requested: 'nope:9080' },
    { name: 'unknown port', ns: 'default', requested: 'reviews:9999' },
    { name: 'malformed port', ns: 'default', requested: 'reviews:99x' },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.requested}`, () => {
      const out = generateGrpc(snap, grpcNode(c.ns), TypeUrls.listener, [c.requested]);
      if (!c.route) {
        expect(out).to.deep.equal([]);
        return;
      }
      expect(out).to.have.length(1);
      expect(out[0]!.name).to.equal(c.requested);
      const verdict = grpcDecode(TypeUrls.listener, out[0]!.resource);
      expect(verdict.error, verdict.error).to.equal(undefined);
      expect(verdict.name).to.equal(c.requested);
      const hcm = (out[0]!.resource as any).api_listener.api_listener;
      expect(hcm['@type']).to.equal(ExtensionTypeUrls.httpConnectionManager);
      expect(hcm.rds.route_config_name).to.equal(c.route);
      expect(hcm.http_filters.map((f: any) => f.typed_config['@type'])).to.deep.equal([ExtensionTypeUrls.fault, ExtensionTypeUrls.router]);
    });
  }

  it('server listeners echo the bound address, route everything on, and gRPC servers accept them', () => {
    const name = `${GrpcXds.serverListenerPrefix}127.0.0.5:50051`;
    const [l] = generateGrpc(snap, grpcNode(), TypeUrls.listener, [name]);
    expect(l!.name).to.equal(name);
    const r = l!.resource as any;
    expect(r.address.socket_address).to.deep.equal({ address: '127.0.0.5', port_value: 50051 });
    const hcm = r.default_filter_chain.filters[0].typed_config;
    expect(hcm.http_filters.map((f: any) => f.name)).to.deep.equal([GrpcXds.routerFilter]);
    expect(hcm.route_config.virtual_hosts[0].routes[0].non_forwarding_action).to.deep.equal({});
    expect(grpcDecode(TypeUrls.listener, r).error).to.equal(undefined);
    expect(decode(TypeUrls.listener, encode(TypeUrls.listener, r))).to.have.property('name', name);
  });

  it('server listener names for IPv6 and malformed addresses', () => {
    const ok = generateGrpc(snap, grpcNode(), TypeUrls.listener, [`${GrpcXds.serverListenerPrefix}[::1]:8080`]);
    expect((ok[0]!.resource as any).address.socket_address).to.deep.equal({ address: '::1', port_value: 8080 });
    expect(generateGrpc(snap, grpcNode(), TypeUrls.listener, [`${GrpcXds.serverListenerPrefix}127.0.0.1`, `${GrpcXds.serverListenerPrefix}:80`])).to.deep.equal([]);
  });

  it('a wildcard subscription gets every service port in FQDN form', () => {
    expect(generateGrpc(snap, grpcNode(), TypeUrls.listener).map((l) => l.name)).to.deep.equal([
      'details.default.svc.cluster.local:9080',
      'ratings.default.svc.cluster.local:9080',
      `${REVIEWS}:9080`,
    ]);
  });

  it('services exported only to their namespace are invisible elsewhere', () => {
    const s = snapshot([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'private', namespace: 'team', annotations: { 'networking.istio.io/exportTo': '.' } }, spec: { ports: [{ name: 'grpc', port: 80 }] } }]);
    expect(generateGrpc(s, grpcNode('default'), TypeUrls.listener, ['private.team:80'])).to.deep.equal([]);
    expect(generateGrpc(s, grpcNode('team'), TypeUrls.listener, ['private:80'])).to.have.length(1);
  });
});
