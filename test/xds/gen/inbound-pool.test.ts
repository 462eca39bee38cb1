/**
 * Connection pools on the receiving side, as istiod sets them: a sidecar's inbound cluster takes the connection pool
 * (and retry budget) of its service's DestinationRule for that service port, unless its Sidecar sets one
 * (`inboundConnectionPool`, or an ingress listener's `connectionPool` for its port, which wins).
 */
import { expect } from 'chai';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { validateObject } from '../../../src/validation/index.js';
import { REVIEWS_V1, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

const INBOUND = 'inbound|9080||';
const UNLIMITED = 4294967295;

function inbound(yaml: string, id = REVIEWS_V1): any {
  const clusters = generate(buildSnapshot([...bookinfo(), ...yamlObjects(yaml)]), proxy(id), TypeUrls.cluster);
  expectValid(TypeUrls.cluster, clusters);
  return byName(clusters, INBOUND);
}

const rule = (trafficPolicy: string, extra = ''): string => `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: default }
spec:
  host: reviews
  trafficPolicy: ${trafficPolicy}
${extra}`;

/** The reviews workload's Sidecar with an inboundConnectionPool, and `ingress` (YAML lines under spec) if given. */
const sidecar = (ingress = '') => `
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: reviews, namespace: default }
spec:
  workloadSelector: { labels: { app: reviews } }
  inboundConnectionPool: { tcp: { maxConnections: 20 } }
${ingress}`;

const limits = (c: any) => {
  const t = c.circuit_breakers.thresholds[0];
  return [t.max_connections.value, t.max_pending_requests.value, t.max_requests.value, t.max_retries.value];
};

describe('inbound connection pools (DestinationRule and Sidecar)', () => {
  it("without a rule or a Sidecar pool, the inbound cluster keeps Envoy's unlimited defaults", () => {
    const c = inbound('');
    expect(limits(c)).to.deep.equal([UNLIMITED, UNLIMITED, UNLIMITED, UNLIMITED]);
    expect(c.connect_timeout).to.deep.equal({ seconds: 10, nanos: 0 });
    expect(c.typed_extension_protocol_options).to.equal(undefined);
  });

  it("the service's DestinationRule sets the receiving side too: limits, connect timeout, keepalive, idle timeout, retry budget; h2UpgradePolicy stays outbound", () => {
    const c = inbound(
      rule(`{ retryBudget: { percent: 30 }, connectionPool: {
    tcp: { maxConnections: 100, connectTimeout: 3s, tcpKeepalive: { time: 60s } },
    http: { http1MaxPendingRequests: 10, http2MaxRequests: 50, maxRetries: 2, idleTimeout: 30s, h2UpgradePolicy: UPGRADE } } }`),
    );
    expect(limits(c)).to.deep.equal([100, 10, 50, 2]);
    expect(c.circuit_breakers.thresholds[0].retry_budget).to.deep.equal({ budget_percent: { value: 30 }, min_retry_concurrency: { value: 3 } });
    expect(c.connect_timeout).to.deep.equal({ seconds: 3, nanos: 0 });
    expect(c.upstream_connection_options).to.deep.equal({ tcp_keepalive: { keepalive_time: { value: 60 } } });
    const options = c.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    expect(options.common_http_protocol_options).to.deep.equal({ idle_timeout: { seconds: 30, nanos: 0 } });
    expect(options.explicit_http_config, 'the app keeps getting HTTP/1.1').to.deep.equal({ http_protocol_options: {} });
    // The cluster is still the original destination, bound to the inbound source address.
    expect([c.type, c.upstream_bind_config.source_address.address]).to.deep.equal(['ORIGINAL_DST', '127.0.0.6']);
  });

  it("the rule's port-level entry for the service port applies; another port's does not; a workloadSelector rule counts outbound only", () => {
    const portLevel = (port: number) => rule(`{ connectionPool: { tcp: { maxConnections: 9 } }, portLevelSettings: [{ port: { number: ${port} }, connectionPool: { tcp: { maxConnections: 7 } } }] }`);
    expect(limits(inbound(portLevel(9080)))[0]).to.equal(7);
    expect(limits(inbound(portLevel(8080)))[0]).to.equal(9);
    const selecting = rule('{ connectionPool: { tcp: { maxConnections: 5 } } }', '  workloadSelector: { matchLabels: { app: reviews } }');
    expect(limits(inbound(selecting))[0]).to.equal(UNLIMITED);
  });

  it("the Sidecar's inboundConnectionPool replaces the rule's pool (the rule's retry budget stays); an ingress listener's pool wins for its port", () => {
    const dr = rule('{ retryBudget: { percent: 25 }, connectionPool: { tcp: { maxConnections: 100 }, http: { maxRetries: 4 } } }');
    const c = inbound(`${dr}\n---\n${sidecar()}`);
    expect(limits(c)).to.deep.equal([20, UNLIMITED, UNLIMITED, UNLIMITED]);
    expect(c.circuit_breakers.thresholds[0].retry_budget.budget_percent).to.deep.equal({ value: 25 });
    const perPort = `${dr}\n---\n${sidecar(`  ingress:
  - port: { number: 9080, protocol: HTTP, name: http }
    connectionPool: { http: { http2MaxRequests: 40 } }`)}`;
    expect(limits(inbound(perPort))).to.deep.equal([UNLIMITED, UNLIMITED, 40, UNLIMITED]);
    // A Sidecar pool alone, without any rule.
    expect(limits(inbound(sidecar()))[0]).to.equal(20);
  });

  it('the Sidecar with inbound pools is valid without warnings (they apply now)', () => {
    const [written] = yamlObjects(
      sidecar(`  ingress:
  - port: { number: 9080, protocol: HTTP, name: http }
    defaultEndpoint: 0.0.0.0:9080
    connectionPool: { http: { http2MaxRequests: 40 } }`),
    );
    expect(validateObject(written!)).to.deep.equal({ errors: [], warnings: [] });
  });
});
