/**
 * `mizzen precheck` against the stand-in API server: a clean cluster passes; an old Kubernetes, a missing
 * permission, and each trace of an Istio installation fail with exit 1 and a row that says what and why.
 */
import { expect } from 'chai';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/certs.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { formatTable, parseVersion, run } from '../../src/cmd/precheck.js';
import type { KubeObject } from '../../src/core/kube.js';
import { captureOutput } from '../support/cli.js';

const capture = (argv: string[]) => captureOutput(() => run(argv));

const row = (out: string, check: string): string => out.split('\n').find((l) => l.startsWith(check)) ?? '';

const crd = (name: string, group: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name, labels },
  spec: { group },
});

describe('mizzen precheck', function () {
  this.timeout(20_000);
  let api: FakeApiServer;
  beforeEach(async () => {
    api = await startFakeApiServer();
  });
  afterEach(async () => api?.close());

  it('a clean cluster passes: version, every permission, no Istio (mizzen CRDs from a previous install are fine)', async () => {
    api.apply(crd('virtualservices.networking.istio.io', 'networking.istio.io', { 'app.kubernetes.io/part-of': 'mizzen' }));
    const { code, out } = await capture(['--kubeconfig', api.kubeconfigPath]);
    expect(code, out).to.equal(0);
    expect(out.split('\n')[0]).to.match(/^CHECK\s+STATUS\s+DETAIL$/);
    expect(row(out, 'Kubernetes version')).to.match(/OK\s+v1\.30\.2 \(>= 1\.28\)/);
    expect(row(out, 'permission: create customresourcedefinitions.apiextensions.k8s.io')).to.match(/OK\s+allowed/);
    expect(row(out, 'permission: create deployments.apps in mizzen-system')).to.match(/OK/);
    expect(row(out, 'Istio control plane')).to.match(/OK/);
    expect(row(out, 'Istio CRDs')).to.match(/OK\s+1 from a previous mizzen install/);
    expect(out).to.match(/✔ mizzen can be installed/);
    const asked = api.requests.filter((r) => r.path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews');
    expect(asked.length).to.equal(13);
    expect(asked.map((r) => r.body.spec.resourceAttributes)).to.deep.include({ verb: 'create', group: 'apps', resource: 'deployments', namespace: 'mizzen-system' });
  });

  it('a missing permission blocks the install and names it', async () => {
    api.accessReview = (a) => (a.resource === 'mutatingwebhookconfigurations' ? { allowed: false, reason: 'RBAC: no rule' } : { allowed: true });
    const { code, out } = await capture(['--kubeconfig', api.kubeconfigPath, '--namespace', 'mesh']);
    expect(code).to.equal(1);
    expect(row(out, 'permission: create mutatingwebhookconfigurations.admissionregistration.k8s.io')).to.match(/ERROR\s+denied: RBAC: no rule/);
    expect(row(out, 'permission: create services in mesh')).to.match(/OK/);
    expect(out).to.match(/✘ 1 problem\(s\) block the install/);
  });

  it('an existing Istio installation conflicts: istiod, its webhooks, its CRDs', async () => {
    api.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'istiod', namespace: 'istio-system' } });
    api.apply({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'istio-sidecar-injector' } });
    api.apply({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'validator', labels: { 'istio.io/rev': 'default' } } });
    api.apply({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'cert-manager-webhook' } });
    api.apply(crd('virtualservices.networking.istio.io', 'networking.istio.io', { app: 'istio-pilot' }));
    api.apply(crd('telemetries.telemetry.istio.io', 'telemetry.istio.io', {}));
    api.apply(crd('certificates.cert-manager.io', 'cert-manager.io', {}));
    const { code, out } = await capture(['--kubeconfig', api.kubeconfigPath]);
    expect(code).to.equal(1);
    expect(row(out, 'Istio control plane')).to.match(/ERROR\s+Deployment istio-system\/istiod exists/);
    expect(row(out, 'Istio mutating webhooks')).to.match(/ERROR\s+istio-sidecar-injector: a second injector/);
    expect(row(out, 'Istio validating webhooks')).to.match(/ERROR\s+validator:/);
    expect(row(out, 'Istio validating webhooks')).not.to.match(/cert-manager/);
    expect(row(out, 'Istio CRDs')).to.match(/ERROR\s+installed by Istio, not mizzen: telemetries\.telemetry\.istio\.io, virtualservices\.networking\.istio\.io/);
    expect(out).to.match(/✘ 4 problem\(s\)/);
  });

  it('a Kubernetes older than 1.28 blocks the install', async () => {
    api.version = { major: '1', minor: '26+', gitVersion: 'v1.26.9-gke.100', platform: 'linux/amd64' };
    const { code, out } = await capture(['--kubeconfig', api.kubeconfigPath]);
    expect(code).to.equal(1);
    expect(row(out, 'Kubernetes version')).to.match(/ERROR\s+v1\.26\.9-gke\.100 is too old: mizzen needs 1\.28 or newer/);
  });

  it('an unreachable cluster is one failed check, and JSON output works', async () => {
    const t = tempDir();
    const path = join(t.dir, 'kubeconfig');
    copyFileSync(api.kubeconfigPath, path);
    await api.close();
    const { code, out } = await capture(['--kubeconfig', path, '-o', 'json']);
    t.cleanup();
    expect(code).to.equal(1);
    const rows = JSON.parse(out);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ check: 'Kubernetes API', status: 'error' });
    expect(rows[0].detail).to.match(/cannot reach https:\/\/127\.0\.0\.1:\d+/);
  });

  it('bad flags exit 2; a missing kubeconfig exits 1 with a message', async () => {
    expect((await capture(['--output', 'yaml'])).code).to.equal(2);
    expect((await capture(['--bogus'])).code).to.equal(2);
    const r = await capture(['--kubeconfig', '/nonexistent/kubeconfig']);
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/mizzen precheck: .*nonexistent/);
  });

  it('reads versions as providers write them', () => {
    expect(parseVersion({ major: '1', minor: '30' })).to.deep.equal({ major: 1, minor: 30 });
    expect(parseVersion({ major: '1', minor: '28+' })).to.deep.equal({ major: 1, minor: 28 });
    expect(parseVersion({ major: '', minor: '', gitVersion: 'v1.29.4-eks-abc' })).to.deep.equal({ major: 1, minor: 29 });
    expect(parseVersion({})).to.equal(undefined);
    expect(formatTable([{ check: 'x', status: 'warning', detail: 'y' }])).to.match(/✔ mizzen can be installed \(1 warning\(s\)\)/);
  });
});
