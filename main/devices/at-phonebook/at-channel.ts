// One AT command at a time over a serial link, and its response split into lines.
//
// Why line-based with our own timer: a phone answers with `\r\n<line>\r\n…\r\nOK\r\n`, may
// echo the command first (before ATE0 took effect), and may slip unsolicited result codes
// (`+CREG: 1`, `RING`) between any two lines. A stalled link (socat stopped, a Bluetooth
// link that hangs) emits no event at all, so only an inactivity timer of our own notices it.
import type { SerialLink } from '../../../native/serial';
import { LinkLostError } from '../../hub/sync-point';

/** Longer than any line a phone sends (a +CPBR entry in UCS2 is a few hundred bytes). */
const MAX_LINE = 8192;

/** The phone answered ERROR or +CME ERROR. `cme` is null for a plain ERROR. */
export class AtError extends Error {
  constructor(
    readonly command: string,
    readonly cme: number | null,
    readonly text: string,
  ) {
    super(`${command}: ${text}`);
    this.name = 'AtError';
  }
}

/** A response that could not be read (garbled bytes); the link answered a resync, so the
 *  command may be sent again. */
export class GarbledError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GarbledError';
  }
}

export interface AtChannelOptions {
  /** No byte for this long while a command is outstanding = the link stalled. */
  timeoutMs?: number;
}

interface Pending {
  cmd: string;
  lines: Buffer[];
  resolve: (lines: Buffer[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | null;
}

const FINAL_OK = /^OK$/;
const FINAL_ERROR = /^(ERROR|NO CARRIER|COMMAND NOT SUPPORT)$/;
const FINAL_CME = /^\+CM[ES] ERROR: ?(.*)$/;

export class AtChannel {
  readonly timeoutMs: number;
  private buf: Buffer = Buffer.alloc(0);
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private lost: string | null = null;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private readonly onClose = (info: { disconnected: boolean; error?: Error }) =>
    this.fail(info.disconnected ? `link to ${this.link.path} lost (${info.error?.message ?? 'hang-up'})` : `link to ${this.link.path} closed`);

  constructor(
    readonly link: SerialLink,
    opts: AtChannelOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 4000;
    link.on('data', this.onData);
    link.on('close', this.onClose);
    link.on('error', () => undefined);
    if (!link.isOpen) this.lost = `link to ${link.path} is closed`;
  }

  get isLost(): boolean {
    return this.lost !== null;
  }

  /** Stops listening (the link stays open). */
  detach(): void {
    this.link.off('data', this.onData);
    this.link.off('close', this.onClose);
  }

  private fail(reason: string): void {
    if (this.lost) return;
    this.lost = reason;
    const p = this.pending;
    if (p) {
      this.pending = null;
      if (p.timer) clearTimeout(p.timer);
      p.reject(new LinkLostError(reason));
    }
  }

  private receive(chunk: Buffer): void {
    // Only the new bytes are scanned for a line end; an unfinished line longer than any a
    // phone sends is line noise and is dropped, so a hostile or broken device can neither
    // make the work quadratic nor grow the buffer without bound.
    const from = this.buf.length;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const p = this.pending;
    if (p) this.arm(p);
    let start = 0;
    for (let i = from; i < this.buf.length; i++) {
      const c = this.buf[i];
      if (c === 0x0d || c === 0x0a) {
        if (i > start) this.line(this.buf.subarray(start, i));
        start = i + 1;
      }
    }
    this.buf = start >= this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(start));
    if (this.buf.length > MAX_LINE) this.buf = Buffer.alloc(0);
  }

  private line(raw: Buffer): void {
    const p = this.pending;
    if (!p) return; // an unsolicited result code between commands
    const text = raw.toString('latin1').trim();
    if (text === '' || text === p.cmd) return; // echo
    if (FINAL_OK.test(text)) return this.settle(p, null);
    if (FINAL_ERROR.test(text)) return this.settle(p, new AtError(p.cmd, null, text));
    const cme = FINAL_CME.exec(text);
    if (cme) {
      const code = /^\d+$/.test(cme[1]!) ? Number(cme[1]) : null;
      return this.settle(p, new AtError(p.cmd, code, text));
    }
    p.lines.push(Buffer.from(raw));
  }

  private settle(p: Pending, err: Error | null): void {
    this.pending = null;
    if (p.timer) clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(p.lines);
  }

  private arm(p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    p.timer = setTimeout(() => {
      if (this.pending !== p) return;
      this.pending = null;
      p.reject(new TimeoutSignal(p.cmd));
    }, this.timeoutMs);
  }

  /** Sends one command (without the trailing CR) and resolves with its response lines,
   *  echo and final result code removed. Lines are raw bytes: in the GSM charset a name may
   *  hold any byte below 0x80. */
  command(cmd: string | Buffer): Promise<Buffer[]> {
    const run = async () => {
      try {
        return await this.once(cmd);
      } catch (err) {
        if (!(err instanceof TimeoutSignal)) throw err;
        // No answer in time: garbled final code, or a dead link. A phone that still answers
        // a bare AT is alive and the command may be retried; otherwise the link is lost.
        if (await this.resync()) throw new GarbledError(`${err.cmd}: no readable answer within ${this.timeoutMs} ms`);
        this.fail(`link to ${this.link.path} stalled: no answer within ${this.timeoutMs} ms`);
        throw new LinkLostError(this.lost!);
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private once(cmd: string | Buffer): Promise<Buffer[]> {
    if (this.lost) return Promise.reject(new LinkLostError(this.lost));
    const bytes = typeof cmd === 'string' ? Buffer.from(cmd, 'latin1') : cmd;
    const text = bytes.toString('latin1');
    return new Promise<Buffer[]>((resolve, reject) => {
      const p: Pending = { cmd: text, lines: [], resolve, reject, timer: null };
      this.pending = p;
      this.buf = Buffer.alloc(0);
      this.arm(p);
      this.link.write(Buffer.concat([bytes, Buffer.from('\r')])).catch((err: Error) => this.fail(`write to ${this.link.path} failed: ${err.message}`));
    });
  }

  private async resync(): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.once('AT');
        // A late answer to the timed-out command could still be on its way and be taken for
        // the next command's: wait for the line to be quiet, then confirm once more.
        await new Promise((r) => setTimeout(r, 100));
        await this.once('AT');
        return true;
      } catch (err) {
        if (err instanceof LinkLostError) return false;
        if (!(err instanceof TimeoutSignal) && !(err instanceof AtError)) return false;
      }
    }
    return false;
  }
}

class TimeoutSignal extends Error {
  constructor(readonly cmd: string) {
    super(`${cmd}: timeout`);
  }
}
