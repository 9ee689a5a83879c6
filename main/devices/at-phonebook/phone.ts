// A handset's phonebook through TS 27.007 AT commands: identity, charset, storages, limits,
// reading in chunks, writing and deleting entries. Knows nothing about contacts (that is
// mapping.ts) nor about the hub (sync-point.ts).
import type { SerialLink } from '../../../native/serial';
import { LinkLostError } from '../../hub/sync-point';
import { AtChannel, AtError, GarbledError } from './at-channel';
import { type Charset, charsetOf, decodeText, encodeText } from './charset';

/** The most slots a storage may claim (real phones: 250 on a SIM, up to a few thousand). */
const MAX_SLOTS = 20_000;

export interface PhoneIdentity {
  manufacturer: string;
  model: string;
  revision: string;
  /** Names the device: the same phone on any port, after any replug. */
  imei: string;
  /** The SIM in it; null when the phone does not say (no SIM, or no AT+CIMI). */
  imsi: string | null;
}

export interface StorageInfo {
  name: string;
  first: number;
  last: number;
  /** Longest number and name the phone stores (AT+CPBR=?). */
  numberLength: number;
  nameLength: number;
  /** From AT+CPBS? when the phone says it. */
  used: number | null;
}

export interface PhoneEntry {
  index: number;
  number: string;
  /** 145: international (the number starts with '+'); 129: other. */
  type: number;
  name: string;
}

export interface PhoneOptions {
  /** Inactivity timeout of one command. */
  timeoutMs?: number;
  /** How long a busy SIM (+CME ERROR 14 / 515) is retried before giving up. */
  busyRetryMs?: number;
  /** Entries per AT+CPBR range. */
  chunkSize?: number;
  /** Charsets in order of preference; default UCS2, UTF-8, GSM, IRA. */
  preferCharsets?: readonly Charset[];
}

/** CME codes (TS 27.007 §9.2) the driver acts on. */
export const CME = {
  notAllowed: 3,
  notSupported: 4,
  simBusy: 14,
  memoryFull: 20,
  invalidIndex: 21,
  notFound: 22,
  memoryFailure: 23,
  textTooLong: 24,
  invalidText: 25,
  dialTooLong: 26,
  invalidDial: 27,
  busy: 515,
} as const;

const BUSY = new Set<number>([CME.simBusy, CME.busy]);

function quoted(s: string): string {
  return `"${s}"`;
}

/** Splits `a,"b,c",d` into fields, keeping the raw bytes of quoted ones. */
export function splitFields(line: Buffer, from: number): { raw: Buffer; quoted: boolean }[] | null {
  const out: { raw: Buffer; quoted: boolean }[] = [];
  let i = from;
  while (i <= line.length) {
    while (line[i] === 0x20) i++;
    if (line[i] === 0x22) {
      const end = line.indexOf(0x22, i + 1);
      if (end < 0) return null;
      out.push({ raw: line.subarray(i + 1, end), quoted: true });
      i = end + 1;
      while (line[i] === 0x20) i++;
      if (i < line.length && line[i] !== 0x2c) return null;
      i++;
    } else {
      let end = line.indexOf(0x2c, i);
      if (end < 0) end = line.length;
      out.push({ raw: line.subarray(i, end), quoted: false });
      i = end + 1;
    }
  }
  return out;
}

function prefixed(lines: Buffer[], prefix: string): Buffer[] {
  return lines.filter((l) => l.toString('latin1').startsWith(prefix));
}

/** Lines of a text answer (CGMI, CGSN…), unsolicited result codes left out. */
function textLines(lines: Buffer[], prefix: string): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const s = l.toString('latin1').trim();
    if (s.startsWith(prefix)) out.push(s.slice(prefix.length).trim());
    else if (!/^(\+\w+:|\^|RING$)/.test(s)) out.push(s);
  }
  return out;
}

