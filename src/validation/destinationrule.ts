/** DestinationRule: host, subsets, traffic policies (load balancing, locality, pools, outlier detection, TLS), port-level settings. */
import { Issues, type Obj, walk, obj, str, bool, int32, uint32, num, list, map, strList, enumOf, each, entries, has, len } from './schema.js';
import {
  checkExportTo,
  durationField,
  durationFormatField,
  labelsSchema,
  matchLabelsSelectorSchema,
  validatePort,
  validateWildcardDomain,
  validateFqdn,
  isIpAddress,
  warnEmptySelector,
} from './common.js';
import { validateSubsetName } from './networking.js';
import { connectionPoolSchema, checkConnectionPool, clientTlsSchema, checkClientTls } from './trafficpolicy.js';
import type { KindValidator } from './kind.js';

const failoverSchema = list(obj({ from: str(), to: str() }));

const localityLbSettingSchema = obj({
  distribute: list(obj({ from: str(), to: map(uint32()) })),
  failover: failoverSchema,
  failoverPriority: strList(),
  enabled: bool,
});

/** Errors of a localityLbSetting outside a DestinationRule (the mesh config's), checked as a DestinationRule's is. */
export function localityLbSettingErrors(v: unknown, path: string): string[] {
  const issues = new Issues();
  walk(localityLbSettingSchema, v, path, issues);
  if (issues.errors.length === 0) checkLocality(v as Obj, {}, path, issues);
  return issues.errors;
}

const zoneAwareLbSettingSchema = obj({ enabled: bool, failover: failoverSchema, failoverPriority: strList(), minClusterSize: { type: 'int', min: 1, max: 4294967295 } });

/**
 * Errors of a zoneAwareLbSetting outside a DestinationRule (the mesh config's), checked as a DestinationRule's is
 * (as istiod, with no outlier detection to ask for).
 */
export function zoneAwareLbSettingErrors(v: unknown, path: string): string[] {
  const issues = new Issues();
  walk(zoneAwareLbSettingSchema, v, path, issues);
  if (issues.errors.length === 0) checkZoneAware(v as Obj, {}, path, issues);
  return issues.errors;
}

const loadBalancerSchema = obj(
  {
    simple: enumOf('UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST'),
    consistentHash: obj(
      {
        httpHeaderName: str(),
        httpCookie: obj({ name: str(), path: str(), ttl: durationFormatField, attributes: list(obj({ name: str(), value: str() }, { required: ['name'] })) }, { required: ['name'] }),
        useSourceIp: bool,
        httpQueryParameterName: str(),
        ringHash: obj({ minimumRingSize: uint32() }),
        maglev: obj({ tableSize: uint32() }),
        minimumRingSize: uint32(),
      },
      { atMostOne: [['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'], ['ringHash', 'maglev']] },
    ),
    localityLbSetting: localityLbSettingSchema,
    zoneAwareLbSetting: zoneAwareLbSettingSchema,
    warmupDurationSecs: durationField,
    warmup: obj({ duration: durationField, minimumPercent: num({ min: 0, max: 100 }), aggression: num({ min: 0 }) }, { required: ['duration'] }),
    backendUtilization: obj({
      errorUtilizationPenaltyPercent: uint32(),
      metricNamesForComputingUtilization: strList(),
      weightExpirationPeriod: durationFormatField,
      weightStabilizationPeriod: durationFormatField,
      weightUpdatePeriod: durationFormatField,
    }),
  },
  { atMostOne: [['simple', 'consistentHash', 'backendUtilization']] },
);

const outlierSchema = obj({
  consecutiveErrors: int32(),
  splitExternalLocalOriginErrors: bool,
  consecutiveLocalOriginFailures: uint32(),
  consecutiveGatewayErrors: uint32(),
  consecutive5xxErrors: uint32(),
  interval: durationField,
  baseEjectionTime: durationField,
  maxEjectionPercent: int32(),
  minHealthPercent: int32(),
  outlierDetectionHttpErrorCodes: list({ type: 'int', min: 100, max: 599 }),
});

// Istio requires the port but does not check its number (0 or 70000 simply never match a service port).
const portPolicySchema = obj(
  {
    port: obj({ number: uint32() }),
    loadBalancer: loadBalancerSchema,
    connectionPool: connectionPoolSchema,
    outlierDetection: outlierSchema,
    tls: clientTlsSchema,
  },
  { required: ['port'] },
);

