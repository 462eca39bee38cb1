/** Shared fixtures for the Envoy generator tests: the Bookinfo mesh, proxies, and the encode + PGV check. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseDocuments } from '../../../src/core/documents.js';
import type { KubeObject } from '../../../src/core/kube.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import type { Snapshot } from '../../../src/model/types.js';
import { parseNode, type Proxy } from '../../../src/model/proxy.js';
import { encode, envoyRoot } from '../../../src/xds/proto.js';
import { checkPgv } from '../../../src/xds/pgv.js';
import { TypeUrls } from '../../../src/core/constants.js';
import type { NamedResource } from '../../../src/xds/gen/index.js';
import { BOOKINFO_DIR } from '../../support/samples.js';

export const SAMPLES = BOOKINFO_DIR;
export const TESTDATA = join(import.meta.dirname, 'testdata');
export const ENVOY_TYPES = [TypeUrls.cluster, TypeUrls.endpoint, TypeUrls.listener, TypeUrls.route] as const;

export function readObjects(file: string): KubeObject[] {
  return parseDocuments(readFileSync(file, 'utf8'), file)
    .map((d) => d.value)
    .filter((v): v is KubeObject => typeof v === 'object' && v !== null) as KubeObject[];
}

/** YAML text → objects. */
export const yamlObjects = (text: string): KubeObject[] => parseDocuments(text).map((d) => d.value as KubeObject);

/** Bookinfo platform + pods fixture (+ the given networking sample files). */
export function bookinfo(...networking: string[]): KubeObject[] {
  return [
    ...readObjects(join(SAMPLES, 'platform/bookinfo.yaml')),
    ...readObjects(join(TESTDATA, 'bookinfo-pods.yaml')),
    ...networking.flatMap((f) => readObjects(join(SAMPLES, 'networking', f))),
  ];
}

export const bookinfoSnapshot = (...networking: string[]): Snapshot => buildSnapshot(bookinfo(...networking));

export function proxy(id: string, metadata: Record<string, unknown> = {}): Proxy {
  const r = parseNode({ id, metadata });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}

/** Test fixtures shared by the generator tests. A gRPC port on reviews (target 9090): */
export const REVIEWS_GRPC_SERVICE = `
apiVersion: v1
kind: Service
metadata: { name: reviews-grpc }
spec: { selector: { app: reviews }, ports: [{ name: grpc, port: 50051, targetPort: 9090 }] }`;

/** A TCP service with a cluster IP (its listener is 10.96.5.5_3306). */
export const MYSQL_SERVICE = `
apiVersion: v1
kind: Service
metadata: { name: mysql }
spec: { clusterIP: 10.96.5.5, selector: { app: mysql }, ports: [{ name: tcp-mysql, port: 3306 }] }`;

/** The Zipkin collector where the mesh config's default tracing address (zipkin.istio-system:9411) points. */
export const ZIPKIN_SERVICE = `
apiVersion: v1
kind: Service
metadata: { name: zipkin, namespace: istio-system }
spec: { selector: { app: zipkin }, ports: [{ name: http-query, port: 9411 }] }`;

export const PRODUCTPAGE = 'sidecar~10.244.0.16~productpage-v1-9c1a0f8e2-fghij.default~default.svc.cluster.local';
export const REVIEWS_V1 = 'sidecar~10.244.0.13~reviews-v1-6f8d9c7b5-cdefg.default~default.svc.cluster.local';
export const GATEWAY = 'router~10.244.0.20~istio-ingressgateway-5b7c8d9f6-ghijk.istio-system~istio-system.svc.cluster.local';

/** Every resource encodes with Envoy's protos and passes Envoy's validate rules; names are unique. */
export function expectValid(typeUrl: string, resources: readonly NamedResource[]): void {
  const names = resources.map((r) => r.name);
  expect(new Set(names).size, `duplicate names in ${names.join(', ')}`).to.equal(names.length);
  for (const r of resources) {
    expect(() => encode(typeUrl, r.resource), r.name).not.to.throw();
    expect(checkPgv(envoyRoot(), typeUrl, r.resource), `${typeUrl} ${r.name}`).to.deep.equal([]);
    if (typeUrl === TypeUrls.listener) expectDistinctChains(r.resource);
  }
}

/** FilterChainMatch's criteria holding a list: a connection matches one value of each (an empty list: any). */
const LIST_CRITERIA = ['prefix_ranges', 'server_names', 'application_protocols', 'direct_source_prefix_ranges', 'source_prefix_ranges', 'source_ports'];

/**
 * No connection matches two chains of a listener with the same specificity, which makes Envoy refuse the listener
 * ("multiple filter chains with the same matching rules are defined"): every pair of chains differs in some
 * criterion (a single value, or lists without a value in common, an empty list counting as its own value), and no
 * chain names a value twice in one list.
 */
export function expectDistinctChains(listener: any): void {
  const chains: any[] = listener.filter_chains ?? [];
  const single = (m: any): string => JSON.stringify([m.destination_port?.value ?? 0, m.transport_protocol ?? '', m.source_type ?? 'ANY']);
  const values = (m: any, field: string): string[] => (m[field]?.length ? m[field].map((v: unknown) => JSON.stringify(v)) : ['any']);
  const describe = (i: number): string => `${listener.name} chain ${i} ${JSON.stringify(chains[i].filter_chain_match ?? {})}`;
  chains.forEach((c, i) => {
    for (const field of LIST_CRITERIA) {
      const list = values(c.filter_chain_match ?? {}, field);
      expect(new Set(list).size, `${describe(i)}: ${field} names a value twice`).to.equal(list.length);
    }
  });
  for (let i = 0; i < chains.length; i++) {
    for (let j = i + 1; j < chains.length; j++) {
      const a = chains[i].filter_chain_match ?? {};
      const b = chains[j].filter_chain_match ?? {};
      const overlap = single(a) === single(b) && LIST_CRITERIA.every((f) => values(a, f).some((v) => values(b, f).includes(v)));
      expect(overlap, `${describe(i)} and ${describe(j)} match the same connections`).to.equal(false);
    }
  }
}

export const byName = (rs: readonly NamedResource[], name: string): any => {
  const r = rs.find((x) => x.name === name);
  if (!r) throw new Error(`no resource ${name} among ${rs.map((x) => x.name).join(', ')}`);
  return r.resource;
};

/** An Istio Gateway of istio-system on the ingress gateway's workloads; `servers`: its server items as YAML (each starting "\n  - "). */
export const ingressGatewayYaml = (name: string, created: string, servers: string): string => `
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: istio-system, creationTimestamp: "${created}" }
spec:
  selector: { istio: ingressgateway }
  servers:${servers}`;
