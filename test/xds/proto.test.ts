import { expect } from 'chai';
import { encode, decode, duration, parseDurationMs } from '../../src/xds/proto.js';
import { TypeUrls } from '../../src/core/constants.js';

describe('envoy protos', () => {
  it('round-trips a listener with a typed HTTP connection manager', () => {
    const hcm = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
    const l = { name: 'reviews:9080', api_listener: { api_listener: { '@type': hcm, rds: { route_config_name: 'r', config_source: { ads: {}, resource_api_version: 'V3' } } } } };
    const back = decode(TypeUrls.listener, encode(TypeUrls.listener, l)) as any;
    expect(back.name).to.equal('reviews:9080');
    expect(back.api_listener.api_listener['@type']).to.equal(hcm);
    expect(back.api_listener.api_listener.rds.route_config_name).to.equal('r');
  });
  it('converts durations', () => {
    expect(duration(1500)).to.deep.equal({ seconds: 1, nanos: 500_000_000 });
    expect(parseDurationMs('1.5s')).to.equal(1500);
    expect(parseDurationMs('100ms')).to.equal(100);
    expect(parseDurationMs('2m')).to.equal(120_000);
    expect(parseDurationMs('1x')).to.equal(undefined);
  });
});
