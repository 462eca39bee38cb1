import { expect } from 'chai';
import { inboundServices } from '../../../src/xds/gen/context.js';
import { matchesLabels } from '../../../src/model/selectors.js';
import type { Service, Snapshot } from '../../../src/model/types.js';
import { proxy } from './helpers.js';

const service = (name: string, selector: Record<string, string> | undefined, namespace = 'default'): Service => ({
  hostname: `${name}.${namespace}.svc.cluster.local`,
  name,
  namespace,
  ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'HTTP' }] as Service['ports'],
  addresses: [],
  resolution: 'STATIC' as Service['resolution'],
  meshExternal: false,
  labels: {},
  ...(selector ? { selector } : {}),
  exportTo: ['*'],
  source: 'kubernetes',
});

const services = [
  service('a', { app: 'shop' }),
  service('b', { tier: 'web', app: 'shop' }),
  service('c', { app: 'shop', version: 'v2' }),
  service('d', { app: 'other' }),
  service('e', {}),
  service('f', undefined),
  service('g', { app: 'shop' }, 'elsewhere'),
  service('h', { version: 'v1' }),
];
const snap = { services: new Map(services.map((s) => [s.hostname, s])), alternatives: new Map() } as unknown as Snapshot;

describe('inboundServices (indexed by selector pair)', () => {
  const table: Array<{ labels: Record<string, string>; want: string[] }> = [
    { labels: { app: 'shop' }, want: ['a'] },
    { labels: { app: 'shop', tier: 'web' }, want: ['a', 'b'] },
    { labels: { app: 'shop', version: 'v2', tier: 'web' }, want: ['a', 'b', 'c'] },
    { labels: { version: 'v1', app: 'shop' }, want: ['a', 'h'] },
    { labels: { app: 'other' }, want: ['d'] },
    { labels: { team: 'x' }, want: [] },
  ];
  for (const t of table) {
    it(`labels ${JSON.stringify(t.labels)}: ${t.want.join(', ') || 'none'}, in service order, as matching every selector finds`, () => {
      const p = { ...proxy('sidecar~10.0.0.1~pod-1.default~default.svc.cluster.local'), labels: t.labels };
      const got = inboundServices(snap, p, t.labels);
      expect(got.map((s) => s.name)).to.deep.equal(t.want);
      const naive = services.filter((s) => s.namespace === 'default' && s.selector && Object.keys(s.selector).length > 0 && matchesLabels(t.labels, s.selector));
      expect(got).to.deep.equal(naive);
    });
  }
});
