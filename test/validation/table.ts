/** Table-driven validation tests: `{name, in, valid, warning?, error?}` where error/warning are substrings of `path: message`. */
import { expect } from 'chai';
import { validateObject, type ValidationReport } from '../../src/validation/index.js';

export interface Case {
  name: string;
  /** The spec (wrapped into an object of the table's kind) or, with `whole`, the complete object. */
  in: unknown;
  valid: boolean;
  /** Substring of one of the errors. */
  error?: string;
  /** Substring of one of the warnings. */
  warning?: string;
  whole?: boolean;
  meta?: Record<string, unknown>;
}

const GROUPS: Record<string, string> = {
  VirtualService: 'networking.istio.io/v1',
  DestinationRule: 'networking.istio.io/v1',
  Gateway: 'networking.istio.io/v1',
  ServiceEntry: 'networking.istio.io/v1',
  Sidecar: 'networking.istio.io/v1',
  WorkloadEntry: 'networking.istio.io/v1',
  WorkloadGroup: 'networking.istio.io/v1',
  EnvoyFilter: 'networking.istio.io/v1alpha3',
  ProxyConfig: 'networking.istio.io/v1beta1',
  PeerAuthentication: 'security.istio.io/v1',
  AuthorizationPolicy: 'security.istio.io/v1',
  RequestAuthentication: 'security.istio.io/v1',
  Telemetry: 'telemetry.istio.io/v1',
  WasmPlugin: 'extensions.istio.io/v1alpha1',
};

export function wrap(kind: string, spec: unknown, meta: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: GROUPS[kind], kind, metadata: { name: 'test', namespace: 'default', ...meta }, spec };
}

function show(r: ValidationReport): string {
  return JSON.stringify(r, null, 2);
}

export function runTable(kind: string, cases: Case[]): void {
  describe(`${kind} validation`, () => {
    for (const c of cases) {
      it(c.name, async () => {
        const r = validateObject(c.whole ? c.in : wrap(kind, c.in, c.meta));
        if (c.valid) expect(r.errors, `expected no errors, got ${show(r)}`).to.deep.equal([]);
        else expect(r.errors.length, `expected errors, got ${show(r)}`).to.be.greaterThan(0);
        if (c.error) expect(r.errors.some((e) => e.includes(c.error!)), `expected an error containing ${JSON.stringify(c.error)}, got ${show(r)}`).to.equal(true);
        if (c.warning) expect(r.warnings.some((w) => w.includes(c.warning!)), `expected a warning containing ${JSON.stringify(c.warning)}, got ${show(r)}`).to.equal(true);
        for (const e of r.errors) expect(e).not.to.include('internal validation error');
      });
    }
  });
}