/** The mesh config's defaultTrafficPolicy: a DestinationRule traffic policy's connectionPool and outlierDetection. */
const meshTrafficPolicySchema = obj({ connectionPool: connectionPoolSchema, outlierDetection: outlierSchema });

/** The issues of the mesh config's defaultTrafficPolicy, its blocks checked as a DestinationRule's are. */
export function meshTrafficPolicyIssues(v: unknown, path: string): Issues {
  const issues = new Issues();
  walk(meshTrafficPolicySchema, v, path, issues);
  if (issues.errors.length > 0) return issues;
  const tp = v as Obj;
  checkOutlier(tp.outlierDetection, `${path}.outlierDetection`, issues);
  checkConnectionPool(tp.connectionPool, `${path}.connectionPool`, issues);
  return issues;
}

const trafficPolicySchema = obj({
  loadBalancer: loadBalancerSchema,
  connectionPool: connectionPoolSchema,
  outlierDetection: outlierSchema,
  tls: clientTlsSchema,
  portLevelSettings: list(portPolicySchema, { maxItems: 4096 }),
  tunnel: obj({ protocol: str(), targetHost: str(), targetPort: uint32() }, { required: ['targetHost', 'targetPort'] }),
  proxyProtocol: obj({ version: enumOf('V1', 'V2') }),
  retryBudget: obj({ percent: num({ min: 0, max: 100 }), minRetryConcurrency: uint32(), budgetInterval: durationFormatField }),
});

export const destinationRuleSpec = obj(
  {
    host: str(),
    trafficPolicy: trafficPolicySchema,
    subsets: list(obj({ name: str(), labels: labelsSchema(), trafficPolicy: trafficPolicySchema }, { required: ['name'] })),
    exportTo: strList(),
    workloadSelector: matchLabelsSelectorSchema,
  },
  { required: ['host'] },
);

export const validateDestinationRule: KindValidator = (spec: Obj, ctx, issues: Issues) => {
  if (typeof spec.host === 'string') {
    const e = validateWildcardDomain(spec.host);
    if (e) issues.error('spec.host', e);
  }
  checkTrafficPolicy(spec.trafficPolicy, 'spec.trafficPolicy', issues);
  const names = new Set<string>();
  each(spec.subsets, (s, i) => {
    const p = `spec.subsets[${i}]`;
    if (typeof s.name === 'string') {
      if (names.has(s.name)) issues.error(`${p}.name`, `duplicate subset name "${s.name}"`);
      names.add(s.name);
      const e = validateSubsetName(s.name);
      if (e) issues.error(`${p}.name`, e);
    }
    checkTrafficPolicy(s.trafficPolicy, `${p}.trafficPolicy`, issues);
  });
  checkExportTo(spec.exportTo, ctx.namespace, 'spec.exportTo', issues);
  if (spec.workloadSelector && len(spec.exportTo) > 0) {
    const ns = ctx.namespace;
    const onlyLocal = (spec.exportTo as unknown[]).every((e) => e === '.' || (ns !== undefined && e === ns));
    if (!onlyLocal) issues.error('spec.exportTo', 'a DestinationRule with a workloadSelector cannot be exported beyond its own namespace');
  }
  warnEmptySelector(spec.workloadSelector, 'matchLabels', 'spec.workloadSelector', issues);
};

function checkTrafficPolicy(tp: Obj | undefined, p: string, issues: Issues): void {
  if (!tp) return;
  if (Object.keys(tp).length === 0) {
    issues.error(p, 'traffic policy must have at least one field');
    return;
  }
  if (tp.tunnel && tp.proxyProtocol) issues.error(p, 'tunnel and proxyProtocol must not be set together');
  checkPolicyParts(tp, p, issues);
  const ports = new Set<number>();
  each(tp.portLevelSettings, (pl, i) => {
    const pp = `${p}.portLevelSettings[${i}]`;
    if (pl.port && has(pl.port, 'number')) {
      if (ports.has(pl.port.number)) issues.warn(`${pp}.port.number`, `port ${pl.port.number} already has settings in an earlier entry; only one of them applies`);
      ports.add(pl.port.number);
    }
    if (!pl.loadBalancer && !pl.connectionPool && !pl.outlierDetection && !pl.tls) issues.error(pp, 'port traffic policy must have at least one field');
    else checkPolicyParts(pl, pp, issues);
  });
  const t = tp.tunnel;
  if (t) {
    if (t.protocol && t.protocol !== 'CONNECT' && t.protocol !== 'POST') issues.error(`${p}.tunnel.protocol`, 'must be "CONNECT" or "POST"');
    if (typeof t.targetHost === 'string' && validateFqdn(t.targetHost) && !isIpAddress(t.targetHost)) issues.error(`${p}.tunnel.targetHost`, 'must be a valid FQDN or IP address');
    if (has(t, 'targetPort')) {
      const e = validatePort(t.targetPort);
      if (e) issues.error(`${p}.tunnel.targetPort`, e);
    }
    issues.warn(`${p}.tunnel`, 'mizzen sets up no tunnels: connections go to the destination directly');
  }
}

