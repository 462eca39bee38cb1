/**
 * The webhook's own work for one review, step by step, in a hot loop: decoding the body (as the /inject route
 * does), the inject handler (policy and injection), and encoding the answer. No HTTP, TLS or load generator:
 * what is left of a phase's server CPU per request besides these steps is Fastify, TLS and the kernel, which the
 * echo route pays too. Run in the load generator's process before the phases start.
 */
import { decodeAdmissionReview, encodeAdmissionReviewWire } from '../../src/admission/index.js';
import { DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';
import { createLogger } from '../../src/core/log.js';
import { injectPod } from '../../src/inject/index.js';
import { createRegistry, webhookMetrics } from '../../src/metrics.js';
import { reviewInject, type HandlerContext } from '../../src/webhook/handlers.js';
import { percentile } from './loadgen.js';

export interface StepTimes {
  /** µs per review, the median of the rounds. */
  decode: number;
  inject: number;
  encode: number;
}

const median = (xs: number[]) => percentile(Float64Array.from(xs).sort(), 0.5);

/** Times the steps for `body` (an AdmissionReview of a pod CREATE): `rounds` rounds of `perRound` reviews after one round of warm-up. */
export function timeSteps(body: string, rounds = 5, perRound = 20_000): StepTimes {
  const bytes = Buffer.from(body);
  const log = createLogger({ level: 'silent' });
  const ctx: HandlerContext = { metrics: webhookMetrics(createRegistry()), enabled: (level) => log.isLevelEnabled(level), log: () => log };
  const injector = (pod: Parameters<typeof injectPod>[0], { namespace }: { namespace: string }) => injectPod(pod, { namespace, mesh: DEFAULT_MESH_CONFIG });
  const per: Record<keyof StepTimes, number[]> = { decode: [], inject: [], encode: [] };
  for (let r = 0; r <= rounds; r++) {
    let decode = 0n;
    let inject = 0n;
    let encode = 0n;
    for (let i = 0; i < perRound; i++) {
      const t0 = process.hrtime.bigint();
      const decoded = decodeAdmissionReview(bytes, { lazy: true });
      const t1 = process.hrtime.bigint();
      if (!decoded.ok) throw new Error(`bench review does not decode: ${decoded.message}`);
      const out = reviewInject(decoded.request, injector, ctx);
      const t2 = process.hrtime.bigint();
      encodeAdmissionReviewWire(decoded.apiVersion, decoded.request.uid, out.result);
      const t3 = process.hrtime.bigint();
      if (out.outcome !== 'patched') throw new Error(`bench review is not injected: ${out.outcome}`);
      decode += t1 - t0;
      inject += t2 - t1;
      encode += t3 - t2;
    }
    if (r === 0) continue; // warm-up
    per.decode.push(Number(decode) / perRound / 1000);
    per.inject.push(Number(inject) / perRound / 1000);
    per.encode.push(Number(encode) / perRound / 1000);
  }
  return { decode: median(per.decode), inject: median(per.inject), encode: median(per.encode) };
}
