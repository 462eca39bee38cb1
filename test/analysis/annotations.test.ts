/** Istio's annotation analyzer: IST0107 (misplaced), IST0108 (unknown), IST0125 (invalid value), IST0135 (deprecated). */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { analyze, analyzeObject } from '../../src/analysis/index.js';
import { ALSO_KNOWN, annotationValueProblems, isIstioKey, knownAnnotation, VALUE_CHECKED } from '../../src/analysis/analyzers/annotations.js';
import { ISTIO_ANNOTATIONS } from '../../src/analysis/istio-annotations.js';
import { DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';
import { Annotations } from '../../src/core/constants.js';
import type { KubeObject } from '../../src/core/kube.js';
import { readInjectParams } from '../../src/inject/annotations.js';
import { MERGE_METRICS_ANNOTATION, REWRITE_ANNOTATION } from '../../src/inject/probes.js';
import { PROXY_OPTION_ANNOTATIONS, UNSUPPORTED_ANNOTATIONS } from '../../src/inject/proxy-options.js';
import { TEMPLATES_ANNOTATION } from '../../src/inject/templates.js';
import { IGNORE_POLICY_ATTACHMENT } from '../../src/model/gateway-api-backendtls.js';
import { TRAFFIC_DISTRIBUTION } from '../../src/model/registry.js';
import { DRY_RUN_ANNOTATION } from '../../src/validation/authorizationpolicy.js';
import { SUPPRESS_ANNOTATION } from '../../src/analysis/finding.js';
import { OUT_FILE, readAnnotations, renderAnnotations } from '../../src/tools/gen-istio-annotations.js';
import { brief } from './fixtures.js';

type Annos = Record<string, unknown>;
const meta = (name: string, annotations: Annos, labels?: Record<string, string>) => ({ name, namespace: 'default', annotations, ...(labels && { labels }) }) as KubeObject['metadata'];
const service = (annotations: Annos): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: meta('web', annotations), spec: { ports: [{ name: 'http', port: 80 }], selector: { app: 'web' } } });
const pod = (annotations: Annos, labels?: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: meta('p', annotations, labels), spec: { containers: [{ name: 'app', image: 'app' }] } });
const namespace = (annotations: Annos): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', annotations: annotations as Record<string, string> } });
const deployment = (annotations: Annos, template: Annos = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: meta('web', annotations),
  spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' }, annotations: template }, spec: { containers: [{ name: 'app', image: 'app' }] } } },
});

/** The findings of this analyzer's codes, brief. */
const ANNOTATION_CODES = ['IST0107', 'IST0108', 'IST0125', 'IST0135'];
const found = (...objects: KubeObject[]): string[] =>
  analyze(objects)
    .filter((f) => ANNOTATION_CODES.includes(f.code))
    .map(brief)
    .sort();
const at = (key: string) => `metadata.annotations[${JSON.stringify(key)}]`;