function checkPolicyParts(tp: Obj, p: string, issues: Issues): void {
  if (tp.retryBudget && has(tp.retryBudget, 'budgetInterval')) issues.warn(`${p}.retryBudget.budgetInterval`, 'not applied by mizzen: the Envoy API it builds against has no such field');
  checkOutlier(tp.outlierDetection, `${p}.outlierDetection`, issues);
  checkConnectionPool(tp.connectionPool, `${p}.connectionPool`, issues);
  checkLoadBalancer(tp.loadBalancer, tp.outlierDetection, `${p}.loadBalancer`, issues);
  checkClientTls(tp.tls, `${p}.tls`, issues);
}

function checkOutlier(o: Obj | undefined, p: string, issues: Issues): void {
  if (!o) return;
  if (len(o.outlierDetectionHttpErrorCodes) > 0) issues.warn(`${p}.outlierDetectionHttpErrorCodes`, 'not applied by mizzen: every 5xx counts as an error');
  if (has(o, 'consecutiveErrors')) issues.warn(`${p}.consecutiveErrors`, 'deprecated: use consecutiveGatewayErrors or consecutive5xxErrors instead');
  if (o.splitExternalLocalOriginErrors !== true && (o.consecutiveLocalOriginFailures ?? 0) > 0) {
    issues.error(`${p}.consecutiveLocalOriginFailures`, 'is set but splitExternalLocalOriginErrors is false');
  }
  for (const f of ['maxEjectionPercent', 'minHealthPercent']) {
    if (has(o, f) && (o[f] < 0 || o[f] > 100)) issues.error(`${p}.${f}`, `percentage ${o[f]} is not in range 0..100`);
  }
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n < 4) return true;
  if (n % 2 === 0) return false;
  for (let f = 3; f * f <= n; f += 2) if (n % f === 0) return false;
  return true;
}

function checkLoadBalancer(lb: Obj | undefined, outlier: Obj | undefined, p: string, issues: Issues): void {
  if (!lb) return;
  const ch = lb.consistentHash;
  if (ch) {
    const cp = `${p}.consistentHash`;
    if (!ch.httpHeaderName && !ch.httpCookie && ch.useSourceIp !== true && !ch.httpQueryParameterName) {
      issues.warn(cp, 'no hash key set (httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName): requests will not stick to a host');
    }
    if (ch.httpCookie) {
      if (ch.httpCookie.name === '') issues.error(`${cp}.httpCookie.name`, 'must not be empty');
      const seen = new Set<string>();
      each(ch.httpCookie.attributes, (a, i) => {
        const ap = `${cp}.httpCookie.attributes[${i}].name`;
        if (a.name === '') issues.error(ap, 'must not be empty');
        else if (seen.has(a.name)) issues.error(ap, `duplicate cookie attribute "${a.name}"`);
        seen.add(a.name);
      });
    }
    if (has(ch, 'minimumRingSize') && ch.minimumRingSize !== 0) {
      issues.warn(`${cp}.minimumRingSize`, 'deprecated: use ringHash.minimumRingSize instead');
      if (ch.ringHash || ch.maglev) issues.error(cp, 'only one of minimumRingSize or ringHash/maglev can be set');
    }
    if (ch.maglev) {
      const ts: number = ch.maglev.tableSize ?? 0;
      const tp = `${cp}.maglev.tableSize`;
      if (ts === 0) issues.error(tp, 'must be set for maglev');
      else if (ts >= 5000011) issues.error(tp, 'must be less than 5000011');
      else if (!isPrime(ts)) issues.error(tp, `${ts} is not a prime number`);
    }
  }
  if (lb.localityLbSetting && lb.zoneAwareLbSetting) issues.error(p, 'only one of localityLbSetting and zoneAwareLbSetting can be set');
  checkLocality(lb.localityLbSetting, outlier, `${p}.localityLbSetting`, issues);
  checkZoneAware(lb.zoneAwareLbSetting, outlier, `${p}.zoneAwareLbSetting`, issues);
  if (lb.warmup && has(lb.warmup, 'aggression') && lb.warmup.aggression <= 0) issues.error(`${p}.warmup.aggression`, 'must be greater than 0');
  if (lb.warmup && has(lb, 'warmupDurationSecs')) issues.warn(`${p}.warmupDurationSecs`, 'ignored when warmup is set');
}

