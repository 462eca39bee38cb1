import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DEFAULT_MESH_CONFIG, OPTIONAL_MESH_FIELDS, resolveMeshConfig } from '../../src/config/mesh.js';
import { ISTIO_MESH_FIELDS, ISTIO_PROXY_CONFIG_FIELDS, kindIssue } from '../../src/config/istio-fields.js';
import { TRAFFIC_DEFAULT_FIELDS } from '../../src/config/traffic-defaults.js';

/** A MeshConfig as a platform team has it in the istio ConfigMap's `mesh` key. */
const ISTIO_MESH = {
  accessLogFile: '/dev/stdout',
  enableTracing: true,
  rootNamespace: 'istio-system',
  trustDomain: 'cluster.local',
  discoverySelectors: [{ matchLabels: { 'istio-discovery': 'enabled' } }],
  inboundTrafficPolicy: { mode: 'PASSTHROUGH' },
  tlsDefaults: { minProtocolVersion: 'TLSV1_3' },
  serviceSettings: [{ settings: { clusterLocal: true }, hosts: ['*.kube-system.svc.cluster.local'] }],
  defaultConfig: { discoveryAddress: 'istiod.istio-system.svc:15012', statusPort: 15020, proxyStatsMatcher: { inclusionPrefixes: ['cluster'] }, tracing: { sampling: 10, customTags: {}, tlsSettings: { mode: 'DISABLE' } } },
};