const NUMBER_OK = /^[0-9+*#pPwW,]*$/;

export class AtPhone {
  private readonly ch: AtChannel;
  private readonly busyRetryMs: number;
  readonly chunkSize: number;
  charset: Charset = 'IRA';
  charsets: Charset[] = [];
  private selected: string | null = null;

  private constructor(link: SerialLink, opts: PhoneOptions) {
    this.ch = new AtChannel(link, { timeoutMs: opts.timeoutMs });
    this.busyRetryMs = opts.busyRetryMs ?? 20_000;
    this.chunkSize = opts.chunkSize ?? 50;
  }

  get link(): SerialLink {
    return this.ch.link;
  }

  /** Wakes the phone, turns echo off and numeric errors on, picks the charset. */
  static async open(link: SerialLink, opts: PhoneOptions = {}): Promise<AtPhone> {
    const phone = new AtPhone(link, opts);
    // The first AT may meet a phone still in some other mode, or leftover bytes: retried.
    await phone.retrying(() => phone.ch.command('AT'));
    await phone.ch.command('ATE0');
    try {
      await phone.ch.command('AT+CMEE=1');
    } catch (err) {
      if (!(err instanceof AtError)) throw err; // plain ERRORs then; handled as such
    }
    await phone.chooseCharset(opts.preferCharsets ?? ['UCS2', 'UTF-8', 'GSM', 'IRA']);
    return phone;
  }

  detach(): void {
    this.ch.detach();
  }

  /** Runs `fn`, retrying a busy SIM with backoff and a garbled answer a few times. */
  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    const start = Date.now();
    let delay = 100;
    let garbled = 0;
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof GarbledError && garbled++ < 3) continue;
        if (err instanceof AtError && err.cme !== null && BUSY.has(err.cme) && Date.now() - start < this.busyRetryMs) {
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 2000);
          continue;
        }
        if (err instanceof GarbledError) throw new LinkLostError(`link unreliable: ${err.message}`);
        throw err;
      }
    }
  }

  private cmd(c: string | Buffer): Promise<Buffer[]> {
    return this.retrying(() => this.ch.command(c));
  }

  private async chooseCharset(prefer: readonly Charset[]): Promise<void> {
    let offered: Charset[] = [];
    try {
      const lines = prefixed(await this.cmd('AT+CSCS=?'), '+CSCS:');
      const names = lines.join(',').match(/"[^"]*"/g) ?? [];
      offered = names.map((n) => charsetOf(n.slice(1, -1))).filter((c): c is Charset => c !== null);
    } catch (err) {
      if (!(err instanceof AtError)) throw err;
    }
    this.charsets = offered;
    const current = await this.currentCharset();
    for (const cs of prefer) {
      if (!offered.includes(cs)) continue;
      if (current === cs) {
        this.charset = cs;
        return;
      }
      try {
        await this.cmd(`AT+CSCS=${quoted(cs)}`);
      } catch (err) {
        if (err instanceof AtError) continue;
        throw err;
      }
      // A switch counts only once the phone confirms it: some accept the command and stay.
      if ((await this.currentCharset()) === cs) {
        this.charset = cs;
        return;
      }
    }
    this.charset = current ?? 'IRA';
  }

  private async currentCharset(): Promise<Charset | null> {
    try {
      const line = prefixed(await this.cmd('AT+CSCS?'), '+CSCS:')[0]?.toString('latin1') ?? '';
      const m = /"([^"]*)"/.exec(line);
      if (!m) return null;
      // In UCS2 mode some phones answer the name itself in UCS2 hex ("0055004300530032").
      const direct = charsetOf(m[1]!);
      return direct ?? charsetOf(decodeText(Buffer.from(m[1]!, 'latin1'), 'UCS2') ?? '');
    } catch (err) {
      if (err instanceof AtError) return null;
      throw err;
    }
  }

  private async text(command: string, prefix: string): Promise<string> {
    try {
      return textLines(await this.cmd(command), prefix).join(' ').trim();
    } catch (err) {
      if (err instanceof AtError) return '';
      throw err;
    }
  }

  async identity(): Promise<PhoneIdentity> {
    const manufacturer = await this.text('AT+CGMI', '+CGMI:');
    const model = await this.text('AT+CGMM', '+CGMM:');
    const revision = await this.text('AT+CGMR', '+CGMR:');
    const imei = (await this.text('AT+CGSN', '+CGSN:')).replace(/"/g, '');
    const imsi = (await this.text('AT+CIMI', '+CIMI:')).replace(/"/g, '');
    if (!/^\d{14,17}$/.test(imei)) throw new AtError('AT+CGSN', null, `no IMEI (got ${JSON.stringify(imei)})`);
    return { manufacturer, model, revision, imei, imsi: /^\d{6,15}$/.test(imsi) ? imsi : null };
  }

  /** Phonebook storages the phone offers (AT+CPBS=?). */
  async storageNames(): Promise<string[]> {
    const line = prefixed(await this.cmd('AT+CPBS=?'), '+CPBS:').join(',');
    return (line.match(/"[^"]*"/g) ?? []).map((s) => s.slice(1, -1));
  }

  /** Selects a storage and reads its limits. */
  async select(name: string): Promise<StorageInfo> {
    await this.cmd(`AT+CPBS=${quoted(name)}`);
    this.selected = name;
    let used: number | null = null;
    try {
      const st = prefixed(await this.cmd('AT+CPBS?'), '+CPBS:')[0]?.toString('latin1');
      const m = st ? /,\s*(\d+)\s*,\s*(\d+)/.exec(st) : null;
      if (m) used = Number(m[1]);
    } catch (err) {
      if (!(err instanceof AtError)) throw err;
    }
    const r = prefixed(await this.cmd('AT+CPBR=?'), '+CPBR:')[0]?.toString('latin1') ?? '';
    // `+CPBR: (1-250),40,14`, also without parentheses or with extra fields.
    const m = /\+CPBR:\s*\(?\s*(\d+)\s*(?:-\s*(\d+))?\s*\)?\s*,\s*(\d*)\s*,\s*(\d*)/.exec(r);
    if (!m) throw new AtError('AT+CPBR=?', null, `unreadable limits ${JSON.stringify(r)}`);
    const first = Number(m[1]);
    const last = m[2] ? Number(m[2]) : first;
    // No phonebook holds more than a few thousand entries: a larger claim is a broken or
    // hostile device, and reading it slot by slot would never end.
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last < first || last - first >= MAX_SLOTS) {
      throw new AtError('AT+CPBR=?', null, `implausible phonebook size ${JSON.stringify(r)}`);
    }
    return {
      name,
      first,
      last,
      numberLength: m[3] ? Number(m[3]) : 20,
      nameLength: m[4] ? Number(m[4]) : 14,
      used,
    };
  }

  private async ensure(storage: string): Promise<void> {
    if (this.selected !== storage) {
      await this.cmd(`AT+CPBS=${quoted(storage)}`);
      this.selected = storage;
    }
  }

  /** Parses one +CPBR line; null when garbled. */
  parseEntry(line: Buffer): PhoneEntry | null {
    if (!line.toString('latin1').startsWith('+CPBR:')) return null;
    const f = splitFields(line, 6);
    if (!f || f.length < 4 || !f[1]!.quoted || !f[3]!.quoted) return null;
    const index = Number(f[0]!.raw.toString('latin1').trim());
    const type = Number(f[2]!.raw.toString('latin1').trim());
    let number = f[1]!.raw.toString('latin1');
    if (!NUMBER_OK.test(number)) {
      // Some phones send the number in UCS2 hex in UCS2 mode.
      const dec = this.charset === 'UCS2' ? decodeText(f[1]!.raw, 'UCS2') : null;
      if (dec === null || !NUMBER_OK.test(dec)) return null;
      number = dec;
    }
    const name = decodeText(f[3]!.raw, this.charset);
    if (!Number.isInteger(index) || !Number.isInteger(type) || name === null) return null;
    if (type === 145 && number && !number.startsWith('+')) number = `+${number}`;
    return { index, number, type, name };
  }

  /** Reads every entry of a storage in ranges of `chunkSize`; stops early once the phone's
   *  own count of used entries is reached. A range with an unreadable line is read again. */
  async readAll(info: StorageInfo, onProgress?: (index: number) => void): Promise<PhoneEntry[]> {
    await this.ensure(info.name);
    const out: PhoneEntry[] = [];
    for (let a = info.first; a <= info.last; a += this.chunkSize) {
      const b = Math.min(info.last, a + this.chunkSize - 1);
      const chunk = await this.retrying(async () => {
        let lines: Buffer[];
        try {
          lines = prefixed(await this.ch.command(`AT+CPBR=${a},${b}`), '+CPBR:');
        } catch (err) {
          // Empty range: some phones say "not found" instead of a bare OK.
          if (err instanceof AtError && (err.cme === CME.notFound || err.cme === CME.memoryFailure)) return [];
          throw err;
        }
        const entries: PhoneEntry[] = [];
        for (const l of lines) {
          const e = this.parseEntry(l);
          if (!e || e.index < a || e.index > b) throw new GarbledError(`AT+CPBR=${a},${b}: unreadable line`);
          entries.push(e);
        }
        return entries;
      });
      out.push(...chunk);
      onProgress?.(b);
      if (info.used !== null && out.length >= info.used) break;
    }
    return out;
  }

  /** Writes one entry; resolves on the phone's OK, the acknowledgement. Throws AtError
   *  (20 full, 24/26 too long…) or LinkLostError. Rewriting the same index is harmless, so
   *  a garbled answer is retried. */
  async write(storage: string, index: number, number: string, name: string): Promise<void> {
    await this.ensure(storage);
    const type = number.startsWith('+') ? 145 : 129;
    const cmd = Buffer.concat([
      Buffer.from(`AT+CPBW=${index},"${number}",${type},"`, 'latin1'),
      encodeText(name, this.charset),
      Buffer.from('"', 'latin1'),
    ]);
    await this.cmd(cmd);
  }

  /** Deletes one entry; the phone's OK is the acknowledgement. */
  async delete(storage: string, index: number): Promise<void> {
    await this.ensure(storage);
    await this.cmd(`AT+CPBW=${index}`);
  }
}
