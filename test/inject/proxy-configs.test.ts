import { expect } from 'chai';
import { proxyConfigLookup, proxyConfigsOf } from '../../src/inject/proxy-configs.js';
import { injectPod } from '../../src/inject/index.js';
import { readInjectParams } from '../../src/inject/annotations.js';
import { DEFAULT_MESH_CONFIG, resolveMeshConfig } from '../../src/config/mesh.js';
import type { KubeObject } from '../../src/core/kube.js';
import { ROOT_NAMESPACES } from '../../src/core/constants.js';

function pc(namespace: string, name: string, spec: Record<string, unknown>, created?: string): KubeObject {
  return { apiVersion: 'networking.istio.io/v1beta1', kind: 'ProxyConfig', metadata: { name, namespace, ...(created && { creationTimestamp: created }) }, spec };
}

function pod(labels: Record<string, string>, annotations: Record<string, string> = {}, namespace = 'shop'): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace, labels, annotations }, spec: { containers: [{ name: 'app', image: 'app' }] } };
}

const proxyOf = (p: KubeObject) => (p.spec.containers as Array<{ name: string; args: string[]; env: Array<{ name: string; value?: string }> }>).find((c) => c.name === 'istio-proxy')!;
const concurrencyOf = (p: KubeObject): string | undefined => {
  const args = proxyOf(p).args;
  const i = args.indexOf('--concurrency');
  return i < 0 ? undefined : args[i + 1];
};
const envOf = (p: KubeObject, name: string): string | undefined => proxyOf(p).env.find((e) => e.name === name)?.value;
const bootstrapOf = (p: KubeObject) => JSON.parse(proxyOf(p).args[proxyOf(p).args.indexOf('--config-yaml') + 1]!);

