/** Access logs from the mesh config: on every connection manager and tcp_proxy of sidecars and gateways, valid. */
import { expect } from 'chai';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { decode, encode } from '../../../src/xds/proto.js';
import { GATEWAY, MYSQL_SERVICE, PRODUCTPAGE, bookinfo, expectValid, proxy, yamlObjects } from './helpers.js';

const LOGGED = ['envoy.filters.network.http_connection_manager', 'envoy.filters.network.tcp_proxy'];

function loggedFilters(listeners: Array<{ resource: unknown }>): any[] {
  const chains = listeners.flatMap((l: any) => [...(l.resource.filter_chains ?? []), ...(l.resource.default_filter_chain ? [l.resource.default_filter_chain] : [])]);
  return chains.flatMap((c: any) => c.filters).filter((f: any) => LOGGED.includes(f.name));
}

function listenersWith(mesh: Record<string, unknown>, id = PRODUCTPAGE) {
  const r = resolveMeshConfig(mesh);
  if (!r.ok) throw new Error(r.errors.join());
  const snap = buildSnapshot([...bookinfo('bookinfo-gateway.yaml'), ...yamlObjects(MYSQL_SERVICE)], snapshotOptions(r.value));
  const listeners = generate(snap, proxy(id), TypeUrls.listener);
  expectValid(TypeUrls.listener, listeners);
  return listeners;
}

describe('access logs (mesh config accessLogFile)', () => {
  it('none by default', () => {
    expect(loggedFilters(listenersWith({})).every((f) => f.typed_config.access_log === undefined)).to.equal(true);
  });

  it('TEXT: every connection manager and tcp_proxy of a sidecar logs to the file, in Envoy’s default line', () => {
    const filters = loggedFilters(listenersWith({ accessLogFile: '/dev/stdout' }));
    expect(filters.map((f) => f.name)).to.include.members(LOGGED);
    for (const f of filters) {
      expect(f.typed_config.access_log).to.deep.equal([
        { name: 'envoy.access_loggers.file', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog', path: '/dev/stdout' } },
      ]);
    }
  });

  it('JSON: the fields survive the wire encoding; gateways log too', () => {
    const filters = loggedFilters(listenersWith({ accessLogFile: '/dev/stdout', accessLogEncoding: 'JSON' }, GATEWAY));
    expect(filters).to.not.be.empty;
    const T = 'envoy.extensions.access_loggers.file.v3.FileAccessLog';
    const { '@type': _t, ...log } = filters[0].typed_config.access_log[0].typed_config;
    const back = decode(T, encode(T, log)) as any;
    expect(back.log_format.json_format.fields.response_code).to.deep.equal({ stringValue: '%RESPONSE_CODE%' });
    expect(back.log_format.json_format.fields.upstream_cluster).to.deep.equal({ stringValue: '%UPSTREAM_CLUSTER%' });
  });

  it("accessLogFormat, TEXT: Envoy's format string as the line, a newline added where it has none (as Istio does)", () => {
    const filters = loggedFilters(listenersWith({ accessLogFile: '/dev/stdout', accessLogFormat: '[%START_TIME%] %RESPONSE_CODE%' }));
    expect(filters).to.not.be.empty;
    for (const f of filters) expect(f.typed_config.access_log[0].typed_config.log_format).to.deep.equal({ text_format_source: { inline_string: '[%START_TIME%] %RESPONSE_CODE%\n' } });
    const kept = loggedFilters(listenersWith({ accessLogFile: '/dev/stdout', accessLogFormat: '%PROTOCOL%\n' }, GATEWAY));
    expect(kept[0].typed_config.access_log[0].typed_config.log_format.text_format_source.inline_string).to.equal('%PROTOCOL%\n');
  });

  it('accessLogFormat, JSON: its object of fields replaces the default ones, nested objects and numbers too, through the wire', () => {
    const format = JSON.stringify({ code: '%RESPONSE_CODE%', peer: { address: '%DOWNSTREAM_REMOTE_ADDRESS%' }, version: 2 });
    const filters = loggedFilters(listenersWith({ accessLogFile: '/dev/stdout', accessLogEncoding: 'JSON', accessLogFormat: format }));
    const T = 'envoy.extensions.access_loggers.file.v3.FileAccessLog';
    const { '@type': _t, ...log } = filters[0].typed_config.access_log[0].typed_config;
    const back = decode(T, encode(T, log)) as any;
    expect(back.log_format.json_format.fields).to.deep.equal({
      code: { stringValue: '%RESPONSE_CODE%' },
      peer: { structValue: { fields: { address: { stringValue: '%DOWNSTREAM_REMOTE_ADDRESS%' } } } },
      version: { numberValue: 2 },
    });
  });

  it('accessLogFormat: a JSON format that is not an object of format strings is named at load (Istio would silently use its default)', () => {
    const errors = (mesh: Record<string, unknown>) => {
      const r = resolveMeshConfig({ accessLogEncoding: 'JSON', ...mesh });
      return r.ok ? [] : r.errors;
    };
    expect(errors({ accessLogFormat: '%START_TIME%' })[0]).to.match(/^accessLogFormat: with accessLogEncoding JSON it must be a JSON object of fields: /);
    expect(errors({ accessLogFormat: '["a"]' })).to.deep.equal(['accessLogFormat: with accessLogEncoding JSON it must be a JSON object of fields, got a list of 1']);
    expect(errors({ accessLogFormat: '{"a": {"b": true}}' })).to.deep.equal(['accessLogFormat.a.b: must be a format string, a number or an object, got true']);
    expect(errors({ accessLogFormat: 42 })).to.deep.equal(['accessLogFormat: must be a string']);
    expect(errors({ accessLogFormat: '' })).to.deep.equal([]);
  });

  it('the mesh config refuses another encoding, and a changed setting is a new snapshot version', () => {
    expect(resolveMeshConfig({ accessLogEncoding: 'XML' })).to.deep.equal({ ok: false, errors: ['accessLogEncoding: "XML" must be TEXT or JSON'] });
    const a = buildSnapshot(bookinfo(), { accessLog: { path: '/dev/stdout', encoding: 'TEXT' } });
    expect(a.version).to.not.equal(buildSnapshot(bookinfo()).version);
  });
});
