/** AuthorizationPolicy: action and provider, rules (from/to/when), principals, namespaces, IP blocks, ports, paths, condition keys. */
import { type Issues, type Obj, obj, str, list, strList, enumOf, each, has, len } from './schema.js';
import { validateIpOrCidr } from './common.js';
import { targetFields, checkTargets, warnTargetRefs } from './security.js';
import type { KindValidator } from './kind.js';

const SOURCE_FIELDS = [
  'principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals', 'namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts',
  'ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks', 'trustDomains', 'notTrustDomains',
] as const;
const OPERATION_FIELDS = ['hosts', 'notHosts', 'ports', 'notPorts', 'methods', 'notMethods', 'paths', 'notPaths'] as const;

const source = obj(
  Object.fromEntries(
    SOURCE_FIELDS.map((f) => [f, f === 'serviceAccounts' || f === 'notServiceAccounts' ? list(str({ maxLength: 320 }), { maxItems: 16 }) : strList()]),
  ),
);

/** Evaluates the policy without enforcing it (only for ALLOW and DENY); the value is checked with the metadata. */
export const DRY_RUN_ANNOTATION = 'istio.io/dry-run';

export const authorizationPolicySpec = obj({
  ...targetFields,
  action: enumOf('ALLOW', 'DENY', 'AUDIT', 'CUSTOM'),
  provider: obj({ name: str() }),
  rules: list(
    obj({
      from: list(obj({ source }), { maxItems: 512 }),
      to: list(obj({ operation: obj(Object.fromEntries(OPERATION_FIELDS.map((f) => [f, strList()]))) })),
      when: list(obj({ key: str(), values: strList(), notValues: strList() }, { required: ['key'] })),
    }),
    { maxItems: 512 },
  ),
});

// ---- value checks (each returns an error message) --------------------------------------------------------

function validatePorts(values: string[]): string | undefined {
  const bad = values.find((v) => !/^[0-9]+$/.test(v) || Number(v) > 65535);
  return bad === undefined ? undefined : `bad port "${bad}": must be a number in range 0..65535`;
}

function validateIps(values: string[]): string | undefined {
  for (const v of values) {
    const e = validateIpOrCidr(v);
    if (e) return e;
  }
  return undefined;
}

function validateWildcards(values: string[]): string | undefined {
  for (const v of values) {
    const stars = v.split('*').length - 1;
    if (stars > 1) return `at most one wildcard is allowed: "${v}"`;
    if (stars === 1 && v !== '*' && !v.startsWith('*') && !v.endsWith('*')) return `wildcard is only allowed at the start or end: "${v}"`;
  }
  return undefined;
}

function validateTrustDomains(values: string[]): string | undefined {
  return validateWildcards(values) ?? (values.some((v) => v.includes('/')) ? 'trust domain must not contain "/"' : undefined);
}

function validateServiceAccounts(values: string[]): string | undefined {
  for (const v of values) {
    if (v.includes('*')) return `wildcard not allowed: "${v}"`;
    const parts = v.split('/');
    if (parts.length > 2 || parts.some((x) => x === '')) return `expected "serviceAccount" or "namespace/serviceAccount", found "${v}"`;
  }
  return undefined;
}

const LITERAL = /^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$/;

function validatePathTemplates(values: string[]): string | undefined {
  for (const path of values) {
    const templated = path.includes('{*}') || path.includes('{**}');
    let sawAny = false;
    for (const seg of path.replace(/^\/+|\/+$/g, '').split('/')) {
      if ((seg === '{*}' || seg === '{**}') && sawAny) return `invalid path "${path}": {**} must be the last operator`;
      if (seg === '{**}') sawAny = true;
      if (seg === '{*}' || seg === '{**}') continue;
      if (/[{}]/.test(seg)) return `invalid path "${path}": '{' or '}' outside a supported template ({*} or {**})`;
      if (templated && !LITERAL.test(seg)) return `invalid path "${path}": segment "${seg}" is not a valid literal`;
    }
  }
  return undefined;
}

