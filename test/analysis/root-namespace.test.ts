/**
 * The mesh config's rootNamespace in analysis: the analyzers read the same root namespaces as the generators
 * (world.rootNamespaces from analysisOptions), so a selector or a Telemetry is judged where it applies.
 */
import { expect } from 'chai';
import { analyze } from '../../src/analysis/index.js';
import type { KubeObject } from '../../src/core/kube.js';
import { analysisOptions, DEFAULT_MESH_CONFIG, resolveMeshConfig } from '../../src/config/mesh.js';
import { authz, brief, peer, pod, sidecar } from './fixtures.js';

const ROOT = 'mesh-admin';
const UNSET = analysisOptions(DEFAULT_MESH_CONFIG);
const rooted = resolveMeshConfig({ rootNamespace: ROOT });
if (!rooted.ok) throw new Error(rooted.errors.join('; '));
const SET = analysisOptions(rooted.value);

const telemetry = (name: string, spec: Record<string, unknown>, namespace: string): KubeObject => ({
  apiVersion: 'telemetry.istio.io/v1',
  kind: 'Telemetry',
  metadata: { name, namespace },
  spec,
});

describe("analysis: the mesh config's rootNamespace", () => {
  it('reaches the analysis options: the named namespace alone, or istio-system and mizzen-system when unset', () => {
    expect(SET.rootNamespaces).to.deep.equal([ROOT]);
    expect(UNSET.rootNamespaces).to.deep.equal(['istio-system', 'mizzen-system']);
  });

  it('an AuthorizationPolicy selector in the root namespace set picks workloads of every namespace; one in istio-system no longer does', () => {
    // Workloads in every namespace involved, so that each selector is judged.
    const workloads = [pod('a', { app: 'a' }, 'other'), pod('x', { app: 'x' }, ROOT), pod('gw', { istio: 'ingressgateway' }, 'istio-system')];
    const inRoot = authz('z', { app: 'a' }, {}, ROOT);
    const inIstio = authz('z', { app: 'a' }, {}, 'istio-system');
    expect(analyze([...workloads, inRoot], SET).map(brief)).to.deep.equal([]);
    expect(analyze([...workloads, inRoot], UNSET).map(brief)).to.deep.equal([`IST0127 AuthorizationPolicy ${ROOT}/z spec.selector.matchLabels`]);
    expect(analyze([...workloads, inIstio], UNSET).map(brief)).to.deep.equal([]);
    expect(analyze([...workloads, inIstio], SET).map(brief)).to.deep.equal(['IST0127 AuthorizationPolicy istio-system/z spec.selector.matchLabels']);
  });

  it('a Sidecar or PeerAuthentication selector picks workloads of its own namespace only, in a root namespace too, as the generators apply them', () => {
    const workloads = [pod('a', { app: 'a' }, 'other'), pod('x', { app: 'x' }, ROOT)];
    for (const [options, name] of [[SET, 'set'], [UNSET, 'unset']] as const) {
      expect(analyze([...workloads, sidecar('s', { app: 'a' }, {}, ROOT)], options).map(brief), name).to.deep.equal([`IST0127 Sidecar ${ROOT}/s spec.workloadSelector.labels`]);
      expect(analyze([...workloads, peer('pa', { app: 'a' }, ROOT)], options).map(brief), name).to.deep.equal([`IST0127 PeerAuthentication ${ROOT}/pa spec.selector.matchLabels`]);
    }
  });

  it('a Telemetry of the root namespace set gives every namespace its providers; one of istio-system no longer does', () => {
    const providers = { accessLogging: [{ providers: [{ name: 'envoy' }] }] };
    const sampling = telemetry('t', { accessLogging: [{ filter: { expression: 'response.code >= 400' } }] }, 'default');
    const unprovided = ['IST0157 Telemetry default/t spec.accessLogging[0]'];
    expect(analyze([telemetry('mesh', providers, ROOT), sampling], SET).map(brief)).to.deep.equal([]);
    expect(analyze([telemetry('mesh', providers, ROOT), sampling], UNSET).map(brief)).to.deep.equal(unprovided);
    expect(analyze([telemetry('mesh', providers, 'istio-system'), sampling], UNSET).map(brief)).to.deep.equal([]);
    expect(analyze([telemetry('mesh', providers, 'istio-system'), sampling], SET).map(brief)).to.deep.equal(unprovided);
  });
});
