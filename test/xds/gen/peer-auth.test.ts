import { expect } from 'chai';
import type { KubeObject } from '../../../src/core/kube.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { mtlsMode } from '../../../src/xds/gen/peer-auth.js';

const pa = (namespace: string, name: string, spec: Record<string, unknown>, created?: string): KubeObject => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'PeerAuthentication',
  metadata: { name, namespace, ...(created ? { creationTimestamp: created } : {}) },
  spec,
});

const APP = { app: 'reviews', version: 'v1' };
const mode = (policies: KubeObject[], port = 9080, namespace = 'default', labels: Record<string, string> = APP) => mtlsMode(buildSnapshot(policies), namespace, labels, port);

describe('PeerAuthentication: the mTLS mode of a workload port', () => {
  const table: Array<{ name: string; policies: KubeObject[]; want: string; port?: number; namespace?: string }> = [
    { name: 'no policy: PERMISSIVE', policies: [], want: 'PERMISSIVE' },
    { name: 'mesh-wide STRICT (root namespace, no selector)', policies: [pa('istio-system', 'default', { mtls: { mode: 'STRICT' } })], want: 'STRICT' },
    { name: "mizzen's own root namespace counts too", policies: [pa('mizzen-system', 'default', { mtls: { mode: 'STRICT' } })], want: 'STRICT' },
    { name: 'a selector policy in the root namespace is not mesh-wide', policies: [pa('istio-system', 'x', { selector: { matchLabels: APP }, mtls: { mode: 'STRICT' } })], want: 'PERMISSIVE' },
    { name: 'another namespace’s policy does not apply', policies: [pa('team', 'default', { mtls: { mode: 'STRICT' } })], want: 'PERMISSIVE' },
    {
      name: 'namespace DISABLE over mesh STRICT',
      policies: [pa('istio-system', 'default', { mtls: { mode: 'STRICT' } }), pa('default', 'default', { mtls: { mode: 'DISABLE' } })],
      want: 'DISABLE',
    },
    {
      name: 'namespace UNSET inherits the mesh',
      policies: [pa('istio-system', 'default', { mtls: { mode: 'STRICT' } }), pa('default', 'default', { mtls: { mode: 'UNSET' } })],
      want: 'STRICT',
    },
    {
      name: 'workload STRICT over namespace PERMISSIVE',
      policies: [pa('default', 'default', { mtls: { mode: 'PERMISSIVE' } }), pa('default', 'reviews', { selector: { matchLabels: { app: 'reviews' } }, mtls: { mode: 'STRICT' } })],
      want: 'STRICT',
    },
    {
      name: 'a workload policy whose selector does not match is ignored',
      policies: [pa('default', 'ratings', { selector: { matchLabels: { app: 'ratings' } }, mtls: { mode: 'STRICT' } })],
      want: 'PERMISSIVE',
    },
    {
      name: 'port-level mode on the matching port',
      policies: [pa('default', 'reviews', { selector: { matchLabels: APP }, mtls: { mode: 'STRICT' }, portLevelMtls: { '9080': { mode: 'DISABLE' } } })],
      want: 'DISABLE',
    },
    {
      name: 'port-level mode on another port leaves this one to the workload mode',
      policies: [pa('default', 'reviews', { selector: { matchLabels: APP }, mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } })],
      want: 'STRICT',
    },
    {
      name: 'port-level UNSET inherits the workload, which inherits the namespace',
      policies: [pa('default', 'default', { mtls: { mode: 'STRICT' } }), pa('default', 'reviews', { selector: { matchLabels: APP }, portLevelMtls: { '9080': { mode: 'UNSET' } } })],
      want: 'STRICT',
    },
    {
      name: 'port-level modes of a namespace-wide policy do not count',
      policies: [pa('default', 'default', { mtls: { mode: 'PERMISSIVE' }, portLevelMtls: { '9080': { mode: 'STRICT' } } })],
      want: 'PERMISSIVE',
    },
    {
      name: 'two namespace policies: the oldest wins',
      policies: [pa('default', 'b-new', { mtls: { mode: 'DISABLE' } }, '2026-02-01T00:00:00Z'), pa('default', 'a-old', { mtls: { mode: 'STRICT' } }, '2026-01-01T00:00:00Z')],
      want: 'STRICT',
    },
    {
      name: 'garbage modes and specs are UNSET, never a throw',
      policies: [pa('istio-system', 'default', { mtls: { mode: 'STRICT' } }), pa('default', 'default', { mtls: { mode: 7 } }), pa('default', 'w', { selector: { matchLabels: APP }, mtls: 'x', portLevelMtls: [1] })],
      want: 'STRICT',
    },
  ];
  for (const c of table) {
    it(c.name, () => {
      expect(mode(c.policies, c.port, c.namespace)).to.equal(c.want);
    });
  }
});
