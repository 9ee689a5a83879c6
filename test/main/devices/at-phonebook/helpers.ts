// Real serial links for the tests: a socat pty pair, one end served by the handset
// simulator, the other opened by the driver through serialport.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openSerialLink, type ByteCounts, type SerialLink } from '../../../../native/serial';
import { SimHandset, type SimHandsetOptions } from '../../../../main/devices/at-phonebook/simulator';
import { tmpDir } from '../../../lib/tmp';

export const haveSocat = spawnSync('sh', ['-c', 'command -v socat']).status === 0;
export const haveGammu = spawnSync('sh', ['-c', 'command -v gammu && command -v bc']).status === 0;
export const socatMissing = haveSocat ? '' : 'socat is not installed (apt-get install -y socat): serial tests skipped';

export interface PtyPair {
  /** The phone's end (the simulator serves it). */
  phoneEnd: string;
  /** The host's end (the driver or Gammu opens it). */
  hostEnd: string;
  proc: ChildProcess;
  /** Cuts the cable. */
  kill(): Promise<void>;
  /** Stalls the line (kill -STOP) and resumes it. */
  stop(): void;
  cont(): void;
}

export function tempDir(prefix = 'atpb-'): string {
  return tmpDir(prefix.replace(/^concord-/, '').replace(/-$/, ''));
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function ptyPair(dir: string, name = 'link'): Promise<PtyPair> {
  const phoneEnd = path.join(dir, `${name}-phone`);
  const hostEnd = path.join(dir, `${name}-host`);
  const proc = spawn('socat', [`pty,raw,echo=0,link=${phoneEnd}`, `pty,raw,echo=0,link=${hostEnd}`], { stdio: 'ignore' });
  await waitFor(() => fs.existsSync(phoneEnd) && fs.existsSync(hostEnd), 5000, 'socat pty pair');
  let dead = false;
  const exited = new Promise<void>((r) => proc.once('exit', () => {
    dead = true;
    r();
  }));
  return {
    phoneEnd,
    hostEnd,
    proc,
    async kill() {
      if (!dead) {
        proc.kill('SIGCONT');
        proc.kill('SIGKILL');
      }
      await exited;
      // SIGKILL leaves socat's links dangling; a later pair may reuse the /dev/pts number
      // and bring a dead link back to life. A pulled cable's port is simply gone.
      for (const p of [phoneEnd, hostEnd]) fs.rmSync(p, { force: true });
    },
    stop: () => proc.kill('SIGSTOP'),
    cont: () => proc.kill('SIGCONT'),
  };
}

export interface Phone {
  pair: PtyPair;
  sim: SimHandset;
  link: SerialLink & { counts: ByteCounts };
  /** Cable out (socat killed) and back in: a new pair, the same handset. */
  replug(): Promise<void>;
  close(): Promise<void>;
}

/** A simulated handset on a fresh socat pair, and the host's end opened with serialport. */
export async function phoneOnPty(dir: string, opts: SimHandsetOptions, baud = 115200): Promise<Phone> {
  const sim = new SimHandset({ baud, ...opts });
  const phone: Phone = {
    pair: await ptyPair(dir),
    sim,
    link: undefined as never,
    async replug() {
      await phone.pair.kill();
      await sim.whenDetached();
      phone.pair = await ptyPair(dir);
      sim.serve(phone.pair.phoneEnd);
      phone.link = await openSerialLink(phone.pair.hostEnd, baud || 115200);
    },
    async close() {
      if (phone.link.isOpen) await phone.link.close().catch(() => undefined);
      await phone.pair.kill();
    },
  };
  try {
    sim.serve(phone.pair.phoneEnd);
    phone.link = await openSerialLink(phone.pair.hostEnd, baud || 115200);
  } catch (err) {
    await phone.pair.kill(); // no socat left behind by a failed set-up
    throw err;
  }
  return phone;
}
