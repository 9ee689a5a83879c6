// Test helpers: a real hub in a temporary folder with the SyncML endpoint on loopback, and
// SyncEvolution (through the shared client-sync.sh) as the client.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { normalizeContact, normalizePhone, type Contact } from '../../../../main/core/contact';
import { Hub } from '../../../../main/hub/hub';
import { startSyncmlEndpoint, type SyncmlEndpoint } from '../../../../main/devices/syncml/http';
import type { LoginLimiter } from '../../../../main/devices/syncml/auth';
import { pairSyncmlDevice } from '../../../../main/devices/syncml/pair';
import { vcardToContact } from '../../../../main/devices/syncml/vcard';
import { tmpDir as libTmpDir } from '../../../lib/tmp';

/** The shared SyncEvolution scripts, in `shared/` beside the clone. */
export const TOOLS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../shared/tools/syncevolution');

export function hasSyncEvolution(): boolean {
  try {
    execFileSync('syncevolution', ['--version'], { stdio: 'ignore' });
    return fs.existsSync(path.join(TOOLS, 'client-sync.sh'));
  } catch {
    return false;
  }
}

export function tmpDir(tag: string): string {
  return libTmpDir(`syncml-${tag}`);
}

export interface TestHub {
  hub: Hub;
  ep: SyncmlEndpoint;
  dir: string;
  close(): Promise<void>;
}

export async function startHub(tag: string, logins: [name: string, user: string, pass: string][], opts: { host?: string; publicUrl?: string; sessionTimeoutMs?: number; limiter?: LoginLimiter } = {}): Promise<TestHub> {
  const dir = tmpDir(tag);
  const hub = Hub.open({ dataDir: path.join(dir, 'hub'), region: 'GB' });
  for (const [name, user, pass] of logins) pairSyncmlDevice(hub, name, user, pass);
  const ep = await startSyncmlEndpoint(hub, { host: '127.0.0.1', port: 0, stateDir: path.join(dir, 'hub', 'syncml'), ...opts });
  return {
    hub,
    ep,
    dir,
    close: async () => {
      await ep.close();
      await hub.close();
    },
  };
}

export interface ClientRun {
  rc: number;
  out: string;
}

/** One SyncEvolution session. `cfg` names the client's state folder (and device id). */
export function runClient(
  th: { dir: string },
  url: string,
  folder: string,
  mode: string,
  cfg: string,
  env: Record<string, string> = {},
): Promise<ClientRun> {
  return new Promise((resolve) => {
    execFile(
      path.join(TOOLS, 'client-sync.sh'),
      [url, folder, mode, cfg],
      {
        env: {
          ...process.env,
          CLIENT_ROOT: path.join(th.dir, 'clients'),
          RETRY_INTERVAL: '0',
          PRINTCHANGES: '0',
          CLIENT_LOGDIR: path.join(th.dir, 'clients', cfg, 'logs'),
          ...env,
        },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 180_000,
      },
      (err, stdout, stderr) => {
        const m = /RC=(\d+)/.exec(stdout);
        resolve({ rc: m ? Number(m[1]) : ((err as { code?: number } | null)?.code ?? 1), out: stdout + stderr });
      },
    );
  });
}

export function genVcards(n: number, folder: string, seed: number): void {
  execFileSync('python3', [path.join(TOOLS, 'gen-vcards.py'), String(n), folder, '--seed', String(seed)], { stdio: 'ignore' });
}

/** normalizePhone flips some malformed numbers between two forms ('+272711536' ↔
 *  '+2702711536'); the smaller of the pair names both. */
function telKey(v: string): string {
  const a = normalizePhone(v, 'GB');
  const b = normalizePhone(a, 'GB');
  return a < b ? a : b;
}

/** What we compare: the fields every side keeps, normalized, order-free. The truth is
 *  stored normalized already and is not normalized twice (normalizePhone is not idempotent
 *  on some malformed numbers: '+2 700 2711536' → '+2702711536' → '+272711536'). */
export function signature(c: Contact, normalized = false): string {
  const n = normalized ? c : normalizeContact(c, 'GB');
  return JSON.stringify({
    fn: n.fn,
    n: n.n,
    tel: n.tel.map((t) => telKey(t.value)).sort(),
    email: n.email.map((e) => e.value.toLowerCase()).sort(),
    org: n.org,
  });
}

export function folderSignatures(folder: string): string[] {
  return fs
    .readdirSync(folder)
    .filter((f) => !f.startsWith('.'))
    .map((f) => signature(vcardToContact(fs.readFileSync(path.join(folder, f), 'utf8'))))
    .sort();
}

export function truthSignatures(hub: Hub): string[] {
  return hub
    .contacts()
    .map((r) => signature(r.contact, true))
    .sort();
}

/** A proxy that forwards every POST to `target` and, on the requests listed in `cut`
 *  (1-based, counted over the proxy's life), lets the hub answer but drops the reply:
 *  the hub processed the message, the client never hears back. */
export interface CuttingProxy {
  url: string;
  setTarget(u: string): void;
  cut: Set<number>;
  count: () => number;
  /** Called when a reply is dropped (e.g. to kill the hub at that instant). */
  onCut: ((k: number) => void) | null;
  close(): Promise<void>;
}

export async function startCuttingProxy(): Promise<CuttingProxy> {
  let target = '';
  let n = 0;
  const cut = new Set<number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const k = ++n;
      const u = new URL(req.url ?? '/', 'http://x');
      const t = new URL(target);
      const fwd = http.request(
        { host: t.hostname, port: t.port, path: u.pathname + u.search, method: 'POST', headers: { 'content-type': req.headers['content-type'] ?? '' } },
        (r) => {
          const body: Buffer[] = [];
          r.on('data', (c: Buffer) => body.push(c));
          r.on('end', () => {
            if (cut.has(k)) {
              proxy.onCut?.(k);
              req.socket.destroy();
              return;
            }
            res.writeHead(r.statusCode ?? 502, { 'content-type': r.headers['content-type'] ?? '' });
            res.end(Buffer.concat(body));
          });
        },
      );
      fwd.on('error', () => req.socket.destroy());
      fwd.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const proxy: CuttingProxy = {
    onCut: null,
    url: `http://127.0.0.1:${port}/syncml`,
    setTarget: (u) => {
      target = u;
    },
    cut,
    count: () => n,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  return proxy;
}

/** The two multisets' differences (a few of each), for readable failures. */
export function sigDiff(left: string[], right: string[]): { onlyLeft: string[]; onlyRight: string[]; sizes: [number, number] } {
  const count = new Map<string, number>();
  for (const s of left) count.set(s, (count.get(s) ?? 0) + 1);
  const onlyRight: string[] = [];
  for (const s of right) {
    const k = count.get(s) ?? 0;
    if (k > 0) count.set(s, k - 1);
    else onlyRight.push(s);
  }
  const onlyLeft = [...count.entries()].flatMap(([s, k]) => Array<string>(k).fill(s));
  return { onlyLeft: onlyLeft.slice(0, 8), onlyRight: onlyRight.slice(0, 8), sizes: [left.length, right.length] };
}

export function expectSame(left: string[], right: string[]): void {
  const d = sigDiff(left, right);
  if (d.onlyLeft.length || d.onlyRight.length) throw new Error(`contacts differ: ${JSON.stringify(d, null, 1)}`);
}
