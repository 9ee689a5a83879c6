// `concord serve` as a child process, as a user starts it: its UI's address read from what it
// prints, stopped with SIGTERM (its exit status said). Each one is killed after the test file
// if a failing test left it running.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const started = new Set<ChildProcess>();
afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  started.clear();
});

export interface Served {
  child: ChildProcess;
  /** The UI's address, with its access token. */
  url: string;
  /** What it printed so far, stdout and stderr. */
  output(): string;
  /** SIGTERM; its exit status once it has exited. */
  stop(): Promise<number | null>;
}

/** `concord serve ARGS…`, once it prints the UI's address (90 s at most); `echoStderr` also
 *  copies what it says on stderr to the test's stderr as it comes. */
export async function serveHub(args: string[], opts: { env?: NodeJS.ProcessEnv; echoStderr?: boolean } = {}): Promise<Served> {
  const child = spawn(process.execPath, ['bin/concord.mjs', 'serve', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
  started.add(child);
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`concord serve printed no URL:\n${out}`)), 90_000);
    const take = (d: Buffer) => {
      out += d.toString();
      const m = /Concord hub running at (http\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve(m[1]!);
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
      if (opts.echoStderr) process.stderr.write(d);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`concord serve exited (${code}):\n${out}`));
    });
  });
  return {
    child,
    url,
    output: () => out,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
