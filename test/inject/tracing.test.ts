/**
 * Injection and ProxyConfig tracing: a pod's effective tracing customTags and maxPathTagLength (its
 * proxy.istio.io/config's tracing, whole, else the mesh's defaultConfig.tracing) in its bootstrap as PROXY_CONFIG,
 * which the xDS server applies; and its service cluster (node.cluster, --service-cluster) as tracingServiceName
 * chooses it.
 */
import { expect } from 'chai';
import { snapshotOptions, type MeshConfig } from '../../src/config/mesh.js';
import type { KubeObject } from '../../src/core/kube.js';
import { TypeUrls } from '../../src/core/constants.js';
import { injectPod } from '../../src/inject/index.js';
import { parseNode } from '../../src/model/proxy.js';
import { buildSnapshot } from '../../src/model/snapshot.js';
import { generate } from '../../src/xds/gen/index.js';
import { bootstrapMetadataIn, injectIn, meshWithDefaultConfig as mesh } from './harness.js';

const TAGS = { team: { literal: { value: 'shop' } } };

const pod = (annotations: Record<string, string> = {}, labels: Record<string, string> = { app: 'web' }, name = 'web-7d9c'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels, annotations },
  spec: { containers: [{ name: 'app', image: 'app:1' }] },
});
const gatewayPod = (): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'gw-1', namespace: 'default', labels: { istio: 'ingressgateway' }, annotations: { 'inject.istio.io/templates': 'gateway' } },
  spec: { containers: [{ name: 'istio-proxy', image: 'auto' }] },
});
const metadata = (p: KubeObject, m: MeshConfig) => bootstrapMetadataIn('default', p, m);
const annotated = (config: string) => pod({ 'proxy.istio.io/config': config });

/** The injected istio-proxy's --service-cluster and its bootstrap's node.cluster (they must agree). */
function clusterOf(p: KubeObject, m: MeshConfig): string {
  const proxy = (injectIn('default', p, m).pod.spec as any).containers.find((c: any) => c.name === 'istio-proxy');
  const args: string[] = proxy.args;
  const flag = args[args.indexOf('--service-cluster') + 1]!;
  expect(JSON.parse(args[args.indexOf('--config-yaml') + 1]!).node.cluster).to.equal(flag);
  return flag;
}

describe('injection: ProxyConfig tracing in the bootstrap (PROXY_CONFIG)', () => {
  it("carries the mesh's defaultConfig.tracing customTags and maxPathTagLength on sidecars and gateways; nothing when there are none", () => {
    const m = mesh({ tracing: { customTags: TAGS, maxPathTagLength: 99, sampling: 3 } });
    expect(metadata(pod(), m).PROXY_CONFIG).to.deep.equal({ tracing: { customTags: TAGS, maxPathTagLength: 99 } });
    expect(metadata(gatewayPod(), m).PROXY_CONFIG).to.deep.equal({ tracing: { customTags: TAGS, maxPathTagLength: 99 } });
    expect(metadata(pod(), mesh({ tracing: { sampling: 3 } }))).to.not.have.property('PROXY_CONFIG');
  });

  it("the annotation's tracing replaces the mesh's whole, as Istio merges a message field; null leaves the mesh's", () => {
    const m = mesh({ tracing: { customTags: TAGS, maxPathTagLength: 99 } });
    expect(metadata(annotated('tracing: {customTags: {owner: {environment: {name: OWNER}}}}'), m).PROXY_CONFIG).to.deep.equal({ tracing: { customTags: { owner: { environment: { name: 'OWNER' } } } } });
    // Saying only what mizzen does not apply per pod still replaces the mesh's: the pod has no tags then.
    const sampled = injectIn('default', annotated('tracing: {sampling: 50}'), m);
    expect(sampled.warnings).to.deep.equal(['metadata.annotations["proxy.istio.io/config"]: tracing.sampling not applied by mizzen (ignored)']);
    expect(metadata(annotated('tracing: {sampling: 50}'), m)).to.not.have.property('PROXY_CONFIG');
    expect(metadata(annotated('{"tracing": null}'), m).PROXY_CONFIG).to.deep.equal({ tracing: { customTags: TAGS, maxPathTagLength: 99 } });
  });

  it('refuses a bad tag naming the annotation and the field', () => {
    const r = injectPod(annotated('tracing: {customTags: {team: {literal: {value: ""}}}}'), { namespace: 'default', mesh: mesh() });
    expect(r.ok === false && r.errors).to.deep.equal(['metadata.annotations["proxy.istio.io/config"]: tracing.customTags.team.literal.value: required, a non-empty string (Envoy refuses an empty literal)']);
    const notMap = injectPod(annotated('tracing: 3'), { namespace: 'default', mesh: mesh() });
    expect(notMap.ok === false && notMap.errors).to.deep.equal(['metadata.annotations["proxy.istio.io/config"]: tracing: must be a mapping, got 3']);
  });

  it('reaches the listeners: the injected bootstrap, parsed as the xDS server parses its node, tags the spans', () => {
    const m = mesh({ tracing: { customTags: TAGS } });
    const meta = metadata(annotated('tracing: {customTags: {owner: {literal: {value: pod}}}, maxPathTagLength: 40}'), m);
    const node = parseNode({ id: 'sidecar~10.244.0.30~web-7d9c.default~default.svc.cluster.local', cluster: 'web.default', metadata: meta });
    if (!node.ok) throw new Error(node.errors.join());
    const objects: KubeObject[] = [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'zipkin', namespace: 'istio-system' }, spec: { ports: [{ name: 'http', port: 9411 }] } },
    ];
    const listeners = generate(buildSnapshot(objects, snapshotOptions(m)), node.value, TypeUrls.listener).map((l) => l.resource as any);
    const tracings = listeners.flatMap((l) => l.filter_chains.flatMap((c: any) => c.filters.map((f: any) => f.typed_config?.tracing).filter(Boolean)));
    expect(tracings).to.not.be.empty;
    for (const t of tracings) {
      expect(t.custom_tags.filter((x: any) => !x.tag.startsWith('istio.'))).to.deep.equal([{ tag: 'owner', literal: { value: 'pod' } }]);
      expect(t.max_path_tag_length).to.deep.equal({ value: 40 });
    }
  });
});

