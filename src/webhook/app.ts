/**
 * The webhook HTTPS server: POST /inject (and /inject/*), POST /validate, GET /healthz, GET /readyz.
 * buildWebhookApp() builds it without listening (tests use app.inject() or listen on port 0; serve.ts listens).
 * HTTP lives here; the AdmissionReview protocol lives in src/admission; verdicts come from handlers.ts.
 * Whatever arrives — garbage, the wrong content type, 8 MiB, a handler that throws — the answer is an
 * AdmissionReview with the uid when it can be read, else a plain HTTP error with a message; never a crash.
 */
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { decodeAdmissionReview, encodeAdmissionReviewWire, errored, type AdmissionRequest, type DecodedReview } from '../admission/index.js';
import { BodyPool, readPooledBody, type PooledBody } from './body.js';
import { silentLogger, type Logger } from '../core/log.js';
import { createRegistry, webhookMetrics, type ReviewOutcome, type ReviewRoute, type WebhookMetrics } from '../metrics.js';
import { reviewInject, reviewValidate, type HandlerContext, type HandlerOutput, type Injector, type Validator } from './handlers.js';

/** kube-apiserver sends at most 3 MiB objects; 7 MiB is controller-runtime's limit and leaves room for oldObject. */
export const BODY_LIMIT = 7 * 1024 * 1024;

export interface WebhookDeps {
  /** Serving key pair (PEM). Rotate it later with app.server.setSecureContext (see attachCertReload). */
  tls: { cert: string; key: string };
  /** Pod injection; /inject is served only when given. */
  injector?: Injector;
  /** Object validation; /validate is served only when given. */
  validate?: Validator;
  log?: Logger;
  /** Metrics on the process registry (default: a private registry). */
  metrics?: WebhookMetrics;
  /** Readiness beyond "listening" (e.g. config synced); /readyz answers 503 while false. */
  ready?: () => boolean;
  bodyLimit?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    reviewOutcome?: ReviewOutcome;
    reviewRoute?: ReviewRoute;
  }
}

const JSON_TYPE = /^application\/json\s*(;|$)/i;

/** A Kubernetes-style Status body for the answers that cannot be AdmissionReviews (no uid to echo). */
function statusBody(code: number, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code });
}

