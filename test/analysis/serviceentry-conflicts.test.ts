import { expect } from 'chai';
import { analyze, analyzeObject } from '../../src/analysis/index.js';
import type { KubeObject } from '../../src/core/kube.js';
import { type Case, brief, describeTable, leveled, se, svc } from './fixtures.js';
import { analysisOptions, resolveMeshConfig } from '../../src/config/mesh.js';

/** ServiceEntries as mizzen serves them: without addresses (IST0134), one host and port with two protocols (IST0177). */
const DAY1 = '2026-01-01T00:00:00Z';
const DAY2 = '2026-01-02T00:00:00Z';

const created = <T extends KubeObject>(o: T, at: string): T => ({ ...o, metadata: { ...o.metadata, creationTimestamp: at } });

const entry = (name: string, host: string, ports: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}, namespace = 'default'): KubeObject =>
  se(name, [host], { ports, resolution: 'DNS', ...extra }, namespace);
const ADDR = { addresses: ['240.0.0.1'] };

const table: Record<string, Case[]> = {
  'IST0134 ServiceEntryAddressesRequired': [
    { name: 'a TCP port without addresses', objects: [entry('db', 'db.example.com', [{ number: 5432, name: 'pg', protocol: 'TCP' }])], expect: ['Warning IST0134 ServiceEntry default/db spec.ports[0]'] },
    { name: 'an unset protocol whose name says nothing', objects: [entry('db', 'db.example.com', [{ number: 80, name: 'http', protocol: 'HTTP' }, { number: 5432, name: 'pg' }])], expect: ['Warning IST0134 ServiceEntry default/db spec.ports[1]'] },
    { name: 'with addresses', objects: [entry('db', 'db.example.com', [{ number: 5432, name: 'pg', protocol: 'TCP' }], ADDR)], expect: [] },
    { name: 'HTTP and TLS ports, and an unset protocol named http-…', objects: [entry('web', 'web.example.com', [{ number: 80, name: 'http', protocol: 'HTTP' }, { number: 443, name: 'tls', protocol: 'TLS' }, { number: 8080, name: 'http-alt' }])], expect: [] },
  ],
  'IST0177 ConflictingServiceEntryProtocol': [
    {
      name: 'one host and port, HTTP and TCP',
      objects: [entry('a', 'api.example.com', [{ number: 8080, name: 'http', protocol: 'HTTP' }], ADDR), entry('b', 'api.example.com', [{ number: 8080, name: 'tcp', protocol: 'TCP' }], ADDR, 'other')],
      expect: ['Warning IST0177 ServiceEntry default/a spec.ports[0]', 'Warning IST0177 ServiceEntry other/b spec.ports[0]'],
    },
    { name: 'the same protocol, written or by name', objects: [entry('a', 'api.example.com', [{ number: 8080, name: 'http', protocol: 'HTTP' }], ADDR), entry('b', 'api.example.com', [{ number: 8080, name: 'http-api' }], ADDR, 'other')], expect: [] },
    { name: 'different ports', objects: [entry('a', 'api.example.com', [{ number: 8080, name: 'http', protocol: 'HTTP' }], ADDR), entry('b', 'api.example.com', [{ number: 9090, name: 'tcp', protocol: 'TCP' }], ADDR, 'other')], expect: [] },
    {
      name: 'not visible together (exportTo)',
      objects: [entry('a', 'api.example.com', [{ number: 8080, name: 'http', protocol: 'HTTP' }], { ...ADDR, exportTo: ['.'] }), entry('b', 'api.example.com', [{ number: 8080, name: 'tcp', protocol: 'TCP' }], { ...ADDR, exportTo: ['.'] }, 'other')],
      expect: [],
    },
    {
      name: 'exported to no one (~): never together, also not with each other',
      objects: [entry('a', 'api.example.com', [{ number: 8080, name: 'http', protocol: 'HTTP' }], { ...ADDR, exportTo: ['~'] }), entry('b', 'api.example.com', [{ number: 8080, name: 'tcp', protocol: 'TCP' }], { ...ADDR, exportTo: ['~'] }, 'other')],
      expect: [],
    },
    {
      name: 'one private, one public: they meet in the private one’s namespace',
      objects: [entry('a', 'api.example.com', [{ number: 8080, name: 'http', protocol: 'HTTP' }], { ...ADDR, exportTo: ['.'] }), entry('b', 'api.example.com', [{ number: 8080, name: 'tcp', protocol: 'TCP' }], ADDR, 'other')],
      expect: ['Warning IST0177 ServiceEntry default/a spec.ports[0]', 'Warning IST0177 ServiceEntry other/b spec.ports[0]'],
    },
  ],
};

describeTable('analysis: ServiceEntries (IST0134, IST0177)', table, leveled);

