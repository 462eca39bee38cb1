/**
 * ProxyConfig envoyAccessLogService at injection: from the mesh config's defaultConfig or a pod's
 * proxy.istio.io/config into the sidecar's bootstrap (its envoy_accesslog_service cluster); bad values refused by field.
 */
import { expect } from 'chai';
import { DEFAULT_MESH_CONFIG, resolveMeshConfig, type MeshConfig } from '../../src/config/mesh.js';
import { injectPod } from '../../src/inject/index.js';
import { readProxyConfig } from '../../src/inject/proxy-config.js';
import type { KubeObject } from '../../src/core/kube.js';
import { deepFreeze } from './harness.js';

const pod = (annotations: Record<string, string> = {}): KubeObject =>
  deepFreeze({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', annotations }, spec: { containers: [{ name: 'app', image: 'app:1' }] } });

function meshOf(input: Record<string, unknown>): MeshConfig {
  const r = resolveMeshConfig(input);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.value;
}

function inject(p: KubeObject, mesh: MeshConfig = DEFAULT_MESH_CONFIG) {
  const r = injectPod(p, { namespace: 'default', mesh });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const spec = r.value.pod.spec as { containers: Array<{ name: string; args?: string[] }> };
  const proxy = spec.containers.find((c) => c.name === 'istio-proxy')!;
  const bootstrap = JSON.parse(proxy.args![proxy.args!.indexOf('--config-yaml') + 1]!) as Record<string, any>;
  const als = bootstrap.static_resources.clusters.find((c: any) => c.name === 'envoy_accesslog_service');
  return { als, warnings: r.value.warnings ?? [] };
}

const endpointOf = (cluster: any) => cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
const config = (v: unknown) => ({ 'proxy.istio.io/config': JSON.stringify(v) });

describe('injection: envoyAccessLogService', () => {
  it('none by default: no envoy_accesslog_service cluster', () => {
    expect(inject(pod()).als).to.equal(undefined);
  });

  it("the mesh config's defaultConfig gives every sidecar the cluster", () => {
    const mesh = meshOf({ defaultConfig: { envoyAccessLogService: { address: 'als.istio-system:15000', tcpKeepalive: { probes: 3 } } } });
    const { als } = inject(pod(), mesh);
    expect(endpointOf(als)).to.deep.equal({ address: 'als.istio-system', port_value: 15000 });
    expect(als.upstream_connection_options).to.deep.equal({ tcp_keepalive: { keepalive_probes: 3 } });
  });

  it("a pod's proxy.istio.io/config replaces defaultConfig's whole (a message field); without an address: no cluster", () => {
    const mesh = meshOf({ defaultConfig: { envoyAccessLogService: { address: 'als.istio-system:15000', tcpKeepalive: { probes: 3 } } } });
    const { als } = inject(pod(config({ envoyAccessLogService: { address: '10.0.0.9:9000' } })), mesh);
    expect(endpointOf(als)).to.deep.equal({ address: '10.0.0.9', port_value: 9000 });
    expect(als).to.not.have.property('upstream_connection_options');
    expect(inject(pod(config({ envoyAccessLogService: { address: '' } })), mesh).als).to.equal(undefined);
    expect(inject(pod(config({ envoy_access_log_service: { address: 'als:1' } }))).als.name).to.equal('envoy_accesslog_service');
  });

  it("ISTIO_MUTUAL: the pod's mesh certificate where it has one; elsewhere plaintext, with a warning", () => {
    const annotation = config({ envoyAccessLogService: { address: 'als:9000', tlsSettings: { mode: 'ISTIO_MUTUAL' } } });
    const plain = inject(pod(annotation));
    expect(plain.als).to.not.have.property('transport_socket');
    expect(plain.warnings.some((w) => /ISTIO_MUTUAL needs the pod's mesh certificate/.test(w))).to.equal(true);
    const certs = inject(pod(annotation), meshOf({ workloadCertificateSecrets: true }));
    const tls = certs.als.transport_socket.typed_config.common_tls_context;
    expect(tls.validation_context.trusted_ca).to.deep.equal({ filename: '/etc/certs/root-cert.pem' });
    expect(tls.tls_certificate_sds_secret_configs[0].sds_config.path_config_source.path).to.equal('/etc/certs/xds-client.yaml');
    expect(certs.warnings.some((w) => /ISTIO_MUTUAL/.test(w))).to.equal(false);
  });

  it('warns for what is not applied (credentialName, unknown keys) and still injects', () => {
    const { als, warnings } = inject(pod(config({ envoyAccessLogService: { address: 'als:9000', tlsSettings: { mode: 'SIMPLE', credentialName: 'c' }, extra: 1 } })));
    expect(als.transport_socket.typed_config.common_tls_context.validation_context.trusted_ca.filename).to.equal('/etc/ssl/certs/ca-certificates.crt');
    expect(warnings).to.include.members([
      'metadata.annotations["proxy.istio.io/config"]: envoyAccessLogService.extra not applied by mizzen (ignored)',
      'metadata.annotations["proxy.istio.io/config"]: envoyAccessLogService.tlsSettings.credentialName: not applied by mizzen (a Secret only Istio\'s agent reads); the proxy\'s bootstrap reads clientCertificate, privateKey and caCertificates from files',
    ]);
  });

  it('a bad annotation value denies the pod, naming the field', () => {
    const r = injectPod(pod(config({ envoyAccessLogService: { address: 'als', tlsSettings: { mode: 'MUTUAL', clientCertificate: '/c.pem' } } })), { namespace: 'default', mesh: DEFAULT_MESH_CONFIG });
    expect(r.ok ? [] : r.errors).to.deep.equal([
      'metadata.annotations["proxy.istio.io/config"]: envoyAccessLogService.address: "als" must be host:port',
      'metadata.annotations["proxy.istio.io/config"]: envoyAccessLogService.tlsSettings.privateKey: is required for MUTUAL mode (a file in the proxy)',
    ]);
    expect(readProxyConfig('envoyAccessLogService: als:9000')).to.deep.equal({ ok: false, errors: ['envoyAccessLogService: must be a mapping with an address, got "als:9000"'] });
  });
});

describe('mesh config: enableEnvoyAccessLogService and defaultConfig.envoyAccessLogService', () => {
  it('are applied: no "accepted but not applied" warning; off by default', () => {
    const r = resolveMeshConfig({ enableEnvoyAccessLogService: true, defaultConfig: { envoyAccessLogService: { address: 'als.istio-system:15000' } } });
    expect(r.ok && r.value.enableEnvoyAccessLogService).to.equal(true);
    expect(r.ok && r.value.defaultConfig.envoyAccessLogService).to.deep.equal({ address: 'als.istio-system:15000' });
    expect(r.ok ? (r.warnings ?? []) : r.errors).to.deep.equal([]);
    expect(DEFAULT_MESH_CONFIG.enableEnvoyAccessLogService).to.equal(false);
  });

  it('warn where the loggers would stream nowhere, or in plaintext against ISTIO_MUTUAL', () => {
    const alone = resolveMeshConfig({ enableEnvoyAccessLogService: true });
    expect(alone.ok && alone.warnings).to.deep.equal([
      "enableEnvoyAccessLogService: defaultConfig.envoyAccessLogService.address is not set: only proxies whose proxy.istio.io/config names one have the envoy_accesslog_service cluster; the others' logs go nowhere",
    ]);
    const mutual = resolveMeshConfig({ defaultConfig: { envoyAccessLogService: { address: 'als:9000', tlsSettings: { mode: 'ISTIO_MUTUAL' } } } });
    expect(mutual.ok && mutual.warnings).to.deep.equal(['defaultConfig.envoyAccessLogService.tlsSettings.mode: ISTIO_MUTUAL needs mesh certificates in the pods (workloadCertificateSecrets); without them proxies stream their access logs in plaintext']);
    const withCerts = resolveMeshConfig({ workloadCertificateSecrets: true, defaultConfig: { envoyAccessLogService: { address: 'als:9000', tlsSettings: { mode: 'ISTIO_MUTUAL' } } } });
    expect(withCerts.ok && withCerts.warnings).to.equal(undefined);
  });

  it('bad values fail the load, named by field; unknown keys below are unknown fields', () => {
    const errors = (input: Record<string, unknown>) => {
      const r = resolveMeshConfig(input);
      return r.ok ? [] : r.errors;
    };
    expect(errors({ enableEnvoyAccessLogService: 'yes' })).to.deep.equal(['enableEnvoyAccessLogService: must be a boolean']);
    expect(errors({ defaultConfig: { envoyAccessLogService: { address: 'als:99999' } } })).to.deep.equal(['defaultConfig.envoyAccessLogService.address: "als:99999": the port 99999 must be between 1 and 65535']);
    expect(errors({ defaultConfig: { envoyAccessLogService: { address: 'als:1', tlsSettings: { mode: 'TLS' } } } })).to.deep.equal(['defaultConfig.envoyAccessLogService.tlsSettings.mode: "TLS" must be one of DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL']);
    expect(errors({ defaultConfig: { envoyAccessLogService: { address: 'als:1', tlsSetting: {} } } })).to.deep.equal(["defaultConfig.envoyAccessLogService.tlsSetting: unknown field (not a field of Istio's ProxyConfig)"]);
    expect(errors({ defaultConfig: { envoyAccessLogService: [] } })).to.deep.equal(['defaultConfig.envoyAccessLogService: must be a mapping with an address, got a list of 0']);
  });
});
