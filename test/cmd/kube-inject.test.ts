import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from '../support/tmp.js';
import { parseAllDocuments } from 'yaml';
import { mizzen, REPO_ROOT } from '../support/cli.js';
import { hasKubectl, kubectlReads } from '../support/kubectl.js';
import { KUBECTL_YAML } from '../../src/core/documents.js';
import { DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';
import { kubeInjectText } from '../../src/cmd/kube-inject.js';

const ROOT = REPO_ROOT;
const BOOKINFO = join(ROOT, '../shared/samples/bookinfo/platform/bookinfo.yaml');


/** Reads the output as kubectl would. */
const docs = (text: string) => parseAllDocuments(text, KUBECTL_YAML).map((d) => d.toJS() as any);
const tmp = () => scratchDir('mizzen-kube-inject-');

describe('mizzen kube-inject', function () {
  this.timeout(30_000);

  it('applies the ProxyConfig resources of its input, a List\'s items too, and passes them through unchanged', () => {
    const text = [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '- {apiVersion: networking.istio.io/v1beta1, kind: ProxyConfig, metadata: {name: shop, namespace: shop}, spec: {concurrency: 5, environmentVariables: {LOG_FORMAT: json}}}',
      '---',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: web, namespace: shop}',
      'spec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: web}]}}}',
      '---',
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: other, namespace: elsewhere}',
      'spec: {containers: [{name: app, image: app}]}',
      '',
    ].join('\n');
    const r = kubeInjectText(text, 'in.yaml', DEFAULT_MESH_CONFIG);
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const [list, web, other] = docs(r.output);
    expect(list.items[0].spec).to.deep.equal({ concurrency: 5, environmentVariables: { LOG_FORMAT: 'json' } });
    const proxy = (spec: any) => spec.containers.find((c: any) => c.name === 'istio-proxy');
    const webProxy = proxy(web.spec.template.spec);
    expect(webProxy.args.slice(webProxy.args.indexOf('--concurrency'))[1]).to.equal('5');
    expect(webProxy.env).to.deep.include({ name: 'LOG_FORMAT', value: 'json' });
    const otherProxy = proxy(other.spec);
    expect(otherProxy.args.slice(otherProxy.args.indexOf('--concurrency'))[1], 'another namespace').to.equal('2');
    expect(otherProxy.env.map((e: any) => e.name)).not.to.include('LOG_FORMAT');
  });

  it('injects every Bookinfo Deployment and passes Services and ServiceAccounts through unchanged', async () => {
    const r = await mizzen(['kube-inject', '-f', BOOKINFO]);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    const input = docs(readFileSync(BOOKINFO, 'utf8')).filter((d) => d);
    const out = docs(r.stdout);
    expect(out.map((d) => d.kind)).to.deep.equal(input.map((d) => d.kind));
    for (const [i, d] of out.entries()) {
      if (d.kind === 'Deployment') {
        const names = d.spec.template.spec.containers.map((c: any) => c.name);
        expect(names.at(-1), d.metadata.name).to.equal('istio-proxy');
        expect(d.spec.template.spec.initContainers.map((c: any) => c.name)).to.deep.equal(['istio-init']);
        expect(d.spec.template.metadata.annotations).to.have.property('sidecar.istio.io/status');
      } else expect(d).to.deep.equal(input[i]);
    }
  });

  it('reads standard input with -f - and writes a file with -o', async () => {
    const dir = tmp();
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: app:1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  enabled: "yes"\n';
    const r = await mizzen(['kube-inject', '-f', '-', '-o', join(dir, 'out.yaml')], pod);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('');
    const out = docs(readFileSync(join(dir, 'out.yaml'), 'utf8'));
    expect(out).to.have.length(2);
    expect(out[0].spec.containers.map((c: any) => c.name)).to.deep.equal(['app', 'istio-proxy']);
    expect(out[1]).to.deep.equal({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { enabled: 'yes' } });
    // YAML 1.1 readers (kubectl) must not see a boolean: the output quotes "yes".
    expect(readFileSync(join(dir, 'out.yaml'), 'utf8')).to.include('enabled: "yes"');
  });

  describe('keeps the meaning kubectl reads, through the round trip', () => {
    const pod = [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: p, labels: {app: p, canary: "on"}}',
      'spec:',
      '  containers:',
      '  - name: app',
      '    image: app',
      '    command: [find, ., -name, "*.log"]',
      '    env:',
      '    - {name: MODE, value: "0644"}',
      '    - {name: WHEN, value: "1:20"}',
      '    - {name: OCT, value: "0o17"}',
      '    - {name: HEX, value: "0X1F"}',
      '    - {name: DAY, value: "2001-12-14"}',
      '    - {name: AGREE, value: "y"}',
      '    - {name: RATIO, value: "1_000"}',
      '  volumes: [{name: x, configMap: {name: c, defaultMode: 0644}}]',
      '',
    ].join('\n');
    const ENV = { MODE: '0644', WHEN: '1:20', OCT: '0o17', HEX: '0X1F', DAY: '2001-12-14', AGREE: 'y', RATIO: '1_000' };

    const inject = () => {
      const r = kubeInjectText(pod, 'pod.yaml', DEFAULT_MESH_CONFIG);
      if (!r.ok) throw new Error(r.errors.join('\n'));
      return r.output;
    };
    const check = (out: any) => {
      expect(out.spec.volumes[0].configMap.defaultMode).to.equal(420);
      expect(out.metadata.labels.canary).to.equal('on');
      expect(out.spec.containers[0].command).to.deep.equal(['find', '.', '-name', '*.log']);
      expect(Object.fromEntries(out.spec.containers[0].env.map((e: any) => [e.name, e.value]))).to.deep.equal(ENV);
    };

    it('0644 comes out as 420; strings that look like numbers, times or booleans come out quoted', () => {
      const text = inject();
      expect(text).to.include('defaultMode: 420\n');
      for (const v of Object.values(ENV)) expect(text).to.include(`value: "${v}"\n`);
      check(docs(text)[0]);
    });

    it('kubectl reads the output as it reads the input', async function () {
      if (!hasKubectl()) {
        console.log('    (skipping the comparison with kubectl: kubectl is not installed)');
        this.skip();
      }
      check(await kubectlReads(pod));
      check(await kubectlReads(inject()));
    });
  });

  it('a malformed YAML file is a clear error naming the file and document, exit 1, nothing written', async () => {
    const dir = tmp();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Pod\n---\nmetadata: [unclosed\n');
    const r = await mizzen(['kube-inject', '-f', file]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.match(new RegExp(`^kube-inject: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: document 2: not valid YAML: `));
  });

  it('an invalid annotation fails with the path of the field', async () => {
    const dep = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    metadata:\n      annotations: {sidecar.istio.io/proxyCPU: lots}\n    spec:\n      containers: [{name: a, image: a}]\n';
    const r = await mizzen(['kube-inject', '-f', '-'], dep);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('kube-inject: <stdin>: document 1: spec.template.metadata.annotations["sidecar.istio.io/proxyCPU"]: "lots" is not a valid quantity\n');
  });

  it('injects a workload carrying annotations it does not apply, with a warning on stderr naming the field', async () => {
    const dep = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    metadata:\n      annotations: {sidecar.istio.io/bootstrapOverride: custom}\n    spec:\n      containers: [{name: a, image: a}]\n';
    const r = await mizzen(['kube-inject', '-f', '-'], dep);
    expect(r.code).to.equal(0);
    expect(docs(r.stdout)[0].spec.template.spec.containers.map((c: any) => c.name)).to.deep.equal(['a', 'istio-proxy']);
    expect(r.stderr).to.equal(
      'kube-inject: <stdin>: document 1: warning: Deployment/default/d: spec.template.metadata.annotations["sidecar.istio.io/bootstrapOverride"]: not supported by mizzen, ignored (the Envoy bootstrap is generated by mizzen)\n',
    );
  });

  it('notes skipped workloads on stderr and leaves them unchanged', async () => {
    const ds = 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: ds}\nspec:\n  template:\n    spec:\n      hostNetwork: true\n      containers: [{name: a, image: a}]\n';
    const r = await mizzen(['kube-inject', '-f', '-'], ds);
    expect(r.code).to.equal(0);
    expect(docs(r.stdout)).to.deep.equal(docs(ds));
    expect(r.stderr).to.match(/DaemonSet\/default\/ds not injected \(host-network\)/);
  });

  it('uses --mesh-config and reports a bad one', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'mesh.yaml'), 'proxyImage: example.com/envoy:custom\nnativeSidecar: true\n');
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: app, image: app}]\n';
    const r = await mizzen(['kube-inject', '-f', '-', '--mesh-config', join(dir, 'mesh.yaml')], pod);
    expect(r.code, r.stderr).to.equal(0);
    const [out] = docs(r.stdout);
    expect(out.spec.initContainers.map((c: any) => `${c.name} ${c.restartPolicy ?? ''}`)).to.deep.equal(['istio-init ', 'istio-proxy Always']);
    expect(out.spec.initContainers[1].image).to.equal('example.com/envoy:custom');
    writeFileSync(join(dir, 'bad.yaml'), 'proxyImagee: x\n');
    const bad = await mizzen(['kube-inject', '-f', '-', '--mesh-config', join(dir, 'bad.yaml')], pod);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include('proxyImagee: unknown field');
  });

  it('a mesh config whose inject selector is not a label selector fails before reading any manifest, nothing written', async () => {
    const dir = tmp();
    const mesh = join(dir, 'mesh.yaml');
    writeFileSync(mesh, 'neverInjectSelector: [null]\nalwaysInjectSelector: [{matchLabels: {app: 7}}]\n');
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: app, image: app}]\n';
    const r = await mizzen(['kube-inject', '-f', '-', '--mesh-config', mesh], pod);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.equal(`kube-inject: mesh config ${mesh}: neverInjectSelector[0]: must be an object, not null\nkube-inject: mesh config ${mesh}: alwaysInjectSelector[0].matchLabels[app]: must be a string, not an integer\n`);
  });

  it('usage errors: no -f, a missing file', async () => {
    const none = await mizzen(['kube-inject']);
    expect(none.code).to.equal(2);
    expect(none.stderr).to.include('-f FILE');
    const missing = await mizzen(['kube-inject', '-f', '/nonexistent/x.yaml']);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/^kube-inject: cannot read \/nonexistent\/x.yaml: ENOENT/);
  });
});
