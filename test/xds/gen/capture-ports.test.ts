/**
 * The ports of a sidecar's own listeners: the capture ports of the mesh config (proxyListenPort,
 * proxyInboundListenPort) and the health and Prometheus listeners of the bootstrap. No service port takes their
 * address, which Envoy would refuse.
 */
import { expect } from 'chai';
import { TypeUrls } from '../../../src/core/constants.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import { PRODUCTPAGE, REVIEWS_V1, bookinfo, expectValid, proxy, yamlObjects } from './helpers.js';

const services = (...ports: Array<[string, number, string?]>) =>
  yamlObjects(
    ports
      .map(
        ([name, port, clusterIP]) => `
apiVersion: v1
kind: Service
metadata: { name: svc-${port}-${name} }
spec: { ${clusterIP ? `clusterIP: ${clusterIP}, ` : 'clusterIP: None, '}selector: { app: x${port} }, ports: [{ name: ${name}, port: ${port}, targetPort: 8080 }] }`,
      )
      .join('\n---'),
  );

const meshOptions = (doc: object) => {
  const r = resolveMeshConfig(doc);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return snapshotOptions(r.value);
};

/** Listener name → `address:port`; fails when two listeners share an address, which Envoy refuses. */
function addresses(objs: ReturnType<typeof services>, mesh: object = {}, id = PRODUCTPAGE): Map<string, string> {
  const listeners = generate(buildSnapshot([...bookinfo(), ...objs], meshOptions(mesh)), proxy(id), TypeUrls.listener);
  expectValid(TypeUrls.listener, listeners);
  const out = new Map<string, string>();
  const seen = new Map<string, string>();
  for (const l of listeners) {
    const a = (l.resource as any).address.socket_address;
    const key = `${a.address}:${a.port_value}`;
    expect(seen.get(key), `${l.name} and ${seen.get(key)} share ${key}`).to.equal(undefined);
    seen.set(key, l.name);
    out.set(l.name, key);
  }
  return out;
}

describe("sidecar listeners keep off the ports of the sidecar's own listeners", () => {
  it("an HTTP service on 15001, 15006, 15021 or 15090 gets no wildcard listener (it would take the address of the sidecar's own)", () => {
    const got = addresses(services(['http', 15001], ['http', 15006], ['http', 15021], ['http', 15090], ['http', 15000], ['http', 15443]));
    expect(got.get('virtualOutbound')).to.equal('0.0.0.0:15001');
    expect(got.get('virtualInbound')).to.equal('0.0.0.0:15006');
    for (const port of [15001, 15006, 15021, 15090]) expect(got.has(`0.0.0.0_${port}`), String(port)).to.equal(false);
    expect(got.get('0.0.0.0_15443')).to.equal('0.0.0.0:15443');
    expect(got.get('0.0.0.0_15000'), "the admin port is Envoy's own on 127.0.0.1, as istiod leaves it").to.equal('0.0.0.0:15000');
  });

  it('a TCP service there keeps its VIP listener; one without a VIP, which would take 0.0.0.0, gets none', () => {
    const got = addresses(services(['tcp', 15021, '10.96.7.7'], ['tcp', 15090]));
    expect(got.get('10.96.7.7_15021')).to.equal('10.96.7.7:15021');
    expect(got.has('0.0.0.0_15090')).to.equal(false);
  });

  it("the mesh config's capture ports move virtualOutbound, virtualInbound and its blackhole chain, and free 15001 and 15006", () => {
    const mesh = { proxyListenPort: 16001, proxyInboundListenPort: 16006 };
    const got = addresses(services(['http', 15001], ['http', 16001], ['http', 16006]), mesh);
    expect(got.get('virtualOutbound')).to.equal('0.0.0.0:16001');
    expect(got.get('virtualInbound')).to.equal('0.0.0.0:16006');
    expect(got.get('0.0.0.0_15001')).to.equal('0.0.0.0:15001');
    expect(got.has('0.0.0.0_16001') || got.has('0.0.0.0_16006')).to.equal(false);
    const inbound = generate(buildSnapshot(bookinfo(), meshOptions(mesh)), proxy(REVIEWS_V1), TypeUrls.listener).find((l) => l.name === 'virtualInbound')!.resource as any;
    const blackhole = inbound.filter_chains.find((c: any) => c.name === 'virtualInbound-blackhole');
    expect(blackhole.filter_chain_match.destination_port.value).to.equal(16006);
  });

  it('the default capture ports leave the snapshot settings as they were', () => {
    const o = meshOptions({ proxyListenPort: 15001, proxyInboundListenPort: 15006 });
    expect(o).to.not.have.property('proxyListenPort');
    expect(o).to.not.have.property('proxyInboundListenPort');
  });
});
