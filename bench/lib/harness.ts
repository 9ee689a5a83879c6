// Small tools the benchmarks share: the machine they ran on, temp data folders, a peak
// memory sampler that keeps sampling while the main thread is busy, and statistics.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

export interface Machine {
  cpu: string;
  cores: number;
  memGiB: number;
  node: string;
  platform: string;
}

export function machine(): Machine {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: os.cpus().length,
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

export function describeMachine(m = machine()): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB RAM, Node ${m.node}, ${m.platform}`;
}

export function loadAverage(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

/** A fresh, empty hub data folder under the system's temp folder. */
export function tempDataDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `concord-bench-core-${label}-`));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Copies a closed hub's data folder (the DSS file and any WAL) into a fresh one. */
export function copyDataDir(from: string, label: string): string {
  const to = tempDataDir(label);
  for (const f of fs.readdirSync(from)) fs.copyFileSync(path.join(from, f), path.join(to, f));
  return to;
}

export const MiB = 2 ** 20;

/**
 * Samples the process's resident set size every `intervalMs` from a worker thread, so a
 * main thread busy in synchronous work (planning, a SQLite transaction) is still sampled.
 */
export class RssSampler {
  private readonly shared = new SharedArrayBuffer(24);
  /** [0]: run flag, [1]: samples; peak in a Float64 at byte 16. */
  private readonly flags = new Int32Array(this.shared, 0, 2);
  private readonly peak = new Float64Array(this.shared, 16, 1);
  private worker: Worker | null = null;

  async start(intervalMs = 20): Promise<void> {
    this.peak[0] = process.memoryUsage.rss();
    Atomics.store(this.flags, 0, 1);
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      const flags = new Int32Array(workerData.shared, 0, 2);
      const peak = new Float64Array(workerData.shared, 16, 1);
      parentPort.postMessage('ready');
      while (Atomics.load(flags, 0) === 1) {
        const rss = process.memoryUsage.rss();
        if (rss > peak[0]) peak[0] = rss;
        Atomics.add(flags, 1, 1);
        Atomics.wait(flags, 0, 1, workerData.intervalMs);
      }
    `;
    const w = new Worker(code, { eval: true, workerData: { shared: this.shared, intervalMs } });
    this.worker = w;
    await new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    });
  }

  /** Stops sampling; returns the peak RSS seen (bytes) and how many samples were taken. */
  async stop(): Promise<{ peak: number; samples: number }> {
    const last = process.memoryUsage.rss();
    if (last > (this.peak[0] ?? 0)) this.peak[0] = last;
    Atomics.store(this.flags, 0, 0);
    Atomics.notify(this.flags, 0);
    if (this.worker) await this.worker.terminate();
    this.worker = null;
    return { peak: this.peak[0] ?? 0, samples: Atomics.load(this.flags, 1) };
  }
}

/** The process's peak resident set size so far, in bytes (Linux reports KiB). */
export function maxRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))] as number;
}

export function ms(x: number): string {
  return x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 2 : 1)} ms`;
}

export function mib(bytes: number): string {
  return `${Math.round(bytes / MiB)} MB`;
}

export function verdict(ok: boolean): string {
  return ok ? 'target met' : 'target missed';
}
