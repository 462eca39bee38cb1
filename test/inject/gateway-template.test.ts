/**
 * Istio's gateway injection template (inject.istio.io/templates: gateway): the pod's own istio-proxy becomes
 * Envoy as a router, and the control plane serves it as the gateway its labels select.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jsonpatch from 'fast-json-patch';
import { DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';
import { parseDocuments } from '../../src/core/documents.js';
import type { KubeObject } from '../../src/core/kube.js';
import { TypeUrls } from '../../src/core/constants.js';
import { injectPod } from '../../src/inject/index.js';
import { unknownTemplates, wantsGateway, wantsProxyless } from '../../src/inject/templates.js';
import { parseNode } from '../../src/model/proxy.js';
import { buildSnapshot } from '../../src/model/snapshot.js';
import { generate } from '../../src/xds/gen/index.js';
import { deepFreeze } from './harness.js';
import { BOOKINFO_NETWORKING } from '../support/samples.js';

const LABELS = { app: 'istio-ingressgateway', istio: 'ingressgateway' };

const gatewayPod = (annotations: Record<string, string> = { 'inject.istio.io/templates': 'gateway' }, containers: unknown[] = [{ name: 'istio-proxy', image: 'auto' }]): KubeObject =>
  deepFreeze({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'ingress-7d9c', namespace: 'istio-system', labels: { ...LABELS }, annotations },
    spec: { containers },
  });

function injected(pod: KubeObject) {
  const r = injectPod(pod, { namespace: 'istio-system', mesh: DEFAULT_MESH_CONFIG });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}

/** The container's `--flag value` arguments. */
function arg(container: { args?: string[] }, flag: string): string | undefined {
  const args = container.args ?? [];
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

describe('the gateway injection template', () => {
  it('reads the template list as Istio does: proxyless wins over gateway; unknown names are reported', () => {
    const pod = (v: string) => gatewayPod({ 'inject.istio.io/templates': v });
    expect(wantsGateway(pod('gateway'))).to.equal(true);
    expect(wantsGateway(pod(' sidecar , gateway '))).to.equal(true);
    expect(wantsGateway(pod('sidecar'))).to.equal(false);
    expect(wantsGateway(pod('gateway,grpc-agent'))).to.equal(false);
    expect(wantsProxyless(pod('gateway,grpc-agent'))).to.equal(true);
    expect(wantsGateway(gatewayPod({}))).to.equal(false);
    expect(unknownTemplates('sidecar,spire, ,custom')).to.deep.equal(['spire', 'custom']);
    expect(unknownTemplates(7)).to.deep.equal([]);
  });

  it('turns the pod own istio-proxy into a router in place: no istio-init, no tlsMode, the status port declared', () => {
    const r = injected(gatewayPod());
    expect(r.decision.inject).to.equal(true);
    expect(r.warnings ?? []).to.deep.equal([]);
    const spec = r.pod.spec as { containers: any[]; initContainers?: unknown[] };
    expect(spec.initContainers ?? []).to.deep.equal([]);
    expect(spec.containers.map((c) => c.name)).to.deep.equal(['istio-proxy']);
    const proxy = spec.containers[0];
    expect(proxy.image).to.equal(DEFAULT_MESH_CONFIG.proxyImage);
    expect(arg(proxy, '--service-node')).to.match(/^router~\$\(INSTANCE_IP\)~\$\(POD_NAME\)\.\$\(POD_NAMESPACE\)~/);
    expect(proxy.ports.map((p: any) => [p.name, p.containerPort])).to.deep.equal([
      ['status-port', 15021],
      ['http-envoy-prom', 15090],
    ]);
    expect(proxy.env.find((e: any) => e.name === 'ISTIO_META_INTERCEPTION_MODE').value).to.equal('NONE');
    expect(r.pod.metadata.labels).to.not.have.property('security.istio.io/tlsMode');
    expect(JSON.parse(r.pod.metadata.annotations!['sidecar.istio.io/status']!)).to.deep.include({ initContainers: [], containers: ['istio-proxy'] });
    // The webhook's patch makes the same pod.
    const patched = jsonpatch.applyPatch(structuredClone(gatewayPod()), JSON.parse(r.patch!), true, false).newDocument;
    expect(patched).to.deep.equal(r.pod);
  });

  it('ignores what makes sense for a sidecar only: native, hold, probe rewriting', () => {
    const probe = { httpGet: { path: '/ready', port: 8080 } };
    const r = injected(
      gatewayPod(
        { 'inject.istio.io/templates': 'gateway', 'sidecar.istio.io/nativeSidecar': 'true', 'proxy.istio.io/config': '{"holdApplicationUntilProxyStarts": true}', 'sidecar.istio.io/rewriteAppHTTPProbers': 'true' },
        [{ name: 'istio-proxy', image: 'auto' }, { name: 'helper', image: 'helper:1', readinessProbe: probe }],
      ),
    );
    const spec = r.pod.spec as { containers: any[]; initContainers?: unknown[] };
    expect(spec.initContainers ?? []).to.deep.equal([]);
    expect(spec.containers.map((c) => c.name)).to.deep.equal(['helper', 'istio-proxy']);
    expect(spec.containers[0].readinessProbe).to.deep.equal(probe);
    // No hold; the drain of a gateway (every listener, then terminationDrainDuration), as a regular container's.
    expect(Object.keys(spec.containers[1].lifecycle)).to.deep.equal(['preStop']);
    const drain: string = spec.containers[1].lifecycle.preStop.exec.command[2];
    expect(drain).to.include('POST /drain_listeners?graceful HTTP/1.1').and.include('\nsleep 5\n');
    expect(spec.containers[1]).to.not.have.property('restartPolicy');
  });

  it('warns about the template names it lacks, and still injects the gateway', () => {
    const r = injected(gatewayPod({ 'inject.istio.io/templates': 'gateway,spire' }));
    expect(r.warnings).to.have.length(1);
    expect(r.warnings![0]).to.contain('"spire" not supported by mizzen').and.contain('inject.istio.io/templates');
    expect(arg((r.pod.spec as any).containers[0], '--service-node')).to.match(/^router~/);
  });

  it("is served as the gateway its labels select: Bookinfo's Gateway gives its node the 8080 listener", () => {
    const r = injected(gatewayPod());
    const proxy = (r.pod.spec as any).containers[0];
    const bootstrap = JSON.parse(arg(proxy, '--config-yaml')!);
    // What Kubernetes expands before Envoy starts.
    const id = arg(proxy, '--service-node')!.replace('$(INSTANCE_IP)', '10.244.0.20').replace('$(POD_NAME)', 'ingress-7d9c').replaceAll('$(POD_NAMESPACE)', 'istio-system');
    const node = parseNode({ id, metadata: bootstrap.node.metadata });
    if (!node.ok) throw new Error(node.errors.join());
    expect(node.value.type).to.equal('router');
    const gateway = parseDocuments(readFileSync(join(BOOKINFO_NETWORKING, 'bookinfo-gateway.yaml'), 'utf8')).map((d) => d.value as KubeObject);
    const snap = buildSnapshot(gateway);
    const listeners = generate(snap, node.value, TypeUrls.listener).map((l: any) => l.resource.name);
    expect(listeners).to.include('0.0.0.0_8080');
  });
});