const TOPOLOGY_LABELS = ['topology.kubernetes.io/region', 'topology.kubernetes.io/zone', 'topology.istio.io/subzone'];

function checkFailover(list: unknown, what: string, p: string, issues: Issues): void {
  each(list, (f, i) => {
    const fp = `${p}.failover[${i}]`;
    if (f.from === f.to) issues.error(fp, `${what} failover must go to a different region`);
    if (String(f.from ?? '').includes('/') || String(f.to ?? '').includes('/')) issues.error(fp, `${what} failover only specifies regions`);
    if (String(f.from ?? '').includes('*') || String(f.to ?? '').includes('*')) issues.error(fp, `${what} failover regions must not contain '*'`);
  });
}

function checkLocality(l: Obj | undefined, outlier: Obj | undefined, p: string, issues: Issues): void {
  if (!l) return;
  if (len(l.distribute) > 0 && len(l.failover) > 0) {
    issues.error(p, 'cannot set both distribute and failover');
    return;
  }
  if (len(l.failover) > 0) {
    each<string>(l.failoverPriority, (label, i) => {
      if (TOPOLOGY_LABELS.includes(label)) issues.error(`${p}.failoverPriority[${i}]`, `cannot set failover together with topology label ${label} in failoverPriority`);
    });
  }
  const froms: string[] = [];
  each(l.distribute, (d, i) => {
    const dp = `${p}.distribute[${i}]`;
    if (typeof d.from === 'string') froms.push(d.from);
    let total = 0;
    for (const [loc, w] of entries<number>(d.to)) {
      if (w <= 0 || w > 100) issues.error(`${dp}.to[${loc}]`, 'locality weight must be in range 1..100');
      total += w;
    }
    if (total !== 100) issues.error(`${dp}.to`, `total locality weight ${total} != 100`);
    checkLocalities(Object.keys(d.to ?? {}), `${dp}.to`, issues);
  });
  checkLocalities(froms, `${p}.distribute`, issues);
  if ((len(l.failover) > 0 || len(l.failoverPriority) > 0) && !outlier) issues.warn(p, 'outlier detection policy must be provided for failover to work');
  checkFailover(l.failover, 'locality lb', p, issues);
}

function checkZoneAware(z: Obj | undefined, outlier: Obj | undefined, p: string, issues: Issues): void {
  if (!z) return;
  each<string>(z.failoverPriority, (label, i) => {
    if (TOPOLOGY_LABELS.includes(label)) issues.error(`${p}.failoverPriority[${i}]`, `must not use topology label ${label}; region and zone routing are automatic`);
  });
  if ((len(z.failover) > 0 || len(z.failoverPriority) > 0) && !outlier) issues.warn(p, 'outlier detection policy must be provided for failover to work');
  checkFailover(z.failover, 'zone aware lb', p, issues);
}

/** region[/zone[/subzone]] with at most one trailing `*`, no empty parts, no overlap. */
function checkLocalities(locs: string[], p: string, issues: Issues): void {
  const seen: string[] = [];
  for (const loc of locs) {
    const stars = loc.split('*').length - 1;
    if (stars > 1 || (stars === 1 && !loc.endsWith('*'))) {
      issues.error(p, `locality ${loc}: wildcard '*' may appear once, at the end`);
      continue;
    }
    if (loc.split('/').slice(0, 3).some((part) => part === '')) {
      issues.error(p, `locality ${loc} must not contain empty region/zone/subzone`);
      continue;
    }
    const norm = loc.endsWith('/*') ? loc.slice(0, -2) : loc;
    const overlaps = seen.some((s) => s === '*' || norm === '*' || s === norm || norm.startsWith(`${s}/`) || s.startsWith(`${norm}/`));
    if (overlaps) issues.error(p, `locality ${loc} overlaps with a previous one`);
    seen.push(norm);
  }
}
