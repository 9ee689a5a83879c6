// The CardDAV benchmark's plumbing: the vdirsyncer client, Radicale as the reference server,
// server-side request times read from each server's own log, and the memory of a server
// process sampled from /proc (VmRSS every 100 ms; VmHWM is the kernel's maxRSS).
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TOOLS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/tools/carddav');

export interface Timed {
  rc: number;
  seconds: number;
  out: string;
  /** `uptime` just before and just after. */
  load: [string, string];
}

export function loadAvg(): string {
  const [a, b, c] = os.loadavg();
  return `${a!.toFixed(2)} ${b!.toFixed(2)} ${c!.toFixed(2)}`;
}

export function sh(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 3 * 3_600_000): Promise<Timed> {
  const before = loadAvg();
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, maxBuffer: 256 << 20, timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ rc: err ? 1 : 0, seconds: (performance.now() - t0) / 1000, out: stdout + stderr, load: [before, loadAvg()] });
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export function has(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** N synthetic vCard 3.0 files (the shared generator, seed 42: the same cards for every server). */
export function genCards(n: number, dir: string, seed = 42): void {
  execFileSync(process.execPath, [path.join(TOOLS, 'gen-vcards.mjs'), 'gen', String(n), dir, String(seed)]);
}

/** One two-way vdirsyncer sync (discover, then sync) of DIR with the book `contacts` at URL. */
export function vdirsyncer(url: string, user: string, pass: string, dir: string, state: string): Promise<Timed> {
  return sh('bash', [path.join(TOOLS, 'vdirsyncer-sync.sh'), url, user, pass, dir], { VDS_STATE: state });
}

/** One request as the server itself timed it. */
export interface ServerRequest {
  method: string;
  path: string;
  ms: number;
  status: number;
  /** Wall-clock time the server logged it (ms since the epoch). */
  at: number;
}

/** A CardDAV server under test: its URL, its process (for memory), its request log. */
export interface DavServer {
  name: string;
  url: string;
  pid: number;
  /** Requests logged since the server started, oldest first. */
  requests(): ServerRequest[];
  stop(): Promise<void>;
}

// Radicale 3 at level info: "[2026-12-03 12:49:37 +0000] [pid/Thread-14 ...] [INFO] PUT response
// status for '/alice/contacts/x.vcf' in 0.013 seconds: 201 Created".
const RADICALE_LINE = /^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ([+-]\d{4})\].*\[INFO\] (\w+) response status for '([^']*)'(?: with depth '\d+')? in ([\d.]+) seconds: (\d{3})/;

export function parseRadicaleLog(text: string): ServerRequest[] {
  const out: ServerRequest[] = [];
  for (const line of text.split('\n')) {
    const m = RADICALE_LINE.exec(line);
    if (!m) continue;
    const at = Date.parse(`${m[1]!.replace(' ', 'T')}${m[2]!.slice(0, 3)}:${m[2]!.slice(3)}`);
    out.push({ method: m[3]!, path: m[4]!, ms: Number(m[5]) * 1000, status: Number(m[6]), at });
  }
  return out;
}

/** Debian's Radicale on loopback (no authentication: its htpasswd check would only add to its times). */
export async function startRadicale(work: string, preload?: { user: string; cards: string }): Promise<DavServer> {
  const port = await freePort();
  if (preload) {
    // Radicale's own storage layout (multifilesystem): one file per card, as its PUT leaves them.
    const book = path.join(work, 'collections', 'collection-root', preload.user, 'contacts');
    fs.mkdirSync(book, { recursive: true });
    fs.writeFileSync(path.join(book, '.Radicale.props'), '{"tag": "VADDRESSBOOK"}');
    for (const f of fs.readdirSync(preload.cards)) fs.copyFileSync(path.join(preload.cards, f), path.join(book, f));
  }
  const start = execFileSync('bash', [path.join(TOOLS, 'radicale.sh'), String(port), work], { env: { ...process.env, RAD_AUTH: 'none', RAD_LOGLEVEL: 'info' } }).toString();
  const pid = Number(/PID=(\d+)/.exec(start)?.[1]);
  const log = path.join(work, 'radicale.log');
  return {
    name: 'Radicale',
    url: `http://127.0.0.1:${port}/`,
    pid,
    requests: () => parseRadicaleLog(fs.readFileSync(log, 'utf8')),
    stop: async () => {
      try {
        process.kill(pid);
      } catch {
        /* already gone */
      }
      for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    },
  };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** VmRSS sampled every 100 ms and VmHWM (the kernel's high-water mark: maxRSS) of a process. */
export class ProcMemory {
  private timer: NodeJS.Timeout;
  peakSampled = 0;
  samples = 0;
  hwm = 0;

  constructor(private readonly pid: number, intervalMs = 100) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    this.sample();
  }

  private read(): { rss: number; hwm: number } | null {
    try {
      const s = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? 0) * 1024;
      return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
    } catch {
      return null;
    }
  }

  sample(): number {
    const r = this.read();
    if (!r) return 0;
    this.samples++;
    this.peakSampled = Math.max(this.peakSampled, r.rss);
    this.hwm = Math.max(this.hwm, r.hwm);
    return r.rss;
  }

  /** Starts a new window for the sampled peak (VmHWM cannot be reset and stays the process's). */
  resetPeak(): void {
    this.peakSampled = 0;
    this.sample();
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}

export const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

/** Per-PUT server time: mean of the first and of the last `k` PUTs, and the slope through all. */
export function putProfile(
  reqs: ServerRequest[],
  k = 100,
): { count: number; firstMs: number; lastMs: number; medianMs: number; firstMedianMs: number; lastMedianMs: number; totalServerS: number } {
  const puts = reqs.filter((r) => r.method === 'PUT');
  const mean = (a: ServerRequest[]) => (a.length ? a.reduce((s, r) => s + r.ms, 0) / a.length : NaN);
  const median = (a: ServerRequest[]) => a.map((r) => r.ms).sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? NaN;
  // A tenth of the upload at each end (at least k), by median: steadier than a mean under load.
  const tenth = Math.max(k, Math.floor(puts.length / 10));
  return {
    count: puts.length,
    firstMs: mean(puts.slice(0, k)),
    lastMs: mean(puts.slice(-k)),
    medianMs: median(puts),
    firstMedianMs: median(puts.slice(0, tenth)),
    lastMedianMs: median(puts.slice(-tenth)),
    totalServerS: puts.reduce((s, r) => s + r.ms, 0) / 1000,
  };
}

/** Server time of a sync's requests, by method (and depth-less path kind). */
export function byMethod(reqs: ServerRequest[]): string {
  const acc = new Map<string, { n: number; ms: number; max: number }>();
  for (const r of reqs) {
    const a = acc.get(r.method) ?? { n: 0, ms: 0, max: 0 };
    a.n++;
    a.ms += r.ms;
    a.max = Math.max(a.max, r.ms);
    acc.set(r.method, a);
  }
  return [...acc].map(([m, a]) => `${m} ×${a.n} ${a.ms.toFixed(a.ms < 10 ? 1 : 0)} ms (max ${a.max.toFixed(a.max < 10 ? 1 : 0)})`).join(', ');
}
