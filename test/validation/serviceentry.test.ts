import { expect } from 'chai';
import { validateObject } from '../../src/validation/index.js';
import { runTable, wrap, type Case } from './table.js';

const httpPort = { number: 80, name: 'http', protocol: 'HTTP' };
const tcpPort = { number: 27017, name: 'mongo', protocol: 'MONGO' };
const se = (more: Record<string, unknown>) => ({ hosts: ['api.example.com'], ports: [httpPort], resolution: 'DNS', location: 'MESH_EXTERNAL', ...more });

const cases: Case[] = [
  { name: 'external DNS service', in: se({}), valid: true },
  { name: 'hosts required', in: { ports: [httpPort] }, valid: false, error: 'spec.hosts: is required' },
  { name: 'hosts empty', in: se({ hosts: [] }), valid: false, error: 'spec.hosts' },
  { name: 'host * rejected', in: se({ hosts: ['*'] }), valid: false, error: 'spec.hosts[0]: hostname cannot be the wildcard' },
  { name: 'wildcard host with DNS and no endpoints', in: se({ hosts: ['*.example.com'] }), valid: false, error: 'hosts must be fully qualified' },
  { name: 'wildcard host with NONE', in: se({ hosts: ['*.example.com'], resolution: 'NONE' }), valid: true },
  { name: 'partial wildcard warns', in: se({ hosts: ['*foo.example.com'], resolution: 'NONE' }), valid: true, warning: 'partial wildcard' },
  { name: 'bad host', in: se({ hosts: ['a_b.example.com'] }), valid: false, error: 'spec.hosts[0]' },
  { name: 'spec is required', in: undefined, valid: false, error: 'spec: is required' },
  // addresses
  { name: 'addresses and CIDR with STATIC', in: se({ addresses: ['10.0.0.0/24', '192.168.1.1'], resolution: 'STATIC', endpoints: [{ address: '10.0.0.5' }] }), valid: true },
  { name: 'bad address', in: se({ addresses: ['10.0.0.300'] }), valid: false, error: 'spec.addresses[0]' },
  { name: 'bad CIDR', in: se({ addresses: ['10.0.0.0/40'], resolution: 'NONE' }), valid: false, error: 'not a valid CIDR' },
  { name: 'CIDR with DNS', in: se({ addresses: ['10.0.0.0/24'] }), valid: false, error: 'CIDR addresses are allowed only for NONE and STATIC' },
  // ports
  { name: 'port name required', in: se({ ports: [{ number: 80, protocol: 'HTTP' }] }), valid: false, error: 'spec.ports[0].name: is required' },
  { name: 'port number required', in: se({ ports: [{ name: 'http', protocol: 'HTTP' }] }), valid: false, error: 'spec.ports[0].number: is required' },
  { name: 'duplicate port numbers', in: se({ ports: [httpPort, { number: 80, name: 'http2', protocol: 'HTTP2' }] }), valid: false, error: 'spec.ports[1].number: port 80 already defined' },
  { name: 'duplicate port names', in: se({ ports: [httpPort, { number: 81, name: 'http', protocol: 'HTTP' }] }), valid: false, error: 'port name "http" already defined' },
  { name: 'bad port name', in: se({ ports: [{ number: 80, name: 'http_x', protocol: 'HTTP' }] }), valid: false, error: 'invalid port name' },
  { name: 'bad protocol', in: se({ ports: [{ number: 80, name: 'http', protocol: 'QUIC' }] }), valid: false, error: 'unsupported protocol' },
  { name: 'targetPort out of range', in: se({ ports: [{ ...httpPort, targetPort: 0 }] }), valid: false, error: 'targetPort' },
  { name: 'TCP port without addresses warns', in: se({ ports: [{ number: 3306, name: 'tcp', protocol: 'TCP' }] }), valid: true, warning: 'addresses are required' },
  { name: 'multiple hosts with TCP port', in: se({ hosts: ['a.example.com', 'b.example.com'], ports: [tcpPort], addresses: ['10.1.1.1'] }), valid: false, error: 'multiple hosts' },
  { name: 'multiple hosts with HTTP port', in: se({ hosts: ['a.example.com', 'b.example.com'] }), valid: true },
  // resolution and endpoints
  { name: 'bad resolution', in: se({ resolution: 'MAGIC' }), valid: false, error: 'spec.resolution: unsupported value' },
  { name: 'bad location', in: se({ location: 'MESH_OUTSIDE' }), valid: false, error: 'spec.location' },
  { name: 'NONE with endpoints', in: se({ resolution: 'NONE', endpoints: [{ address: '1.1.1.1' }] }), valid: false, error: 'endpoints cannot be set with resolution NONE' },
  { name: 'NONE with workloadSelector warns', in: se({ resolution: 'NONE', workloadSelector: { labels: { app: 'a' } } }), valid: true, warning: 'resolution is NONE' },
  { name: 'STATIC with endpoints', in: se({ resolution: 'STATIC', endpoints: [{ address: '10.0.0.1', ports: { http: 8080 }, labels: { version: 'v1' } }] }), valid: true },
  { name: 'STATIC endpoint with hostname', in: se({ resolution: 'STATIC', endpoints: [{ address: 'db.example.com' }] }), valid: false, error: 'spec.endpoints[0].address: "db.example.com" is not a valid IP address' },
  { name: 'STATIC endpoint port name unknown', in: se({ resolution: 'STATIC', endpoints: [{ address: '10.0.0.1', ports: { grpc: 8080 } }] }), valid: false, error: 'spec.endpoints[0].ports[grpc]: port name "grpc" is not defined' },
  { name: 'STATIC endpoint port out of range', in: se({ resolution: 'STATIC', endpoints: [{ address: '10.0.0.1', ports: { http: 0 } }] }), valid: false, error: 'ports[http]' },
  { name: 'STATIC endpoint without address', in: se({ resolution: 'STATIC', endpoints: [{ labels: { a: 'b' } }] }), valid: false, error: 'spec.endpoints[0].address: is required' },
  { name: 'STATIC unix endpoint', in: se({ resolution: 'STATIC', endpoints: [{ address: 'unix:///var/run/a.sock' }] }), valid: true },
  { name: 'STATIC unix endpoint relative', in: se({ resolution: 'STATIC', endpoints: [{ address: 'unix://a.sock' }] }), valid: false, error: 'absolute path' },
  { name: 'STATIC with workloadSelector', in: se({ resolution: 'STATIC', workloadSelector: { labels: { app: 'vm' } } }), valid: true },
  { name: 'STATIC with neither warns', in: se({ resolution: 'STATIC' }), valid: true, warning: 'no endpoints' },
  { name: 'workloadSelector and endpoints', in: se({ resolution: 'STATIC', workloadSelector: { labels: { app: 'vm' } }, endpoints: [{ address: '10.0.0.1' }] }), valid: false, error: 'only one of workloadSelector, endpoints' },
  { name: 'workloadSelector wildcard', in: se({ resolution: 'STATIC', workloadSelector: { labels: { app: 'v*' } } }), valid: false, error: 'wildcard' },
  { name: 'DNS endpoints with hostnames', in: se({ endpoints: [{ address: 'us.api.example.com' }, { address: 'eu.api.example.com' }] }), valid: true },
  { name: 'DNS endpoint bad address', in: se({ endpoints: [{ address: 'bad_host!' }] }), valid: false, error: 'not a valid FQDN or IP' },
  { name: 'DNS endpoint with a unix address', in: se({ endpoints: [{ address: 'unix:///var/run/foo.sock' }] }), valid: false, error: 'spec.endpoints[0].address: "unix:///var/run/foo.sock" is not a valid FQDN or IP address' },
  { name: 'DNS endpoint without address, with network', in: se({ endpoints: [{ network: 'remote' }] }), valid: false, error: 'spec.endpoints[0].address' },
  { name: 'DNS endpoint with IP and ports', in: se({ endpoints: [{ address: '10.0.0.1', ports: { http: 8080 } }] }), valid: true },
  { name: 'DNS_ROUND_ROBIN with two endpoints', in: se({ resolution: 'DNS_ROUND_ROBIN', endpoints: [{ address: 'a.com' }, { address: 'b.com' }] }), valid: false, error: 'at most 1 endpoint' },
  { name: 'DYNAMIC_DNS with a wildcard host', in: se({ resolution: 'DYNAMIC_DNS', hosts: ['*.example.com'] }), valid: true },
  { name: 'DYNAMIC_DNS with a gRPC port: proxyless gRPC warned', in: se({ resolution: 'DYNAMIC_DNS', hosts: ['*.example.com'], ports: [{ number: 50051, name: 'grpc', protocol: 'GRPC' }] }), valid: true, warning: 'spec.ports[0].protocol: proxyless gRPC clients get no configuration' },
  { name: 'DYNAMIC_DNS with addresses', in: se({ resolution: 'DYNAMIC_DNS', hosts: ['*.example.com'], addresses: ['10.0.0.1'] }), valid: false, error: 'spec.addresses: addresses cannot be set' },
  { name: 'DYNAMIC_DNS with endpoints', in: se({ resolution: 'DYNAMIC_DNS', hosts: ['*.example.com'], endpoints: [{ address: '10.0.0.1' }] }), valid: false, error: 'spec.endpoints: endpoints cannot be set' },
  { name: 'DYNAMIC_DNS needs wildcard hosts', in: se({ resolution: 'DYNAMIC_DNS' }), valid: false, error: 'must be wildcarded' },
  { name: 'DYNAMIC_DNS with TCP', in: se({ resolution: 'DYNAMIC_DNS', hosts: ['*.example.com'], ports: [tcpPort] }), valid: false, error: 'only HTTP, TLS, GRPC and HTTP2' },
  { name: 'exportTo ~', in: se({ exportTo: ['~'] }), valid: true },
  { name: 'exportTo ~ and others', in: se({ exportTo: ['~', '.'] }), valid: false, error: 'no one (~) and someone' },
  { name: 'exportTo duplicate', in: se({ exportTo: ['.', 'default'] }), valid: false, error: 'duplicate' },
];

runTable('ServiceEntry', cases);

describe('ServiceEntry validation: DYNAMIC_DNS', () => {
  it('is served by the dynamic forward proxy: no warning for HTTP, HTTP2 and TLS ports', () => {
    const ports = [httpPort, { number: 8443, name: 'tls', protocol: 'TLS' }, { number: 8080, name: 'h2', protocol: 'HTTP2' }];
    const r = validateObject(wrap('ServiceEntry', se({ resolution: 'DYNAMIC_DNS', hosts: ['*.example.com', '*.example.org'], ports })));
    expect(r.errors).to.deep.equal([]);
    expect(r.warnings).to.deep.equal([]);
  });
});