describe("Istio's MeshConfig fields", () => {
  it('loads an Istio mesh config as it is, with one warning per field mizzen does not apply, naming it and why', () => {
    const r = resolveMeshConfig(ISTIO_MESH);
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.value.xdsAddress).to.equal('istiod.istio-system.svc:15012');
    expect(r.value.tracing.sampling).to.equal(10);
    // Applied by mizzen (config/mesh-tls.ts, model/root-namespaces.ts): read, not warned about.
    expect(r.value.tlsDefaults).to.deep.equal({ minProtocolVersion: 'TLSV1_3' });
    expect(r.value.rootNamespace).to.equal('istio-system');
    const named = (r.warnings ?? []).map((w) => w.split(':')[0]);
    expect(named).to.have.members([
      'serviceSettings',
      'defaultConfig.statusPort', 'defaultConfig.proxyStatsMatcher', 'defaultConfig.tracing.tlsSettings',
    ]);
    // customTags is applied (model/proxy-tracing.ts): an empty one says nothing.
    expect(r.value.defaultConfig).to.not.have.property('tracing');
    expect(r.warnings).to.include("serviceSettings: Istio's field is accepted but not applied by mizzen: every service is cluster-wide in mizzen (no clusterLocal hosts)");
    // discoverySelectors is applied by mizzen (model/discovery.ts): taken as it is, without a warning.
    expect(r.value.discoverySelectors).to.deep.equal([{ matchLabels: { 'istio-discovery': 'enabled' } }]);
  });

  it('takes proto names too (foo_bar for fooBar), as proto3 JSON does', () => {
    const r = resolveMeshConfig({ service_settings: [], defaultConfig: { binary_path: '/usr/local/bin/envoy' } });
    expect(r.ok && r.warnings?.map((w) => w.split(':')[0])).to.deep.equal(['service_settings', 'defaultConfig.binary_path']);
  });

  it("takes the proto names of the fields mizzen applies too, and refuses one field given under both names", () => {
    const r = resolveMeshConfig({ connect_timeout: '2s', h2_upgrade_policy: 'UPGRADE', mesh_mTLS: { minProtocolVersion: 'TLSV1_3' }, outbound_traffic_policy: { mode: 'REGISTRY_ONLY' } });
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.warnings).to.equal(undefined);
    expect(r.value).to.deep.include({ connectTimeout: '2s', h2UpgradePolicy: 'UPGRADE', outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
    expect(r.value.meshMTLS).to.deep.equal({ minProtocolVersion: 'TLSV1_3' });
    const twice = resolveMeshConfig({ connectTimeout: '1s', connect_timeout: '2s' });
    expect(twice.ok === false && twice.errors).to.deep.equal(['connect_timeout: the field connectTimeout names too, given twice']);
    // A proto name that is no field of either stays as written, and unknown.
    const typo = resolveMeshConfig({ connect_timeuot: '2s' });
    expect(typo.ok === false && typo.errors).to.deep.equal(['connect_timeuot: unknown field']);
  });

  it('still names a field that is neither mizzen\'s nor Istio\'s, at every level', () => {
    const r = resolveMeshConfig({ rootNamspace: 'x', defaultConfig: { drainDurations: '1s', tracing: { zipkn: {} } } });
    expect(r.ok === false && r.errors).to.have.members([
      'rootNamspace: unknown field',
      'defaultConfig.tracing.zipkn: unknown field',
      "defaultConfig.drainDurations: unknown field (not a field of Istio's ProxyConfig)",
    ]);
  });

  it('names an Istio field with a value of the wrong type, and does not warn about it', () => {
    const r = resolveMeshConfig({ hboneIdleTimeout: 60, configSources: {}, trustDomainAliases: ['a', 1], h2UpgradePolicy: 'SOMETIMES', defaultConfig: { statusPort: 'x' } });
    expect(r).to.deep.equal({
      ok: false,
      errors: [
        // h2UpgradePolicy is applied by mizzen (config/traffic-defaults.ts): checked before Istio's other fields.
        'h2UpgradePolicy: "SOMETIMES" must be one of DO_NOT_UPGRADE, UPGRADE',
        'hboneIdleTimeout: 60 must be a duration like 100ms or 10s',
        'configSources: must be a list, got a mapping',
        'defaultConfig.statusPort: must be a whole number, got "x"',
        // trustDomainAliases is applied by mizzen (model/trust-domain.ts): checked with its own fields.
        'trustDomainAliases[1]: 1 must be a trust domain (a leading or trailing * allowed)',
      ],
    });
  });

  it('checks each coarse kind', () => {
    const table: Array<[Parameters<typeof kindIssue>[0], unknown, boolean]> = [
      ['string', 'a', true], ['string', 1, false], ['bool', false, true], ['bool', 'true', false],
      ['int', 15001, true], ['int', '15001', true], ['int', 1.5, false], ['duration', '1.5s', true], ['duration', '-1s', false],
      ['strings', ['.'], true], ['strings', '.', false], ['list', [], true], ['mapping', {}, true], ['mapping', [], false],
      [['A', 'B'], 'B', true], [['A', 'B'], 'C', false], ['mapping', null, true],
    ];
    for (const [kind, value, good] of table) expect(kindIssue(kind, value) === undefined, `${String(kind)} ${JSON.stringify(value)}`).to.equal(good);
  });

  it('lists no field that mizzen has as its own key (an applied field leaves the list)', () => {
    for (const name of Object.keys(ISTIO_MESH_FIELDS)) {
      expect(DEFAULT_MESH_CONFIG, name).to.not.have.property(name);
      expect(TRAFFIC_DEFAULT_FIELDS, name).to.not.include(name);
      expect(OPTIONAL_MESH_FIELDS, name).to.not.include(name);
    }
  });

  const proto = (path: string, message: string): string[] | undefined => {
    const repo = '/work/.mirror/istio+api/repo';
    if (!existsSync(repo)) return undefined;
    const text = execFileSync('git', ['-C', repo, 'show', `HEAD:${path}`], { encoding: 'utf8' });
    const body = text.slice(text.indexOf(`\nmessage ${message} {`)).split('\n}\n')[0]!;
    return [...body.matchAll(/^ {2}(?! )(?:repeated )?[\w.<>, ]+ (\w+) = \d+/gm)].map((m) => m[1]!.replace(/_([a-zA-Z])/g, (_, c: string) => c.toUpperCase()));
  };

  it("covers every field of Istio's MeshConfig and ProxyConfig (where the istio/api mirror is at hand)", function () {
    const mesh = proto('mesh/v1alpha1/config.proto', 'MeshConfig');
    const proxy = proto('mesh/v1alpha1/proxy.proto', 'ProxyConfig');
    if (!mesh || !proxy) return this.skip();
    const own = (f: string): boolean => f in DEFAULT_MESH_CONFIG || (TRAFFIC_DEFAULT_FIELDS as readonly string[]).includes(f) || (OPTIONAL_MESH_FIELDS as readonly string[]).includes(f);
    expect(mesh.filter((f) => !own(f) && !(f in ISTIO_MESH_FIELDS))).to.deep.equal([]);
    const applied = ['discoveryAddress', 'concurrency', 'interceptionMode', 'proxyMetadata', 'holdApplicationUntilProxyStarts', 'tracing', 'gatewayTopology', 'proxyHeaders', 'terminationDrainDuration', 'drainDuration', 'envoyAccessLogService'];
    expect(proxy.filter((f) => !applied.includes(f) && !(f in ISTIO_PROXY_CONFIG_FIELDS))).to.deep.equal([]);
    expect(mesh.length).to.be.greaterThan(40);
  });
});
