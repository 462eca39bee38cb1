/** The install manifests: `kubectl kustomize manifests/` works and every object is what the docs promise. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { kustomize } from '../../src/tools/render-manifests.js';
import type { KubeObject } from '../../src/core/kube.js';
import { Labels, SYSTEM_NAMESPACES, Defaults } from '../../src/core/constants.js';
import { DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';
import { envoyBootstrap } from '../../src/bootstrap/envoy.js';
import { skipWithoutKubectl } from '../support/kubectl.js';
import { KUBE_RESOURCES } from '../../src/sources/kube/resources.js';
import { drainCommand } from '../../src/inject/drain.js';
import { DEFAULT_PROXY_OPTIONS } from '../../src/inject/proxy-options.js';
import { GATEWAY_STATUS_RESOURCES } from '../../src/sources/kube/gateway-status.js';
import { INGRESS_STATUS_RESOURCE } from '../../src/sources/kube/ingress-status.js';
import { GATEWAY_DEPLOY_RESOURCES } from '../../src/sources/kube/gateway-deploy.js';
import { ISTIO_KINDS } from '../../src/validation/index.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MANIFESTS = join(REPO, 'manifests');
const BOOKINFO = resolve(REPO, '..', 'shared', 'samples', 'bookinfo');


describe('install manifests (manifests/)', () => {
  let objects: KubeObject[] = [];
  const find = (kind: string, name: string, namespace?: string): any => {
    const o = objects.find((x) => x.kind === kind && x.metadata.name === name && x.metadata.namespace === namespace);
    if (!o) throw new Error(`no ${kind} ${namespace ? namespace + '/' : ''}${name} in kubectl kustomize manifests/`);
    return o;
  };

  before(function () {
    skipWithoutKubectl(this, 'the manifest tests');
    objects = kustomize(MANIFESTS);
  });

  const NS = Defaults.controlPlaneNamespace;
  const expected: Array<[string, string, string | undefined]> = [
    ['Namespace', NS, undefined],
    ['ServiceAccount', 'mizzen', NS],
    ['ClusterRole', 'mizzen', undefined],
    ['ClusterRoleBinding', 'mizzen', undefined],
    ['Role', 'mizzen-leader-election', NS],
    ['RoleBinding', 'mizzen-leader-election', NS],
    ['Deployment', 'mizzen', NS],
    ['PodDisruptionBudget', 'mizzen', NS],
    ['Service', 'mizzen', NS],
    ['MutatingWebhookConfiguration', 'mizzen-sidecar-injector', undefined],
    ['ValidatingWebhookConfiguration', 'mizzen-validator', undefined],
    ['Namespace', 'istio-system', undefined],
    ['ServiceAccount', 'istio-ingressgateway', 'istio-system'],
    ['ConfigMap', 'istio-ingressgateway-bootstrap', 'istio-system'],
    ['Deployment', 'istio-ingressgateway', 'istio-system'],
    ['Service', 'istio-ingressgateway', 'istio-system'],
  ];
  for (const [kind, name, ns] of expected) {
    it(`has ${kind} ${ns ? ns + '/' : ''}${name}`, async () => {
      expect(find(kind, name, ns).metadata.labels?.['app.kubernetes.io/part-of']).to.equal('mizzen');
    });
  }

  it('holds no certificate Secret and no pods/delete in the base (least privilege)', async () => {
    expect(objects.filter((o) => o.kind === 'Secret')).to.deep.equal([]);
    const role = find('ClusterRole', 'mizzen');
    for (const r of role.rules) {
      expect(r.resources, 'no secrets').not.to.include('secrets');
      const writes = (r.verbs as string[]).filter((v) => !['get', 'list', 'watch'].includes(v));
      // Events, and the status (never the spec) of the Gateway API objects mizzen serves.
      if (writes.length) expect((r.resources as string[]).every((x) => x === 'events' || x.endsWith('/status')), `write verbs ${writes} on ${r.resources}`).to.equal(true);
      expect(r.verbs).not.to.include('*');
    }
  });

  it('grants exactly what the code uses: the informers\' reads, Event creation, and the Lease', async () => {
    const grants = (rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>): string[] =>
      rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${v} ${g}/${res}`)))).sort();
    const reads = KUBE_RESOURCES.flatMap((r) => ['get', 'list', 'watch'].map((v) => `${v} ${r.group}/${r.plural}`));
    // The watchdog creates core Events (watchdog.ts); the leader patches Gateway API status (gateway-status.ts).
    const status = Object.values(GATEWAY_STATUS_RESOURCES).map((r) => `patch ${r.group ?? 'gateway.networking.k8s.io'}/${r.plural}/status`);
    // And the status of Ingresses (ingress-status.ts).
    status.push(`patch ${INGRESS_STATUS_RESOURCE.group}/${INGRESS_STATUS_RESOURCE.plural}/status`);
    expect(grants(find('ClusterRole', 'mizzen').rules)).to.deep.equal([...reads, 'create /events', ...status].sort());
    const binding = find('ClusterRoleBinding', 'mizzen');
    expect(binding.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'mizzen', namespace: NS }]);
    // Leader election reads, creates and renews (PUT) its Lease (leader.ts).
    expect(grants(find('Role', 'mizzen-leader-election', NS).rules)).to.deep.equal(['create coordination.k8s.io/leases', 'get coordination.k8s.io/leases', 'update coordination.k8s.io/leases']);
  });

  it('reads exactly the Istio kinds that have a CRD in the install', async () => {
    const rules = find('ClusterRole', 'mizzen').rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
    const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => `${o.spec.names.plural}.${o.spec.group}`);
    const istioGroups = ['networking.istio.io', 'security.istio.io', 'telemetry.istio.io', 'extensions.istio.io'];
    const granted = rules.filter((r) => r.apiGroups.some((g) => istioGroups.includes(g))).flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${res}.${g}`)));
    expect(granted).to.have.members(crds);
    expect(granted, 'EnvoyFilter is read like the other kinds').to.include('envoyfilters.networking.istio.io');
    expect(granted, 'WasmPlugin too').to.include('wasmplugins.extensions.istio.io');
  });

  it('keeps the owner restarts of --heal in manifests/heal/ only', async () => {
    const heal = kustomize(join(MANIFESTS, 'heal'));
    const role = heal.find((o) => o.kind === 'ClusterRole') as any;
    expect(role.rules).to.deep.equal([
      { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get'] },
      { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], verbs: ['get', 'patch'] },
    ]);
    const base = find('ClusterRole', 'mizzen').rules as Array<{ apiGroups: string[]; verbs: string[] }>;
    expect(base.filter((r) => r.apiGroups.includes('apps') && r.verbs.includes('patch')), 'the default install restarts nothing').to.deep.equal([]);
    expect(readFileSync(join(MANIFESTS, 'heal', 'rbac-heal.yaml'), 'utf8')).to.contain('--heal');
  });

  it('keeps the gateway deployments of --deploy-gateways in manifests/gateway-deploy/ only, granting exactly what the deployer does', async () => {
    const extra = kustomize(join(MANIFESTS, 'gateway-deploy'));
    expect(extra.map((o) => `${o.kind} ${o.metadata.name}`)).to.deep.equal(['ClusterRole mizzen-gateway-deploy', 'ClusterRoleBinding mizzen-gateway-deploy']);
    const role = extra.find((o) => o.kind === 'ClusterRole') as any;
    const grants = (rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>): string[] =>
      rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${v} ${g}/${res}`)))).sort();
    // gateway-deploy.ts reads each object by name, creates it or patches it, and deletes its leftover HPAs and PDBs:
    // never list, watch or update.
    const used = Object.values(GATEWAY_DEPLOY_RESOURCES).flatMap((r) => r.verbs.map((v) => `${v} ${r.group}/${r.plural}`));
    expect(grants(role.rules)).to.deep.equal(used.sort());
    expect(used.filter((g) => g.startsWith('delete ')).sort()).to.deep.equal(['delete autoscaling/horizontalpodautoscalers', 'delete policy/poddisruptionbudgets']);
    const binding = extra.find((o) => o.kind === 'ClusterRoleBinding') as any;
    expect(binding.roleRef).to.deep.include({ kind: 'ClusterRole', name: 'mizzen-gateway-deploy' });
    expect(binding.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'mizzen', namespace: NS }]);
    const base = find('ClusterRole', 'mizzen').rules as Array<{ resources: string[]; verbs: string[] }>;
    const writes = base.filter((r) => r.verbs.some((v) => ['create', 'patch', 'update', 'delete'].includes(v)) && r.resources.some((x) => ['deployments', 'services', 'serviceaccounts', 'horizontalpodautoscalers', 'poddisruptionbudgets'].includes(x)));
    expect(writes, 'the default install makes no Deployment, Service, ServiceAccount, HPA or PDB').to.deep.equal([]);
    const header = readFileSync(join(MANIFESTS, 'gateway-deploy', 'rbac-gateway-deploy.yaml'), 'utf8');
    expect(header).to.contain('--deploy-gateways');
    expect(header).to.contain('kubectl apply -k manifests/gateway-deploy/');
  });

  it('keeps the Secret writes of --rotate-workload-certs and workloadCertificateSecrets in manifests/workload-certs/ only', async () => {
    const extra = kustomize(join(MANIFESTS, 'workload-certs'));
    const role = extra.find((o) => o.kind === 'ClusterRole') as any;
    // get/list/watch: the gateways' credentialName Secrets (informer); create/list/patch: issuing and rotation.
    expect(role.rules).to.deep.equal([{ apiGroups: [''], resources: ['secrets'], verbs: ['create', 'get', 'list', 'patch', 'watch'] }]);
    const binding = extra.find((o) => o.kind === 'ClusterRoleBinding') as any;
    expect(binding.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'mizzen', namespace: 'mizzen-system' }]);
    const base = find('ClusterRole', 'mizzen').rules as Array<{ resources: string[] }>;
    expect(base.filter((r) => r.resources.includes('secrets')), 'the default install reads no Secret').to.deep.equal([]);
    expect(readFileSync(join(MANIFESTS, 'workload-certs', 'rbac-workload-certs.yaml'), 'utf8')).to.contain('--rotate-workload-certs');
  });

  it('runs the control plane as documented', async () => {
    const d = find('Deployment', 'mizzen', NS);
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(d.spec.replicas).to.equal(2);
    expect(pod.serviceAccountName).to.equal('mizzen');
    expect(c.image, 'the same image as istio-init').to.equal(DEFAULT_MESH_CONFIG.initImage);
    expect(c.args).to.deep.equal(['serve', '--certs-dir', '/etc/mizzen/certs']);
    expect(c.ports.map((p: any) => [p.name, p.containerPort])).to.deep.equal([
      ['https-webhook', 15017],
      ['grpc-xds', 15010],
      ['https-xds', 15012],
      ['http-monitoring', 15014],
    ]);
    expect(c.readinessProbe.httpGet).to.deep.equal({ path: '/readyz', port: 15017, scheme: 'HTTPS' });
    expect(c.livenessProbe.httpGet).to.deep.equal({ path: '/healthz', port: 15017, scheme: 'HTTPS' });
    expect(c.resources.requests).to.have.keys('cpu', 'memory');
    expect(c.resources.limits).to.have.keys('cpu', 'memory');
    expect(pod.securityContext.runAsNonRoot).to.equal(true);
    expect(pod.securityContext.runAsUser).to.be.greaterThan(0).and.not.equal(1337);
    expect(c.securityContext).to.include({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(c.securityContext.capabilities.drop).to.deep.equal(['ALL']);
    const mount = c.volumeMounts.find((m: any) => m.mountPath === '/etc/mizzen/certs');
    expect(pod.volumes.find((v: any) => v.name === mount.name).secret.secretName).to.equal('mizzen-certs');
    expect(d.spec.template.metadata.labels[Labels.inject]).to.equal('false');
    const pdb = find('PodDisruptionBudget', 'mizzen', NS);
    expect(pdb.spec.selector.matchLabels).to.deep.equal(d.spec.selector.matchLabels);
    expect(pdb.spec.minAvailable).to.equal(1);
  });

  it('exposes Istio port numbers on the Service', async () => {
    const s = find('Service', 'mizzen', NS);
    expect(s.spec.ports.map((p: any) => [p.name, p.port, p.targetPort])).to.deep.equal([
      ['https-webhook', 443, 15017],
      ['grpc-xds', 15010, 15010],
      ['https-xds', 15012, 15012],
      ['http-monitoring', 15014, 15014],
    ]);
    expect(s.spec.selector).to.deep.equal(find('Deployment', 'mizzen', NS).spec.selector.matchLabels);
    expect(DEFAULT_MESH_CONFIG.xdsAddress, 'proxies reach xDS through this Service').to.equal(`${s.metadata.name}.${s.metadata.namespace}.svc:15010`);
    expect(DEFAULT_MESH_CONFIG.xdsTlsAddress, 'sidecars with mesh certificates reach xDS over TLS through it').to.equal(`${s.metadata.name}.${s.metadata.namespace}.svc:15012`);
  });

  it('configures the injection webhooks as Istio does', async () => {
    const m = find('MutatingWebhookConfiguration', 'mizzen-sidecar-injector');
    // Which pods each one gets is checked against src/inject/selection.ts in test/inject/selection.test.ts.
    expect(m.webhooks).to.have.length(4);
    for (const w of m.webhooks) {
      expect(w.clientConfig, w.name).to.deep.equal({ service: { name: 'mizzen', namespace: NS, path: '/inject', port: 443 }, caBundle: '' });
      expect(w.rules, w.name).to.deep.equal([{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }]);
      expect(w, w.name).to.include({ failurePolicy: 'Fail', sideEffects: 'None', timeoutSeconds: 10, reinvocationPolicy: 'IfNeeded' });
      expect(w.admissionReviewVersions).to.deep.equal(['v1']);
      const notIn = w.namespaceSelector.matchExpressions.find((e: any) => e.key === 'kubernetes.io/metadata.name' && e.operator === 'NotIn');
      expect(notIn.values, w.name).to.include.members([...SYSTEM_NAMESPACES, NS]);
    }
    const w = m.webhooks[0];
    expect(w.namespaceSelector.matchExpressions).to.deep.include({ key: Labels.injectionNamespace, operator: 'In', values: ['enabled'] });
    expect(w, 'opted-out pods must reach the webhook to be told why').not.to.have.property('objectSelector');
  });

  it('configures the validation webhook for every Istio resource', async () => {
    const v = find('ValidatingWebhookConfiguration', 'mizzen-validator');
    expect(v.webhooks).to.have.length(1);
    const w = v.webhooks[0];
    expect(w.clientConfig).to.deep.equal({ service: { name: 'mizzen', namespace: NS, path: '/validate', port: 443 }, caBundle: '' });
    expect(w.rules).to.have.length(1);
    expect(w.rules[0]).to.deep.include({ operations: ['CREATE', 'UPDATE'], apiGroups: ['networking.istio.io', 'security.istio.io', 'telemetry.istio.io', 'extensions.istio.io'], resources: ['*'] });
    expect(w.rules[0].apiGroups, 'every group the validators know').to.have.members([...new Set(ISTIO_KINDS.map((k) => k.group))]);
    expect(w.rules[0].apiVersions, 'every version, EnvoyFilter\'s v1alpha3 too').to.deep.equal(['*']);
    expect(w).to.include({ failurePolicy: 'Fail', sideEffects: 'None' });
    expect(w.admissionReviewVersions).to.deep.equal(['v1']);
  });

  it('runs an ingress gateway that Bookinfo selects', async () => {
    const d = find('Deployment', 'istio-ingressgateway', 'istio-system');
    const s = find('Service', 'istio-ingressgateway', 'istio-system');
    const labels = d.spec.template.metadata.labels;
    expect(labels.istio).to.equal('ingressgateway');
    expect(labels[Labels.inject]).to.equal('false');
    expect(s.spec.type).to.equal('LoadBalancer');
    expect(s.spec.selector).to.deep.equal(d.spec.selector.matchLabels);
    const ports = Object.fromEntries(s.spec.ports.map((p: any) => [p.port, p.targetPort]));
    expect(ports).to.include({ 80: 8080, 443: 8443 });
    const c = d.spec.template.spec.containers[0];
    expect(c.image).to.equal(DEFAULT_MESH_CONFIG.proxyImage);
    expect(c.args).to.include('router~$(INSTANCE_IP)~$(POD_NAME).$(POD_NAMESPACE)~$(POD_NAMESPACE).svc.cluster.local');
    expect(c.securityContext.readOnlyRootFilesystem).to.equal(true);
    // It drains as injected gateways do (inject/drain.ts): the same hook, Envoy's drain time and strategy.
    expect(c.lifecycle.preStop.exec.command).to.deep.equal(drainCommand({ router: true, native: false }, { terminationDrainMs: DEFAULT_PROXY_OPTIONS.terminationDrainMs }));
    expect(c.args.join(' ')).to.include(`--drain-time-s ${DEFAULT_PROXY_OPTIONS.drainSeconds} --drain-strategy immediate`);
    // Bookinfo's own Gateway resource selects these pods and listens on one of their ports.
    const gw = parse(readFileSync(join(BOOKINFO, 'networking', 'bookinfo-gateway.yaml'), 'utf8').split(/^---$/m)[0]!);
    for (const [k, v] of Object.entries(gw.spec.selector as Record<string, string>)) expect(labels[k], k).to.equal(v);
    const containerPorts = c.ports.map((p: any) => p.containerPort);
    for (const server of gw.spec.servers) expect(containerPorts).to.include(server.port.number);
  });

  it("gives the gateway the bootstrap that src/bootstrap/envoy.ts builds", async () => {
    const cm = find('ConfigMap', 'istio-ingressgateway-bootstrap', 'istio-system');
    const want = envoyBootstrap({
      xdsAddress: DEFAULT_MESH_CONFIG.xdsAddress,
      logLevel: 'warning',
      clusterName: 'istio-ingressgateway.istio-system',
      metadata: { CLUSTER_ID: 'Kubernetes', NAMESPACE: 'istio-system', LABELS: { app: 'istio-ingressgateway', istio: 'ingressgateway' } },
    });
    if (!want.ok) throw new Error(want.errors.join());
    expect(parse(cm.data['bootstrap.yaml']), 'manifests/gateway/gateway.yaml bootstrap.yaml is out of date').to.deep.equal(want.value);
    const d = find('Deployment', 'istio-ingressgateway', 'istio-system');
    const c = d.spec.template.spec.containers[0];
    const mount = c.volumeMounts.find((m: any) => m.name === 'bootstrap');
    expect(c.args.slice(0, 2)).to.deep.equal(['-c', `${mount.mountPath}/bootstrap.yaml`]);
  });
});