describe('analysis: Istio annotations (IST0107, IST0108, IST0125, IST0135)', () => {
  describe('IST0108 UnknownAnnotation', () => {
    it('an annotation of Istio’s keys that Istio does not define, naming resource and annotation', () => {
      const fs = analyze([service({ 'networking.istio.io/exportThree': 'x', 'networking.istio.io/exportTo': '.' })]).filter((f) => f.code === 'IST0108');
      expect(fs.map(brief)).to.deep.equal([`IST0108 Service default/web ${at('networking.istio.io/exportThree')}`]);
      expect(fs[0]!.level).to.equal('Warning');
      expect(fs[0]!.message).to.include('"networking.istio.io/exportThree"');
    });

    it('any prefix ending in istio.io counts (a misspelt key); kubernetes.io/ingress.class is Istio’s to check too', () => {
      expect(found(pod({ 'sidecar.istio.io/proxyCpu': '100m', 'foo.bar.istio.io/x': 'y', 'istio.io/nope': 'z' }))).to.deep.equal([
        `IST0108 Pod default/p ${at('foo.bar.istio.io/x')}`,
        `IST0108 Pod default/p ${at('istio.io/nope')}`,
        `IST0108 Pod default/p ${at('sidecar.istio.io/proxyCpu')}`,
      ]);
      expect(isIstioKey('kubernetes.io/ingress.class')).to.equal(true);
    });

    it('not said of other keys: other vendors’, Kubernetes’, mizzen’s own (sidecar.mizzen.io/*), or istio.io after the first slash', () => {
      const others = { 'kubernetes.io/psp': 'p', 'helm.sh/hook': 'test', 'example.com/istio.io': 'x', [Annotations.skipReason]: 'r', 'sidecar.mizzen.io/made-up': 'y', 'prometheus.io/scrape': 'true' };
      expect(found(pod(others), service(others), namespace(others), deployment(others))).to.deep.equal([]);
      for (const k of Object.keys(others)) expect(isIstioKey(k), k).to.equal(false);
    });

    it('every annotation mizzen reads of Istio’s keys is known, so never IST0108', () => {
      const read = [
        ...Object.values(Annotations),
        ...PROXY_OPTION_ANNOTATIONS,
        ...UNSUPPORTED_ANNOTATIONS.keys(),
        TEMPLATES_ANNOTATION,
        REWRITE_ANNOTATION,
        MERGE_METRICS_ANNOTATION,
        TRAFFIC_DISTRIBUTION,
        DRY_RUN_ANNOTATION,
        IGNORE_POLICY_ATTACHMENT,
        SUPPRESS_ANNOTATION,
      ].filter(isIstioKey);
      expect(read.length).to.be.greaterThan(30);
      expect(read.filter((k) => knownAnnotation(k) === undefined)).to.deep.equal([]);
      // mizzen's own keys are not Istio's at all.
      expect(Object.values(Annotations).filter((k) => k.includes('mizzen.io') && isIstioKey(k))).to.deep.equal([]);
    });

    it('the keys mizzen adds are ones Istio’s list lacks (an entry there would make them redundant)', () => {
      for (const k of ALSO_KNOWN.keys()) expect(ISTIO_ANNOTATIONS.has(k), k).to.equal(false);
    });
  });

  describe('IST0107 MisplacedAnnotation', () => {
    it('a Pod annotation on a Service, the ingress class on a Namespace or a Pod', () => {
      expect(found(service({ [Annotations.proxyCPU]: '100m' }), namespace({ 'kubernetes.io/ingress.class': 'istio' }), pod({ 'kubernetes.io/ingress.class': 'istio' }))).to.deep.equal([
        `IST0107 Namespace /shop ${at('kubernetes.io/ingress.class')}`,
        `IST0107 Pod default/p ${at('kubernetes.io/ingress.class')}`,
        `IST0107 Service default/web ${at(Annotations.proxyCPU)}`,
      ]);
    });

    it('a Pod annotation on a Deployment’s own metadata, pointing at its template; in the template it is not checked', () => {
      const fs = analyze([deployment({ [Annotations.proxyCPU]: '100m' }, { [Annotations.proxyCPU]: 'lots' })]).filter((f) => ANNOTATION_CODES.includes(f.code));
      expect(fs.map(brief)).to.deep.equal([`IST0107 Deployment default/web ${at(Annotations.proxyCPU)}`]);
      expect(fs[0]!.message).to.include('spec.template.metadata.annotations');
    });

    it('not said where it belongs, nor of annotations for any resource (the suppression annotation)', () => {
      expect(found(service({ 'networking.istio.io/exportTo': '.', [TRAFFIC_DISTRIBUTION]: 'PreferClose' }), namespace({ [TRAFFIC_DISTRIBUTION]: 'PreferClose', 'topology.istio.io/controlPlaneClusters': '*' }), deployment({ [SUPPRESS_ANNOTATION]: 'IST0118' }), pod({ [Annotations.proxyCPU]: '100m', [Annotations.proxyConfig]: '{}' }))).to.deep.equal([]);
    });

    it('annotations Istio’s own components set are not analyzed (status, controller version, revision)', () => {
      expect(found(service({ [Annotations.status]: '{}', 'gateway.istio.io/controller-version': '5', 'istio.io/rev': 'canary' }))).to.deep.equal([]);
    });
  });

  describe('IST0125 InvalidAnnotation', () => {
    const invalid: Array<[string, unknown]> = [
      [Annotations.readinessInitialDelaySeconds, 'bar'],
      [Annotations.readinessPeriodSeconds, '-1'],
      [Annotations.readinessFailureThreshold, '4294967296'],
      [Annotations.statusPort, '70000'],
      [Annotations.interceptionMode, 'SIDEWAYS'],
      [Annotations.interceptionMode, 'TPROXY'],
      [Annotations.includeOutboundIPRanges, '10.0.0.0/33'],
      [Annotations.excludeOutboundIPRanges, 'not-an-ip'],
      [Annotations.includeInboundPorts, '8080,http'],
      [Annotations.excludeInboundPorts, '0'],
      [Annotations.excludeOutboundPorts, '65536'],
      [Annotations.excludeInterfaces, '1eth'],
      [Annotations.kubevirtInterfaces, 'net1'],
      [Annotations.proxyConfig, 'concurrency: [1'],
      [Annotations.proxyCPU, 'lots'],
      [Annotations.proxyMemoryLimit, '-1Gi'],
      [Annotations.readinessPeriodSeconds, 10],
    ];
    const valid: Array<[string, string]> = [
      [Annotations.readinessInitialDelaySeconds, '0'],
      [Annotations.readinessPeriodSeconds, '10'],
      [Annotations.statusPort, '0'],
      [Annotations.interceptionMode, 'NONE'],
      [Annotations.includeOutboundIPRanges, '*'],
      [Annotations.excludeOutboundIPRanges, '10.0.0.0/8,fd00::/8'],
      [Annotations.includeInboundPorts, '8080, 9090'],
      [Annotations.excludeInterfaces, 'eth1'],
      [Annotations.proxyConfig, 'concurrency: 1'],
      [Annotations.proxyCPU, '100m'],
      [Annotations.proxyMemoryLimit, '1Gi'],
    ];

    for (const [key, value] of invalid) {
      it(`${key}: ${JSON.stringify(value)} is refused by the webhook and reported`, () => {
        const webhook = readInjectParams(pod({ [key]: value }), DEFAULT_MESH_CONFIG);
        expect(webhook.ok, 'the webhook refuses the pod').to.equal(false);
        const fs = analyze([pod({ [key]: value })]).filter((f) => f.code === 'IST0125');
        expect(fs.map(brief)).to.deep.equal([`IST0125 Pod default/p ${at(key)}`]);
        // The webhook's own words, after the annotation's name.
        expect(webhook.ok ? [] : webhook.errors.map((e) => e.slice(at(key).length + 2))).to.include(fs[0]!.message.replace(`Invalid annotation ${JSON.stringify(key)}: `, ''));
      });
    }

    it('values the webhook takes are not reported', () => {
      for (const [key, value] of valid) {
        expect(readInjectParams(pod({ [key]: value }), DEFAULT_MESH_CONFIG).ok, `${key}: ${value}`).to.equal(true);
        expect(found(pod({ [key]: value })), `${key}: ${value}`).to.deep.equal([]);
      }
    });

    it('a request above its limit is reported on the request, as the webhook refuses it', () => {
      expect(found(pod({ [Annotations.proxyCPU]: '2', [Annotations.proxyCPULimit]: '1' }))).to.deep.equal([`IST0125 Pod default/p ${at(Annotations.proxyCPU)}`]);
    });

    it('prometheus.istio.io/merge-metrics: "true" or "false", the only values mizzen reads', () => {
      expect(found(pod({ [MERGE_METRICS_ANNOTATION]: 'false' }), { ...pod({ [MERGE_METRICS_ANNOTATION]: 'true' }), metadata: meta('q', { [MERGE_METRICS_ANNOTATION]: 'true' }) })).to.deep.equal([]);
      expect(found(pod({ [MERGE_METRICS_ANNOTATION]: 'yes' }))).to.deep.equal([`IST0125 Pod default/p ${at(MERGE_METRICS_ANNOTATION)}`]);
    });

    it('only the annotations whose values Istio checks: another the webhook refuses is left to the webhook', () => {
      expect(readInjectParams(pod({ [Annotations.proxyImage]: 'a b' }), DEFAULT_MESH_CONFIG).ok).to.equal(false);
      expect(found(pod({ [Annotations.proxyImage]: 'a b' }))).to.deep.equal([]);
      for (const key of VALUE_CHECKED) expect(knownAnnotation(key)?.resources, key).to.include('Pod');
    });

    it('a misplaced annotation is reported as misplaced only, whatever its value', () => {
      expect(found(service({ [Annotations.readinessInitialDelaySeconds]: 'bar' }))).to.deep.equal([`IST0107 Service default/web ${at(Annotations.readinessInitialDelaySeconds)}`]);
    });

    it('problems come back by annotation, and none for annotations it does not check', () => {
      const problems = annotationValueProblems({ [Annotations.proxyCPU]: 'lots', [Annotations.statusPort]: 'x', [Annotations.proxyImage]: 'a b' });
      expect([...problems.keys()].sort()).to.deep.equal([Annotations.proxyCPU, Annotations.statusPort].sort());
    });
  });

  describe('IST0135 DeprecatedAnnotation', () => {
    it('a deprecated annotation, at level Info, naming the label that replaces the inject annotation', () => {
      const fs = analyze([pod({ [Annotations.inject]: 'true', 'sidecar.istio.io/statsInclusionPrefixes': 'cluster' })]).filter((f) => ANNOTATION_CODES.includes(f.code));
      expect(fs.map(brief).sort()).to.deep.equal([`IST0135 Pod default/p ${at(Annotations.inject)}`, `IST0135 Pod default/p ${at('sidecar.istio.io/statsInclusionPrefixes')}`]);
      expect(fs.every((f) => f.level === 'Info')).to.equal(true);
      expect(fs.find((f) => f.path === at(Annotations.inject))!.message).to.include('label');
    });

    it('the inject annotation beside the inject label is not said; a deprecated annotation on a Deployment is misplaced too', () => {
      expect(found(pod({ [Annotations.inject]: 'true' }, { [Annotations.inject]: 'true' }))).to.deep.equal([]);
      expect(found(deployment({ 'sidecar.istio.io/statsInclusionPrefixes': 'cluster' }))).to.deep.equal([
        `IST0107 Deployment default/web ${at('sidecar.istio.io/statsInclusionPrefixes')}`,
        `IST0135 Deployment default/web ${at('sidecar.istio.io/statsInclusionPrefixes')}`,
      ]);
    });
  });

  describe('input as found', () => {
    it('galley.istio.io/analyze-suppress drops the resource’s findings of the codes it lists', () => {
      expect(found(service({ 'networking.istio.io/exportThree': 'x', [SUPPRESS_ANNOTATION]: 'IST0108' }))).to.deep.equal([]);
      expect(found(service({ 'networking.istio.io/exportThree': 'x', [SUPPRESS_ANNOTATION]: 'IST0107' }))).to.have.length(1);
    });

    it('at apply time, on the object applied only', () => {
      const world = [service({ 'networking.istio.io/exportThree': 'x' })];
      expect(analyzeObject(pod({ 'istio.io/nope': 'x' }), world).filter((f) => ANNOTATION_CODES.includes(f.code)).map(brief)).to.deep.equal([`IST0108 Pod default/p ${at('istio.io/nope')}`]);
    });

    it('annotations that are not a map, or resources of other groups and kinds, give nothing and throw nothing', () => {
      const odd: KubeObject[] = [
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', annotations: null as unknown as Record<string, string> } },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'b', annotations: ['istio.io/x'] as unknown as Record<string, string> } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', annotations: { 'istio.io/x': 'y' } } },
        { apiVersion: 'example.com/v1', kind: 'Deployment', metadata: { name: 'd', annotations: { 'istio.io/x': 'y' } } },
      ];
      expect(found(...odd)).to.deep.equal([]);
    });
  });

  describe('the list of Istio’s annotations (istio-annotations.ts)', () => {
    it('is what src/tools/gen-istio-annotations.ts renders from its entries (not edited by hand)', () => {
      const entries = [...ISTIO_ANNOTATIONS.values()].map((a) => ({ name: a.name, resources: [...a.resources], status: a.status, deprecated: a.deprecated }));
      expect(readFileSync(OUT_FILE, 'utf8')).to.equal(renderAnnotations(entries));
      expect(ISTIO_ANNOTATIONS.get('sidecar.istio.io/inject')).to.deep.include({ deprecated: true, resources: ['Pod'] });
    });

    it('the generator reads annotations.yaml (no featureStatus: Alpha, as istio/api reads it) and names a bad entry’s field', () => {
      const text = 'annotations:\n  - name: b.istio.io/x\n    featureStatus: Beta\n    deprecated: true\n    resources: [Pod, Service]\n  - name: a.istio.io/y\n    resources: [Any]\n';
      expect(readAnnotations(text)).to.deep.equal([
        { name: 'a.istio.io/y', resources: ['Any'], status: 'Alpha', deprecated: false },
        { name: 'b.istio.io/x', resources: ['Pod', 'Service'], status: 'Beta', deprecated: true },
      ]);
      expect(renderAnnotations(readAnnotations(text))).to.include("['a.istio.io/y', ['Any'], 'Alpha', false],");
      expect(() => readAnnotations('annotations:\n  - name: x\n    featureStatus: Gamma\n    resources: []\n')).to.throw('annotations[0].featureStatus');
      expect(() => readAnnotations('annotations:\n  - resources: []\n')).to.throw('annotations[0].name');
      expect(() => readAnnotations('annotations:\n  - name: x\n')).to.throw('annotations[0].resources');
      expect(() => readAnnotations('nothing: here\n')).to.throw('annotations: must be a list');
    });
  });
});