const MAP_KEY = /^[^[]+\[.+\]$/;

type ValuesCheck = (values: string[]) => string | undefined;

/** Condition keys Istio understands in `when`: a key error, or how the values of the key are checked. */
function conditionRule(key: string): { keyError?: string; values?: ValuesCheck } {
  const mapKey = MAP_KEY.test(key) ? {} : { keyError: `bad key "${key}": should have the form a[b]` };
  if (key.startsWith('request.headers') || key.startsWith('request.auth.claims') || key.startsWith('experimental.envoy.filters.')) return mapKey;
  switch (key) {
    case 'source.ip':
    case 'remote.ip':
    case 'destination.ip':
      return { values: validateIps };
    case 'destination.port':
      return { values: validatePorts };
    case 'source.serviceAccount':
      return { values: validateServiceAccounts };
    case 'source.trustDomain':
      return { values: validateWildcards };
    case 'source.namespace':
    case 'source.principal':
    case 'request.auth.principal':
    case 'request.auth.audiences':
    case 'request.auth.presenter':
    case 'connection.sni':
      return {};
    case 'destination.namespace':
      return { keyError: `attribute ${key} is replaced by metadata.namespace` };
    case 'destination.name':
    case 'destination.user':
      return { keyError: `deprecated attribute ${key}: only supported in v1alpha1` };
  }
  if (key.startsWith('destination.labels')) return { keyError: `attribute ${key} is replaced by the workload selector` };
  return { keyError: `unknown attribute "${key}"` };
}

// ---- the rules ---------------------------------------------------------------------------------------------

const CUSTOM_UNSUPPORTED_SOURCES = ['namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts', 'trustDomains', 'notTrustDomains', 'principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals'];
const TCP_SOURCES = ['principals', 'notPrincipals', 'ipBlocks', 'notIpBlocks', 'namespaces', 'notNamespaces', 'remoteIpBlocks', 'notRemoteIpBlocks', 'serviceAccounts', 'notServiceAccounts'];

function checkValues(o: Obj, field: string, p: string, issues: Issues, fn?: (v: string[]) => string | undefined): void {
  const values: string[] = (o[field] ?? []).filter((v: unknown) => typeof v === 'string');
  if (values.some((v) => v === '')) issues.error(`${p}.${field}`, 'empty values are not allowed');
  const e = fn?.(values.filter((v) => v !== ''));
  if (e) issues.error(`${p}.${field}`, e);
}

export const validateAuthorizationPolicy: KindValidator = (spec: Obj, ctx, issues: Issues) => {
  checkTargets(spec, issues);
  warnTargetRefs(spec, 'this AuthorizationPolicy (a DENY denies nothing through it)', issues);
  const action: string = spec.action ?? 'ALLOW';
  if (action === 'AUDIT') issues.warn('spec.action', 'mizzen has no audit logging: an AUDIT policy changes nothing');
  if (DRY_RUN_ANNOTATION in ctx.annotations && action !== 'ALLOW' && action !== 'DENY') {
    issues.error(`metadata.annotations[${DRY_RUN_ANNOTATION}]`, `only supported with action ALLOW or DENY, found ${action}`);
  }
  if (action === 'CUSTOM') {
    if (spec.rules === undefined) issues.error('spec.rules', 'CUSTOM action without rules is never triggered; add an empty rule {} to apply it to every request');
    else if (!spec.provider?.name) issues.error('spec.provider.name', 'is required for the CUSTOM action');
  } else if (spec.provider) issues.error('spec.provider', `provider may only be set with the CUSTOM action, not ${action}`);
  if (action === 'DENY' && spec.rules === undefined) issues.error('spec.rules', 'DENY action without rules is never triggered; add an empty rule {} to deny every request');
  if (action === 'ALLOW' && len(spec.rules) === 0) issues.warn('spec.rules', 'ALLOW policy without rules matches no request: every request to the selected workloads is denied');

  if (action === 'CUSTOM' && spec.provider?.name) {
    issues.warn('spec.provider.name', `proxyless gRPC servers cannot call an external authorization service: they deny the requests this policy would send to ${JSON.stringify(spec.provider.name)} (Envoy sidecars and gateways call it)`);
  }

  each(spec.rules, (rule, i) => {
    const p = `spec.rules[${i}]`;
    noteUnenforced(rule, p, issues);
    if (Array.isArray(rule.from) && rule.from.length === 0) issues.error(`${p}.from`, 'must not be empty if set');
    if (Array.isArray(rule.to) && rule.to.length === 0) issues.error(`${p}.to`, 'must not be empty if set');
    let fromExists = false;
    let toExists = false;
    let tcpFrom = false;
    let tcpTo = false;
    each(rule.from, (f, j) => {
      const fp = `${p}.from[${j}].source`;
      const src: Obj | undefined = f.source;
      if (!src) return issues.error(fp, 'is required');
      fromExists = true;
      if (SOURCE_FIELDS.every((k) => len(src[k]) === 0)) issues.error(fp, 'must not be empty');
      if (['principals', 'notPrincipals', 'namespaces', 'notNamespaces'].some((k) => has(src, k)) && (has(src, 'serviceAccounts') || has(src, 'notServiceAccounts'))) {
        issues.error(fp, 'cannot set serviceAccounts together with namespaces or principals');
      }
      for (const k of ['ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks']) checkValues(src, k, fp, issues, validateIps);
      for (const k of ['principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals', 'namespaces', 'notNamespaces']) checkValues(src, k, fp, issues);
      for (const k of ['serviceAccounts', 'notServiceAccounts']) checkValues(src, k, fp, issues, validateServiceAccounts);
      for (const k of ['trustDomains', 'notTrustDomains']) checkValues(src, k, fp, issues, validateTrustDomains);
      if (TCP_SOURCES.some((k) => has(src, k))) tcpFrom = true;
      if (action === 'CUSTOM') {
        for (const k of CUSTOM_UNSUPPORTED_SOURCES) if (has(src, k)) issues.error(`${fp}.${k}`, 'is not supported with the CUSTOM action');
      }
    });
    each(rule.to, (t, j) => {
      const tp = `${p}.to[${j}].operation`;
      const op: Obj | undefined = t.operation;
      if (!op) return issues.error(tp, 'is required');
      toExists = true;
      if (OPERATION_FIELDS.every((k) => len(op[k]) === 0)) issues.error(tp, 'must not be empty');
      for (const k of ['ports', 'notPorts']) checkValues(op, k, tp, issues, validatePorts);
      for (const k of ['methods', 'notMethods', 'hosts', 'notHosts']) checkValues(op, k, tp, issues);
      for (const k of ['paths', 'notPaths']) checkValues(op, k, tp, issues, validatePathTemplates);
      if (has(op, 'ports') || has(op, 'notPorts')) tcpTo = true;
    });
    each(rule.when, (c, j) => {
      const cp = `${p}.when[${j}]`;
      const key: string = c.key ?? '';
      if (key === '') return issues.error(`${cp}.key`, 'must not be empty');
      if (len(c.values) === 0 && len(c.notValues) === 0) return issues.error(cp, `at least one of values or notValues must be set for key ${key}`);
      const rule = conditionRule(key);
      if (rule.keyError) issues.error(`${cp}.key`, rule.keyError);
      for (const f of ['values', 'notValues']) checkValues(c, f, cp, issues, rule.values);
      if (action === 'CUSTOM' && (['source.namespace', 'source.serviceAccount', 'source.trustDomain', 'source.principal'].includes(key) || key.startsWith('request.auth.'))) {
        issues.error(`${cp}.key`, `${key} is not supported with the CUSTOM action`);
      }
    });
    if (action === 'DENY' && ((fromExists && !toExists && !tcpFrom) || (toExists && !tcpTo))) {
      issues.warn(p, 'this DENY rule uses only HTTP attributes, so it denies all traffic to TCP ports in scope; specify the ports explicitly');
    }
  });
};

const IDENTITY_SOURCES = ['principals', 'notPrincipals', 'namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts', 'trustDomains', 'notTrustDomains'];
const IDENTITY_KEYS = ['source.principal', 'source.namespace', 'source.serviceAccount', 'source.trustDomain'];
const MTLS_NOTE =
  'a peer identity is known only over mTLS, which Envoy sidecars take only when injected with mesh certificates (mesh config workloadCertificateSecrets) and proxyless gRPC servers only under PeerAuthentication STRICT: without it this matches no request (an ALLOW rule with it admits nothing, a DENY rule denies nothing)';
const JWT_NOTE =
  'request principals and claims come from a token a RequestAuthentication checked, which Envoy sidecars and gateways do: on proxyless gRPC servers (no JWT filter) this matches no request';

/** Warnings for the parts of a rule mizzen's proxies cannot check yet (peer identities, JWT claims). */
function noteUnenforced(rule: Obj, p: string, issues: Issues): void {
  each(rule.from, (f, j) => {
    const src: Obj | undefined = f.source;
    if (!src) return;
    for (const k of IDENTITY_SOURCES) if (len(src[k]) > 0) issues.warn(`${p}.from[${j}].source.${k}`, MTLS_NOTE);
    for (const k of ['requestPrincipals', 'notRequestPrincipals']) if (len(src[k]) > 0) issues.warn(`${p}.from[${j}].source.${k}`, JWT_NOTE);
  });
  each(rule.when, (c, j) => {
    const key: string = c.key ?? '';
    if (IDENTITY_KEYS.includes(key)) issues.warn(`${p}.when[${j}].key`, `${key}: ${MTLS_NOTE}`);
    else if (key.startsWith('request.auth.')) issues.warn(`${p}.when[${j}].key`, `${key}: ${JWT_NOTE}`);
  });
}
