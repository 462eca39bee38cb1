/** Istio's per-resource suppression, galley.istio.io/analyze-suppress: codes listed (or `*`) on a resource drop its findings. */
import { expect } from 'chai';
import { analyze, analyzeObject } from '../../src/analysis/index.js';
import { checkDocuments, schemaFindings } from '../../src/analysis/documents.js';
import type { KubeObject } from '../../src/core/kube.js';
import { brief, reviewsBase, route } from './fixtures.js';

const annotated = (o: KubeObject, value: string): KubeObject => ({ ...o, metadata: { ...o.metadata, annotations: { 'galley.istio.io/analyze-suppress': value } } });
/** A VirtualService whose destination host and subset do not exist (IST0101 findings). */
const broken = (): KubeObject => route('r', 'reveiws', { hosts: ['reviews'], subset: 'v9' });

describe('analysis: galley.istio.io/analyze-suppress', () => {
  it('without the annotation the findings are there (what the other cases suppress)', () => {
    expect(analyze([...reviewsBase(), broken()]).map(brief)).to.include('IST0101 VirtualService default/r spec.http[0].route[0].destination.host');
  });

  it('the codes listed (spaces around commas allowed) drop that resource’s findings of those codes only', () => {
    const withOther = [...reviewsBase(), annotated(broken(), 'IST0118, IST0101'), route('other', 'nope')];
    expect(analyze(withOther).map(brief)).to.deep.equal(['IST0101 VirtualService default/other spec.http[0].route[0].destination.host']);
    expect(analyze([...reviewsBase(), annotated(broken(), 'IST0118')]).map(brief)).to.include('IST0101 VirtualService default/r spec.http[0].route[0].destination.host');
  });

  it('* drops every finding of the resource; an empty value drops none', () => {
    expect(analyze([...reviewsBase(), annotated(broken(), '*')]).filter((f) => f.resource.name === 'r')).to.deep.equal([]);
    expect(analyze([...reviewsBase(), annotated(broken(), '')]).filter((f) => f.resource.name === 'r')).to.have.length.greaterThan(0);
  });

  it('at apply time too: the webhook’s analysis of one object honours its own annotation', () => {
    const world = reviewsBase();
    expect(analyzeObject(broken(), world).map((f) => f.code)).to.include('IST0101');
    expect(analyzeObject(annotated(broken(), 'IST0101'), world)).to.deep.equal([]);
  });

  it('schema findings (IST0133) of an annotated document are dropped as well', () => {
    const value = { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'd', namespace: 'default', annotations: { 'galley.istio.io/analyze-suppress': 'IST0133' } }, spec: { host: 'reviews', trafficPolicy: { tunnel: { targetHost: 'a.com', targetPort: 1 } } } };
    const [report] = checkDocuments([{ file: 'dr.yaml', index: 0, value }]);
    expect(report!.warnings.length, 'the validator warns of the tunnel').to.be.greaterThan(0);
    expect(schemaFindings(report!)).to.deep.equal([]);
  });
});
