/**
 * BackendTLSPolicy caCertificateRefs → a ConfigMap's ca.crt: the derived rule names `configmap://<ns>/<name>`,
 * served by SDS to any proxy (a sidecar without mesh certificates too); a reference that does not resolve (missing
 * ConfigMap, no or bad ca.crt, a Secret) is `invalid://`, never served, so the traffic fails instead of going out
 * unverified.
 */
import { expect } from 'chai';
import type { KubeObject } from '../../../src/core/kube.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { buildSnapshot, updateSnapshot } from '../../../src/model/snapshot.js';
import { objectKey } from '../../../src/core/kube.js';
import { generate } from '../../../src/xds/gen/index.js';
import { credentialProblem } from '../../../src/xds/gen/credentials.js';
import { backendTlsOutcomes, configMapLookup } from '../../../src/model/gateway-api-backendtls.js';
import { testCerts } from '../../support/certs.js';
import { GATEWAY, PRODUCTPAGE, byName, expectValid, proxy, yamlObjects } from './helpers.js';

const SERVICE = yamlObjects(`
apiVersion: v1
kind: Service
metadata: { name: backend, namespace: default }
spec: { selector: { app: backend }, ports: [{ name: https, port: 8443 }] }`);
const policy = (ref: Record<string, unknown>): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'BackendTLSPolicy',
  metadata: { name: 'backend-tls', namespace: 'default' },
  spec: { targetRefs: [{ group: '', kind: 'Service', name: 'backend' }], validation: { hostname: 'backend.example.com', caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'backend-ca', ...ref }] } },
});
const configMap = (data: Record<string, string>, name = 'backend-ca'): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data });
const CLUSTER = 'outbound|8443||backend.default.svc.cluster.local';
const SIDECAR = () => proxy(PRODUCTPAGE, { LABELS: { app: 'productpage' } });
const caName = (objects: KubeObject[], p = SIDECAR()): string => {
  const cds = generate(buildSnapshot([...SERVICE, ...objects]), p, TypeUrls.cluster);
  expectValid(TypeUrls.cluster, cds);
  const ctx = byName(cds, CLUSTER).transport_socket.typed_config.common_tls_context;
  expect(ctx.validation_context, 'never the system CAs').to.equal(undefined);
  return ctx.combined_validation_context.validation_context_sds_secret_config.name;
};

describe('BackendTLSPolicy CA from a ConfigMap', () => {
  let pem: string;
  before(async () => {
    pem = (await testCerts()).meshCa.cert;
  });

  for (const [who, p] of [['a sidecar without mesh certificates', SIDECAR], ['a gateway', () => proxy(GATEWAY, { LABELS: { istio: 'ingressgateway' } })]] as const) {
    it(`${who}: the cluster checks the server against configmap://default/backend-ca, which SDS serves from its ca.crt`, () => {
      const objects = [policy({}), configMap({ 'ca.crt': pem, other: 'not read' })];
      expect(caName(objects, p())).to.equal('configmap://default/backend-ca');
      const sds = generate(buildSnapshot([...SERVICE, ...objects]), p(), TypeUrls.secret);
      expectValid(TypeUrls.secret, sds);
      expect(byName(sds, 'configmap://default/backend-ca')).to.deep.equal({ name: 'configmap://default/backend-ca', validation_context: { trusted_ca: { inline_bytes: Buffer.from(pem).toString('base64') } } });
    });
  }

  const broken: Array<{ name: string; objects: () => KubeObject[]; reason: string; message: RegExp }> = [
    { name: 'no such ConfigMap', objects: () => [policy({})], reason: 'InvalidCACertificateRef', message: /not found/ },
    { name: 'a ConfigMap without ca.crt', objects: () => [policy({}), configMap({ 'tls.crt': pem })], reason: 'InvalidCACertificateRef', message: /not found/ },
    { name: 'a ca.crt that is no certificate', objects: () => [policy({}), configMap({ 'ca.crt': 'hello' })], reason: 'InvalidCACertificateRef', message: /Certificate invalid/ },
    { name: 'a Secret reference', objects: () => [policy({ kind: 'Secret' }), configMap({ 'ca.crt': pem })], reason: 'InvalidKind', message: /unsupported reference kind: Secret/ },
  ];
  for (const t of broken) {
    it(`${t.name}: ${t.reason}, and the traffic is blocked (invalid://, never served)`, () => {
      const snap = buildSnapshot([...SERVICE, ...t.objects()]);
      const [o] = backendTlsOutcomes(snap.backendTlsPolicies, { domainSuffix: snap.domainSuffix, services: snap.services, serviceEntries: [], ca: configMapLookup(snap.configMapCas) });
      expect(o!.tls.caProblem!.reason).to.equal(t.reason);
      expect(o!.tls.caProblem!.message).to.match(t.message);
      expect(caName(t.objects())).to.equal('invalid://');
      expect(generate(snap, SIDECAR(), TypeUrls.secret).map((r) => r.name)).not.to.include('invalid://');
      expect(credentialProblem(snap, SIDECAR(), 'invalid://')).to.match(/does not resolve/);
    });
  }

  it('the ConfigMap arriving later, changing or going: updateSnapshot follows as buildSnapshot does', () => {
    const steps: KubeObject[][] = [[policy({})], [policy({}), configMap({ 'ca.crt': pem })], [policy({}), configMap({ 'ca.crt': 'broken' })], [policy({})]];
    let prev = buildSnapshot([...SERVICE, ...steps[0]!]);
    for (let i = 1; i < steps.length; i++) {
      const before = [...SERVICE, ...steps[i - 1]!];
      const after = [...SERVICE, ...steps[i]!];
      const keys = new Set([...before, ...after].map((o) => objectKey(o)));
      const next = updateSnapshot(prev, after, keys);
      const full = buildSnapshot(after);
      expect(next.destinationRules, `step ${i}`).to.deep.equal(full.destinationRules);
      expect(next.version, `step ${i}`).to.equal(full.version);
      expect([...next.configMapCas.keys()]).to.deep.equal([...full.configMapCas.keys()]);
      prev = next;
    }
    expect(caName(steps[1]!)).to.equal('configmap://default/backend-ca');
  });

  it('only ConfigMaps a DestinationRule names are served; the others say why', () => {
    const snap = buildSnapshot([...SERVICE, policy({}), configMap({ 'ca.crt': pem }), configMap({ 'ca.crt': pem }, 'kube-root-ca.crt')]);
    expect(generate(snap, SIDECAR(), TypeUrls.secret).map((r) => r.name).filter((n) => n.startsWith('configmap://'))).to.deep.equal(['configmap://default/backend-ca']);
    expect(credentialProblem(snap, SIDECAR(), 'configmap://default/kube-root-ca.crt')).to.equal('no DestinationRule names it');
    expect(credentialProblem(snap, SIDECAR(), 'configmap://default/backend-ca')).to.equal(undefined);
    expect(credentialProblem(snap, SIDECAR(), 'configmap://default/nope')).to.equal('no ConfigMap default/nope with a ca.crt');
  });
});