describe('injection: the service cluster (tracingServiceName)', () => {
  const K8S = 'app.kubernetes.io/name';
  const CANONICAL = 'service.istio.io/canonical-name';
  const cases: Array<{ name: string; mode?: string; labels: Record<string, string>; want: string }> = [
    { name: 'by default, the app label and namespace', labels: { app: 'web' }, want: 'web.$(POD_NAMESPACE)' },
    { name: 'by default, app before app.kubernetes.io/name and the canonical name', labels: { app: 'web', [K8S]: 'site', [CANONICAL]: 'shop' }, want: 'web.$(POD_NAMESPACE)' },
    { name: 'by default, without app: app.kubernetes.io/name', labels: { [K8S]: 'site' }, want: 'site.$(POD_NAMESPACE)' },
    { name: 'by default, without labels: the canonical name the injector adds (the workload name, here the pod)', labels: {}, want: 'web-7d9c.$(POD_NAMESPACE)' },
    { name: 'APP_LABEL_AND_NAMESPACE said', mode: 'APP_LABEL_AND_NAMESPACE', labels: { app: 'web', [CANONICAL]: 'shop' }, want: 'web.$(POD_NAMESPACE)' },
    { name: 'CANONICAL_NAME_ONLY: the canonical name, without the namespace', mode: 'CANONICAL_NAME_ONLY', labels: { app: 'web', [CANONICAL]: 'shop' }, want: 'shop' },
    { name: 'CANONICAL_NAME_ONLY: app.kubernetes.io/name before app', mode: 'CANONICAL_NAME_ONLY', labels: { app: 'web', [K8S]: 'site' }, want: 'site' },
    { name: 'CANONICAL_NAME_AND_NAMESPACE', mode: 'CANONICAL_NAME_AND_NAMESPACE', labels: { app: 'web', [CANONICAL]: 'shop' }, want: 'shop.$(POD_NAMESPACE)' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const m = mesh(c.mode ? { tracingServiceName: c.mode } : undefined);
      expect(clusterOf(pod({}, c.labels, 'web-7d9c'), m)).to.equal(c.want);
    });
  }

  it("a pod's annotation goes over the mesh's, and a bad one is refused naming the field", () => {
    const m = mesh({ tracingServiceName: 'CANONICAL_NAME_ONLY' });
    expect(clusterOf(pod({ 'proxy.istio.io/config': 'tracingServiceName: CANONICAL_NAME_AND_NAMESPACE' }, { app: 'web', [CANONICAL]: 'shop' }), m)).to.equal('shop.$(POD_NAMESPACE)');
    const bad = injectPod(annotated('tracingServiceName: CANONICAL'), { namespace: 'default', mesh: mesh() });
    expect(bad.ok === false && bad.errors).to.deep.equal(['metadata.annotations["proxy.istio.io/config"]: tracingServiceName: "CANONICAL" must be one of APP_LABEL_AND_NAMESPACE, CANONICAL_NAME_ONLY, CANONICAL_NAME_AND_NAMESPACE']);
  });

  it('a label value holding "$(" is written so that Kubernetes does not expand it (there, or in the node labels)', () => {
    expect(clusterOf(pod({}, { app: 'a$(X)' }), mesh())).to.equal('a$$(X).$(POD_NAMESPACE)');
    expect((metadata(pod({}, { app: 'a$(X)' }), mesh()).LABELS as Record<string, string>).app).to.equal('a$$(X)');
  });
});
