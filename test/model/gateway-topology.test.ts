/**
 * ProxyConfig's gatewayTopology read as proto3 JSON reads it, and checked wherever it can be written: the mesh
 * config's defaultConfig (an error naming the field) and proxy.istio.io/config (model/proxy.ts reads a node's
 * PROXY_CONFIG; test/xds/gen/gateway-topology.test.ts).
 */
import { expect } from 'chai';
import { readGatewayTopology } from '../../src/model/gateway-topology.js';
import { resolveMeshConfig, snapshotOptions } from '../../src/config/mesh.js';
import { readProxyConfig } from '../../src/inject/proxy-config.js';

describe('gatewayTopology', () => {
  const good: Array<{ name: string; in: unknown; want: unknown; unknown?: string[] }> = [
    { name: 'empty', in: {}, want: {} },
    { name: 'every field', in: { numTrustedProxies: 2, forwardClientCertDetails: 'APPEND_FORWARD', proxyProtocol: {} }, want: { numTrustedProxies: 2, forwardClientCertDetails: 'APPEND_FORWARD', proxyProtocol: {} } },
    { name: 'proto names', in: { num_trusted_proxies: 1, forward_client_cert_details: 'SANITIZE', proxy_protocol: {} }, want: { numTrustedProxies: 1, forwardClientCertDetails: 'SANITIZE', proxyProtocol: {} } },
    { name: 'a uint32 as a string, an enum by number', in: { numTrustedProxies: '4294967295', forwardClientCertDetails: 5 }, want: { numTrustedProxies: 4294967295, forwardClientCertDetails: 'ALWAYS_FORWARD_ONLY' } },
    { name: 'defaults are left out (0, UNDEFINED, null)', in: { numTrustedProxies: 0, forwardClientCertDetails: 'UNDEFINED', proxyProtocol: null }, want: {} },
    { name: 'unknown keys named, to be reported', in: { numTrustedProxy: 1, proxyProtocol: { version: 'V2' } }, want: { proxyProtocol: {} }, unknown: ['numTrustedProxy', 'proxyProtocol.version'] },
  ];
  for (const t of good) {
    it(`reads ${t.name}`, () => {
      const r = readGatewayTopology(t.in);
      expect(r).to.deep.equal({ ok: true, value: t.want, unknown: t.unknown ?? [] });
    });
  }

  const bad: Array<{ in: unknown; errors: string[] }> = [
    { in: 'x', errors: ['must be a mapping, got "x"'] },
    { in: { numTrustedProxies: -1 }, errors: ['numTrustedProxies: must be a whole number from 0 to 4294967295, got -1'] },
    { in: { numTrustedProxies: 1.5 }, errors: ['numTrustedProxies: must be a whole number from 0 to 4294967295, got 1.5'] },
    { in: { numTrustedProxies: 4294967296 }, errors: ['numTrustedProxies: must be a whole number from 0 to 4294967295, got 4294967296'] },
    { in: { numTrustedProxies: true }, errors: ['numTrustedProxies: must be a whole number from 0 to 4294967295, got true'] },
    { in: { forwardClientCertDetails: 'sanitize' }, errors: ['forwardClientCertDetails: "sanitize" must be one of UNDEFINED, SANITIZE, FORWARD_ONLY, APPEND_FORWARD, SANITIZE_SET, ALWAYS_FORWARD_ONLY'] },
    { in: { forwardClientCertDetails: 6 }, errors: ['forwardClientCertDetails: 6 must be one of UNDEFINED, SANITIZE, FORWARD_ONLY, APPEND_FORWARD, SANITIZE_SET, ALWAYS_FORWARD_ONLY'] },
    { in: { proxyProtocol: true }, errors: ['proxyProtocol: must be a mapping ({} turns it on), got true'] },
    { in: { numTrustedProxies: 1, num_trusted_proxies: 2 }, errors: ['num_trusted_proxies: given again as numTrustedProxies (set one of them)'] },
    { in: { numTrustedProxies: 'two', proxyProtocol: [] }, errors: ['numTrustedProxies: must be a whole number from 0 to 4294967295, got "two"', 'proxyProtocol: must be a mapping ({} turns it on), got a list of 0'] },
  ];
  for (const t of bad) {
    it(`refuses ${JSON.stringify(t.in)}, naming the field`, () => {
      expect(readGatewayTopology(t.in)).to.deep.equal({ ok: false, errors: t.errors });
    });
  }

  it('names at most ten unknown keys', () => {
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
    const r = readGatewayTopology(many);
    expect(r.ok && r.unknown).to.have.length(11);
    expect(r.ok && r.unknown.at(-1)).to.equal('…');
  });

  describe("in the mesh config's defaultConfig", () => {
    it('is applied: no warning, and the snapshot options carry it for the gateways', () => {
      const r = resolveMeshConfig({ defaultConfig: { gatewayTopology: { numTrustedProxies: 2, proxyProtocol: {} } } });
      if (!r.ok) throw new Error(r.errors.join('; '));
      expect(r.warnings ?? []).to.deep.equal([]);
      expect(r.value.defaultConfig.gatewayTopology).to.deep.equal({ numTrustedProxies: 2, proxyProtocol: {} });
      expect(snapshotOptions(r.value).gatewayTopology).to.deep.equal({ numTrustedProxies: 2, proxyProtocol: {} });
      const none = resolveMeshConfig({});
      expect(none.ok && snapshotOptions(none.value)).to.not.have.property('gatewayTopology');
    });

    for (const [given, error] of [
      [{ numTrustedProxies: -2 }, 'defaultConfig.gatewayTopology.numTrustedProxies: must be a whole number from 0 to 4294967295, got -2'],
      [{ forwardClientCertDetails: 'SET' }, 'defaultConfig.gatewayTopology.forwardClientCertDetails: "SET" must be one of UNDEFINED, SANITIZE'],
      [{ numTrustedProxy: 1 }, "defaultConfig.gatewayTopology.numTrustedProxy: unknown field (not a field of Istio's ProxyConfig)"],
      [[], 'defaultConfig.gatewayTopology: must be a mapping, got a list of 0'],
    ] as const) {
      it(`is an error naming the field: ${JSON.stringify(given)}`, () => {
        const r = resolveMeshConfig({ defaultConfig: { gatewayTopology: given } });
        expect(r.ok).to.equal(false);
        expect(!r.ok && r.errors).to.have.length(1);
        expect(!r.ok && r.errors[0]).to.contain(error);
      });
    }
  });

  describe('in proxy.istio.io/config', () => {
    it('is read, by either name; unknown keys are named as ignored, bad values are errors naming the field', () => {
      const r = readProxyConfig('gateway_topology:\n  numTrustedProxies: 1\n  forwardClientCertDetails: SANITIZE\n  numTrustedHops: 2\n');
      expect(r).to.deep.equal({ ok: true, value: { overrides: { gatewayTopology: { numTrustedProxies: 1, forwardClientCertDetails: 'SANITIZE' } }, ignored: ['gateway_topology.numTrustedHops'] } });
      expect(readProxyConfig('{"gatewayTopology": {"proxyProtocol": "yes"}}')).to.deep.equal({ ok: false, errors: ['gatewayTopology.proxyProtocol: must be a mapping ({} turns it on), got "yes"'] });
      expect(readProxyConfig('gatewayTopology: 2')).to.deep.equal({ ok: false, errors: ['gatewayTopology: must be a mapping, got 2'] });
      expect(readProxyConfig('gatewayTopology: null')).to.deep.equal({ ok: true, value: { overrides: {}, ignored: [] } });
    });
  });
});
