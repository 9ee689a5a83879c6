// A handset that answers TS 27.007 phonebook commands the way real phones do, as Gammu
// expects them (../shared/tools/gammu/README.md): echo after ATE1, AT+CFUN=1 answered OK,
// deleting an empty slot answered OK, CPBR ranges, CSCS switches that AT+CSCS? confirms.
// It serves one end of a serial link (a socat pty pair in tests), paces its bytes at the
// line's baud rate, and injects the faults the driver must survive.
//
// `concord sim handset` (main/cli/sim.ts) runs it as a process of its own.
import { openTtyLink, type SerialLink } from '../../../native/serial';
import { type Charset, charsetOf, decodeText, encodeText, toRepresentable } from './charset';
import { splitFields } from './phone';

export interface SimStorageSpec {
  name: string;
  size: number;
  nameLength: number;
  numberLength: number;
}

export interface SimFaults {
  /** Close the line once this many commands have been answered (the cable is pulled). */
  dropAfter?: number;
  /** Phonebook commands answer +CME ERROR: 14 (SIM busy) for `ms` from command `from`. */
  busy?: { from: number; ms: number };
  /** The answers to these command numbers are garbled. */
  garble?: number[];
  /** After this many commands, answer nothing and read nothing more; the line stays up. */
  stallAfter?: number;
  /** A storage accepts at most this many entries; writing to an empty slot beyond answers
   *  +CME ERROR: 20 (memory full), as phones whose CPBR range overstates the SIM. */
  fullAfter?: number;
  /** Send an unsolicited `+CREG: 1` before the answer to every K-th command. */
  urcEvery?: number;
}

export interface SimHandsetOptions {
  link?: string;
  storages?: SimStorageSpec[];
  /** What AT+CSCS=? offers; the first is the charset at power-on. */
  charsets?: Charset[];
  /** Bytes per second are baud/10 (8N1); 0 = unpaced. */
  baud?: number;
  /** Entries to create per storage. */
  fill?: Record<string, number>;
  faults?: SimFaults;
  imei?: string;
  imsi?: string;
  seed?: number;
  manufacturer?: string;
  model?: string;
}

export interface SimEntry {
  number: string;
  type: number;
  /** As the phone holds it: Unicode (a SIM stores UCS2 entries whatever the AT charset). */
  name: string;
}

const DEFAULT_STORAGES: SimStorageSpec[] = [
  { name: 'SM', size: 250, nameLength: 14, numberLength: 40 },
  { name: 'ME', size: 1000, nameLength: 14, numberLength: 40 },
];

// ---------------------------------------------------------------------------------------
// Realistic fill: names in several scripts, some contacts with several numbers.

const FIRST = [
  'Anna', 'José', 'Zoë', 'Søren', 'François', 'Åsa', 'Mitsuko', 'Bob', 'Đorđe', 'Łucja',
  'Γιώργος', 'Ελένη', 'Νίκος', 'Иван', 'Ольга', 'Дмитрий', 'Олена',
  '张伟', '王芳', '山田', 'さくら', '김민준', '李娜',
  'Mum ❤️', 'Pizza 🍕', 'Gym 💪', 'Taxi 🚕',
];
const LAST = ['Müller', 'García', 'Lefèvre', 'Uchida', 'Smith', 'Ng', 'Παπάς', 'Петров', 'Соколов', '太郎', '美咲', 'O\'Neil', 'Kowalska', ''];

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

function cut(s: string, n: number): string {
  return Array.from(s).slice(0, n).join('').trim();
}

