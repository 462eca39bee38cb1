/**
 * A pod's effective proxyHeaders (the mesh's defaultConfig with its proxy.istio.io/config merged over it, as Istio
 * merges them) in its bootstrap, as PROXY_CONFIG node metadata beside a gateway's gatewayTopology; the xDS server
 * applies them.
 */
import { expect } from 'chai';
import { snapshotOptions, type MeshConfig } from '../../src/config/mesh.js';
import type { KubeObject } from '../../src/core/kube.js';
import { TypeUrls } from '../../src/core/constants.js';
import { injectPod } from '../../src/inject/index.js';
import { parseNode } from '../../src/model/proxy.js';
import { buildSnapshot } from '../../src/model/snapshot.js';
import { generate } from '../../src/xds/gen/index.js';
import { bootstrapMetadataIn, injectIn, meshWithDefaultConfig } from './harness.js';

const GATEWAY_TEMPLATE = { 'inject.istio.io/templates': 'gateway' };
const APP = [{ name: 'app', image: 'app:1' }];

const pod = (annotations: Record<string, string>, containers: unknown[] = APP): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-7d9c', namespace: 'default', labels: { app: 'web' }, annotations },
  spec: { containers },
});
const gatewayPod = (annotations: Record<string, string> = {}) => pod({ ...GATEWAY_TEMPLATE, ...annotations }, [{ name: 'istio-proxy', image: 'auto' }]);

const mesh = meshWithDefaultConfig;
const inject = (p: KubeObject, m: MeshConfig) => injectIn('default', p, m);
/** The injected istio-proxy's bootstrap node metadata. */
const metadata = (p: KubeObject, m: MeshConfig): Record<string, unknown> => bootstrapMetadataIn('default', p, m);

const annotated = (config: string) => pod({ 'proxy.istio.io/config': config });

describe("injection: a pod's proxyHeaders in its bootstrap (PROXY_CONFIG)", () => {
  it("carries the mesh's defaultConfig.proxyHeaders on sidecars and gateways; nothing when there are none", () => {
    const m = mesh({ proxyHeaders: { server: { disabled: true } } });
    expect(metadata(pod({}), m).PROXY_CONFIG).to.deep.equal({ proxyHeaders: { server: { disabled: true } } });
    expect(metadata(gatewayPod(), m).PROXY_CONFIG).to.deep.equal({ proxyHeaders: { server: { disabled: true } } });
    expect(metadata(pod({}), mesh())).to.not.have.property('PROXY_CONFIG');
    // An empty proxyHeaders says nothing either.
    expect(metadata(pod({}), mesh({ proxyHeaders: {} }))).to.not.have.property('PROXY_CONFIG');
  });

  it("a gateway's PROXY_CONFIG carries both fields the xDS server reads, so neither falls back to the mesh's", () => {
    const m = mesh({ gatewayTopology: { numTrustedProxies: 2 } });
    const meta = metadata(gatewayPod({ 'proxy.istio.io/config': 'proxyHeaders: {requestId: {disabled: true}}' }), m);
    expect(meta.PROXY_CONFIG).to.deep.equal({ gatewayTopology: { numTrustedProxies: 2 }, proxyHeaders: { requestId: { disabled: true } } });
    // A sidecar's carries no gatewayTopology (its listeners take none of it).
    expect(metadata(pod({ 'proxy.istio.io/config': 'proxyHeaders: {requestId: {disabled: true}}' }), m).PROXY_CONFIG).to.deep.equal({ proxyHeaders: { requestId: { disabled: true } } });
  });

  it("the annotation's proxyHeaders go over the mesh's as Istio merges them", () => {
    const m = mesh({ proxyHeaders: { server: { value: 'mesh' }, requestId: { disabled: true }, preserveHttp1HeaderCase: true } });
    // server and requestId are kept from the mesh's; preserveHttp1HeaderCase is not (the message is replaced).
    expect(metadata(annotated('proxyHeaders:\n  xForwardedPort: {enabled: true}\n'), m).PROXY_CONFIG).to.deep.equal({
      proxyHeaders: { xForwardedPort: { enabled: true }, server: { value: 'mesh' }, requestId: { disabled: true } },
    });
    expect(metadata(annotated('{"proxyHeaders": {"server": {}}}'), m).PROXY_CONFIG).to.deep.equal({ proxyHeaders: { server: {}, requestId: { disabled: true } } });
    // null leaves the mesh's as they are.
    expect(metadata(annotated('{"concurrency": 1, "proxyHeaders": null}'), m).PROXY_CONFIG).to.deep.equal({ proxyHeaders: { server: { value: 'mesh' }, requestId: { disabled: true }, preserveHttp1HeaderCase: true } });
  });

  it('refuses a bad value naming the annotation and the field; warns about an unknown key', () => {
    const bad = injectPod(annotated('proxyHeaders: {server: {value: 3}}'), { namespace: 'default', mesh: mesh() });
    expect(bad.ok).to.equal(false);
    expect(!bad.ok && bad.errors).to.deep.equal(['metadata.annotations["proxy.istio.io/config"]: proxyHeaders.server.value: must be a string, got 3']);
    const typo = inject(annotated('proxyHeaders: {server: {disable: true}}'), mesh());
    expect(typo.warnings).to.deep.equal(['metadata.annotations["proxy.istio.io/config"]: proxyHeaders.server.disable not applied by mizzen (ignored)']);
  });

  it('reaches the listeners: the injected bootstrap, parsed as the xDS server parses its node, sets the server header over the mesh default', () => {
    const m = mesh({ proxyHeaders: { server: { value: 'mesh' } } });
    const meta = metadata(annotated('proxyHeaders: {server: {value: own}}'), m);
    const node = parseNode({ id: 'sidecar~10.244.0.30~web-7d9c.default~default.svc.cluster.local', metadata: meta });
    if (!node.ok) throw new Error(node.errors.join());
    const service: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } };
    const listeners = generate(buildSnapshot([service], snapshotOptions(m)), node.value, TypeUrls.listener).map((l) => l.resource as any);
    const servers = listeners.flatMap((l) => l.filter_chains.flatMap((c: any) => c.filters.filter((f: any) => f.typed_config?.stat_prefix).map((f: any) => f.typed_config.server_name)));
    expect(servers).to.include('own').and.not.include('mesh');
  });
});
