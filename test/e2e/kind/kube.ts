/** The I/O side of the kind suite: kubectl, HTTP through the gateway, and polling. */
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectl(args: string[], input?: string): Run {
  const r = spawnSync('kubectl', args, { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) return { code: 127, stdout: '', stderr: `kubectl: ${r.error.message}` };
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** kubectl … -o json, parsed; throws with kubectl's message when it fails. */
export function kubectlJson<T>(args: string[], input?: string): T {
  const r = kubectl([...args, '-o', 'json'], input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as T;
}

export async function httpGet(url: string, timeoutMs = 10_000, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Headers }> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text(), headers: res.headers };
  } catch (e) {
    return { status: 0, body: (e as Error).message, headers: new Headers() };
  }
}

/** GET through the gateway with another Host header than the URL's (fetch may not set Host). */
export function httpGetAs(url: string, host: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(url, { headers: { host }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (e) => resolve({ status: 0, body: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retries `probe` until it returns a value (not undefined) or `timeoutMs` passes; returns the last failure text otherwise. */
export async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | string>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const v = await probe();
    if (v !== undefined && typeof v !== 'string') return v;
    if (typeof v === 'string') last = v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)}s${last ? ` (last: ${last})` : ''}`);
    await sleep(2000);
  }
}
