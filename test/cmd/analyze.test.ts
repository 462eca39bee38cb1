import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from '../support/tmp.js';
import { mizzen, REPO_ROOT } from '../support/cli.js';

const ROOT = REPO_ROOT;
const BOOKINFO = join(ROOT, '../shared/samples/bookinfo');


const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: reviews}
spec: {selector: {app: reviews}, ports: [{port: 9080, name: http}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1}
spec:
  selector: {matchLabels: {app: reviews, version: v1}}
  template:
    metadata: {labels: {app: reviews, version: v1}}
    spec: {containers: [{name: reviews, image: reviews}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}]
`;
const route = (subset: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: ${subset}}
`;

function fixtures(): string {
  const dir = scratchDir('mizzen-analyze-');
  writeFileSync(join(dir, 'clean.yaml'), `${SERVICE}---\n${route('v1')}`);
  writeFileSync(join(dir, 'subset.yaml'), `${SERVICE}---\n${route('v2')}`);
  writeFileSync(join(dir, 'invalid.yaml'), `${SERVICE}---\n${route('v1').replace('  - route:', '  - timeout: abc\n    route:')}---\nkind: [unclosed\n`);
  return dir;
}

describe('mizzen analyze', function () {
  this.timeout(60_000);
  const dir = fixtures();

  it('Bookinfo (platform + every networking sample): no Errors, exit 0; --fail-on Warning exits 1', async () => {
    const r = await mizzen(['analyze', BOOKINFO]);
    expect(r.stderr).to.equal('');
    expect(r.code, r.stdout).to.equal(0);
    expect(r.stdout).to.not.match(/^Error /m);
    expect(r.stdout).to.include(`Info [MZ0005] (Gateway default/bookinfo-gateway ${join(BOOKINFO, 'networking/bookinfo-gateway.yaml')}#0) spec.selector: No workload in the input has the labels istio=ingressgateway`);
    expect(r.stdout.trim().split('\n').at(-1)).to.match(/^0 error\(s\), \d+ warning\(s\), 2 info in 63 document\(s\) in 26 file\(s\)$/);
    const strict = await mizzen(['analyze', '--fail-on', 'Warning', BOOKINFO]);
    expect(strict.code).to.equal(1);
  });

  it('a consistent input: no issues, exit 0', async () => {
    const r = await mizzen(['analyze', join(dir, 'clean.yaml')]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.equal('No validation issues found when analyzing 4 document(s) in 1 file(s).\n');
  });

  it('a subset no DestinationRule defines: IST0101 like istioctl, exit 1', async () => {
    const r = await mizzen(['analyze', '-f', join(dir, 'subset.yaml')]);
    expect(r.code).to.equal(1);
    expect(r.stdout.split('\n')[0]).to.equal(
      `Error [IST0101] (VirtualService default/reviews ${join(dir, 'subset.yaml')}#3) spec.http[0].route[0].destination.subset: Referenced host+subset in destinationrule not found: "reviews+v2"`,
    );
  });

  it('--suppress CODE=RESOURCE drops that finding (wildcards as istioctl); another code or resource does not; a malformed one exits 2', async () => {
    const file = join(dir, 'subset.yaml');
    for (const rule of ['IST0101=VirtualService reviews.default', 'IST0101=VirtualService *.default', 'IST0101=VirtualService rev?ews.*']) {
      const r = await mizzen(['analyze', '--suppress', rule, file]);
      expect([r.code, r.stdout], rule).to.deep.equal([0, 'No validation issues found when analyzing 4 document(s) in 1 file(s).\n']);
    }
    for (const rule of ['IST0106=VirtualService reviews.default', 'IST0101=VirtualService reviews.other', 'IST0101=DestinationRule *']) {
      expect((await mizzen(['analyze', '--suppress', rule, file])).code, rule).to.equal(1);
    }
    const bad = await mizzen(['analyze', '--suppress', 'IST0101', file]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('invalid --suppress: "IST0101" is not CODE=RESOURCE');
  });

  it('schema errors and unparsable documents are IST0106 with their document', async () => {
    const r = await mizzen(['analyze', join(dir, 'invalid.yaml')]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include(`Error [IST0106] (${join(dir, 'invalid.yaml')}#4) Schema validation error: does not parse: `);
    expect(r.stdout).to.include(`Error [IST0106] (VirtualService default/reviews ${join(dir, 'invalid.yaml')}#3) Schema validation error: spec.http[0].timeout: `);
  });

  it('-o json is a machine-readable array with codes, levels and origins', async () => {
    const r = await mizzen(['analyze', '-o', 'json', join(dir, 'subset.yaml')]);
    expect(r.code).to.equal(1);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows).to.deep.equal([
      {
        code: 'IST0101',
        name: 'ReferencedResourceNotFound',
        level: 'Error',
        message: 'Referenced host+subset in destinationrule not found: "reviews+v2"',
        resource: { kind: 'VirtualService', namespace: 'default', name: 'reviews' },
        path: 'spec.http[0].route[0].destination.subset',
        origin: [`${join(dir, 'subset.yaml')}#3`],
      },
    ]);
  });

  it('usage errors and missing paths exit 2', async () => {
    const missing = await mizzen(['analyze', join(dir, 'nope')]);
    expect(missing.code).to.equal(2);
    expect(missing.stderr.trim()).to.equal(`mizzen analyze: ${join(dir, 'nope')}: no such file or directory`);
    const level = await mizzen(['analyze', '--fail-on', 'Fatal', dir]);
    expect(level.code).to.equal(2);
    expect(level.stderr).to.include('invalid --fail-on "Fatal"');
  });

  it('--mesh-config: Telemetry providers are checked against its extensionProviders (MZ0007); Istio\'s fields are warned about; a bad mesh config exits 2', async () => {
    const tdir = scratchDir('mizzen-analyze-telemetry-');
    const telemetry = join(tdir, 'telemetry.yaml');
    writeFileSync(telemetry, `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec:
  tracing: [{providers: [{name: zipkn}]}]
  accessLogging: [{providers: [{name: Envoy}]}]
`);
    const mesh = join(tdir, 'mesh.yaml');
    writeFileSync(mesh, 'extensionProviders: [{name: zipkin, zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411}}]\n');
    const without = await mizzen(['analyze', '-o', 'json', telemetry]);
    expect(JSON.parse(without.stdout)).to.deep.equal([]);
    const checked = await mizzen(['analyze', '-o', 'json', '--mesh-config', mesh, telemetry]);
    const found = JSON.parse(checked.stdout);
    // "Envoy" is the default provider envoy: names match without regard to case.
    expect(found.map((f: any) => `${f.code} ${f.path}`)).to.deep.equal(['MZ0007 spec.tracing[0].providers[0].name']);
    expect(found[0].message).to.contain('no extensionProviders entry named "zipkn" (it has envoy, prometheus, stackdriver, zipkin)');
    writeFileSync(mesh, 'serviceSettings: []\n');
    const istio = await mizzen(['analyze', '-o', 'json', '--mesh-config', mesh, telemetry]);
    expect(JSON.parse(istio.stdout).map((f: any) => f.code)).to.deep.equal(['MZ0007']);
    expect(istio.stderr).to.equal(`mizzen analyze: warning: mesh config ${mesh}: serviceSettings: Istio's field is accepted but not applied by mizzen: every service is cluster-wide in mizzen (no clusterLocal hosts)\n`);
    writeFileSync(mesh, 'extensionProviders: {}\n');
    const bad = await mizzen(['analyze', '--mesh-config', mesh, telemetry]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain('extensionProviders: must be a list');
  });
});
