import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from '../support/tmp.js';
import { resolveMeshConfig, loadMeshConfig, snapshotOptions, analysisOptions, DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';
import { firstMatch } from '../../src/inject/selector.js';

const meshFile = (text: string): string => {
  const file = join(scratchDir('mizzen-mesh-'), 'mesh.yaml');
  writeFileSync(file, text);
  return file;
};

describe('mesh config', () => {
  it('returns the defaults for an empty file', () => {
    const r = resolveMeshConfig(null);
    expect(r).to.deep.equal({ ok: true, value: DEFAULT_MESH_CONFIG });
  });
  it('overrides nested keys and keeps the rest', () => {
    const r = resolveMeshConfig({ proxyResources: { requests: { cpu: '50m' } }, nativeSidecar: true });
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.value.proxyResources.requests).to.deep.equal({ cpu: '50m', memory: '128Mi' });
    expect(r.value.proxyResources.limits).to.deep.equal(DEFAULT_MESH_CONFIG.proxyResources.limits);
    expect(r.value.nativeSidecar).to.equal(true);
  });
  it('takes outboundTrafficPolicy ALLOW_ANY (default), REGISTRY_ONLY or ALLOW_ANY_DYNAMIC_DNS, and names anything else', () => {
    expect(DEFAULT_MESH_CONFIG.outboundTrafficPolicy).to.deep.equal({ mode: 'ALLOW_ANY' });
    expect(snapshotOptions(DEFAULT_MESH_CONFIG)).to.include({ registryOnly: false }).and.not.have.property('allowAnyDynamicDns');
    const r = resolveMeshConfig({ outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
    expect(r.ok && r.value.outboundTrafficPolicy.mode).to.equal('REGISTRY_ONLY');
    expect(r.ok && snapshotOptions(r.value)).to.include({ registryOnly: true }).and.not.have.property('allowAnyDynamicDns');
    const dns = resolveMeshConfig({ outboundTrafficPolicy: { mode: 'ALLOW_ANY_DYNAMIC_DNS' } });
    expect(dns).to.deep.equal({ ok: true, value: { ...DEFAULT_MESH_CONFIG, outboundTrafficPolicy: { mode: 'ALLOW_ANY_DYNAMIC_DNS' } } });
    expect(dns.ok && snapshotOptions(dns.value)).to.deep.include({ registryOnly: false, allowAnyDynamicDns: {} });
    expect(resolveMeshConfig({ outboundTrafficPolicy: { mode: 'BLOCK' } })).to.deep.equal({ ok: false, errors: ['outboundTrafficPolicy.mode: "BLOCK" must be ALLOW_ANY, REGISTRY_ONLY or ALLOW_ANY_DYNAMIC_DNS'] });
  });

  it("takes outboundTrafficPolicy.tls for ALLOW_ANY_DYNAMIC_DNS, checked as a DestinationRule's tls, errors naming the field", () => {
    const tls = { mode: 'SIMPLE', caCertificates: '/etc/egress/ca.pem', sni: 'egress.example.com' };
    const r = resolveMeshConfig({ outboundTrafficPolicy: { mode: 'ALLOW_ANY_DYNAMIC_DNS', tls } });
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.value.outboundTrafficPolicy).to.deep.equal({ mode: 'ALLOW_ANY_DYNAMIC_DNS', tls });
    expect(r).not.to.have.property('warnings');
    expect(snapshotOptions(r.value).allowAnyDynamicDns).to.deep.equal({ tls });
    const errors = (t: unknown) => {
      const x = resolveMeshConfig({ outboundTrafficPolicy: { mode: 'ALLOW_ANY_DYNAMIC_DNS', tls: t } });
      return x.ok ? [] : x.errors;
    };
    expect(errors({ mode: 'SOMETIMES' })).to.deep.equal(['outboundTrafficPolicy.tls.mode: unsupported value "SOMETIMES", must be one of DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL']);
    expect(errors({ mode: 'MUTUAL', privateKey: '/k.pem' })).to.deep.equal(['outboundTrafficPolicy.tls.clientCertificate: is required for MUTUAL mode (or set credentialName)']);
    expect(errors({ mode: 'SIMPLE', insecureSkipVerify: true, caCertificates: '/ca.pem' })).to.deep.equal(['outboundTrafficPolicy.tls: cannot set caCertificates, credentialName or subjectAltNames when insecureSkipVerify is true']);
    expect(errors({ mode: 'SIMPLE', verify: true })).to.have.length(1).and.satisfy((e: string[]) => e[0]!.startsWith('outboundTrafficPolicy.tls.verify'));
    expect(errors('SIMPLE')).to.have.length(1).and.satisfy((e: string[]) => e[0]!.startsWith('outboundTrafficPolicy.tls'));
    // Another key beside mode and tls is not Istio's either.
    const extra = resolveMeshConfig({ outboundTrafficPolicy: { mode: 'ALLOW_ANY_DYNAMIC_DNS', egressProxy: { host: 'x' } } });
    expect(extra).to.deep.equal({ ok: false, errors: ['outboundTrafficPolicy.egressProxy: unknown field'] });
  });

  it('warns of outboundTrafficPolicy.tls under another mode (istiod reads it only with ALLOW_ANY_DYNAMIC_DNS), and of what a tls itself warns about', () => {
    const r = resolveMeshConfig({ outboundTrafficPolicy: { mode: 'ALLOW_ANY', tls: { mode: 'SIMPLE' } } });
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.warnings).to.deep.equal(['outboundTrafficPolicy.tls: applies only with mode ALLOW_ANY_DYNAMIC_DNS (istiod reads it in no other mode); ignored']);
    expect(snapshotOptions(r.value)).not.to.have.property('allowAnyDynamicDns');
    const mutual = resolveMeshConfig({ outboundTrafficPolicy: { mode: 'ALLOW_ANY_DYNAMIC_DNS', tls: { mode: 'ISTIO_MUTUAL' } } });
    expect(mutual.ok && mutual.warnings?.[0]).to.match(/^outboundTrafficPolicy\.tls\.mode: /);
    // An empty `tls:` in YAML is no tls.
    expect(resolveMeshConfig({ outboundTrafficPolicy: { mode: 'ALLOW_ANY_DYNAMIC_DNS', tls: null } })).to.deep.equal({ ok: true, value: { ...DEFAULT_MESH_CONFIG, outboundTrafficPolicy: { mode: 'ALLOW_ANY_DYNAMIC_DNS' } } });
  });

  it("loads an Istio mesh config file that uses ALLOW_ANY_DYNAMIC_DNS with tls, as istiod's ConfigMap holds it", () => {
    const file = meshFile(`
accessLogFile: /dev/stdout
outboundTrafficPolicy:
  mode: ALLOW_ANY_DYNAMIC_DNS
  tls:
    mode: SIMPLE
    subjectAltNames: [api.example.com]
`);
    const r = loadMeshConfig(file);
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.value.outboundTrafficPolicy).to.deep.equal({ mode: 'ALLOW_ANY_DYNAMIC_DNS', tls: { mode: 'SIMPLE', subjectAltNames: ['api.example.com'] } });
    const bad = loadMeshConfig(meshFile('outboundTrafficPolicy: { mode: ALLOW_ANY_DYNAMIC_DNS, tls: { mode: MUTUAL } }\n'));
    expect(bad.ok ? [] : bad.errors).to.have.length(2).and.satisfy((e: string[]) => e.every((m) => m.includes(': outboundTrafficPolicy.tls.') && m.startsWith(`mesh config `)));
  });

  it("takes Istio's Kubernetes Ingress fields with Istio's defaults, reaches the snapshot and analysis with them, and names a bad mode", () => {
    expect(snapshotOptions(DEFAULT_MESH_CONFIG).ingress).to.deep.equal({ mode: 'STRICT', ingressClass: 'istio', ingressService: 'istio-ingressgateway', ingressSelector: '' });
    const r = resolveMeshConfig({ ingressControllerMode: 'DEFAULT', ingressClass: 'mesh', ingressService: 'edge', ingressSelector: 'edge-gw' });
    expect(r.ok && snapshotOptions(r.value).ingress).to.deep.equal({ mode: 'DEFAULT', ingressClass: 'mesh', ingressService: 'edge', ingressSelector: 'edge-gw' });
    expect(r.ok && analysisOptions(r.value).ingress?.mode).to.equal('DEFAULT');
    expect(resolveMeshConfig({ ingressControllerMode: 'LAX' })).to.deep.equal({ ok: false, errors: ['ingressControllerMode: "LAX" must be OFF, DEFAULT or STRICT'] });
    expect(resolveMeshConfig({ ingressClass: 3 })).to.deep.equal({ ok: false, errors: ['ingressClass: must be a string'] });
  });

  it('takes a SPIFFE trust domain, reaches the snapshot with it, and names a bad one', () => {
    const r = resolveMeshConfig({ trustDomain: 'example.org' });
    expect(r.ok && snapshotOptions(r.value).trustDomain).to.equal('example.org');
    expect(resolveMeshConfig({ trustDomain: 'Bad/Domain' })).to.deep.equal({
      ok: false,
      errors: ['trustDomain: "Bad/Domain" must be a SPIFFE trust domain (lowercase letters, digits, \'.\', \'-\', \'_\')'],
    });
  });

  it("takes Istio's rootNamespace (unset: istio-system and mizzen-system), reaches the snapshot and analysis with it, and names one that is no namespace", () => {
    expect(DEFAULT_MESH_CONFIG.rootNamespace).to.equal('');
    expect(snapshotOptions(DEFAULT_MESH_CONFIG).rootNamespace).to.equal(undefined);
    expect(analysisOptions(DEFAULT_MESH_CONFIG).rootNamespaces).to.deep.equal(['istio-system', 'mizzen-system']);
    const r = resolveMeshConfig({ rootNamespace: 'mesh-admin' });
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.warnings, 'applied, so not warned').to.equal(undefined);
    expect(snapshotOptions(r.value).rootNamespace).to.equal('mesh-admin');
    expect(analysisOptions(r.value).rootNamespaces).to.deep.equal(['mesh-admin']);
    const label = "must be a namespace name (a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters)";
    for (const bad of ['Istio-System', 'istio.system', '-root', '', 'a'.repeat(64)]) {
      expect(resolveMeshConfig({ rootNamespace: bad }), JSON.stringify(bad)).to.deep.equal({ ok: false, errors: [`rootNamespace: ${JSON.stringify(bad)} ${label}`] });
    }
    expect(resolveMeshConfig({ rootNamespace: 'a'.repeat(63) }).ok).to.equal(true);
    expect(resolveMeshConfig({ rootNamespace: 7 })).to.deep.equal({ ok: false, errors: ['rootNamespace: must be a string'] });
    const file = meshFile('rootNamespace: Istio_System\n');
    expect(loadMeshConfig(file)).to.deep.equal({ ok: false, errors: [`mesh config ${file}: rootNamespace: "Istio_System" ${label}`] });
  });

  it("takes Istio's protocolDetectionTimeout (0s, the default, waits for the client) and names a bad one", () => {
    expect(DEFAULT_MESH_CONFIG.protocolDetectionTimeout).to.equal('0s');
    expect(snapshotOptions(DEFAULT_MESH_CONFIG).protocolDetectionMs).to.equal(undefined);
    const r = resolveMeshConfig({ protocolDetectionTimeout: '1.5s' });
    expect(r.ok && snapshotOptions(r.value).protocolDetectionMs).to.equal(1500);
    expect(resolveMeshConfig({ protocolDetectionTimeout: 'soon' })).to.deep.equal({ ok: false, errors: ['protocolDetectionTimeout: "soon" must be a duration like 100ms or 1s'] });
    expect(resolveMeshConfig({ protocolDetectionTimeout: '-1s' }).ok).to.equal(false);
  });

  it('checks the xDS addresses at load (a bad one stops the start, not every pod review), naming the field', () => {
    expect(DEFAULT_MESH_CONFIG.xdsTlsAddress).to.equal('mizzen.mizzen-system.svc:15012');
    expect(resolveMeshConfig({ xdsTlsAddress: 'nowhere', xdsAddress: 'here:0' })).to.deep.equal({
      ok: false,
      errors: ['xdsAddress: port 0 must be between 1 and 65535', 'xdsTlsAddress: "nowhere" must be host:port'],
    });
    expect(resolveMeshConfig({ xdsTlsAddress: '[fd00::1]:15012' }).ok).to.equal(true);
  });

  it("takes Istio's localityLbSetting (default: enabled), replacing the default whole, checked as a DestinationRule's", () => {
    expect(snapshotOptions(DEFAULT_MESH_CONFIG).localityLb).to.deep.equal({ enabled: true });
    const setting = { distribute: [{ from: 'us-west/zone1/*', to: { 'us-west/zone1/*': 80, 'us-west/zone2/*': 20 } }] };
    const r = resolveMeshConfig({ localityLbSetting: setting });
    expect(r.ok && snapshotOptions(r.value).localityLb).to.deep.equal(setting);
    const bad = resolveMeshConfig({ localityLbSetting: { distribute: [{ from: 'us-west/zone1/*', to: { 'us-west/zone1/*': 80 } }], typo: 1 } });
    expect(bad.ok).to.equal(false);
    if (bad.ok) return;
    expect(bad.errors).to.have.members(['localityLbSetting.typo: unknown field']);
    const sum = resolveMeshConfig({ localityLbSetting: { distribute: [{ from: 'us-west/zone1/*', to: { 'us-west/zone1/*': 80 } }] } });
    expect(sum.ok === false && sum.errors).to.deep.equal(['localityLbSetting.distribute[0].to: total locality weight 80 != 100']);
  });

  it("takes Istio's zoneAwareLbSetting (unset by default; its proto name too), checked as a DestinationRule's without the outlier warning", () => {
    expect(DEFAULT_MESH_CONFIG).to.not.have.property('zoneAwareLbSetting');
    expect(snapshotOptions(DEFAULT_MESH_CONFIG)).to.not.have.property('zoneAwareLb');
    const setting = { minClusterSize: 3, failover: [{ from: 'us-east', to: 'eu-west' }] };
    for (const input of [{ zoneAwareLbSetting: setting }, { zone_aware_lb_setting: setting }]) {
      const r = resolveMeshConfig(input);
      expect(r.ok && r.warnings, JSON.stringify(input)).to.equal(undefined);
      expect(r.ok && r.value.zoneAwareLbSetting).to.deep.equal(setting);
      expect(r.ok && snapshotOptions(r.value).zoneAwareLb).to.deep.equal(setting);
    }
    // An empty one is set (zone-aware with Envoy's defaults); null leaves it unset.
    const empty = resolveMeshConfig({ zoneAwareLbSetting: {} });
    expect(empty.ok && snapshotOptions(empty.value).zoneAwareLb).to.deep.equal({});
    const none = resolveMeshConfig({ zoneAwareLbSetting: null });
    expect(none.ok && none.value).to.not.have.property('zoneAwareLbSetting');
    const bad: Array<[unknown, string]> = [
      [{ minClusterSize: 0 }, 'zoneAwareLbSetting.minClusterSize: 0 is out of range (1..4294967295)'],
      [{ failoverPriority: ['topology.kubernetes.io/region'] }, 'zoneAwareLbSetting.failoverPriority[0]: must not use topology label topology.kubernetes.io/region; region and zone routing are automatic'],
      [{ failover: [{ from: 'a', to: 'a' }] }, 'zoneAwareLbSetting.failover[0]: zone aware lb failover must go to a different region'],
      [{ enabled: 'yes' }, 'zoneAwareLbSetting.enabled'],
      [{ typo: 1 }, 'zoneAwareLbSetting.typo: unknown field'],
      ['on', 'zoneAwareLbSetting'],
    ];
    for (const [value, error] of bad) {
      const r = resolveMeshConfig({ zoneAwareLbSetting: value });
      expect(r.ok, JSON.stringify(value)).to.equal(false);
      if (!r.ok) expect(r.errors.join('\n')).to.include(error);
    }
  });

  describe("Istio's defaultConfig", () => {
    it('keeps concurrency, proxyMetadata and interceptionMode for the injector, and moves the fields mizzen keeps at the top', () => {
      const r = resolveMeshConfig({
        defaultConfig: {
          concurrency: 4,
          proxyMetadata: { ISTIO_META_TEAM: 'core' },
          interceptionMode: 'NONE',
          holdApplicationUntilProxyStarts: true,
          discoveryAddress: 'mizzen.mesh.svc:15010',
          tracing: { zipkin: { address: 'jaeger.observability:9411' }, sampling: 5 },
        },
      });
      if (!r.ok) throw new Error(r.errors.join('; '));
      expect(r.value.defaultConfig).to.deep.equal({ concurrency: 4, proxyMetadata: { ISTIO_META_TEAM: 'core' }, interceptionMode: 'NONE' });
      expect(r.value.holdApplicationUntilProxyStarts).to.equal(true);
      expect(r.value.xdsAddress).to.equal('mizzen.mesh.svc:15010');
      expect(r.value.tracing).to.deep.equal({ zipkin: { address: 'jaeger.observability:9411' }, sampling: 5 });
      expect(DEFAULT_MESH_CONFIG.defaultConfig).to.deep.equal({});
    });

    it('agrees with the same value at the top, and names a disagreement, a field mizzen does not apply and a bad value', () => {
      expect(resolveMeshConfig({ xdsAddress: 'a.b:15010', defaultConfig: { discoveryAddress: 'a.b:15010' } }).ok).to.equal(true);
      expect(resolveMeshConfig({ holdApplicationUntilProxyStarts: false, defaultConfig: { holdApplicationUntilProxyStarts: true } })).to.deep.equal({
        ok: false,
        errors: ['defaultConfig.holdApplicationUntilProxyStarts: true disagrees with holdApplicationUntilProxyStarts: false (set one of them)'],
      });
      const agent = resolveMeshConfig({ defaultConfig: { binaryPath: '/usr/local/bin/envoy', concurrency: 2 } });
      expect(agent.ok && agent.warnings).to.deep.equal(["defaultConfig.binaryPath: Istio's field is accepted but not applied by mizzen: read by Istio's node agent (pilot-agent), which mizzen's sidecars do not run"]);
      expect(resolveMeshConfig({ defaultConfig: { drainDuration: 45 } })).to.deep.equal({ ok: false, errors: ['defaultConfig.drainDuration: 45 must be a duration of at least 1ms and at most 24h, in whole milliseconds, e.g. "5s"'] });
      expect(resolveMeshConfig({ defaultConfig: { concurrency: -1 } })).to.deep.equal({ ok: false, errors: ['defaultConfig.concurrency: must not be negative, got -1'] });
      expect(resolveMeshConfig({ defaultConfig: { interceptionMode: 'TPROXY' } })).to.deep.equal({ ok: false, errors: ['defaultConfig.interceptionMode: TPROXY is not supported by mizzen; use REDIRECT or NONE'] });
      expect(resolveMeshConfig({ defaultConfig: 'yes' })).to.deep.equal({ ok: false, errors: ['defaultConfig: must be a mapping, got "yes"'] });
      expect(resolveMeshConfig({ defaultConfig: { discoveryAddress: 'nohost' } })).to.deep.equal({ ok: false, errors: ['defaultConfig.discoveryAddress: "nohost" must be host:port'] });
    });

    it('takes tracing once, with a Zipkin address and a sampling percentage only, checked as the top-level one', () => {
      expect(resolveMeshConfig({ tracing: { sampling: 1 }, defaultConfig: { tracing: { sampling: 2 } } })).to.deep.equal({
        ok: false,
        errors: ['defaultConfig.tracing: tracing is set at the top of the mesh config too (set zipkin and sampling in one of them)'],
      });
      const census = resolveMeshConfig({ defaultConfig: { tracing: { openCensusAgent: { address: 'x:1' } } } });
      expect(census.ok && census.warnings).to.deep.equal([
        "defaultConfig.tracing.openCensusAgent: Istio's field is accepted but not applied by mizzen: mizzen's proxies report spans to a Zipkin-protocol collector (tracing.zipkin) only",
      ]);
      expect(resolveMeshConfig({ defaultConfig: { tracing: { sampling: 150 } } })).to.deep.equal({ ok: false, errors: ['tracing.sampling: 150 must be a percentage, 0 to 100'] });
      const only = resolveMeshConfig({ defaultConfig: { tracing: { sampling: 20 } } });
      expect(only.ok && only.value.tracing).to.deep.equal({ zipkin: DEFAULT_MESH_CONFIG.tracing.zipkin, sampling: 20 });
    });
  });

  it('names unknown and mistyped fields', () => {
    const r = resolveMeshConfig({ proxyImagee: 'x', nativeSidecar: 'yes', debounce: { quietMs: '1' } });
    expect(r.ok).to.equal(false);
    if (r.ok) return;
    expect(r.errors).to.have.members(['proxyImagee: unknown field', 'nativeSidecar: must be a boolean', 'debounce.quietMs: must be a number']);
  });
  it('loadMeshConfig reads the file as kubectl reads YAML (1.1 booleans, 0-led octal, no sexagesimal)', () => {
    const r = loadMeshConfig(meshFile('nativeSidecar: yes\nholdApplicationUntilProxyStarts: on\ndebounce: {quietMs: 0144}\nproxyLogLevel: 1:20\n'));
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.value.nativeSidecar).to.equal(true);
    expect(r.value.holdApplicationUntilProxyStarts).to.equal(true);
    expect(r.value.debounce.quietMs).to.equal(100);
    expect(r.value.proxyLogLevel).to.equal('1:20');
  });

  describe('neverInjectSelector and alwaysInjectSelector are Kubernetes label selectors', () => {
    const good: Array<[string, unknown]> = [
      ['no selectors', []],
      ['an empty selector (matches nothing in particular, so it is ignored)', [{}]],
      ['matchLabels', [{ matchLabels: { app: 'db', 'app.kubernetes.io/name': 'x', empty: '' } }]],
      ['null fields are unset', [{ matchLabels: null, matchExpressions: null }]],
      [
        'every operator',
        [
          {
            matchExpressions: [
              { key: 'tier', operator: 'In', values: ['a', 'b'] },
              { key: 'tier', operator: 'NotIn', values: ['c'] },
              { key: 'canary', operator: 'Exists' },
              { key: 'legacy', operator: 'DoesNotExist', values: [] },
            ],
          },
        ],
      ],
      ['matchLabels and matchExpressions together', [{ matchLabels: { app: 'a' }, matchExpressions: [{ key: 'v', operator: 'Exists' }] }]],
    ];
    for (const [name, selectors] of good) {
      it(`accepts ${name}`, () => {
        for (const field of ['neverInjectSelector', 'alwaysInjectSelector'] as const) {
          const r = resolveMeshConfig({ [field]: selectors });
          if (!r.ok) throw new Error(r.errors.join('\n'));
          expect(r.value[field]).to.deep.equal(selectors);
          // what loads, the injector can evaluate
          expect(() => firstMatch(r.value[field], { app: 'db', tier: 'a', canary: '' })).not.to.throw();
        }
      });
    }

    const bad: Array<[string, Record<string, unknown>, string[]]> = [
      ['a null item', { neverInjectSelector: [null] }, ['neverInjectSelector[0]: must be an object, not null']],
      ['a string or a list item', { alwaysInjectSelector: ['app=x', []] }, ['alwaysInjectSelector[0]: must be an object, not a string', 'alwaysInjectSelector[1]: must be an object, not a list']],
      ['an unknown key', { neverInjectSelector: [{ matchLabel: { app: 'x' } }] }, ['neverInjectSelector[0].matchLabel: unknown field']],
      ['a label value that is not a string', { alwaysInjectSelector: [{}, { matchLabels: { app: 1, on: false } }] }, ['alwaysInjectSelector[1].matchLabels[app]: must be a string, not an integer', 'alwaysInjectSelector[1].matchLabels[on]: must be a string, not a boolean']],
      ['matchLabels not a mapping', { neverInjectSelector: [{ matchLabels: ['app'] }] }, ['neverInjectSelector[0].matchLabels: must be an object (map), not a list']],
      ['an invalid label key and value', { neverInjectSelector: [{ matchLabels: { 'bad key': 'v', k: 'bad value' } }] }, ['neverInjectSelector[0].matchLabels[bad key]: invalid label key "bad key"', 'neverInjectSelector[0].matchLabels[k]: invalid label value "bad value"']],
      ['matchExpressions not a list', { neverInjectSelector: [{ matchExpressions: { key: 'a', operator: 'Exists' } }] }, ['neverInjectSelector[0].matchExpressions: must be a list, not an object']],
      ['a null expression', { neverInjectSelector: [{ matchExpressions: [null] }] }, ['neverInjectSelector[0].matchExpressions[0]: must be an object, not null']],
      ['an unknown operator', { neverInjectSelector: [{ matchExpressions: [{ key: 'a', operator: 'Foo' }] }] }, ['neverInjectSelector[0].matchExpressions[0].operator: unsupported value "Foo", must be one of In, NotIn, Exists, DoesNotExist']],
      ['operators are case-sensitive', { neverInjectSelector: [{ matchExpressions: [{ key: 'a', operator: 'in', values: ['x'] }] }] }, ['neverInjectSelector[0].matchExpressions[0].operator: unsupported value "in", must be one of In, NotIn, Exists, DoesNotExist']],
      ['no key or operator', { alwaysInjectSelector: [{ matchExpressions: [{ values: ['x'] }] }] }, ['alwaysInjectSelector[0].matchExpressions[0].key: is required', 'alwaysInjectSelector[0].matchExpressions[0].operator: is required']],
      ['an invalid key', { alwaysInjectSelector: [{ matchExpressions: [{ key: '-a', operator: 'Exists' }] }] }, ['alwaysInjectSelector[0].matchExpressions[0].key: invalid label key "-a"']],
      ['In without values', { neverInjectSelector: [{ matchExpressions: [{ key: 'a', operator: 'In' }] }] }, ['neverInjectSelector[0].matchExpressions[0].values: must be non-empty for In and NotIn']],
      ['NotIn with empty values', { neverInjectSelector: [{ matchExpressions: [{ key: 'a', operator: 'NotIn', values: [] }] }] }, ['neverInjectSelector[0].matchExpressions[0].values: must be non-empty for In and NotIn']],
      ['Exists with values', { neverInjectSelector: [{ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }] }, ['neverInjectSelector[0].matchExpressions[0].values: must be empty for Exists and DoesNotExist']],
      ['DoesNotExist with values', { neverInjectSelector: [{ matchExpressions: [{ key: 'a', operator: 'DoesNotExist', values: ['x'] }] }] }, ['neverInjectSelector[0].matchExpressions[0].values: must be empty for Exists and DoesNotExist']],
      ['values not a list (reported once)', { neverInjectSelector: [{ matchExpressions: [{ key: 'a', operator: 'In', values: 'x' }] }] }, ['neverInjectSelector[0].matchExpressions[0].values: must be a list, not a string']],
      ['a value that is not a string or not a label value', { neverInjectSelector: [{ matchExpressions: [{ key: 'a', operator: 'In', values: [1, null, 'a b'] }] }] }, ['neverInjectSelector[0].matchExpressions[0].values[0]: must be a string, not an integer', 'neverInjectSelector[0].matchExpressions[0].values[1]: must be a string, not null', 'neverInjectSelector[0].matchExpressions[0].values[2]: invalid label value "a b"']],
      ['an unknown key in an expression', { neverInjectSelector: [{ matchExpressions: [{ key: 'a', operator: 'Exists', value: 'x' }] }] }, ['neverInjectSelector[0].matchExpressions[0].value: unknown field']],
      ['errors in both lists', { neverInjectSelector: [null], alwaysInjectSelector: [{}, null] }, ['neverInjectSelector[0]: must be an object, not null', 'alwaysInjectSelector[1]: must be an object, not null']],
    ];
    for (const [name, input, errors] of bad) {
      it(`rejects ${name}`, () => {
        const r = resolveMeshConfig(input);
        expect(r).to.deep.equal({ ok: false, errors });
      });
    }

    it('a mesh config file with a bad selector does not load, and says where', () => {
      const file = meshFile('neverInjectSelector:\n- ~\nalwaysInjectSelector:\n- matchExpressions: [{key: app, operator: Foo}]\n');
      expect(loadMeshConfig(file)).to.deep.equal({
        ok: false,
        errors: [
          `mesh config ${file}: neverInjectSelector[0]: must be an object, not null`,
          `mesh config ${file}: alwaysInjectSelector[0].matchExpressions[0].operator: unsupported value "Foo", must be one of In, NotIn, Exists, DoesNotExist`,
        ],
      });
    });
  });
});