describe('analysis: IST0177 messages and malformed ServiceEntries', () => {
  it('IST0177 names the definition mizzen serves: the oldest ServiceEntry, or a Service of that name', () => {
    const a = created(entry('a', 'api.example.com', [{ number: 8080, name: 'http', protocol: 'HTTP' }], ADDR), DAY2);
    const b = created(entry('b', 'api.example.com', [{ number: 8080, name: 'tcp', protocol: 'TCP' }], ADDR), DAY1);
    for (const f of analyze([a, b])) expect(f.message).to.include('(HTTP, TCP)').and.include('gets one definition, the oldest, default/b, unless another is exported to its namespace by name');
    const host = 'api.default.svc.cluster.local';
    const withService = analyze([svc('api', { ports: [8080] }), entry('a', host, [{ number: 8080, name: 'http', protocol: 'HTTP' }], ADDR), entry('b', host, [{ number: 8080, name: 'tcp', protocol: 'TCP' }], ADDR)]);
    expect(withService.map(brief)).to.have.members(['IST0177 ServiceEntry default/a spec.ports[0]', 'IST0177 ServiceEntry default/b spec.ports[0]']);
    expect(withService[0]!.message).to.include('the Service default/api defines it');
  });

  it("IST0177 follows the mesh's serviceEntryVisibility and defaultServiceExportTo, as the snapshot serves the entries", () => {
    const mesh = (sev: Record<string, unknown>, more: Record<string, unknown> = {}) => {
      const r = resolveMeshConfig({ serviceEntryVisibility: { applyToSidecars: true, ...sev }, ...more });
      if (!r.ok) throw new Error(r.errors.join('; '));
      return analysisOptions(r.value);
    };
    const ns = (name: string, labels: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
    const a = created(entry('a', 'api.example.com', [{ number: 8080, name: 'http', protocol: 'HTTP' }], ADDR), DAY1);
    const b = created(entry('b', 'api.example.com', [{ number: 8080, name: 'tcp', protocol: 'TCP' }], ADDR, 'other'), DAY2);
    const objects = [ns('default', { tier: 'sandbox' }), a, b];
    const both = ['IST0177 ServiceEntry default/a spec.ports[0]', 'IST0177 ServiceEntry other/b spec.ports[0]'];
    // Public entries meet everywhere; NAMESPACE keeps a in default, where b (public) still reaches it.
    expect(analyze(objects).map(brief)).to.have.members(both);
    expect(analyze(objects, mesh({ defaultVisibility: 'NAMESPACE' })).map(brief)).to.deep.equal([]);
    const sandboxed = (visibility: string) => mesh({ policies: [{ visibility, matchingRules: [{ namespaceSelector: { matchLabels: { tier: 'sandbox' } } }] }] });
    const one = analyze(objects, sandboxed('NAMESPACE'));
    expect(one.map(brief)).to.have.members(both);
    // NONE: a is served nowhere, so it meets nothing, and the host is b's although a is older.
    expect(analyze(objects, sandboxed('NONE')).map(brief)).to.deep.equal([]);
    const c = created(entry('c', 'api.example.com', [{ number: 8080, name: 'grpc', protocol: 'GRPC' }], ADDR, 'third'), DAY2);
    const withC = analyze([...objects, c], sandboxed('NONE'));
    expect(withC.map(brief)).to.have.members(['IST0177 ServiceEntry other/b spec.ports[0]', 'IST0177 ServiceEntry third/c spec.ports[0]']);
    expect(withC[0]!.message).to.include('gets one definition, the oldest, other/b,');
    // Without applyToSidecars nothing changes; a mesh default of '.' keeps entries without exportTo apart.
    expect(analyze(objects, mesh({ applyToSidecars: false, defaultVisibility: 'NONE' })).map(brief)).to.have.members(both);
    expect(analyze(objects, mesh({ applyToSidecars: false }, { defaultServiceExportTo: ['.'] })).map(brief)).to.deep.equal([]);
  });

  it('malformed ServiceEntries are read defensively: no exception, nothing made up', () => {
    const bad = (name: string, spec: unknown): KubeObject => ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace: 'default' }, spec }) as KubeObject;
    const objects = [bad('a', { hosts: [1, null, 'x.example.com'], ports: [{ number: 'x' }, null, 7], addresses: 'none' }), bad('b', { hosts: 'x.example.com', ports: { number: 80 } }), bad('c', null), bad('d', { hosts: ['x.example.com'], ports: [{ number: 80, protocol: 9, name: [] }], exportTo: 'x' })];
    expect(() => analyze(objects)).not.to.throw();
    // d's port 80 has no protocol that reads and no name: TCP, without addresses.
    expect(analyze(objects).map(brief)).to.deep.equal(['IST0134 ServiceEntry default/d spec.ports[0]']);
    for (const o of objects) expect(() => analyzeObject(o, objects)).not.to.throw();
  });
});
