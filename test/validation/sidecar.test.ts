import { expect } from 'chai';
import { validateObject } from '../../src/validation/index.js';
import { runTable, wrap, type Case } from './table.js';

const egress = (hosts: string[], more: Record<string, unknown> = {}) => ({ egress: [{ hosts, ...more }] });
const ingress = (l: Record<string, unknown>) => ({ ingress: [{ port: { number: 9080, protocol: 'HTTP', name: 'http' }, defaultEndpoint: '127.0.0.1:8080', ...l }] });

const cases: Case[] = [
  { name: 'namespace-wide egress', in: egress(['./*', 'istio-system/*']), valid: true },
  { name: 'egress bind: warned, not applied', in: { egress: [{ port: { number: 9080, protocol: 'HTTP', name: 'http' }, bind: '127.0.0.1', hosts: ['./*'] }] }, valid: true, warning: 'spec.egress[0]: mizzen does not apply bind and captureMode on egress listeners yet' },
  { name: 'empty Sidecar', in: {}, valid: false, error: 'empty Sidecar' },
  { name: 'egress host without namespace', in: egress(['reviews.default.svc.cluster.local']), valid: false, error: 'spec.egress[0].hosts[0]: host "reviews.default.svc.cluster.local" must be of the form namespace/dnsName' },
  { name: 'egress short host', in: egress(['default/reviews']), valid: false, error: 'short name' },
  { name: 'egress ~ namespace and */*', in: egress(['~/*', '*/*.example.com']), valid: true },
  { name: 'egress bad namespace', in: egress(['Not_OK/*']), valid: false, error: 'invalid namespace' },
  { name: 'egress partial wildcard', in: egress(['*/*foo.example.com']), valid: false, error: 'partial wildcard' },
  { name: 'egress empty hosts', in: egress([]), valid: false, error: 'spec.egress[0].hosts: an egress listener must have at least one host' },
  { name: 'egress hosts required', in: { egress: [{ port: { number: 80, protocol: 'HTTP', name: 'http' } }] }, valid: false, error: 'spec.egress[0].hosts: is required' },
  { name: 'egress duplicate host warns', in: egress(['./*', './*']), valid: true, warning: 'duplicate egress host' },
  { name: 'egress with port', in: egress(['./*'], { port: { number: 9080, protocol: 'HTTP', name: 'http' }, bind: '127.0.0.1', captureMode: 'NONE' }), valid: true },
  { name: 'egress bad capture mode', in: egress(['./*'], { captureMode: 'SOMETIMES' }), valid: false, error: 'captureMode: unsupported value' },
  { name: 'egress bad protocol', in: egress(['./*'], { port: { number: 9080, protocol: 'FTP' } }), valid: false, error: 'unsupported protocol' },
  { name: 'egress bad bind', in: egress(['./*'], { port: { number: 9080 }, bind: 'localhost' }), valid: false, error: 'spec.egress[0].bind' },
  { name: 'egress port 0 needs unix bind', in: egress(['./*'], { port: { number: 0, protocol: 'HTTP' } }), valid: false, error: 'unix domain socket' },
  { name: 'egress unix bind', in: egress(['./*'], { port: { number: 0, protocol: 'HTTP' }, bind: 'unix:///var/run/a.sock' }), valid: true },
  { name: 'catch-all egress not last', in: { egress: [{ hosts: ['./*'] }, { port: { number: 80 }, hosts: ['./*'] }] }, valid: false, error: 'must be the last one' },
  { name: 'duplicate egress ports', in: { egress: [{ port: { number: 80 }, hosts: ['./*'] }, { port: { number: 80 }, hosts: ['./*'] }] }, valid: false, error: 'spec.egress[1].port.number: ports of egress listeners must be unique' },
  // ingress
  { name: 'ingress listener', in: ingress({}), valid: true },
  { name: 'ingress tls: valid, with a warning that mizzen does not apply it yet', in: { ingress: [{ port: { number: 8443, protocol: 'HTTPS', name: 'https' }, defaultEndpoint: '127.0.0.1:8443', tls: { mode: 'SIMPLE', serverCertificate: '/c', privateKey: '/k' } }] }, valid: true, warning: 'spec.ingress[0].tls: mizzen does not apply TLS on ingress listeners yet' },
  { name: 'ingress bind: valid, with a warning', in: ingress({ bind: '0.0.0.0' }), valid: true, warning: 'spec.ingress[0]: mizzen does not apply bind and captureMode' },
  { name: 'inbound connection pool', in: { inboundConnectionPool: { tcp: { maxConnections: 10 } } }, valid: true },
  { name: 'ingress needs a port', in: { ingress: [{ defaultEndpoint: '127.0.0.1:8080' }] }, valid: false, error: 'spec.ingress[0].port: is required' },
  { name: 'ingress port out of range', in: ingress({ port: { number: 0, protocol: 'HTTP' } }), valid: false, error: 'spec.ingress[0].port.number' },
  { name: 'ingress bad defaultEndpoint host', in: ingress({ defaultEndpoint: '10.0.0.1:8080' }), valid: false, error: 'defaultEndpoint' },
  { name: 'ingress defaultEndpoint bad port', in: ingress({ defaultEndpoint: '127.0.0.1:http' }), valid: false, error: 'not a number' },
  { name: 'ingress defaultEndpoint IPv6 and unix', in: { ingress: [{ port: { number: 1, protocol: 'TCP' }, defaultEndpoint: '[::1]:80' }, { port: { number: 2, protocol: 'TCP' }, defaultEndpoint: 'unix:///a.sock' }] }, valid: true },
  { name: 'ingress duplicate ports', in: { ingress: [{ port: { number: 1 } }, { port: { number: 1 } }] }, valid: false, error: 'must be unique' },
  { name: 'ingress port name invalid', in: ingress({ port: { number: 9080, name: 'http_x', protocol: 'HTTP' } }), valid: false, error: 'invalid port name' },
  { name: 'ingress tls', in: ingress({ port: { number: 9443, protocol: 'HTTPS', name: 'https' }, tls: { mode: 'SIMPLE', serverCertificate: '/c', privateKey: '/k' } }), valid: true },
  { name: 'ingress tls ISTIO_MUTUAL', in: ingress({ port: { number: 9443, protocol: 'HTTPS', name: 'https' }, tls: { mode: 'ISTIO_MUTUAL' } }), valid: false, error: 'cannot be used in sidecar ingress' },
  { name: 'ingress tls on HTTP port', in: ingress({ tls: { mode: 'SIMPLE', serverCertificate: '/c', privateKey: '/k' } }), valid: false, error: 'only allowed on HTTPS/TLS ports' },
  { name: 'ingress tls credentialName', in: ingress({ port: { number: 9443, protocol: 'HTTPS' }, tls: { mode: 'SIMPLE', credentialName: 'x' } }), valid: false, error: 'credentialName: is not supported' },
  { name: 'ingress connection pool', in: ingress({ connectionPool: { http: { http1MaxPendingRequests: 10 } } }), valid: true },
  { name: 'ingress HTTP pool on TCP port warns', in: ingress({ port: { number: 9080, protocol: 'TCP' }, connectionPool: { http: { maxRetries: 1 } } }), valid: true, warning: 'only the TCP settings apply' },
  { name: 'inbound connection pool invalid', in: { inboundConnectionPool: { tcp: { maxConnections: -1 } } }, valid: false, error: 'spec.inboundConnectionPool.tcp.maxConnections' },
  // outbound traffic policy
  { name: 'REGISTRY_ONLY', in: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } }, valid: true },
  { name: 'bad mode', in: { outboundTrafficPolicy: { mode: 'BLOCK' } }, valid: false, error: 'spec.outboundTrafficPolicy.mode: unsupported value "BLOCK"' },
  // The mesh config's mode alone, as istiod says (the Sidecar API has no such value).
  { name: 'ALLOW_ANY_DYNAMIC_DNS is mesh-wide only', in: { outboundTrafficPolicy: { mode: 'ALLOW_ANY_DYNAMIC_DNS' } }, valid: false, error: 'spec.outboundTrafficPolicy.mode: ALLOW_ANY_DYNAMIC_DNS can be set only in the mesh config' },
  { name: 'egressProxy with ALLOW_ANY', in: { outboundTrafficPolicy: { mode: 'ALLOW_ANY', egressProxy: { host: 'egress.example.com', port: { number: 3128 } } } }, valid: true },
  { name: 'egressProxy with REGISTRY_ONLY', in: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY', egressProxy: { host: 'egress.example.com', port: { number: 3128 } } } }, valid: false, error: 'only be set with mode ALLOW_ANY' },
  { name: 'egressProxy needs port', in: { outboundTrafficPolicy: { mode: 'ALLOW_ANY', egressProxy: { host: 'egress.example.com' } } }, valid: false, error: 'egressProxy.port: is required' },
  // selector
  { name: 'workloadSelector', in: { workloadSelector: { labels: { app: 'ratings' } }, ...egress(['./*']) }, valid: true },
  { name: 'workloadSelector without labels warns', in: { workloadSelector: {}, ...egress(['./*']) }, valid: true, warning: 'without labels' },
  { name: 'workloadSelector wildcard', in: { workloadSelector: { labels: { app: '*' } }, ...egress(['./*']) }, valid: false, error: 'spec.workloadSelector.labels[app]' },
];

runTable('Sidecar', cases);

describe('Sidecar validation: outboundTrafficPolicy ALLOW_ANY_DYNAMIC_DNS', () => {
  it('is one error naming the mode, an egressProxy beside it not reported again', () => {
    const r = validateObject(wrap('Sidecar', { outboundTrafficPolicy: { mode: 'ALLOW_ANY_DYNAMIC_DNS', egressProxy: { host: 'egress.example.com', port: { number: 3128 } } } }));
    expect(r.errors).to.deep.equal(['spec.outboundTrafficPolicy.mode: ALLOW_ANY_DYNAMIC_DNS can be set only in the mesh config (meshConfig.outboundTrafficPolicy), not in a Sidecar']);
  });
});
