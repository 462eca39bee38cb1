/**
 * A Sidecar's ingress listeners: the selected workload's inbound ports become the listeners' ports, and each one's
 * defaultEndpoint decides where its inbound cluster sends traffic (loopback, another port of the pod's own address,
 * a Unix socket, or the original destination).
 */
import { expect } from 'chai';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { ingressEndpoint } from '../../../src/xds/gen/sidecar-scope.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { validateObject } from '../../../src/validation/index.js';
import { PRODUCTPAGE, REVIEWS_V1, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

const SIDECAR = `
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: productpage-ingress, namespace: default }
spec:
  workloadSelector: { labels: { app: productpage } }
  ingress:
  - port: { number: 9080, protocol: HTTP, name: http }
    defaultEndpoint: 127.0.0.1:8080
  - port: { number: 9443, protocol: TCP, name: tcp }
    defaultEndpoint: 0.0.0.0:9444
  - port: { number: 7000, protocol: TCP, name: uds }
    defaultEndpoint: unix:///var/run/app.sock
  - port: { number: 7100, protocol: GRPC, name: grpc }
  - port: { number: 7200, protocol: HTTP, name: http-v6 }
    defaultEndpoint: '[::1]:7201'`;

function generated(id: string) {
  const snap = buildSnapshot([...bookinfo(), ...yamlObjects(SIDECAR)]);
  const clusters = generate(snap, proxy(id), TypeUrls.cluster);
  const listeners = generate(snap, proxy(id), TypeUrls.listener);
  expectValid(TypeUrls.cluster, clusters);
  expectValid(TypeUrls.listener, listeners);
  return { clusters, listeners };
}

describe('Sidecar ingress listeners', () => {
  it('the Sidecar is valid as written, without warnings', () => {
    expect(validateObject(yamlObjects(SIDECAR)[0])).to.deep.equal({ errors: [], warnings: [] });
  });

  it("the selected workload's inbound ports are the ingress ports, HTTP or TCP as declared", () => {
    const { listeners } = generated(PRODUCTPAGE);
    const chains = byName(listeners, 'virtualInbound').filter_chains;
    const ports = chains.filter((c: any) => c.name.startsWith('inbound|')).map((c: any) => [c.filter_chain_match.destination_port.value, c.filters.at(-1).name]);
    expect(ports).to.deep.equal([
      [7000, 'envoy.filters.network.tcp_proxy'],
      [7100, 'envoy.filters.network.http_connection_manager'],
      [7200, 'envoy.filters.network.http_connection_manager'],
      [9080, 'envoy.filters.network.http_connection_manager'],
      [9443, 'envoy.filters.network.tcp_proxy'],
    ]);
  });

  it("each defaultEndpoint picks the inbound cluster's target: loopback (IPv4 or IPv6), another port of the pod, a Unix socket, the original destination", () => {
    const { clusters } = generated(PRODUCTPAGE);
    const bind = { source_address: { address: '127.0.0.6', port_value: 0 } };
    const loopback = byName(clusters, 'inbound|9080||');
    expect(loopback).to.deep.include({ type: 'STATIC', upstream_bind_config: bind });
    expect(loopback.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address).to.deep.equal({ socket_address: { address: '127.0.0.1', port_value: 8080 } });
    const otherPort = byName(clusters, 'inbound|9443||');
    expect(otherPort).to.deep.include({ type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', original_dst_lb_config: { upstream_port_override: { value: 9444 } }, upstream_bind_config: bind });
    const socket = byName(clusters, 'inbound|7000||');
    expect(socket.type).to.equal('STATIC');
    expect(socket.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address).to.deep.equal({ pipe: { path: '/var/run/app.sock' } });
    expect(socket.upstream_bind_config).to.equal(undefined);
    // An IPv6 loopback is reached from the IPv6 twin of 127.0.0.6.
    expect(byName(clusters, 'inbound|7200||').upstream_bind_config).to.deep.equal({ source_address: { address: '::6', port_value: 0 } });
    const original = byName(clusters, 'inbound|7100||');
    expect(original).to.deep.include({ type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' });
    expect(original.original_dst_lb_config).to.equal(undefined);
    expect(original.typed_extension_protocol_options, 'gRPC upstream speaks HTTP/2').to.not.equal(undefined);
  });

  it('a workload the Sidecar does not select keeps the ports of its services', () => {
    const { clusters } = generated(REVIEWS_V1);
    const inbound = clusters.map((c) => c.name).filter((n) => n.startsWith('inbound|'));
    expect(inbound).to.deep.equal(['inbound|9080||']);
    expect(byName(clusters, 'inbound|9080||')).to.deep.include({ type: 'ORIGINAL_DST' });
  });

  it('reads every defaultEndpoint form the validator accepts, and nothing else', () => {
    expect(ingressEndpoint('127.0.0.1:8080')).to.deep.equal({ address: '127.0.0.1', port: 8080 });
    expect(ingressEndpoint('[::1]:8080')).to.deep.equal({ address: '::1', port: 8080 });
    for (const ep of ['0.0.0.0:8080', '[::]:8080', ':8080']) expect(ingressEndpoint(ep), ep).to.deep.equal({ portOverride: 8080 });
    expect(ingressEndpoint('unix:///sock')).to.deep.equal({ pipe: '/sock' });
    for (const bad of [undefined, '', 'unix://', '10.0.0.1:80', '127.0.0.1:0', '127.0.0.1:99999', 'localhost', 42]) expect(ingressEndpoint(bad), String(bad)).to.equal(undefined);
  });
});
