// The parent's side of hub-child.ts: spawn the hub in its own process, read its lines,
// send it commands, SIGKILL it.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hub-child.ts');

export interface HubChild {
  child: ChildProcess;
  base: string;
  /** The next line the child prints. */
  line(): Promise<string>;
  /** Sends a command and returns the reply's payload (the line's text after `reply `). */
  ask(command: string, reply: string): Promise<string>;
  /** SIGKILL, and wait for the process to be gone. */
  kill(): Promise<void>;
}

export async function startChild(dataDir: string, logins: [string, string][], env: Record<string, string> = {}, port = 0): Promise<HubChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, String(port), ...logins.flat()], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  let out = '';
  const waiters: ((l: string) => void)[] = [];
  const lines: string[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      const l = out.slice(0, nl);
      out = out.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(l);
      else lines.push(l);
    }
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const line = () => new Promise<string>((r) => (lines.length ? r(lines.shift()!) : waiters.push(r)));
  const ready = await line();
  if (!ready.startsWith('READY ')) throw new Error(`hub child: ${ready}`);
  return {
    child,
    base: ready.slice(6).trim(),
    line,
    async ask(command, reply) {
      child.stdin!.write(`${command}\n`);
      const l = await line();
      if (!l.startsWith(reply)) throw new Error(`hub child answered ${l.slice(0, 200)} to ${command}`);
      return l.slice(reply.length).trim();
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
