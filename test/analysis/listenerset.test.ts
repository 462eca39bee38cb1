/**
 * `mizzen analyze` over Gateway API ListenerSets (MZ0019, MZ0016): listeners mizzen leaves out (not allowed by the
 * parent, conflicts, no port) and routes whose ListenerSet parentRef attaches them nowhere, as the conversion
 * mizzen serves decides (model/gateway-api-listenerset.ts).
 */
import { expect } from 'chai';
import { analyze } from '../../src/analysis/index.js';
import type { KubeObject } from '../../src/core/kube.js';
import { describeTable, leveled, svc } from './fixtures.js';

const GW = 'gateway.networking.k8s.io/v1';
const gateway = (allowedListeners?: object): KubeObject =>
  ({ apiVersion: GW, kind: 'Gateway', metadata: { name: 'edge', namespace: 'default' }, spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', hostname: 'edge.example.com' }], ...(allowedListeners ? { allowedListeners } : {}) } }) as KubeObject;
const set = (listeners: object[], parentRef: object = { name: 'edge' }): KubeObject => ({ apiVersion: GW, kind: 'ListenerSet', metadata: { name: 'extra', namespace: 'default' }, spec: { parentRef, listeners } }) as KubeObject;
const route = (parentRef: object): KubeObject => ({ apiVersion: GW, kind: 'HTTPRoute', metadata: { name: 'r', namespace: 'default' }, spec: { parentRefs: [{ kind: 'ListenerSet', ...parentRef }], rules: [{ backendRefs: [{ name: 'backend', port: 8080 }] }] } }) as KubeObject;
const SAME = { namespaces: { from: 'Same' } };
const BACKEND = svc('backend', { ports: [8080] });
const WEB = { name: 'web', port: 8080, protocol: 'HTTP' };

describeTable(
  'analysis: ListenerSets (MZ0019, MZ0016)',
  {
    listeners: [
      { name: 'allowed, served, a route on it: clean', objects: [BACKEND, gateway(SAME), set([WEB]), route({ name: 'extra' })], expect: [] },
      { name: 'not allowed by the parent', objects: [gateway(), set([WEB])], expect: ['Warning MZ0019 ListenerSet default/extra spec.parentRef'] },
      { name: "a listener conflicting with the Gateway's", objects: [gateway(SAME), set([WEB, { name: 'clash', port: 80, protocol: 'HTTP', hostname: 'edge.example.com' }])], expect: ['Warning MZ0019 ListenerSet default/extra spec.listeners[1]'] },
      { name: 'a TCP listener without a port', objects: [gateway(SAME), set([{ name: 'tcp', protocol: 'TCP' }])], expect: ['Warning MZ0019 ListenerSet default/extra spec.listeners[0]'] },
      { name: 'a parent of another class, or missing: not for mizzen to judge', objects: [set([WEB], { name: 'nowhere' })], expect: [] },
    ],
    routes: [
      { name: 'a ListenerSet the input lacks', objects: [BACKEND, gateway(SAME), route({ name: 'gone' })], expect: ['Warning MZ0016 HTTPRoute default/r spec.parentRefs[0]'] },
      { name: 'a sectionName no served listener has', objects: [BACKEND, gateway(SAME), set([WEB]), route({ name: 'extra', sectionName: 'nope' })], expect: ['Warning MZ0016 HTTPRoute default/r spec.parentRefs[0]'] },
    ],
  },
  leveled,
);

describe('analysis: ListenerSet messages', () => {
  it('name the listener that wins a conflict', () => {
    const found = analyze([gateway(SAME), set([{ name: 'clash', port: 80, protocol: 'HTTP', hostname: 'edge.example.com' }])]);
    expect(found.filter((f) => f.code === 'MZ0019').map((f) => f.message)).to.deep.equal([
      'ListenerSet listener "clash" is not served on Gateway default/edge: it conflicts with listener "http" of Gateway default/edge (HostnameConflict), which comes first',
    ]);
  });

  it('garbage never throws', () => {
    const bad = { apiVersion: GW, kind: 'ListenerSet', metadata: { name: 'x', namespace: 'default' }, spec: { parentRef: 'edge', listeners: [null, 5, 'x'] } } as unknown as KubeObject;
    expect(() => analyze([gateway(SAME), bad, set('many' as unknown as object[])])).to.not.throw();
  });
});
