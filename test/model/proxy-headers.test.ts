/**
 * ProxyConfig's proxyHeaders read as proto3 JSON reads it, merged as Istio merges a pod's annotation over
 * defaultConfig, and checked in the mesh config's defaultConfig (an error naming the field; model/proxy.ts reads a
 * node's PROXY_CONFIG: test/xds/gen/proxy-headers.test.ts).
 */
import { expect } from 'chai';
import { mergeProxyHeaders, readProxyHeaders } from '../../src/model/proxy-headers.js';
import { resolveMeshConfig, snapshotOptions } from '../../src/config/mesh.js';

describe('proxyHeaders', () => {
  const good: Array<{ name: string; in: unknown; want: unknown; unknown?: string[] }> = [
    { name: 'empty', in: {}, want: {} },
    {
      name: "Istio's example turning every default header off",
      in: { forwardedClientCert: 'SANITIZE', server: { disabled: true }, requestId: { disabled: true }, attemptCount: { disabled: true }, envoyDebugHeaders: { disabled: true }, metadataExchangeHeaders: { mode: 'IN_MESH' } },
      want: { forwardedClientCert: 'SANITIZE', server: { disabled: true }, requestId: { disabled: true }, attemptCount: { disabled: true }, envoyDebugHeaders: { disabled: true }, metadataExchangeHeaders: { mode: 'IN_MESH' } },
    },
    {
      name: 'proto names',
      in: { forwarded_client_cert: 'FORWARD_ONLY', set_current_client_cert_details: { subject: false, chain: true }, request_id: {}, attempt_count: { disabled: false }, envoy_debug_headers: {}, metadata_exchange_headers: {}, preserve_http1_header_case: true, x_forwarded_host: { enabled: true }, x_forwarded_port: { enabled: true } },
      want: { forwardedClientCert: 'FORWARD_ONLY', setCurrentClientCertDetails: { subject: false, chain: true }, requestId: {}, attemptCount: { disabled: false }, envoyDebugHeaders: {}, metadataExchangeHeaders: {}, preserveHttp1HeaderCase: true, xForwardedHost: { enabled: true }, xForwardedPort: { enabled: true } },
    },
    { name: 'enums by number', in: { forwardedClientCert: 3, metadataExchangeHeaders: { mode: 1 } }, want: { forwardedClientCert: 'APPEND_FORWARD', metadataExchangeHeaders: { mode: 'IN_MESH' } } },
    // A message given empty stays: it decides the merge over defaultConfig.
    { name: 'defaults and nulls left out, messages kept', in: { forwardedClientCert: 'UNDEFINED', server: { value: '', disabled: null }, metadataExchangeHeaders: { mode: 'UNDEFINED' }, requestId: null }, want: { server: {}, metadataExchangeHeaders: {} } },
    { name: 'unknown keys named, to be reported', in: { serverName: 'x', server: { disable: true } }, want: { server: {} }, unknown: ['serverName', 'server.disable'] },
  ];
  for (const t of good) {
    it(`reads ${t.name}`, () => {
      expect(readProxyHeaders(t.in)).to.deep.equal({ ok: true, value: t.want, unknown: t.unknown ?? [] });
    });
  }

  const bad: Array<{ in: unknown; errors: string[] }> = [
    { in: 'x', errors: ['must be a mapping, got "x"'] },
    { in: { server: 'off' }, errors: ['server: must be a mapping, got "off"'] },
    { in: { server: { value: 7 } }, errors: ['server.value: must be a string, got 7'] },
    { in: { server: { value: 'a\nb' } }, errors: ['server.value: "a\\nb" must be a header value (no NUL, CR or LF)'] },
    { in: { requestId: { disabled: 'true' } }, errors: ['requestId.disabled: must be true or false, got "true"'] },
    { in: { preserveHttp1HeaderCase: 1 }, errors: ['preserveHttp1HeaderCase: must be true or false, got 1'] },
    { in: { forwardedClientCert: 'sanitize' }, errors: ['forwardedClientCert: "sanitize" must be one of UNDEFINED, SANITIZE, FORWARD_ONLY, APPEND_FORWARD, SANITIZE_SET, ALWAYS_FORWARD_ONLY'] },
    { in: { metadataExchangeHeaders: { mode: 'ALL' } }, errors: ['metadataExchangeHeaders.mode: "ALL" must be one of UNDEFINED, IN_MESH'] },
    { in: { xForwardedHost: { enabled: true }, x_forwarded_host: {} }, errors: ['x_forwarded_host: given again as xForwardedHost (set one of them)'] },
    { in: { setCurrentClientCertDetails: { uri: true, URI: false, dns: 'no' } }, errors: ['setCurrentClientCertDetails.dns: must be true or false, got "no"'] },
  ];
  for (const t of bad) {
    it(`refuses ${JSON.stringify(t.in)}, naming the field`, () => {
      expect(readProxyHeaders(t.in)).to.deep.equal({ ok: false, errors: t.errors });
    });
  }

  it('names at most ten unknown keys', () => {
    const r = readProxyHeaders(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i])));
    expect(r.ok && r.unknown).to.have.length(11);
    expect(r.ok && r.unknown.at(-1)).to.equal('…');
  });

  describe("a pod's over the mesh's, as Istio merges proxy.istio.io/config over defaultConfig", () => {
    const mesh = { forwardedClientCert: 'SANITIZE', server: { value: 'mesh' }, requestId: { disabled: true }, attemptCount: { disabled: true }, envoyDebugHeaders: { disabled: true }, xForwardedPort: { enabled: true }, preserveHttp1HeaderCase: true } as const;

    it('keeps the five fields Istio puts back, and drops the rest of the mesh\'s', () => {
      expect(mergeProxyHeaders(mesh, { xForwardedHost: { enabled: true } })).to.deep.equal({
        xForwardedHost: { enabled: true },
        forwardedClientCert: 'SANITIZE',
        requestId: { disabled: true },
        attemptCount: { disabled: true },
        server: { value: 'mesh' },
        envoyDebugHeaders: { disabled: true },
      });
    });

    it("takes the pod's where it says them, an empty message included", () => {
      expect(mergeProxyHeaders(mesh, { server: {}, forwardedClientCert: 'APPEND_FORWARD', preserveHttp1HeaderCase: false })).to.deep.equal({
        server: {},
        forwardedClientCert: 'APPEND_FORWARD',
        preserveHttp1HeaderCase: false,
        requestId: { disabled: true },
        attemptCount: { disabled: true },
        envoyDebugHeaders: { disabled: true },
      });
    });

    it('either alone is itself', () => {
      expect(mergeProxyHeaders(mesh, undefined)).to.equal(mesh);
      expect(mergeProxyHeaders(undefined, mesh)).to.equal(mesh);
      expect(mergeProxyHeaders(undefined, undefined)).to.equal(undefined);
    });
  });

  describe("in the mesh config's defaultConfig", () => {
    it('is applied: no warning, and the snapshot options carry it', () => {
      const r = resolveMeshConfig({ defaultConfig: { proxyHeaders: { server: { disabled: true }, preserve_http1_header_case: true } } });
      if (!r.ok) throw new Error(r.errors.join('; '));
      expect(r.warnings ?? []).to.deep.equal([]);
      expect(snapshotOptions(r.value).proxyHeaders).to.deep.equal({ server: { disabled: true }, preserveHttp1HeaderCase: true });
      const none = resolveMeshConfig({});
      expect(none.ok && snapshotOptions(none.value)).to.not.have.property('proxyHeaders');
    });

    it('refuses a bad value or an unknown key, naming the field', () => {
      for (const [proxyHeaders, error] of [
        [{ server: { value: false } }, 'defaultConfig.proxyHeaders.server.value: must be a string, got false'],
        [{ attemptCount: { disable: true } }, 'defaultConfig.proxyHeaders.attemptCount.disable: unknown field (not a field of Istio\'s ProxyConfig)'],
        ['on', 'defaultConfig.proxyHeaders: must be a mapping, got "on"'],
      ] as const) {
        const r = resolveMeshConfig({ defaultConfig: { proxyHeaders } });
        expect(r.ok, JSON.stringify(proxyHeaders)).to.equal(false);
        expect(!r.ok && r.errors).to.deep.equal([error]);
      }
    });
  });
});
