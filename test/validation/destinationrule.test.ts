import { expect } from 'chai';
import { validateObject } from '../../src/validation/index.js';
import { runTable, wrap, type Case } from './table.js';

const dr = (trafficPolicy: Record<string, unknown>, more: Record<string, unknown> = {}) => ({ host: 'reviews', trafficPolicy, ...more });
const lb = (loadBalancer: Record<string, unknown>, more: Record<string, unknown> = {}) => dr({ loadBalancer, ...more });
const pool = (connectionPool: Record<string, unknown>) => dr({ connectionPool });
const outlier = (outlierDetection: Record<string, unknown>) => dr({ outlierDetection });
const tls = (t: Record<string, unknown>) => dr({ tls: t });

const cases: Case[] = [
  { name: 'host only', in: { host: 'reviews' }, valid: true },
  { name: 'host required', in: { subsets: [{ name: 'v1' }] }, valid: false, error: 'spec.host: is required' },
  { name: 'wildcard host', in: { host: '*.example.com' }, valid: true },
  { name: 'invalid host', in: { host: 'a..b' }, valid: false, error: 'spec.host' },
  // subsets
  { name: 'subsets', in: { host: 'r', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2-mysql', labels: { version: 'v2-mysql' } }] }, valid: true },
  { name: 'subset without labels (allowed)', in: { host: 'r', subsets: [{ name: 'all' }] }, valid: true },
  { name: 'subset name required', in: { host: 'r', subsets: [{ labels: { a: 'b' } }] }, valid: false, error: 'spec.subsets[0].name: is required' },
  { name: 'subset name invalid', in: { host: 'r', subsets: [{ name: 'v1.0' }] }, valid: false, error: 'spec.subsets[0].name: subset name "v1.0" is invalid' },
  { name: 'duplicate subset names', in: { host: 'r', subsets: [{ name: 'v1' }, { name: 'v1' }] }, valid: false, error: 'spec.subsets[1].name: duplicate subset name' },
  { name: 'subset label value invalid', in: { host: 'r', subsets: [{ name: 'v1', labels: { version: 'v 1' } }] }, valid: false, error: 'spec.subsets[0].labels[version]: invalid label value' },
  { name: 'subset traffic policy', in: { host: 'r', subsets: [{ name: 'v1', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }] }, valid: true },
  { name: 'subset traffic policy invalid', in: { host: 'r', subsets: [{ name: 'v1', trafficPolicy: { loadBalancer: { simple: 'FASTEST' } } }] }, valid: false, error: 'spec.subsets[0].trafficPolicy.loadBalancer.simple: unsupported value' },
  { name: 'empty traffic policy', in: dr({}), valid: false, error: 'traffic policy must have at least one field' },
  // load balancer
  { name: 'simple LEAST_REQUEST', in: lb({ simple: 'LEAST_REQUEST' }), valid: true },
  { name: 'simple and consistentHash', in: lb({ simple: 'RANDOM', consistentHash: { useSourceIp: true } }), valid: false, error: 'only one of simple, consistentHash' },
  { name: 'consistentHash by header', in: lb({ consistentHash: { httpHeaderName: 'x-user' } }), valid: true },
  { name: 'consistentHash by cookie', in: lb({ consistentHash: { httpCookie: { name: 'user', ttl: '0s' } } }), valid: true },
  { name: 'consistentHash cookie needs a name', in: lb({ consistentHash: { httpCookie: { ttl: '10s' } } }), valid: false, error: 'httpCookie.name: is required' },
  { name: 'consistentHash cookie bad ttl', in: lb({ consistentHash: { httpCookie: { name: 'u', ttl: 'soon' } } }), valid: false, error: 'httpCookie.ttl' },
  { name: 'consistentHash two keys', in: lb({ consistentHash: { httpHeaderName: 'x', useSourceIp: true } }), valid: false, error: 'only one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName' },
  { name: 'consistentHash no key warns', in: lb({ consistentHash: { ringHash: { minimumRingSize: 1024 } } }), valid: true, warning: 'no hash key' },
  { name: 'consistentHash query parameter with maglev', in: lb({ consistentHash: { httpQueryParameterName: 'u', maglev: { tableSize: 65537 } } }), valid: true },
  { name: 'maglev table size not prime', in: lb({ consistentHash: { useSourceIp: true, maglev: { tableSize: 1000 } } }), valid: false, error: 'maglev.tableSize: 1000 is not a prime' },
  { name: 'maglev table size unset', in: lb({ consistentHash: { useSourceIp: true, maglev: {} } }), valid: false, error: 'must be set for maglev' },
  { name: 'ringHash and maglev', in: lb({ consistentHash: { useSourceIp: true, maglev: { tableSize: 7 }, ringHash: {} } }), valid: false, error: 'only one of ringHash, maglev' },
  { name: 'deprecated minimumRingSize warns', in: lb({ consistentHash: { useSourceIp: true, minimumRingSize: 10 } }), valid: true, warning: 'deprecated' },
  { name: 'minimumRingSize with ringHash', in: lb({ consistentHash: { useSourceIp: true, minimumRingSize: 10, ringHash: { minimumRingSize: 10 } } }), valid: false, error: 'only one of minimumRingSize' },
  { name: 'duplicate cookie attributes', in: lb({ consistentHash: { httpCookie: { name: 'u', attributes: [{ name: 'a' }, { name: 'a' }] } } }), valid: false, error: 'duplicate cookie attribute' },
  { name: 'backendUtilization', in: lb({ backendUtilization: { errorUtilizationPenaltyPercent: 100, metricNamesForComputingUtilization: ['cpu'], weightUpdatePeriod: '1s' } }), valid: true },
  { name: 'backendUtilization with simple', in: lb({ simple: 'RANDOM', backendUtilization: {} }), valid: false, error: 'only one of simple, consistentHash, backendUtilization' },
  { name: 'backendUtilization bad period', in: lb({ backendUtilization: { weightExpirationPeriod: '3 minutes' } }), valid: false, error: 'backendUtilization.weightExpirationPeriod' },
  // locality
  { name: 'locality distribute', in: lb({ localityLbSetting: { distribute: [{ from: 'us-west/zone1/*', to: { 'us-west/zone1/*': 80, 'us-west/zone2/*': 20 } }] } }), valid: true },
  { name: 'locality weights not summing to 100', in: lb({ localityLbSetting: { distribute: [{ from: 'a/*', to: { 'a/b': 50, 'a/c': 20 } }] } }), valid: false, error: 'total locality weight 70 != 100' },
  { name: 'locality weight out of range', in: lb({ localityLbSetting: { distribute: [{ from: 'a', to: { a: 0, b: 100 } }] } }), valid: false, error: 'locality weight must be in range 1..100' },
  { name: 'locality distribute and failover', in: lb({ localityLbSetting: { distribute: [{ from: 'a', to: { a: 100 } }], failover: [{ from: 'a', to: 'b' }] } }), valid: false, error: 'cannot set both distribute and failover' },
  { name: 'locality failover', in: lb({ localityLbSetting: { failover: [{ from: 'us-east', to: 'eu-west' }] } }, { outlierDetection: { consecutive5xxErrors: 5 } }), valid: true },
  { name: 'locality failover without outlier warns', in: lb({ localityLbSetting: { failover: [{ from: 'us-east', to: 'eu-west' }] } }), valid: true, warning: 'outlier detection' },
  { name: 'locality failover same region', in: lb({ localityLbSetting: { failover: [{ from: 'a', to: 'a' }] } }), valid: false, error: 'different region' },
  { name: 'locality failover with zone', in: lb({ localityLbSetting: { failover: [{ from: 'a/z', to: 'b' }] } }), valid: false, error: 'only specifies regions' },
  { name: 'locality wildcard in the middle', in: lb({ localityLbSetting: { distribute: [{ from: 'a/*/c', to: { b: 100 } }] } }), valid: false, error: "wildcard '*'" },
  { name: 'locality failoverPriority with failover and topology label', in: lb({ localityLbSetting: { failover: [{ from: 'a', to: 'b' }], failoverPriority: ['topology.kubernetes.io/region'] } }), valid: false, error: 'failoverPriority[0]' },
  { name: 'failoverPriority without outlier detection: warned', in: lb({ localityLbSetting: { failoverPriority: ['topology.istio.io/network'] } }), valid: true, warning: 'localityLbSetting: outlier detection policy must be provided for failover' },
  { name: 'zoneAwareLbSetting: applied, no warning', in: lb({ zoneAwareLbSetting: { enabled: true, minClusterSize: 3 } }), valid: true },
  { name: 'zoneAwareLbSetting empty: all defaults', in: lb({ zoneAwareLbSetting: {} }), valid: true },
  { name: 'zoneAware failover', in: lb({ zoneAwareLbSetting: { failover: [{ from: 'us-east', to: 'eu-west' }], failoverPriority: ['version'] } }, { outlierDetection: { consecutive5xxErrors: 5 } }), valid: true },
  { name: 'zoneAware failover without outlier warns', in: lb({ zoneAwareLbSetting: { failover: [{ from: 'us-east', to: 'eu-west' }] } }), valid: true, warning: 'zoneAwareLbSetting: outlier detection policy must be provided' },
  { name: 'zoneAware failover same region', in: lb({ zoneAwareLbSetting: { failover: [{ from: 'a', to: 'a' }] } }), valid: false, error: 'zone aware lb failover must go to a different region' },
  { name: 'zoneAware failoverPriority with a topology label', in: lb({ zoneAwareLbSetting: { failoverPriority: ['topology.kubernetes.io/zone'] } }, { outlierDetection: {} }), valid: false, error: 'failoverPriority[0]: must not use topology label' },
  { name: 'zoneAware minClusterSize 0', in: lb({ zoneAwareLbSetting: { minClusterSize: 0 } }), valid: false, error: 'minClusterSize: 0 is out of range' },
  { name: 'zoneAware minClusterSize not a number', in: lb({ zoneAwareLbSetting: { minClusterSize: 'six' } }), valid: false, error: 'minClusterSize' },
  { name: 'zoneAware enabled not a bool', in: lb({ zoneAwareLbSetting: { enabled: 'yes' } }), valid: false, error: 'zoneAwareLbSetting.enabled' },
  { name: 'zoneAware not a mapping', in: lb({ zoneAwareLbSetting: [] }), valid: false, error: 'zoneAwareLbSetting' },
  { name: 'locality and zoneAware', in: lb({ localityLbSetting: { enabled: true }, zoneAwareLbSetting: { enabled: true } }), valid: false, error: 'only one of localityLbSetting and zoneAwareLbSetting' },
  // warmup
  { name: 'warmupDurationSecs', in: lb({ simple: 'ROUND_ROBIN', warmupDurationSecs: '60s' }), valid: true },
  { name: 'warmupDurationSecs bad', in: lb({ warmupDurationSecs: '60' }), valid: false, error: 'warmupDurationSecs: invalid duration' },
  { name: 'warmup', in: lb({ warmup: { duration: '30s', minimumPercent: 10, aggression: 1.5 } }), valid: true },
  { name: 'warmup needs duration', in: lb({ warmup: { minimumPercent: 10 } }), valid: false, error: 'warmup.duration: is required' },
  { name: 'warmup minimumPercent > 100', in: lb({ warmup: { duration: '1s', minimumPercent: 150 } }), valid: false, error: 'warmup.minimumPercent' },
  { name: 'warmup aggression 0', in: lb({ warmup: { duration: '1s', aggression: 0 } }), valid: false, error: 'aggression: must be greater than 0' },
  // connection pool
  { name: 'connection pool', in: pool({ tcp: { maxConnections: 100, connectTimeout: '30ms', tcpKeepalive: { time: '7200s', interval: '75s', probes: 9 } }, http: { http1MaxPendingRequests: 10, http2MaxRequests: 100, maxRequestsPerConnection: 10, maxRetries: 3, idleTimeout: '1m', h2UpgradePolicy: 'UPGRADE' } }), valid: true },
  { name: 'connection pool empty', in: pool({}), valid: false, error: 'at least one of tcp or http' },
  { name: 'negative maxConnections', in: pool({ tcp: { maxConnections: -1 } }), valid: false, error: 'tcp.maxConnections: must not be negative' },
  { name: 'negative http2MaxRequests', in: pool({ http: { http2MaxRequests: -5 } }), valid: false, error: 'http.http2MaxRequests' },
  { name: 'bad connectTimeout', in: pool({ tcp: { connectTimeout: '0s' } }), valid: false, error: 'tcp.connectTimeout: duration must be at least 1ms' },
  { name: 'tcp idleTimeout 0 disables', in: pool({ tcp: { idleTimeout: '0s' } }), valid: true },
  { name: 'tcp idleTimeout under 1ms counts as 0', in: pool({ tcp: { idleTimeout: '500us' } }), valid: true },
  { name: 'tcp idleTimeout finer than ms', in: pool({ tcp: { idleTimeout: '1.5ms' } }), valid: false, error: 'tcp.idleTimeout: only durations to ms precision' },
  { name: 'tcp idleTimeout malformed', in: pool({ tcp: { idleTimeout: 'soon' } }), valid: false, error: 'tcp.idleTimeout: invalid duration' },
  { name: 'upgrade with useClientProtocol', in: pool({ http: { h2UpgradePolicy: 'UPGRADE', useClientProtocol: true } }), valid: false, error: 'useClientProtocol' },
  { name: 'bad h2UpgradePolicy', in: pool({ http: { h2UpgradePolicy: 'MAYBE' } }), valid: false, error: 'h2UpgradePolicy: unsupported value' },
  { name: 'http2KeepAlive needs both', in: pool({ http: { http2KeepAlive: { interval: '10s' } } }), valid: false, error: 'http2KeepAlive.timeout: is required' },
  { name: 'maxConnections out of int32', in: pool({ tcp: { maxConnections: 2 ** 31 } }), valid: false, error: 'out of range' },
  // outlier detection
  { name: 'outlier detection', in: outlier({ consecutive5xxErrors: 7, interval: '5m', baseEjectionTime: '15m', maxEjectionPercent: 100, minHealthPercent: 50 }), valid: true },
  { name: 'maxEjectionPercent > 100', in: outlier({ maxEjectionPercent: 101 }), valid: false, error: 'maxEjectionPercent: percentage 101' },
  { name: 'minHealthPercent < 0', in: outlier({ minHealthPercent: -1 }), valid: false, error: 'minHealthPercent' },
  { name: 'negative consecutive5xxErrors', in: outlier({ consecutive5xxErrors: -1 }), valid: false, error: 'consecutive5xxErrors' },
  { name: 'deprecated consecutiveErrors warns', in: outlier({ consecutiveErrors: 5 }), valid: true, warning: 'deprecated' },
  { name: 'local origin failures without split', in: outlier({ consecutiveLocalOriginFailures: 5 }), valid: false, error: 'splitExternalLocalOriginErrors' },
  { name: 'bad interval', in: outlier({ interval: '1x' }), valid: false, error: 'outlierDetection.interval' },
  { name: 'http error codes: warned, not applied', in: outlier({ outlierDetectionHttpErrorCodes: [503] }), valid: true, warning: 'outlierDetectionHttpErrorCodes: not applied by mizzen' },
  { name: 'http error codes out of range', in: outlier({ outlierDetectionHttpErrorCodes: [503, 700] }), valid: false, error: 'outlierDetectionHttpErrorCodes[1]' },
  // tls
  { name: 'tls ISTIO_MUTUAL', in: tls({ mode: 'ISTIO_MUTUAL' }), valid: true },
  { name: 'tls ISTIO_MUTUAL warns that sidecars need mesh certificates for it', in: tls({ mode: 'ISTIO_MUTUAL' }), valid: true, warning: 'spec.trafficPolicy.tls.mode: Envoy sidecars send this over mTLS only when injected with mesh certificates' },
  { name: 'tls MUTUAL with credentialName warns that it stays plaintext from sidecars', in: tls({ mode: 'MUTUAL', credentialName: 'c' }), valid: true, warning: 'credentialName: mizzen serves credentialName to gateways and to sidecars with mesh certificates (the mTLS install): from other sidecars this traffic stays plaintext' },
  { name: 'tls SIMPLE with credentialName warns about the CA', in: tls({ mode: 'SIMPLE', credentialName: 'c' }), valid: true, warning: "the system's CAs instead" },
  { name: 'tls SIMPLE', in: tls({ mode: 'SIMPLE', sni: 'a.com' }), valid: true },
  { name: 'tls bad mode', in: tls({ mode: 'STRICT' }), valid: false, error: 'tls.mode: unsupported value "STRICT"' },
  { name: 'tls MUTUAL with files', in: tls({ mode: 'MUTUAL', clientCertificate: '/c.pem', privateKey: '/k.pem', caCertificates: '/ca.pem' }), valid: true },
  { name: 'tls MUTUAL with credentialName', in: tls({ mode: 'MUTUAL', credentialName: 'client-secret' }), valid: true },
  { name: 'tls MUTUAL without client cert', in: tls({ mode: 'MUTUAL', privateKey: '/k.pem' }), valid: false, error: 'tls.clientCertificate: is required' },
  { name: 'tls MUTUAL without key', in: tls({ mode: 'MUTUAL', clientCertificate: '/c.pem' }), valid: false, error: 'tls.privateKey' },
  { name: 'tls credentialName with files', in: tls({ mode: 'SIMPLE', credentialName: 's', caCertificates: '/ca.pem' }), valid: false, error: 'when credentialName is set' },
  { name: 'tls insecureSkipVerify with CA', in: tls({ mode: 'SIMPLE', insecureSkipVerify: true, caCertificates: '/ca.pem' }), valid: false, error: 'insecureSkipVerify' },
  { name: 'tls ISTIO_MUTUAL with certs warns', in: tls({ mode: 'ISTIO_MUTUAL', clientCertificate: '/c.pem' }), valid: true, warning: 'ignored' },
  // port level settings
  { name: 'port level settings', in: dr({ portLevelSettings: [{ port: { number: 80 }, loadBalancer: { simple: 'LEAST_REQUEST' } }, { port: { number: 443 }, tls: { mode: 'SIMPLE' } }] }), valid: true },
  { name: 'port level settings need a port', in: dr({ portLevelSettings: [{ loadBalancer: { simple: 'RANDOM' } }] }), valid: false, error: 'portLevelSettings[0].port: is required' },
  { name: 'port level settings with an empty port (not checked, as Istio)', in: dr({ portLevelSettings: [{ port: {}, loadBalancer: { simple: 'ROUND_ROBIN' } }] }), valid: true },
  { name: 'port level settings port number is not range-checked (as Istio)', in: dr({ portLevelSettings: [{ port: { number: 0 }, tls: { mode: 'SIMPLE' } }] }), valid: true },
  { name: 'port level settings need a field', in: dr({ portLevelSettings: [{ port: { number: 80 } }] }), valid: false, error: 'port traffic policy must have at least one field' },
  { name: 'port level settings duplicate port warns', in: dr({ portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'SIMPLE' } }, { port: { number: 80 }, tls: { mode: 'DISABLE' } }] }), valid: true, warning: 'port 80 already has settings' },
  { name: 'port level settings unknown field', in: dr({ portLevelSettings: [{ port: { number: 80 }, tunnel: {} }] }), valid: false, error: 'portLevelSettings[0].tunnel: unknown field' },
  // tunnel, proxy protocol
  { name: 'tunnel', in: dr({ tunnel: { protocol: 'CONNECT', targetHost: 'proxy.example.com', targetPort: 8443 } }), valid: true, warning: 'tunnel: mizzen sets up no tunnels' },
  { name: 'tunnel bad protocol', in: dr({ tunnel: { protocol: 'GET', targetHost: '10.0.0.1', targetPort: 8443 } }), valid: false, error: 'tunnel.protocol' },
  { name: 'tunnel needs target', in: dr({ tunnel: { protocol: 'POST' } }), valid: false, error: 'tunnel.targetHost: is required' },
  { name: 'tunnel with proxyProtocol', in: dr({ tunnel: { targetHost: 'a.com', targetPort: 1 }, proxyProtocol: { version: 'V1' } }), valid: false, error: 'tunnel and proxyProtocol' },
  // retry budget
  { name: 'retryBudget applies', in: dr({ retryBudget: { percent: 10, minRetryConcurrency: 2 } }), valid: true },
  { name: 'retryBudget budgetInterval: warned, not applied', in: dr({ retryBudget: { percent: 10, budgetInterval: '10s' } }), valid: true, warning: 'retryBudget.budgetInterval: not applied by mizzen' },
  { name: 'retryBudget percent out of range', in: dr({ retryBudget: { percent: 120 } }), valid: false, error: 'retryBudget.percent' },
  { name: 'retryBudget not in port level settings', in: dr({ portLevelSettings: [{ port: { number: 80 }, retryBudget: {} }] }), valid: false, error: 'portLevelSettings[0].retryBudget: unknown field' },
  // exportTo and workload selector
  { name: 'workloadSelector with local exportTo', in: { host: 'r', workloadSelector: { matchLabels: { app: 'r' } }, exportTo: ['.'] }, valid: true },
  { name: 'workloadSelector exported elsewhere', in: { host: 'r', workloadSelector: { matchLabels: { app: 'r' } }, exportTo: ['other'] }, valid: false, error: 'beyond its own namespace' },
  { name: 'workloadSelector wildcard', in: { host: 'r', workloadSelector: { matchLabels: { app: 'r*' } } }, valid: false, error: 'wildcard not allowed' },
  { name: 'workloadSelector without labels warns', in: { host: 'r', workloadSelector: {} }, valid: true, warning: 'without labels' },
];

runTable('DestinationRule', cases);

describe('DestinationRule validation: failoverPriority', () => {
  it('applied with outlier detection, key-only and key=value alike, topology labels too: neither errors nor warnings', () => {
    const spec = lb({ localityLbSetting: { failoverPriority: ['topology.istio.io/network', 'topology.kubernetes.io/region', 'version=v1', 'topology.istio.io/cluster=Kubernetes'] } }, { outlierDetection: { consecutive5xxErrors: 3 } });
    const r = validateObject(wrap('DestinationRule', spec));
    expect(r.errors).to.deep.equal([]);
    expect(r.warnings).to.deep.equal([]);
  });

  it('retryBudget without budgetInterval is applied: no warning', () => {
    const r = validateObject(wrap('DestinationRule', dr({ retryBudget: { percent: 10, minRetryConcurrency: 2 } }, { subsets: [{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: { retryBudget: {} } }] })));
    expect([r.errors, r.warnings]).to.deep.equal([[], []]);
  });
});
