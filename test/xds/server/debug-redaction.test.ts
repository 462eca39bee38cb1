/**
 * No key material in the debug views: /debug/configz shows Secret values as `<redacted: N bytes>`, and
 * /debug/config_dump shows an inline private key as Envoy's config dump does, `{ inline_string: '[redacted]' }`,
 * wherever it sits; certificates and file names stay. The store and the sent resources are never modified.
 */
import { expect } from 'chai';
import { TypeUrls } from '../../../src/core/constants.js';
import type { KubeObject } from '../../../src/core/kube.js';
import { ConfigStore } from '../../../src/model/store.js';
import { createDebugHandlers, redactObject, redactPrivateKeys, type DebugState } from '../../../src/xds/debug.js';
import { newWatch } from '../../../src/xds/server/connection.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n';
const CERT_PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n';

const gatewaySecret = (): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'gw-cert', namespace: 'istio-system', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `{"data":{"tls.key":"${b64(KEY_PEM)}"}}`, team: 'edge' } },
  type: 'kubernetes.io/tls',
  data: { 'tls.crt': b64(CERT_PEM), 'tls.key': b64(KEY_PEM), 'ca.crt': '' },
  stringData: { cacert: 'héllo' },
});

/** An SDS secret as the credential generator makes it (base64 PEM inline). */
const sdsSecret = (name: string): Record<string, unknown> => ({
  name,
  tls_certificate: { certificate_chain: { inline_bytes: b64(CERT_PEM) }, private_key: { inline_bytes: b64(KEY_PEM) } },
});

/** A debug state with one connected gateway that was sent `resources` of `typeUrl`. */
function stateWith(store: ConfigStore, typeUrl: string, resources: Array<{ name: string; resource: Record<string, unknown> }>): DebugState {
  const w = newWatch(typeUrl);
  w.sent = { version: 'v1', resources: new Map(resources.map((r) => [r.name, { name: r.name, hash: `h-${r.name}`, resource: r.resource } as any])) };
  w.sentVersion = 'v1';
  w.responses = 1;
  const conn = { id: 1, seq: 1, proxy: { id: 'router~10.0.0.9~gw-0.istio-system~istio-system.svc.cluster.local', podName: 'gw-0', namespace: 'istio-system' }, watches: new Map([[typeUrl, w]]), scope: () => 'gw' };
  const cache = { snapshot: { version: 's1' }, resolve: () => ({ version: 'empty', resources: new Map() }) };
  return { store, connections: () => [conn as any], cache: () => cache as any, scopeOf: () => 'gw' };
}

