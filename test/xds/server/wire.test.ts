import { expect } from 'chai';
import { decode, encode } from '../../../src/xds/proto.js';
import { adsClientDefinition, adsServiceDefinition, deltaEntry, deltaResponse, encodeAny, lenField, sotwEntry, sotwResponse, structToPlain } from '../../../src/xds/server/wire.js';
import { TypeUrls } from '../../../src/core/constants.js';

describe('ADS wire encoding', () => {
  const cluster = { name: 'outbound|9080||reviews.default.svc.cluster.local', type: 'EDS', connect_timeout: { seconds: 10 } };
  const big = { name: 'x'.repeat(300), type: 'STATIC' }; // lengths above 127 need multi-byte varints

  it('hand-built DiscoveryResponse decodes as protobuf would', () => {
    const entries = [cluster, big].map((c) => sotwEntry(encodeAny(TypeUrls.cluster, encode(TypeUrls.cluster, c))));
    const msg = decode('envoy.service.discovery.v3.DiscoveryResponse', sotwResponse('v1', TypeUrls.cluster, 'n1', entries)) as any;
    expect(msg.version_info).to.equal('v1');
    expect(msg.type_url).to.equal(TypeUrls.cluster);
    expect(msg.nonce).to.equal('n1');
    expect(msg.resources.map((r: any) => r['@type'])).to.deep.equal([TypeUrls.cluster, TypeUrls.cluster]);
    expect(msg.resources.map((r: any) => r.name)).to.deep.equal([cluster.name, big.name]);
  });

  it('hand-built DeltaDiscoveryResponse decodes as protobuf would', () => {
    const any = encodeAny(TypeUrls.cluster, encode(TypeUrls.cluster, cluster));
    const msg = decode('envoy.service.discovery.v3.DeltaDiscoveryResponse', deltaResponse('sv', TypeUrls.cluster, 'n2', [deltaEntry(cluster.name, 'h1', any)], ['gone-a', 'gone-b'])) as any;
    expect(msg).to.include({ system_version_info: 'sv', type_url: TypeUrls.cluster, nonce: 'n2' });
    expect(msg.removed_resources).to.deep.equal(['gone-a', 'gone-b']);
    expect(msg.resources[0]).to.include({ name: cluster.name, version: 'h1' });
    expect(msg.resources[0].resource.name).to.equal(cluster.name);
  });

  const structs: Array<{ name: string; in: unknown; want: Record<string, unknown> }> = [
    { name: 'camelCase (protobufjs well-known types)', in: { fields: { A: { stringValue: 'x', kind: 'stringValue' }, N: { numberValue: 2 }, B: { boolValue: true } } }, want: { A: 'x', N: 2, B: true } },
    { name: 'snake_case', in: { fields: { A: { string_value: 'x' }, L: { list_value: { values: [{ string_value: 'y' }] } } } }, want: { A: 'x', L: ['y'] } },
    { name: 'nested struct', in: { fields: { LABELS: { structValue: { fields: { app: { stringValue: 'reviews' } } } } } }, want: { LABELS: { app: 'reviews' } } },
    { name: 'null value and junk', in: { fields: { Z: { nullValue: 'NULL_VALUE' }, J: 'junk' } }, want: { Z: null, J: undefined } },
    { name: 'no struct', in: null, want: {} },
  ];
  for (const t of structs) {
    it(`Struct to plain: ${t.name}`, () => {
      expect(structToPlain(t.in)).to.deep.equal(t.want);
    });
  }

  describe('fast request reader', () => {
    const client = (adsClientDefinition() as any).StreamAggregatedResources;
    const server = (adsServiceDefinition() as any).StreamAggregatedResources;
    const roundTrip = (req: object) => server.requestDeserialize(client.requestSerialize(req));
    const EDS = TypeUrls.endpoint;

    it('reads an ACK without decoding names until asked, with a digest of the name list', () => {
      const a = roundTrip({ type_url: EDS, version_info: 'v1', response_nonce: 'n1', resource_names: ['b', 'a'] });
      expect(a).to.include({ type_url: EDS, version_info: 'v1', response_nonce: 'n1' });
      expect(a.resource_names).to.deep.equal(['b', 'a']);
      expect(roundTrip({ type_url: EDS, response_nonce: 'n2', resource_names: ['b', 'a'] }).names_digest).to.equal(a.names_digest);
      expect(roundTrip({ type_url: EDS, response_nonce: 'n2', resource_names: ['a', 'b'] }).names_digest).to.not.equal(a.names_digest);
      expect(roundTrip({ type_url: EDS, resource_names: ['ab'] }).names_digest).to.not.equal(roundTrip({ type_url: EDS, resource_names: ['a', 'b'] }).names_digest);
    });

    it('leaves the names as bytes: equal lists, equal bytes; long names and names split by other fields read whole', () => {
      const long = ['x'.repeat(200), 'é'.repeat(70), 'b'];
      const a = roundTrip({ type_url: EDS, response_nonce: 'n1', resource_names: long });
      expect(a.names_bytes.equals(roundTrip({ type_url: EDS, version_info: 'v9', response_nonce: 'n7', resource_names: long }).names_bytes)).to.equal(true);
      expect(a.names_bytes.equals(roundTrip({ type_url: EDS, resource_names: long.slice(0, 2) }).names_bytes)).to.equal(false);
      expect(a.resource_names).to.deep.equal(long);
      expect(roundTrip({ type_url: EDS }).names_bytes.length).to.equal(0);
      // Fields in any order (protobuf allows it): a name after the type_url joins the list.
      const split = Buffer.concat([lenField(3, 'a'), lenField(4, EDS), lenField(3, 'b'), lenField(5, 'n3')]);
      const r = server.requestDeserialize(split);
      expect(r).to.include({ type_url: EDS, response_nonce: 'n3' });
      expect(r.resource_names).to.deep.equal(['a', 'b']);
      expect(r.names_digest).to.equal(roundTrip({ type_url: EDS, resource_names: ['a', 'b'] }).names_digest);
    });

    it('a truncated request goes to the full decoder, without names_bytes', () => {
      const r = server.requestDeserialize(Buffer.from([0x1a, 0x05, 0x61]));
      expect(r.names_bytes).to.equal(undefined);
    });

    it('decodes requests with a node or an error fully', () => {
      const first = roundTrip({ type_url: EDS, node: { id: 'x', metadata: { fields: { A: { stringValue: 'b' } } } }, resource_names: ['a'] });
      expect(first.node.id).to.equal('x');
      expect(structToPlain(first.node.metadata)).to.deep.equal({ A: 'b' });
      expect(first.resource_names).to.deep.equal(['a']);
      const nack = roundTrip({ type_url: EDS, response_nonce: 'n', error_detail: { code: 3, message: 'bad' } });
      expect(nack.error_detail).to.include({ code: 3, message: 'bad' });
    });

    it('the digest of a fully decoded request covers every name (names after the node too)', () => {
      const node = { id: 'x' };
      const first = roundTrip({ type_url: EDS, node, resource_names: ['a', 'b'] });
      expect(first.names_digest).to.equal(roundTrip({ type_url: EDS, response_nonce: 'n1', resource_names: ['a', 'b'] }).names_digest);
      expect(first.names_digest).to.not.equal(roundTrip({ type_url: EDS, node, resource_names: ['a', 'c'] }).names_digest);
    });
  });
});