/** `count` entries for a storage, as a user would have typed them over the years. */
export function realisticEntries(count: number, spec: SimStorageSpec, seed: number): Map<number, SimEntry> {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out = new Map<number, SimEntry>();
  const used = new Set<string>();
  let index = 1;
  let serial = 0;
  // Numbers unique per storage and seed, so entries of different storages never look like
  // one person entered twice.
  const tag = String(seed % 100).padStart(2, '0');
  const number = (): SimEntry => {
    serial++;
    const n = String(serial).padStart(6, '0');
    const style = r();
    if (style < 0.6) return { number: `+4477${tag}${n}`, type: 145, name: '' };
    if (style < 0.8) return { number: `077${tag}${n}`, type: 129, name: '' };
    return { number: `+8190${tag}${n}`, type: 145, name: '' };
  };
  while (out.size < count && index <= spec.size) {
    let base = cut(`${pick(FIRST)} ${pick(LAST)}`, spec.nameLength - 2);
    for (let k = 2; used.has(base); k++) base = cut(`${cut(base, spec.nameLength - 2 - String(k).length - 1)} ${k}`, spec.nameLength - 2);
    used.add(base);
    const several = r() < 0.2 ? (r() < 0.5 ? ['M', 'W'] : ['M', 'H', 'W']) : null;
    if (!several) {
      out.set(index++, { ...number(), name: base });
      continue;
    }
    for (const suffix of several) {
      if (out.size >= count || index > spec.size) break;
      out.set(index++, { ...number(), name: `${base}/${suffix}` });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Pacing: a serial line moves baud/10 bytes per second each way (8N1, full duplex).

class Pacer {
  private queue: Buffer[] = [];
  private epoch = 0;
  private sent = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly bytesPerMs: number,
    private readonly sink: (b: Buffer) => void,
  ) {}

  push(b: Buffer): void {
    if (b.length === 0) return;
    if (this.bytesPerMs <= 0) return this.sink(b);
    if (this.queue.length === 0 && !this.timer) {
      this.epoch = performance.now();
      this.sent = 0;
    }
    this.queue.push(b);
    this.pump();
  }

  private pump(): void {
    this.timer = null;
    const allowed = Math.floor((performance.now() - this.epoch) * this.bytesPerMs) - this.sent;
    let n = Math.max(0, allowed);
    while (n > 0 && this.queue.length > 0) {
      const head = this.queue[0]!;
      const take = Math.min(n, head.length);
      this.sink(head.subarray(0, take));
      this.sent += take;
      n -= take;
      if (take === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(take);
    }
    if (this.queue.length > 0) this.timer = setTimeout(() => this.pump(), 1);
  }

  clear(): void {
    this.queue = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

// ---------------------------------------------------------------------------------------
// The handset.

interface Storage extends SimStorageSpec {
  entries: Map<number, SimEntry>;
}

export class SimHandset {
  readonly storages = new Map<string, Storage>();
  readonly offered: Charset[];
  charset: Charset;
  imei: string;
  imsi: string;
  faults: SimFaults;
  /** Commands answered since power-on (the fault schedule counts these). */
  commands = 0;
  private echo = true;
  private cmee = 0;
  private selected: string;
  private link: SerialLink | null = null;
  private inPacer: Pacer | null = null;
  private outPacer: Pacer | null = null;
  private line: number[] = [];
  private busyUntil = 0;
  private stalled = false;
  private closedWaiters: (() => void)[] = [];

  constructor(private readonly opts: SimHandsetOptions = {}) {
    for (const spec of opts.storages ?? DEFAULT_STORAGES) this.storages.set(spec.name, { ...spec, entries: new Map() });
    this.offered = opts.charsets?.length ? [...opts.charsets] : ['GSM', 'UCS2'];
    this.charset = this.offered[0]!;
    this.imei = opts.imei ?? '356938035643809';
    this.imsi = opts.imsi ?? '001010123456789';
    this.faults = { ...opts.faults, garble: [...(opts.faults?.garble ?? [])] };
    this.selected = [...this.storages.keys()][0]!;
    let seed = opts.seed ?? 1;
    for (const [name, n] of Object.entries(opts.fill ?? {})) {
      const st = this.storages.get(name);
      if (st) st.entries = realisticEntries(n, st, seed++);
    }
  }

  get serving(): boolean {
    return this.link !== null;
  }

  /** Serves a link: opens the tty without flushing, so whatever the host sent first (the
   *  wake-up AT) is answered. */
  serve(path: string): void {
    if (this.link) throw new Error('already serving a link');
    const link = openTtyLink(path);
    this.attach(link);
  }

  /** Serves an already open link (tests may hand one in). */
  attach(link: SerialLink): void {
    this.link = link;
    this.line = [];
    this.stalled = false;
    const bytesPerMs = (this.opts.baud ?? 0) / 10 / 1000;
    this.outPacer = new Pacer(bytesPerMs, (b) => {
      if (link.isOpen) link.write(b).catch(() => undefined);
    });
    this.inPacer = new Pacer(bytesPerMs, (b) => this.consume(b));
    link.on('data', (chunk) => {
      if (!this.stalled) this.inPacer?.push(chunk);
    });
    link.on('close', () => this.detached(link));
  }

  private detached(link: SerialLink): void {
    if (this.link !== link) return;
    this.link = null;
    this.inPacer?.clear();
    this.outPacer?.clear();
    for (const w of this.closedWaiters.splice(0)) w();
  }

  /** Resolves when the current link is gone. */
  whenDetached(): Promise<void> {
    if (!this.link) return Promise.resolve();
    return new Promise((r) => this.closedWaiters.push(r));
  }

  /** Pulls the cable: closes the link. */
  async drop(): Promise<void> {
    const link = this.link;
    if (link) await link.close();
  }

  entries(storage: string): Map<number, SimEntry> {
    const st = this.storages.get(storage);
    if (!st) throw new Error(`no storage ${storage}`);
    return st.entries;
  }

  // -------------------------------------------------------------------------------------

  private send(text: string | Buffer): void {
    this.outPacer?.push(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  }

  private consume(b: Buffer): void {
    for (const c of b) {
      if (this.stalled) return;
      if (this.echo) this.send(Buffer.from([c]));
      if (c === 0x0d) {
        const line = Buffer.from(this.line);
        this.line = [];
        this.command(line);
      } else if (c !== 0x0a) {
        this.line.push(c);
        if (this.line.length > 4096) this.line = [];
      }
    }
  }

  private command(raw: Buffer): void {
    // Leading junk (Gammu's ESC, a Ctrl-Z, line noise) is not part of a command.
    let start = 0;
    while (start < raw.length - 1 && !(/[aA]/.test(String.fromCharCode(raw[start]!)) && /[tT]/.test(String.fromCharCode(raw[start + 1]!)))) start++;
    const line = raw.subarray(start);
    if (line.length < 2 || !/^at/i.test(line.subarray(0, 2).toString('latin1'))) return;
    this.commands++;
    const n = this.commands;
    const f = this.faults;
    if (f.stallAfter !== undefined && n > f.stallAfter) {
      this.stalled = true;
      return;
    }
    let answer = this.answer(line);
    if (f.garble?.includes(n)) answer = garble(answer);
    if (f.urcEvery && n % f.urcEvery === 0) this.send('\r\n+CREG: 1\r\n');
    this.send(answer);
    if (f.dropAfter !== undefined && n >= f.dropAfter) {
      f.dropAfter = undefined;
      // Let the answer reach the wire first, as a cable pulled right after; nothing more is
      // heard from the host meanwhile.
      this.stalled = true;
      const link = this.link;
      setTimeout(() => void link?.close(), 20);
    }
  }

  private ok(lines: string[] | Buffer[] = []): Buffer {
    const parts: Buffer[] = lines.map((l) => Buffer.concat([Buffer.from('\r\n'), typeof l === 'string' ? Buffer.from(l, 'latin1') : l]));
    if (lines.length) parts.push(Buffer.from('\r\n'));
    parts.push(Buffer.from('\r\nOK\r\n'));
    return Buffer.concat(parts);
  }

  private err(cme: number): Buffer {
    if (this.cmee === 0) return Buffer.from('\r\nERROR\r\n');
    if (this.cmee === 2) return Buffer.from(`\r\n+CME ERROR: ${CME_TEXT[cme] ?? 'unknown'}\r\n`);
    return Buffer.from(`\r\n+CME ERROR: ${cme}\r\n`);
  }

  /** A quoted parameter: plain, or UCS2 hex in UCS2 mode (both are seen in the field). */
  private param(b: Buffer): string {
    const s = b.toString('latin1');
    if (this.charset === 'UCS2' && /^([0-9A-Fa-f]{4})+$/.test(s) && s.length >= 8) return decodeText(b, 'UCS2') ?? s;
    return s;
  }

  private answer(line: Buffer): Buffer {
    const text = line.toString('latin1');
    const upper = text.toUpperCase();
    const body = upper.slice(2);
    switch (body) {
      case '':
      case 'Z':
      case '&F':
      case 'V1':
      case 'Q0':
        if (body === 'Z' || body === '&F') this.echo = true;
        return this.ok();
      case 'E0':
      case 'E1':
      case 'E':
        this.echo = body === 'E1';
        return this.ok();
      case 'I':
        return this.ok([`${this.opts.manufacturer ?? 'Concord'} ${this.opts.model ?? 'SimHandset'}`]);
      case '+CGMI':
      case '+GMI':
        return this.ok([this.opts.manufacturer ?? 'Concord']);
      case '+CGMM':
      case '+GMM':
        return this.ok([this.opts.model ?? 'SimHandset']);
      case '+CGMR':
      case '+GMR':
        return this.ok(['1.0']);
      case '+CGSN':
      case '+GSN':
        return this.ok([this.imei]);
      case '+CIMI':
        return this.ok([this.imsi]);
      case '+CFUN?':
        return this.ok(['+CFUN: 1']);
      case '+CPIN?':
        return this.ok(['+CPIN: READY']);
      case '+CREG?':
        return this.ok(['+CREG: 0,1']);
      case '+CSQ':
        return this.ok(['+CSQ: 20,99']);
      case '+CMEE?':
        return this.ok([`+CMEE: ${this.cmee}`]);
      case '+CSCS?':
        return this.ok([`+CSCS: "${this.charset}"`]);
      case '+CSCS=?':
        return this.ok([`+CSCS: (${this.offered.map((c) => `"${c}"`).join(',')})`]);
      case '+CPBS=?':
        return this.ok([`+CPBS: (${[...this.storages.keys()].map((s) => `"${s}"`).join(',')})`]);
      default:
        break;
    }
    if (/^\+CFUN=1(,\d)?$/.test(body)) return this.ok(); // Gammu aborts on a plain ERROR here
    if (/^\+CMEE=[012]$/.test(body)) {
      this.cmee = Number(body.slice(6));
      return this.ok();
    }
    if (body.startsWith('+CCLK')) return this.ok();
    if (body.startsWith('+CSCS=')) {
      const f = splitFields(line, 8);
      const cs = f?.[0]?.quoted ? charsetOf(this.param(f[0].raw)) : null;
      if (!cs || !this.offered.includes(cs)) return this.err(4);
      this.charset = cs;
      return this.ok();
    }
    if (body.startsWith('+CPB')) {
      if (this.busyUntil > Date.now()) return this.err(14);
      const b = this.faults.busy;
      if (b && this.commands >= b.from) {
        this.faults.busy = undefined;
        this.busyUntil = Date.now() + b.ms;
        return this.err(14);
      }
      return this.phonebook(line, body);
    }
    return this.err(4);
  }

  private phonebook(line: Buffer, body: string): Buffer {
    const st = this.storages.get(this.selected)!;
    if (body === '+CPBS?') return this.ok([`+CPBS: "${st.name}",${st.entries.size},${st.size}`]);
    if (body.startsWith('+CPBS=')) {
      const f = splitFields(line, 8);
      const name = f?.[0]?.quoted ? this.param(f[0].raw).toUpperCase() : '';
      if (!this.storages.has(name)) return this.err(4);
      this.selected = name;
      return this.ok();
    }
    if (body === '+CPBR=?') return this.ok([`+CPBR: (1-${st.size}),${st.numberLength},${st.nameLength}`]);
    if (body === '+CPBW=?') return this.ok([`+CPBW: (1-${st.size}),${st.numberLength},(129,145),${st.nameLength}`]);
    let m = /^\+CPBR=(\d+)(?:,(\d+))?$/.exec(body);
    if (m) {
      const a = Number(m[1]);
      const b = m[2] ? Number(m[2]) : a;
      if (a < 1 || b > st.size || a > b) return this.err(21);
      const lines: Buffer[] = [];
      for (let i = a; i <= b; i++) {
        const e = st.entries.get(i);
        if (!e) continue;
        const name = this.charset === 'UCS2' || this.charset === 'UTF-8' ? e.name : toRepresentable(e.name, this.charset);
        lines.push(Buffer.concat([Buffer.from(`+CPBR: ${i},"${e.number}",${e.type},"`, 'latin1'), encodeText(name, this.charset), Buffer.from('"')]));
      }
      return this.ok(lines);
    }
    m = /^\+CPBW=(\d*)(,.*)?$/s.exec(body);
    if (m) {
      const f = splitFields(line, 8);
      if (!f) return this.err(4);
      let index = m[1] ? Number(m[1]) : 0;
      if (m[1] && (index < 1 || index > st.size)) return this.err(21);
      if (f.length <= 1) {
        // Delete; an empty slot is deleted "successfully" too (Gammu's restore relies on it).
        if (!index) return this.err(21);
        st.entries.delete(index);
        return this.ok();
      }
      const number = f[1]!.raw.toString('latin1');
      const type = f[2] && f[2].raw.length ? Number(f[2].raw.toString('latin1')) : number.startsWith('+') ? 145 : 129;
      const name = f[3] ? decodeText(f[3].raw, this.charset) : '';
      if (name === null) return this.err(25);
      if (!/^[0-9+*#pPwW,]*$/.test(number)) return this.err(27);
      if (number.length > st.numberLength) return this.err(26);
      if (Array.from(name).length > st.nameLength) return this.err(24);
      if (!index) {
        for (let i = 1; i <= st.size && !index; i++) if (!st.entries.has(i)) index = i;
        if (!index) return this.err(20);
      }
      const full = this.faults.fullAfter;
      if (!st.entries.has(index) && (st.entries.size >= st.size || (full !== undefined && st.entries.size >= full))) return this.err(20);
      if (!number && !name) st.entries.delete(index);
      else st.entries.set(index, { number: type === 145 && !number.startsWith('+') ? `+${number}` : number, type, name });
      return this.ok();
    }
    return this.err(4);
  }
}

const CME_TEXT: Record<number, string> = {
  3: 'operation not allowed',
  4: 'operation not supported',
  14: 'SIM busy',
  20: 'memory full',
  21: 'invalid index',
  24: 'text string too long',
  25: 'invalid characters in text string',
  26: 'dial string too long',
  27: 'invalid characters in dial string',
};

/** Line noise: two bytes of the answer become 0xFF (never valid in any AT charset here). */
function garble(b: Buffer): Buffer {
  const out = Buffer.from(b);
  if (out.length < 4) return out;
  const mid = Math.max(2, Math.floor(out.length / 2));
  out[mid] = 0xff;
  out[Math.min(out.length - 3, mid + 3)] = 0xff;
  return out;
}

// ---------------------------------------------------------------------------------------
// Entry points.

/** Starts a handset in this process, serving `opts.link` if given. */
export function startSimHandset(opts: SimHandsetOptions): SimHandset {
  const h = new SimHandset(opts);
  if (opts.link) h.serve(opts.link);
  return h;
}

/** `SM:250,ME:1000[:nameLength]`: the storages of `concord sim handset --storage`. */
export function parseStorages(s: string, nameLength: number): SimStorageSpec[] {
  return s.split(',').map((part) => {
    const [name = '', size = '', nl] = part.split(':');
    return { name: name.toUpperCase(), size: Number(size), nameLength: nl ? Number(nl) : nameLength, numberLength: 40 };
  });
}

export function parseFaults(s: string): SimFaults {
  const f: SimFaults = { garble: [] };
  for (const item of s.split(',').filter(Boolean)) {
    const [kind, a, b] = item.split(':');
    switch (kind) {
      case 'drop-after':
        f.dropAfter = Number(a);
        break;
      case 'busy':
        f.busy = { from: Number(a), ms: Number(b ?? 3000) };
        break;
      case 'garble':
        f.garble!.push(Number(a));
        break;
      case 'stall-after':
        f.stallAfter = Number(a);
        break;
      case 'full-after':
        f.fullAfter = Number(a);
        break;
      case 'urc':
        f.urcEvery = Number(a ?? 5);
        break;
      default:
        throw new Error(`unknown fault ${item}`);
    }
  }
  return f;
}