describe('xDS debug handlers: no key material', () => {
  describe('configz', () => {
    it('shows every data and stringData value of a Secret as its size, and leaves the store as it was', () => {
      const store = new ConfigStore();
      store.setSource('kube', [gatewaySecret()]);
      const before = JSON.stringify(store.list());
      const configz = createDebugHandlers(stateWith(store, TypeUrls.secret, [])).configz!({}) as any;
      const s = configz.objects[0];
      expect(s.data).to.deep.equal({ 'tls.crt': `<redacted: ${CERT_PEM.length} bytes>`, 'tls.key': `<redacted: ${KEY_PEM.length} bytes>`, 'ca.crt': '<redacted: 0 bytes>' });
      expect(s.stringData).to.deep.equal({ cacert: '<redacted: 6 bytes>' });
      expect(s.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).to.match(/^<redacted: \d+ bytes>$/);
      expect(s.metadata.annotations.team, 'other annotations stay').to.equal('edge');
      expect(s.metadata.name).to.equal('gw-cert');
      expect(s.type).to.equal('kubernetes.io/tls');
      expect(JSON.stringify(configz)).to.not.contain(b64(KEY_PEM)).and.not.contain(b64(CERT_PEM)).and.not.contain('héllo');
      expect(JSON.stringify(store.list()), 'the store is not modified').to.equal(before);
      expect(configz.sources).to.deep.equal([{ source: 'kube', keys: ['Secret/istio-system/gw-cert'] }]);
    });

    it('leaves other objects alone, except inline private keys in them (an EnvoyFilter patch)', () => {
      const vs: KubeObject = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'r', namespace: 'default' }, spec: { hosts: ['r'] } };
      expect(redactObject(vs)).to.equal(vs);
      const ef: KubeObject = {
        apiVersion: 'networking.istio.io/v1alpha3',
        kind: 'EnvoyFilter',
        metadata: { name: 'tls', namespace: 'default' },
        spec: { configPatches: [{ applyTo: 'CLUSTER', patch: { operation: 'MERGE', value: { transport_socket: { typed_config: { common_tls_context: { tls_certificates: [{ certificate_chain: { inline_string: CERT_PEM }, private_key: { inline_string: KEY_PEM } }] } } } } } }] },
      };
      const out = redactObject(ef) as any;
      const cert = out.spec.configPatches[0].patch.value.transport_socket.typed_config.common_tls_context.tls_certificates[0];
      expect(cert).to.deep.equal({ certificate_chain: { inline_string: CERT_PEM }, private_key: { inline_string: '[redacted]' } });
      expect((ef.spec.configPatches[0].patch.value.transport_socket.typed_config.common_tls_context.tls_certificates[0] as any).private_key.inline_string).to.equal(KEY_PEM);
    });
  });

  describe('config_dump', () => {
    it('shows an SDS secret with its certificate and a redacted private key; the sent resource keeps its key', () => {
      const resource = sdsSecret('kubernetes://gw-cert');
      const ca = { name: 'kubernetes://gw-cert-cacert', validation_context: { trusted_ca: { inline_bytes: b64(CERT_PEM) } } };
      const files = { name: 'file-cert:/etc/certs/cert-chain.pem~/etc/certs/key.pem', tls_certificate: { certificate_chain: { filename: '/etc/certs/cert-chain.pem' }, private_key: { filename: '/etc/certs/key.pem' } } };
      const debug = createDebugHandlers(stateWith(new ConfigStore(), TypeUrls.secret, [{ name: resource.name as string, resource }, { name: ca.name, resource: ca }, { name: files.name, resource: files }]));
      for (const q of [{ proxy: 'gw-0', type: 'secrets' }, { proxy: 'gw-0.istio-system' }]) {
        const dump = debug.config_dump!(q) as any;
        const sds = dump.configs.find((c: any) => c.typeUrl === TypeUrls.secret);
        const [gw, cacert, file] = sds.resources.map((r: any) => r.resource);
        expect(gw).to.deep.equal({ name: 'kubernetes://gw-cert', tls_certificate: { certificate_chain: { inline_bytes: b64(CERT_PEM) }, private_key: { inline_string: '[redacted]' } } });
        expect(cacert, 'a CA is not secret').to.deep.equal(ca);
        expect(file, 'file names are paths, not keys').to.deep.equal(files);
        expect(JSON.stringify(dump)).to.not.contain(b64(KEY_PEM));
      }
      expect((resource.tls_certificate as any).private_key).to.deep.equal({ inline_bytes: b64(KEY_PEM) });
    });

    it('redacts inline private keys in any resource type (the upstream TLS of a cluster)', () => {
      const cluster = {
        name: 'outbound|443||api.example.com',
        transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', common_tls_context: { tls_certificates: [{ certificate_chain: { filename: '/c.pem' }, private_key: { inline_string: KEY_PEM } }] } } },
      };
      const dump = createDebugHandlers(stateWith(new ConfigStore(), TypeUrls.cluster, [{ name: cluster.name, resource: cluster }])).config_dump!({ proxy: 'gw-0', type: 'clusters' }) as any;
      const tls = dump.configs[0].resources[0].resource.transport_socket.typed_config.common_tls_context.tls_certificates[0];
      expect(tls).to.deep.equal({ certificate_chain: { filename: '/c.pem' }, private_key: { inline_string: '[redacted]' } });
      expect(JSON.stringify(dump)).to.not.contain('PRIVATE KEY');
    });
  });

  describe('redactPrivateKeys', () => {
    const cases: Array<{ name: string; in: unknown; out: unknown }> = [
      { name: 'inline_bytes', in: { private_key: { inline_bytes: 'a2V5' } }, out: { private_key: { inline_string: '[redacted]' } } },
      { name: 'inline_string', in: { private_key: { inline_string: KEY_PEM } }, out: { private_key: { inline_string: '[redacted]' } } },
      { name: 'a Buffer', in: { private_key: { inline_bytes: Buffer.from(KEY_PEM) } }, out: { private_key: { inline_string: '[redacted]' } } },
      { name: 'a filename (kept)', in: { private_key: { filename: '/etc/certs/key.pem' } }, out: { private_key: { filename: '/etc/certs/key.pem' } } },
      { name: 'a key password and a PKCS#12 bundle', in: { tls_certificate: { pkcs12: { inline_bytes: 'cA==' }, password: { inline_string: 'pw' } } }, out: { tls_certificate: { pkcs12: { inline_string: '[redacted]' }, password: { inline_string: '[redacted]' } } } },
      { name: 'session ticket keys', in: { session_ticket_keys: { keys: [{ inline_bytes: 'azE=' }, { filename: '/k2' }] } }, out: { session_ticket_keys: { keys: [{ inline_string: '[redacted]' }, { filename: '/k2' }] } } },
      { name: 'a generic secret', in: { generic_secret: { secret: { inline_string: 'token' } } }, out: { generic_secret: { secret: { inline_string: '[redacted]' } } } },
      { name: 'certificates and OCSP staples (kept)', in: { certificate_chain: { inline_bytes: 'Yw==' }, ocsp_staple: { inline_bytes: 'bw==' }, trusted_ca: { inline_string: CERT_PEM } }, out: { certificate_chain: { inline_bytes: 'Yw==' }, ocsp_staple: { inline_bytes: 'bw==' }, trusted_ca: { inline_string: CERT_PEM } } },
      { name: 'camelCase', in: { privateKey: { inlineBytes: 'a2V5' } }, out: { privateKey: { inline_string: '[redacted]' } } },
      { name: 'deep in arrays', in: [{ a: [{ b: { private_key: { inline_bytes: 'x' } } }] }], out: [{ a: [{ b: { private_key: { inline_string: '[redacted]' } } }] }] },
      { name: 'a private_key string (a DestinationRule file path)', in: { private_key: '/etc/key.pem', privateKey: '/etc/key.pem' }, out: { private_key: '/etc/key.pem', privateKey: '/etc/key.pem' } },
    ];
    for (const t of cases) {
      it(`handles ${t.name}`, () => {
        expect(redactPrivateKeys(t.in)).to.deep.equal(t.out);
      });
    }

    it('copies only what it changes', () => {
      const untouched = { name: 'c', deep: { list: [1, 2, 3] } };
      expect(redactPrivateKeys(untouched)).to.equal(untouched);
      const input = { keep: { x: 1 }, tls: { private_key: { inline_bytes: 'a' } } };
      const out = redactPrivateKeys(input);
      expect(out).to.not.equal(input);
      expect(out.keep).to.equal(input.keep);
      expect(input.tls.private_key).to.deep.equal({ inline_bytes: 'a' });
    });
  });
});