export function buildWebhookApp(deps: WebhookDeps) {
  const log = deps.log ?? silentLogger;
  const metrics = deps.metrics ?? webhookMetrics(createRegistry({ defaults: false }));
  const bodyLimit = deps.bodyLimit ?? BODY_LIMIT;
  const app = Fastify({
    https: { cert: deps.tls.cert, key: deps.tls.key },
    logger: false,
    bodyLimit,
    return503OnClosing: true,
  });

  // Declared up front, so that every request object has the same shape.
  app.decorateRequest('reviewOutcome', undefined);
  app.decorateRequest('reviewRoute', undefined);

  // Bodies are read as bytes (into pooled buffers: body.ts) and decoded by the admission module, whatever the
  // content type says, so that a malformed or mislabelled review still gets an answer that names the problem (and
  // echoes the uid).
  app.removeAllContentTypeParsers();
  const pool = new BodyPool();
  app.addContentTypeParser('*', (request, payload, done) => readPooledBody(payload, bodyLimit, pool, done));

  // While closing, answers to in-flight reviews close their connection: keep-alive must not hold shutdown open.
  // Set where answers are made (not in an onSend hook, which every request would pay for).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  const answer = (reply: FastifyReply, code = 200): FastifyReply => {
    if (closing) reply.header('connection', 'close');
    return reply.code(code).type('application/json');
  };

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.reviewRoute ?? (request.routeOptions.config as { review?: ReviewRoute } | undefined)?.review;
    if (route) {
      metrics.requests.inc({ route, outcome: request.reviewOutcome ?? (reply.statusCode >= 500 ? 'error' : 'malformed') });
      metrics.latency.observe({ route }, reply.elapsedTime / 1000);
    }
    done();
  });

  app.setErrorHandler(async (err: Error & { code?: string; statusCode?: number }, request, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      request.reviewOutcome = 'too_large';
      const mib = (bodyLimit / 1024 / 1024).toFixed(bodyLimit % (1024 * 1024) === 0 ? 0 : 1);
      return answer(reply, 413).send(statusBody(413, `request body is larger than the ${mib} MiB limit`));
    }
    const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (code >= 500) log.error({ err: err.message, url: request.url }, 'webhook request failed');
    request.reviewOutcome = code >= 500 ? 'error' : 'malformed';
    return answer(reply, code).send(statusBody(code, err.message));
  });

  app.setNotFoundHandler(async (request, reply) =>
    answer(reply, 404).send(statusBody(404, `no route ${request.method} ${request.url}: the webhook serves POST /inject and POST /validate`)),
  );

  const failed = (route: ReviewRoute, ctx: HandlerContext, e: unknown): HandlerOutput => {
    ctx.log().error({ err: e instanceof Error ? (e.stack ?? e.message) : String(e) }, `${route} handler failed`);
    return { result: errored(500, `internal error in the ${route} webhook: ${e instanceof Error ? e.message : String(e)}`), outcome: 'error' };
  };

  // Not an async function: a handler that answers synchronously (the usual case) is answered in the same tick,
  // without the promise and microtask hops; only a handler returning a promise is awaited.
  const review =
    (route: ReviewRoute, handle: (req: AdmissionRequest, ctx: HandlerContext) => HandlerOutput | Promise<HandlerOutput>) =>
    (request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined => {
      request.reviewRoute = route;
      const contentType = request.headers['content-type'];
      const body = request.body as PooledBody | undefined;
      let decoded: DecodedReview;
      try {
        decoded = decodeAdmissionReview(body ? body.bytes : '', { lazy: route === 'inject' });
      } finally {
        body?.release(); // the decoded review keeps no reference to the bytes
      }
      let failure: { code: number; message: string } | undefined;
      if (contentType === undefined || !JSON_TYPE.test(contentType)) {
        failure = { code: 415, message: `content-type ${JSON.stringify(contentType ?? '')} is not supported: send the AdmissionReview as application/json` };
      } else if (!decoded.ok) failure = { code: 400, message: decoded.message };
      if (failure) {
        request.reviewOutcome = failure.code === 415 ? 'unsupported_media_type' : 'malformed';
        const uid = decoded.ok ? decoded.request.uid : decoded.uid;
        log.debug({ route, uid, err: failure.message }, 'bad admission request');
        if (uid === undefined) answer(reply, failure.code).send(statusBody(failure.code, failure.message));
        else answer(reply).send(encodeAdmissionReviewWire(decoded.apiVersion, uid, errored(failure.code, failure.message)));
        return undefined;
      }
      if (!decoded.ok) return undefined; // unreachable: handled above (narrows the type)
      const req = decoded.request;
      const apiVersion = decoded.apiVersion;
      let child: Logger | undefined;
      const ctx: HandlerContext = {
        metrics,
        enabled: (level) => log.isLevelEnabled(level),
        log: () => (child ??= log.child({ uid: req.uid, kind: req.kind.kind, namespace: req.namespace, name: req.name, op: req.operation })),
      };
      const done = (out: HandlerOutput): void => {
        request.reviewOutcome = out.outcome;
        answer(reply).send(encodeAdmissionReviewWire(apiVersion, req.uid, out.result));
      };
      let out: HandlerOutput | Promise<HandlerOutput>;
      try {
        out = handle(req, ctx);
      } catch (e) {
        out = failed(route, ctx, e);
      }
      if (!(out instanceof Promise)) {
        done(out);
        return undefined;
      }
      return out.then(done, (e: unknown) => done(failed(route, ctx, e)));
    };

  if (deps.injector) {
    const injector = deps.injector;
    const handler = review('inject', (req, ctx) => reviewInject(req, injector, ctx));
    app.post('/inject', { config: { review: 'inject' } }, handler);
    app.post('/inject/*', { config: { review: 'inject' } }, handler);
  }
  if (deps.validate) {
    const validate = deps.validate;
    app.post('/validate', { config: { review: 'validate' } }, review('validate', (req, ctx) => reviewValidate(req, validate, ctx)));
  }
  app.get('/healthz', async (_req, reply) => reply.type('text/plain').send('ok'));
  app.get('/readyz', async (_req, reply) => {
    const ready = deps.ready ? deps.ready() : true;
    return reply.code(ready ? 200 : 503).type('text/plain').send(ready ? 'ready' : 'not ready');
  });
  return app;
}

export type WebhookApp = ReturnType<typeof buildWebhookApp>;
