/**
 * ListenerSets from the Kubernetes source (gateway.networking.k8s.io/v1 listenersets) and from --config-dir: stored
 * as the snapshot reads them, so that their listeners become Istio Gateways of the parent Gateway's workloads; a
 * cluster whose Gateway API predates ListenerSet (no CRD) counts as having none.
 */
import { expect } from 'chai';
import { eventually } from '../../support/mesh.js';
import { type KubeSourceRig, startKubeSource, withConfigDir } from '../../support/sources.js';
import type { ConfigStore } from '../../../src/model/store.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { listenerSetGatewayName } from '../../../src/model/gateway-api-gateways.js';
import type { KubeObject } from '../../../src/core/kube.js';

const GW = 'gateway.networking.k8s.io';
const GATEWAY: KubeObject = {
  apiVersion: `${GW}/v1`,
  kind: 'Gateway',
  metadata: { name: 'edge', namespace: 'default' },
  spec: { gatewayClassName: 'istio', allowedListeners: { namespaces: { from: 'All' } }, listeners: [{ name: 'http', port: 80, protocol: 'HTTP', hostname: 'edge.example.com' }] },
};
const SET: KubeObject = {
  apiVersion: `${GW}/v1`,
  kind: 'ListenerSet',
  metadata: { name: 'shop', namespace: 'shop' },
  spec: { parentRef: { name: 'edge', namespace: 'default' }, listeners: [{ name: 'web', protocol: 'HTTP', hostname: 'shop.example.com' }] },
};
/** The server the ListenerSet's listener became, and the workloads it selects. */
const served = (store: ConfigStore): unknown => {
  const g = buildSnapshot(store.list()).gateways.find((x) => x.namespace === 'shop' && x.name === listenerSetGatewayName('shop', 'web'));
  return g && { selector: g.spec.selector, hosts: g.spec.servers[0].hosts, port: g.spec.servers[0].port.number };
};
const EXPECTED = { selector: { [`${GW}/gateway-name`]: 'edge' }, hosts: ['*/shop.example.com'], port: 80 };

describe('ListenerSet sources', function () {
  this.timeout(20_000);

  describe('kube source', () => {
    let rig: KubeSourceRig;
    afterEach(() => rig?.close());
    const start = async (missingCrds: string[]): Promise<KubeSourceRig> => (rig = await startKubeSource({ missingCrds }, [GATEWAY]));

    it('watches ListenerSet at v1: its listener reaches the parent Gateway’s workloads', async () => {
      const { api, source, store } = await start([]);
      expect(await source.whenSynced(10_000)).to.equal(true);
      api.apply(SET);
      expect(await eventually('the ListenerSet server', async () => served(store), 10_000, 10)).to.deep.equal(EXPECTED);
      expect(source.objects(`ListenerSet.${GW}`).map((o) => o.apiVersion)).to.deep.equal([`${GW}/v1`]);
    });

    it('without the CRD: synced all the same; installed later, ListenerSets are picked up', async () => {
      const { api, source, store } = await start(['listenersets']);
      expect(await source.whenSynced(10_000)).to.equal(true);
      expect(source.status().informers.find((i) => i.resource === `listenersets.${GW}`)!.state).to.equal('crd-missing');
      api.installCrd('listenersets');
      api.apply(SET);
      expect(await eventually('the ListenerSet server', async () => served(store), 10_000, 10)).to.deep.equal(EXPECTED);
    });
  });

  it('file source: a ListenerSet in --config-dir adds its listener to the parent', async () => {
    await withConfigDir('edge.json', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [GATEWAY, SET] }), (store, src) => {
      expect(src.errors()).to.deep.equal([]);
      expect(served(store)).to.deep.equal(EXPECTED);
    });
  });
});
