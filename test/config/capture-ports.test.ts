import { expect } from 'chai';
import { resolveMeshConfig } from '../../src/config/mesh.js';

describe("mesh config: Istio's proxyListenPort and proxyInboundListenPort", () => {
  it("default to Istio's 15001 and 15006, and are applied without a warning (under their proto names too)", () => {
    const defaults = resolveMeshConfig({});
    expect(defaults.ok && [defaults.value.proxyListenPort, defaults.value.proxyInboundListenPort]).to.deep.equal([15001, 15006]);
    const set = resolveMeshConfig({ proxy_listen_port: 16001, proxyInboundListenPort: 16006 });
    expect(set).to.deep.include({ ok: true });
    expect(set).to.not.have.property('warnings');
    expect(set.ok && [set.value.proxyListenPort, set.value.proxyInboundListenPort]).to.deep.equal([16001, 16006]);
  });

  it('an error names the field: not a port, a port of the sidecar of its own, or one port for both', () => {
    const errors = (doc: object): string[] => {
      const r = resolveMeshConfig(doc);
      return r.ok ? [] : r.errors;
    };
    expect(errors({ proxyListenPort: 0 })).to.deep.equal(['proxyListenPort: 0 must be a port, 1 to 65535']);
    expect(errors({ proxyInboundListenPort: 70000 })).to.deep.equal(['proxyInboundListenPort: 70000 must be a port, 1 to 65535']);
    expect(errors({ proxyListenPort: 15001.5 })).to.deep.equal(['proxyListenPort: 15001.5 must be a port, 1 to 65535']);
    expect(errors({ proxyListenPort: '15001' })).to.deep.equal(['proxyListenPort: must be a number']);
    expect(errors({ proxyListenPort: 15021 })).to.deep.equal(['proxyListenPort: 15021 is the health port of every sidecar']);
    expect(errors({ proxyInboundListenPort: 15090 })).to.deep.equal(['proxyInboundListenPort: 15090 is the Prometheus port of every sidecar']);
    expect(errors({ proxyInboundListenPort: 15000 })).to.deep.equal(["proxyInboundListenPort: 15000 is Envoy's admin port of every sidecar"]);
    expect(errors({ proxyListenPort: 15006 })).to.deep.equal(['proxyInboundListenPort: 15006 is proxyListenPort too: outbound and inbound connections need a port each']);
  });
});
