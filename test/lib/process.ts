// Child processes in tests: a line-oriented child (its stdout as lines, waited on by
// content or in order), every child started here killed by its PID at the end, and a free
// loopback port to hand to one.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Children started here, so a failing test leaves none behind (killed by PID). */
export const live = new Set<ChildProcess>();
export function killAll(): void {
  for (const p of live) {
    if (p.pid && p.exitCode === null && p.signalCode === null) {
      try {
        process.kill(p.pid, 'SIGCONT');
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
  live.clear();
}

/** A line-oriented child process (stdout lines), killed only by its PID. */
export class LineChild {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private watchers: { test: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  stderr = '';
  constructor(readonly proc: ChildProcess) {
    live.add(proc);
    let buf = '';
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (c: string) => {
      buf += c;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.lines.push(line);
        this.onLine?.(line);
        this.watchers = this.watchers.filter((w) => {
          if (!w.test(line)) return true;
          w.resolve(line);
          return false;
        });
      }
    });
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (c: string) => {
      this.stderr = (this.stderr + c).slice(-20_000);
    });
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => {
        live.delete(proc);
        resolve({ code, signal });
      }),
    );
  }

  onLine: ((line: string) => void) | null = null;

  static spawn(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): LineChild {
    return new LineChild(spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Lines handed out by nextLine() so far. */
  private read = 0;

  /** The next line not yet handed out by nextLine(), in order: a request/reply dialogue
   *  over stdin and stdout. */
  nextLine(ms: number, what: string): Promise<string> {
    const i = this.read++;
    if (i < this.lines.length) return Promise.resolve(this.lines[i] as string);
    return this.waitLine(() => this.lines.length > i, ms, what).then(() => this.lines[i] as string);
  }

  /** Resolves with the first line (seen already or to come) that passes `test`. */
  waitLine(test: (l: string) => boolean, ms: number, what: string): Promise<string> {
    const seen = this.lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}; stderr: ${this.stderr.slice(-2000)}`)), ms);
      const w = {
        test,
        resolve: (l: string) => {
          clearTimeout(t);
          resolve(l);
        },
      };
      this.watchers.push(w);
      void this.exited.then(() => {
        if (this.watchers.includes(w)) {
          clearTimeout(t);
          this.watchers = this.watchers.filter((x) => x !== w);
          reject(new Error(`the process exited before ${what}; stderr: ${this.stderr.slice(-2000)}`));
        }
      });
    });
  }

  signal(sig: NodeJS.Signals): void {
    try {
      if (this.alive() && this.proc.pid) process.kill(this.proc.pid, sig);
    } catch {
      // gone
    }
  }

  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }

  async stop(ms = 8000): Promise<void> {
    this.signal('SIGTERM');
    const t = await Promise.race([this.exited.then(() => true), sleep(ms).then(() => false)]);
    if (!t) await this.kill();
  }
}
