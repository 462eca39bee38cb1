/**
 * The monitoring server (plain HTTP, :15014): GET /metrics in Prometheus text format, GET /debug/<name> for the
 * debug handlers other components pass in (syncz, configz, registryz, ...), GET /debug for their list.
 * Built without listening, like the webhook app.
 */
import Fastify from 'fastify';
import type { Registry } from 'prom-client';
import { silentLogger, type Logger } from '../core/log.js';

export type DebugQuery = Record<string, string | string[] | undefined>;
export type DebugHandler = (query: DebugQuery) => unknown | Promise<unknown>;

export interface MonitoringDeps {
  registry: Registry;
  /** `/debug/<name>` → handler; the value is sent as JSON. Handlers may be added after build via the map. */
  debug?: Record<string, DebugHandler>;
  log?: Logger;
}

export function buildMonitoringApp(deps: MonitoringDeps) {
  const log = deps.log ?? silentLogger;
  const debug = deps.debug ?? {};
  const app = Fastify({ logger: false });

  app.get('/metrics', async (_req, reply) => {
    const text = await deps.registry.metrics();
    return reply.type(deps.registry.contentType).send(text);
  });

  app.get('/debug', async (_req, reply) => reply.send({ handlers: Object.keys(debug).sort().map((n) => `/debug/${n}`) }));

  app.get<{ Params: { name: string }; Querystring: DebugQuery }>('/debug/:name', async (req, reply) => {
    const handler = Object.prototype.hasOwnProperty.call(debug, req.params.name) ? debug[req.params.name] : undefined;
    if (!handler) {
      return reply.code(404).send({ error: `no debug handler "${req.params.name}"`, handlers: Object.keys(debug).sort().map((n) => `/debug/${n}`) });
    }
    try {
      const value = await handler(req.query ?? {});
      return reply.type('application/json').send(JSON.stringify(value ?? null, null, 2));
    } catch (e) {
      log.error({ err: (e as Error).message, handler: req.params.name }, 'debug handler failed');
      return reply.code(500).send({ error: `debug handler "${req.params.name}" failed: ${(e as Error).message}` });
    }
  });

  app.get('/healthz', async (_req, reply) => reply.type('text/plain').send('ok'));
  app.setNotFoundHandler(async (req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url}: try /metrics or /debug` }));
  return app;
}

export type MonitoringApp = ReturnType<typeof buildMonitoringApp>;
