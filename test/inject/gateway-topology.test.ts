/**
 * A gateway's effective gatewayTopology (the mesh's defaultConfig, replaced whole by its proxy.istio.io/config) in
 * its bootstrap, as PROXY_CONFIG node metadata (Istio's agent sends it there); the xDS server applies it.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { snapshotOptions, type MeshConfig } from '../../src/config/mesh.js';
import { parseDocuments } from '../../src/core/documents.js';
import type { KubeObject } from '../../src/core/kube.js';
import { TypeUrls } from '../../src/core/constants.js';
import { injectPod } from '../../src/inject/index.js';
import { parseNode } from '../../src/model/proxy.js';
import { buildSnapshot } from '../../src/model/snapshot.js';
import { generate } from '../../src/xds/gen/index.js';
import { bootstrapMetadataIn, injectIn, meshWithDefaultConfig } from './harness.js';
import { BOOKINFO_NETWORKING } from '../support/samples.js';

const GATEWAY_TEMPLATE = { 'inject.istio.io/templates': 'gateway' };

const pod = (annotations: Record<string, string>, containers: unknown[] = [{ name: 'istio-proxy', image: 'auto' }]): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'ingress-7d9c', namespace: 'istio-system', labels: { istio: 'ingressgateway' }, annotations },
  spec: { containers },
});

const mesh = meshWithDefaultConfig;
const inject = (p: KubeObject, m: MeshConfig) => injectIn('istio-system', p, m);
/** The injected istio-proxy's bootstrap node metadata. */
const metadata = (p: KubeObject, m: MeshConfig): Record<string, unknown> => bootstrapMetadataIn('istio-system', p, m);

const TOPOLOGY = { numTrustedProxies: 2, forwardClientCertDetails: 'APPEND_FORWARD', proxyProtocol: {} };

describe("injection: a gateway's gatewayTopology in its bootstrap (PROXY_CONFIG)", () => {
  it("carries the mesh's defaultConfig.gatewayTopology on gateways only", () => {
    const m = mesh({ gatewayTopology: TOPOLOGY });
    expect(metadata(pod(GATEWAY_TEMPLATE), m).PROXY_CONFIG).to.deep.equal({ gatewayTopology: TOPOLOGY });
    // A sidecar's listeners take nothing of it, so its bootstrap does not carry it.
    expect(metadata(pod({}, [{ name: 'app', image: 'app:1' }]), m)).to.not.have.property('PROXY_CONFIG');
    // No topology anywhere: nothing to carry, the xDS server follows the mesh config.
    expect(metadata(pod(GATEWAY_TEMPLATE), mesh())).to.not.have.property('PROXY_CONFIG');
  });

  it("the pod's proxy.istio.io/config replaces the mesh's gatewayTopology whole, as Istio merges the annotation", () => {
    const m = mesh({ gatewayTopology: TOPOLOGY });
    const annotated = pod({ ...GATEWAY_TEMPLATE, 'proxy.istio.io/config': 'gatewayTopology:\n  forwardClientCertDetails: SANITIZE\n' });
    expect(metadata(annotated, m).PROXY_CONFIG).to.deep.equal({ gatewayTopology: { forwardClientCertDetails: 'SANITIZE' } });
    // Other ProxyConfig fields of the annotation keep the mesh's (null leaves the field as it was).
    expect(metadata(pod({ ...GATEWAY_TEMPLATE, 'proxy.istio.io/config': '{"concurrency": 1, "gatewayTopology": null}' }), m).PROXY_CONFIG).to.deep.equal({ gatewayTopology: TOPOLOGY });
    // With proxyMetadata's node metadata too.
    const both = metadata(pod({ ...GATEWAY_TEMPLATE, 'proxy.istio.io/config': '{"proxyMetadata": {"ISTIO_META_DNS_CAPTURE": "true"}, "gatewayTopology": {"numTrustedProxies": 1}}' }), mesh());
    expect(both).to.deep.include({ DNS_CAPTURE: 'true', PROXY_CONFIG: { gatewayTopology: { numTrustedProxies: 1 } } });
  });

  it('refuses a bad value naming the annotation and the field; warns about an unknown key', () => {
    const bad = injectPod(pod({ ...GATEWAY_TEMPLATE, 'proxy.istio.io/config': 'gatewayTopology: {numTrustedProxies: -1}' }), { namespace: 'istio-system', mesh: mesh() });
    expect(bad.ok).to.equal(false);
    expect(!bad.ok && bad.errors).to.deep.equal(['metadata.annotations["proxy.istio.io/config"]: gatewayTopology.numTrustedProxies: must be a whole number from 0 to 4294967295, got -1']);
    const typo = inject(pod({ ...GATEWAY_TEMPLATE, 'proxy.istio.io/config': 'gatewayTopology: {numTrustedProxies: 1, trustedProxies: 2}' }), mesh());
    expect(typo.warnings).to.deep.equal(['metadata.annotations["proxy.istio.io/config"]: gatewayTopology.trustedProxies not applied by mizzen (ignored)']);
  });

  it('reaches the listeners: the injected bootstrap, parsed as the xDS server parses its node, sets the hops over the mesh default', () => {
    const m = mesh({ gatewayTopology: { numTrustedProxies: 5 } });
    const meta = metadata(pod({ ...GATEWAY_TEMPLATE, 'proxy.istio.io/config': '{"gatewayTopology": {"numTrustedProxies": 1, "proxyProtocol": {}}}' }), m);
    const node = parseNode({ id: 'router~10.244.0.20~ingress-7d9c.istio-system~istio-system.svc.cluster.local', metadata: { ...meta, LABELS: { istio: 'ingressgateway' } } });
    if (!node.ok) throw new Error(node.errors.join());
    const gateway = parseDocuments(readFileSync(join(BOOKINFO_NETWORKING, 'bookinfo-gateway.yaml'), 'utf8')).map((d) => d.value as KubeObject);
    const [listener] = generate(buildSnapshot(gateway, snapshotOptions(m)), node.value, TypeUrls.listener).map((l) => l.resource as any);
    expect(listener.listener_filters.map((f: any) => f.name)).to.deep.equal(['envoy.filters.listener.proxy_protocol']);
    expect(listener.filter_chains[0].filters.at(-1).typed_config.xff_num_trusted_hops).to.equal(1);
  });
});
