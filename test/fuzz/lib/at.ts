// In-memory serial links for fuzzing the AT driver without a pty: a pair joined back to
// back (the handset simulator on one end records real transcripts), and a scripted phone
// whose answers the fuzzer chooses.
import { EventEmitter } from 'node:events';
import type { LinkClosed, SerialLink } from '../../../native/serial';
import { AtPhone } from '../../../main/devices/at-phonebook/phone';
import { SimHandset, type SimHandsetOptions } from '../../../main/devices/at-phonebook/simulator';

export class MemLink extends EventEmitter implements SerialLink {
  open = true;
  peer: MemLink | null = null;
  /** Called with every write (after the peer, if any, was handed the bytes). */
  onWrite: ((b: Buffer) => void) | null = null;
  writes = 0;
  constructor(readonly path = 'mem') {
    super();
  }
  get isOpen(): boolean {
    return this.open;
  }
  write(data: Uint8Array | string): Promise<void> {
    if (!this.open) return Promise.reject(new Error('link closed'));
    this.writes++;
    const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
    const peer = this.peer;
    if (peer) queueMicrotask(() => peer.open && peer.emit('data', b));
    this.onWrite?.(b);
    return Promise.resolve();
  }
  /** Delivers bytes to whoever reads this end. */
  feed(b: Uint8Array): void {
    if (this.open) this.emit('data', Buffer.from(b));
  }
  cut(disconnected = true): void {
    if (!this.open) return;
    this.open = false;
    this.emit('close', { disconnected } satisfies LinkClosed);
  }
  close(): Promise<void> {
    this.cut(false);
    return Promise.resolve();
  }
}

export function memPair(): [host: MemLink, phone: MemLink] {
  const a = new MemLink('mem-host');
  const b = new MemLink('mem-phone');
  a.peer = b;
  b.peer = a;
  return [a, b];
}

export interface Exchange {
  command: string;
  answer: Buffer;
}

/** Runs the real driver against the real simulator and records what the phone answered to
 *  each command: the "real samples" the AT fuzzers start from. */
export async function recordTranscript(sim: SimHandsetOptions): Promise<Exchange[]> {
  const [host, phoneEnd] = memPair();
  const h = new SimHandset(sim);
  h.attach(phoneEnd);
  const out: Exchange[] = [];
  let cur: Exchange | null = null;
  host.onWrite = (b) => {
    cur = { command: b.toString('latin1').replace(/\r$/, ''), answer: Buffer.alloc(0) };
    out.push(cur);
  };
  host.on('data', (b: Buffer) => {
    if (cur) cur.answer = Buffer.concat([cur.answer, b]);
  });
  const phone = await AtPhone.open(host, { timeoutMs: 2000 });
  await phone.identity();
  for (const name of await phone.storageNames()) {
    const info = await phone.select(name);
    await phone.readAll(info);
  }
  await phone.write('SM', 3, '+4917012345', 'Zoë Müller');
  await phone.delete('SM', 3);
  phone.detach();
  host.cut(false);
  return out;
}

/** A phone that answers each command with what `answer` returns (bytes), synchronously
 *  after the write; counts commands and pulls the cable after `maxCommands`. */
export class ScriptedPhone {
  readonly link = new MemLink('scripted');
  commands = 0;
  constructor(
    answer: (command: string, n: number) => Uint8Array | null,
    readonly maxCommands = 5000,
  ) {
    this.link.onWrite = (b) => {
      const n = ++this.commands;
      const cmd = b.toString('latin1').replace(/\r$/, '');
      if (n > this.maxCommands) {
        queueMicrotask(() => this.link.cut(true));
        return;
      }
      const a = answer(cmd, n);
      if (a) queueMicrotask(() => this.link.feed(a));
    };
  }
}