describe('ProxyConfig resources at injection', () => {
  const mesh = pc('istio-system', 'mesh', { concurrency: 4, environmentVariables: { LEVEL: 'mesh', MESH_ONLY: 'm' } });
  const ns = pc('shop', 'ns', { environmentVariables: { LEVEL: 'namespace', ISTIO_META_TEAM: 'shop' } });
  const ratings = pc('shop', 'ratings', { selector: { matchLabels: { app: 'ratings' } }, concurrency: 1, environmentVariables: { LEVEL: 'workload' } });
  const lookup = proxyConfigLookup([mesh, ns, ratings, { kind: 'Service', apiVersion: 'v1', metadata: { name: 's' } }])!;

  it('layers the mesh, namespace and workload resources, each over the one before', () => {
    const r = lookup('shop', { app: 'ratings', version: 'v1' }, ROOT_NAMESPACES)!;
    expect(r.from).to.deep.equal(['istio-system/mesh', 'shop/ns', 'shop/ratings']);
    expect(r.overrides).to.deep.equal({ concurrency: 1, proxyMetadata: { LEVEL: 'workload', MESH_ONLY: 'm', ISTIO_META_TEAM: 'shop' } });
  });

  it('gives a pod the selector does not match only the mesh and namespace resources; another namespace only the mesh one', () => {
    expect(lookup('shop', { app: 'reviews' }, ROOT_NAMESPACES)!.from).to.deep.equal(['istio-system/mesh', 'shop/ns']);
    expect(lookup('shop', { app: 'reviews' }, ROOT_NAMESPACES)!.overrides.concurrency).to.equal(4);
    expect(lookup('other', { app: 'ratings' }, ROOT_NAMESPACES)!.from).to.deep.equal(['istio-system/mesh']);
  });

  it('takes the oldest of two candidates for one place, then the first name', () => {
    const l = proxyConfigLookup([pc('shop', 'b', { concurrency: 2 }, '2024-01-01T00:00:00Z'), pc('shop', 'a', { concurrency: 3 }, '2024-02-01T00:00:00Z')])!;
    expect(l('shop', {}, ROOT_NAMESPACES)!.from).to.deep.equal(['shop/b']);
    const sameAge = proxyConfigLookup([pc('shop', 'b', { concurrency: 2 }), pc('shop', 'a', { concurrency: 3 })])!;
    expect(sameAge('shop', {}, ROOT_NAMESPACES)!.from).to.deep.equal(['shop/a']);
    const selectors = proxyConfigLookup([pc('shop', 'new', { selector: { matchLabels: { app: 'x' } }, concurrency: 2 }, '2025-01-01T00:00:00Z'), pc('shop', 'old', { selector: { matchLabels: { app: 'x' } }, concurrency: 3 }, '2023-01-01T00:00:00Z')])!;
    expect(selectors('shop', { app: 'x' }, ROOT_NAMESPACES)!.overrides.concurrency).to.equal(3);
  });

  it('applies a selector without labels to every pod of its namespace, at the workload level', () => {
    const l = proxyConfigLookup([pc('shop', 'ns', { concurrency: 2 }), pc('shop', 'all', { selector: {}, concurrency: 6 })])!;
    expect(l('shop', { app: 'any' }, ROOT_NAMESPACES)!.from).to.deep.equal(['shop/ns', 'shop/all']);
    expect(l('shop', { app: 'any' }, ROOT_NAMESPACES)!.overrides.concurrency).to.equal(6);
  });

  it('uses a root namespace resource once for its own pods, and a selector there only for root namespace pods', () => {
    const l = proxyConfigLookup([mesh, pc('istio-system', 'gw', { selector: { matchLabels: { istio: 'ingressgateway' } }, concurrency: 8 })])!;
    expect(l('istio-system', { istio: 'ingressgateway' }, ROOT_NAMESPACES)!.from).to.deep.equal(['istio-system/mesh', 'istio-system/gw']);
    expect(l('shop', { istio: 'ingressgateway' }, ROOT_NAMESPACES)!.from).to.deep.equal(['istio-system/mesh']);
  });

  it('leaves out resources with a targetRef (waypoints) and anything that is not a ProxyConfig', () => {
    expect(proxyConfigLookup([pc('shop', 'wp', { targetRef: { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }, concurrency: 1 })])).to.equal(undefined);
    expect(proxyConfigLookup([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, null, 'text', { kind: 'ProxyConfig' }])).to.equal(undefined);
  });

  it('skips an unusable field of a resource a source let through, with a warning naming it', () => {
    const l = proxyConfigLookup([pc('shop', 'bad', { concurrency: -2, environmentVariables: { GOOD: 'yes' } })])!;
    const r = l('shop', {}, ROOT_NAMESPACES)!;
    expect(r.overrides).to.deep.equal({ proxyMetadata: { GOOD: 'yes' } });
    expect(r.warnings).to.deep.equal(['ProxyConfig shop/bad: spec.concurrency: must not be negative, got -2 (not applied)']);
    const l2 = proxyConfigLookup([pc('shop', 'env', { environmentVariables: { 'bad name': 'x' } })])!;
    expect(l2('shop', {}, ROOT_NAMESPACES)!.warnings[0]).to.match(/^ProxyConfig shop\/env: spec\.environmentVariables: "bad name" is not an environment variable name/);
  });

  it("warns of Istio agent settings among a resource's environmentVariables, naming the resources", () => {
    const l = proxyConfigLookup([pc('shop', 'dns', { environmentVariables: { ISTIO_META_DNS_CAPTURE: 'true' } })])!;
    const r = injectPod(pod({ app: 'x' }), { namespace: 'shop', mesh: DEFAULT_MESH_CONFIG, proxyConfigs: l });
    if (!r.ok) throw new Error(r.errors.join());
    expect((r.value.warnings ?? []).filter((w) => w.includes('DNS_CAPTURE'))).to.deep.equal([
      "ProxyConfig shop/dns: environmentVariables: ISTIO_META_DNS_CAPTURE (mizzen's sidecars run no DNS proxy: the pod's DNS queries go to the cluster's resolver): read by Istio's node agent, which mizzen's sidecars do not run (set, not applied)",
    ]);
  });

  it('remembers the lookup per list, and has none for an empty list', () => {
    const list = [mesh];
    expect(proxyConfigsOf(list)).to.equal(proxyConfigsOf(list));
    expect(proxyConfigsOf([mesh])).not.to.equal(proxyConfigsOf(list));
    expect(proxyConfigsOf([])).to.equal(undefined);
  });

  describe('the injected pod', () => {
    const opts = { namespace: 'shop', mesh: DEFAULT_MESH_CONFIG, proxyConfigs: lookup };

    it('runs the workload resource concurrency and carries every layer environment, ISTIO_META_ ones also as node metadata', () => {
      const r = injectPod(pod({ app: 'ratings' }), opts);
      expect(r.ok).to.equal(true);
      if (!r.ok) return;
      expect(concurrencyOf(r.value.pod)).to.equal('1');
      expect(envOf(r.value.pod, 'LEVEL')).to.equal('workload');
      expect(envOf(r.value.pod, 'MESH_ONLY')).to.equal('m');
      expect(envOf(r.value.pod, 'ISTIO_META_TEAM')).to.equal('shop');
      expect(bootstrapOf(r.value.pod).node.metadata.TEAM).to.equal('shop');
    });

    it('wins over proxy.istio.io/config field by field: concurrency whole, environment name by name', () => {
      const annotated = pod({ app: 'ratings' }, { 'proxy.istio.io/config': 'concurrency: 3\nproxyMetadata: {LEVEL: annotation, FROM_POD: "yes"}\nholdApplicationUntilProxyStarts: true' });
      const r = injectPod(annotated, opts);
      if (!r.ok) throw new Error(r.errors.join('; '));
      expect(concurrencyOf(r.value.pod)).to.equal('1');
      expect(envOf(r.value.pod, 'LEVEL')).to.equal('workload');
      expect(envOf(r.value.pod, 'FROM_POD')).to.equal('yes');
      // holdApplicationUntilProxyStarts, which the resources do not set, stays the annotation's: the proxy starts first.
      expect((r.value.pod.spec.containers as Array<{ name: string }>)[0]!.name).to.equal('istio-proxy');
    });

    it('leaves the annotation in charge where no resource applies, and shares the mesh defaults when nothing applies at all', () => {
      const onlyWorkload = proxyConfigLookup([ratings])!;
      const r = injectPod(pod({ app: 'reviews' }, { 'proxy.istio.io/config': 'concurrency: 3' }), { ...opts, proxyConfigs: onlyWorkload });
      if (!r.ok) throw new Error(r.errors.join('; '));
      expect(concurrencyOf(r.value.pod)).to.equal('3');
      const plain = pod({ app: 'reviews' });
      expect(readInjectParams(plain, DEFAULT_MESH_CONFIG, onlyWorkload('shop', { app: 'reviews' }, ROOT_NAMESPACES))).to.equal(readInjectParams(plain, DEFAULT_MESH_CONFIG));
    });

    it('admits the pod with the warning of an unusable field', () => {
      const r = injectPod(pod({ app: 'x' }), { ...opts, proxyConfigs: proxyConfigLookup([pc('shop', 'bad', { concurrency: 'many' })]) });
      if (!r.ok) throw new Error(r.errors.join('; '));
      expect(r.value.warnings).to.deep.equal(['ProxyConfig shop/bad: spec.concurrency: must be a whole number, got "many" (not applied)']);
      expect(concurrencyOf(r.value.pod)).to.equal('2');
    });
  });

  describe("the mesh config's rootNamespace", () => {
    const inRoot = pc('mesh-admin', 'mesh', { concurrency: 5, environmentVariables: { LEVEL: 'mesh-admin' } }, '2024-01-01T00:00:00Z');
    const inIstio = pc('istio-system', 'mesh', { concurrency: 4 }, '2023-01-01T00:00:00Z');
    const inMizzen = pc('mizzen-system', 'mesh', { concurrency: 3 }, '2022-01-01T00:00:00Z');
    const both = proxyConfigLookup([inRoot, inIstio, inMizzen])!;
    const rooted = resolveMeshConfig({ rootNamespace: 'mesh-admin' });
    if (!rooted.ok) throw new Error(rooted.errors.join('; '));

    it('unset: the mesh resource of istio-system, else of mizzen-system; another namespace is no root', () => {
      expect(both('shop', {}, ROOT_NAMESPACES)!.from).to.deep.equal(['istio-system/mesh']);
      expect(proxyConfigLookup([inRoot, inMizzen])!('shop', {}, ROOT_NAMESPACES)!.from).to.deep.equal(['mizzen-system/mesh']);
      expect(proxyConfigLookup([inRoot])!('shop', {}, ROOT_NAMESPACES)).to.equal(undefined);
    });

    it("set: that namespace's resource is the mesh's, for pods of every namespace, and istio-system's and mizzen-system's are not", () => {
      for (const ns of ['shop', 'istio-system', 'mizzen-system']) expect(both(ns, {}, ['mesh-admin'])!.from[0], ns).to.equal('mesh-admin/mesh');
      expect(both('shop', {}, ['mesh-admin'])!.from).to.deep.equal(['mesh-admin/mesh']);
      expect(proxyConfigLookup([inIstio, inMizzen])!('shop', {}, ['mesh-admin'])).to.equal(undefined);
    });

    it('the injector takes the root namespaces from the mesh config it is given', () => {
      const injected = (mesh: typeof DEFAULT_MESH_CONFIG): string | undefined => {
        const r = injectPod(pod({ app: 'x' }), { namespace: 'shop', mesh, proxyConfigs: both });
        if (!r.ok) throw new Error(r.errors.join('; '));
        return concurrencyOf(r.value.pod);
      };
      expect(injected(DEFAULT_MESH_CONFIG)).to.equal('4');
      expect(injected(rooted.value)).to.equal('5');
      const r = injectPod(pod({ app: 'x' }), { namespace: 'shop', mesh: rooted.value, proxyConfigs: proxyConfigLookup([inIstio]) });
      if (!r.ok) throw new Error(r.errors.join('; '));
      expect(concurrencyOf(r.value.pod), "istio-system's is no longer the mesh's: the default concurrency").to.equal('2');
    });
  });

  describe("under them, the mesh config's defaultConfig", () => {
    const resolved = resolveMeshConfig({ defaultConfig: { concurrency: 6, proxyMetadata: { LEVEL: 'mesh-config', ISTIO_META_REGION_HINT: 'eu' }, interceptionMode: 'NONE' } });
    if (!resolved.ok) throw new Error(resolved.errors.join('; '));
    const mesh = resolved.value;
    const inits = (p: KubeObject) => ((p.spec.initContainers ?? []) as Array<{ name: string }>).map((c) => c.name);

    it('gives every pod its concurrency, environment and interception mode', () => {
      const r = injectPod(pod({ app: 'x' }), { namespace: 'shop', mesh });
      if (!r.ok) throw new Error(r.errors.join('; '));
      expect(concurrencyOf(r.value.pod)).to.equal('6');
      expect(envOf(r.value.pod, 'LEVEL')).to.equal('mesh-config');
      expect(bootstrapOf(r.value.pod).node.metadata.REGION_HINT).to.equal('eu');
      expect(inits(r.value.pod)).to.deep.equal([]);
    });

    it('gives way to the annotation field by field, and both to the ProxyConfig resources', () => {
      const annotated = pod({ app: 'ratings' }, { 'proxy.istio.io/config': 'proxyMetadata: {LEVEL: annotation}\ninterceptionMode: REDIRECT' });
      const r = injectPod(annotated, { namespace: 'shop', mesh });
      if (!r.ok) throw new Error(r.errors.join('; '));
      expect(concurrencyOf(r.value.pod)).to.equal('6');
      expect(envOf(r.value.pod, 'LEVEL')).to.equal('annotation');
      expect(envOf(r.value.pod, 'ISTIO_META_REGION_HINT')).to.equal('eu');
      expect(inits(r.value.pod)).to.deep.equal(['istio-init']);
      const withResources = injectPod(annotated, { namespace: 'shop', mesh, proxyConfigs: lookup });
      if (!withResources.ok) throw new Error(withResources.errors.join('; '));
      expect(concurrencyOf(withResources.value.pod)).to.equal('1');
      expect(envOf(withResources.value.pod, 'LEVEL')).to.equal('workload');
      expect(envOf(withResources.value.pod, 'ISTIO_META_REGION_HINT')).to.equal('eu');
    });
  });
});
