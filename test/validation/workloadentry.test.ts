import { runTable, type Case } from './table.js';

runTable('WorkloadEntry', [
  { name: 'VM workload', in: { address: '10.0.0.5', ports: { http: 8080 }, labels: { app: 'ratings', version: 'v2-mysql-vm' }, serviceAccount: 'bookinfo-ratings', network: 'vm-net', weight: 1 }, valid: true, warning: 'spec.network: mizzen routes no traffic between networks' },
  { name: 'DNS address', in: { address: 'vm1.example.com' }, valid: true },
  { name: 'spec required', in: undefined, valid: false, error: 'spec: is required' },
  { name: 'address required', in: { labels: { app: 'a' } }, valid: false, error: 'spec.address: is required' },
  { name: 'network without address warns', in: { network: 'remote' }, valid: true, warning: 'address is unset' },
  { name: 'bad address', in: { address: 'not a host' }, valid: false, error: 'spec.address' },
  { name: 'unix address', in: { address: 'unix:///var/run/app.sock' }, valid: true },
  { name: 'unix address with ports', in: { address: 'unix:///var/run/app.sock', ports: { http: 80 } }, valid: false, error: 'must not include ports' },
  { name: 'unix address relative', in: { address: 'unix://app.sock' }, valid: false, error: 'absolute path' },
  { name: 'port out of range', in: { address: '10.0.0.5', ports: { http: 70000 } }, valid: false, error: 'spec.ports[http]' },
  { name: 'port name invalid', in: { address: '10.0.0.5', ports: { 'http_x': 80 } }, valid: false, error: 'spec.ports[http_x]: invalid port name' },
  { name: 'port as string', in: { address: '10.0.0.5', ports: { http: '80' } }, valid: false, error: 'spec.ports[http]: must be an integer' },
  { name: 'bad label', in: { address: '10.0.0.5', labels: { app: 'has space' } }, valid: false, error: 'spec.labels[app]' },
  { name: 'negative weight', in: { address: '10.0.0.5', weight: -1 }, valid: false, error: 'spec.weight' },
  { name: 'too long serviceAccount', in: { address: '10.0.0.5', serviceAccount: 'a'.repeat(254) }, valid: false, error: 'spec.serviceAccount: must be at most 253' },
] satisfies Case[]);

runTable('WorkloadGroup', [
  { name: 'group with probe', in: { metadata: { labels: { app: 'ratings' } }, template: { serviceAccount: 'ratings', ports: { http: 9080 } }, probe: { periodSeconds: 5, httpGet: { path: '/ready', port: 9080, scheme: 'HTTP' } } }, valid: true, warning: 'spec: mizzen does not auto-register workloads' },
  { name: 'template required', in: { metadata: { labels: { app: 'x' } } }, valid: false, error: 'spec.template: is required' },
  { name: 'bad metadata labels', in: { metadata: { labels: { 'bad key!': 'x' } }, template: {} }, valid: false, error: 'spec.metadata.labels[bad key!]' },
  { name: 'tcp probe', in: { template: {}, probe: { tcpSocket: { port: 3306 } } }, valid: true },
  { name: 'exec probe', in: { template: {}, probe: { exec: { command: ['cat', '/ready'] } } }, valid: true },
  { name: 'exec probe empty command', in: { template: {}, probe: { exec: { command: [] } } }, valid: false, error: 'exec.command' },
  { name: 'two probe methods', in: { template: {}, probe: { tcpSocket: { port: 1 }, exec: { command: ['x'] } } }, valid: false, error: 'only one of httpGet, tcpSocket, exec, grpc' },
  { name: 'probe without method', in: { template: {}, probe: { periodSeconds: 5 } }, valid: false, error: 'one of httpGet, tcpSocket or exec is required' },
  { name: 'grpc probe (in the CRD, unknown to Istio\'s webhook)', in: { template: { serviceAccount: 'sa' }, probe: { grpc: { port: 8080 } } }, valid: false, error: 'spec.probe.grpc: ' },
  { name: 'probe port out of range', in: { template: {}, probe: { httpGet: { port: 0 } } }, valid: false, error: 'spec.probe.httpGet.port' },
  { name: 'probe bad scheme', in: { template: {}, probe: { httpGet: { port: 80, scheme: 'FTP' } } }, valid: false, error: 'scheme' },
  { name: 'probe negative period', in: { template: {}, probe: { periodSeconds: -1, tcpSocket: { port: 1 } } }, valid: false, error: 'spec.probe.periodSeconds' },
  { name: 'probe bad header name', in: { template: {}, probe: { httpGet: { port: 80, httpHeaders: [{ name: 'a b', value: 'x' }] } } }, valid: false, error: 'httpHeaders[0].name' },
  { name: 'probe header name with underscore', in: { template: {}, probe: { httpGet: { port: 8080, httpHeaders: [{ name: 'X_Custom', value: 'a' }] } } }, valid: false, error: 'spec.probe.httpGet.httpHeaders[0].name: header name "X_Custom"' },
  { name: 'probe header name with dash', in: { template: {}, probe: { httpGet: { port: 8080, httpHeaders: [{ name: 'X-Custom', value: 'a' }] } } }, valid: true },
  { name: 'template port invalid', in: { template: { ports: { http: 0 } } }, valid: false, error: 'spec.template.ports[http]' },
] satisfies Case[]);
