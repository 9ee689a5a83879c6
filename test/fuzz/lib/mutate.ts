// A small seeded mutator for fuzzing from real samples: bit flips, byte insert/delete,
// chunk duplication, truncation, splicing two samples, "interesting" bytes for the formats
// we read (line ends, separators, markup), and boundary numbers — written both as WBXML
// multi-byte integers (lengths, string-table offsets) and as ASCII digits (vCard and AT
// counts, SyncML MsgIDs).

// The seeded generator of every test (test/lib/random.ts): the same seed gives the same
// inputs.
import { Rng } from '../../lib/random';

export { Rng };

/** Bytes that mean something to one of our parsers. */
const INTERESTING_BYTES = [
  0x00, 0x01, 0x02, 0x03, 0x04, 0x0a, 0x0d, 0x20, 0x22, 0x2c, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x26, 0x5c, 0x2f, 0x3f,
  0x7f, 0x80, 0x83, 0xc3, 0xff, 0xfe, 0x40, 0x41, 0x09,
];

/** Boundary values for lengths, counts and indexes. */
export const BOUNDARY_NUMBERS = [
  0, 1, 2, 7, 8, 127, 128, 255, 256, 16383, 16384, 65535, 65536, 2 ** 21 - 1, 2 ** 28 - 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1,
  2 ** 32, 2 ** 35 - 1, Number.MAX_SAFE_INTEGER,
];

const TOKENS = [
  '\r\n', '\n', '\r', '\r\n ', '=\r\n', ';', ':', ',', '=', '"', '\\', '\\n', '&amp;', '&#0;', '&#x110000;', '&lt;', '<![CDATA[',
  ']]>', '<!--', '-->', '<?', '?>', '</', '/>', '<SyncML>', '<Data>', '</Data>', '\u00e9', '\ud800', '\ufeff', 'BEGIN:VCARD',
  'END:VCARD', 'VERSION:4.0', 'VERSION:2.1', 'ENCODING=QUOTED-PRINTABLE', 'ENCODING=BASE64', 'ENCODING=b', 'CHARSET=',
  'CHARSET=SHIFT_JIS', 'CHARSET=x-unknown', 'TYPE=', 'PREF=', '+CPBR: ', 'OK', 'ERROR', '+CME ERROR: ', 'RING', '-1', '999999999999999999999',
];

/** A WBXML mb_u_int32 (7 bits per byte, high bit = more), any size up to 2^53. */
export function mbUint(v: number): number[] {
  const out = [v % 128];
  v = Math.floor(v / 128);
  while (v > 0) {
    out.unshift((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  return out;
}

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const enc = new TextEncoder();

export interface MutateOptions {
  /** Other samples to splice with. */
  others?: readonly Uint8Array[];
  /** Largest result (a mutation that would exceed it is truncated). */
  maxLen?: number;
  /** Stacked mutations per call: 1..maxOps. */
  maxOps?: number;
}

export type MutationOp =
  | 'flip'
  | 'set'
  | 'insert'
  | 'delete'
  | 'duplicate'
  | 'truncate'
  | 'splice'
  | 'token'
  | 'mbuint'
  | 'digits';

export const OPS: readonly MutationOp[] = ['flip', 'set', 'insert', 'delete', 'duplicate', 'truncate', 'splice', 'token', 'mbuint', 'digits'];

/** Applies one mutation. */
export function mutateOnce(rng: Rng, b: Uint8Array, op: MutationOp, others: readonly Uint8Array[] = []): Uint8Array {
  const at = (extra = 0) => rng.int(b.length + extra);
  switch (op) {
    case 'flip': {
      if (!b.length) return b;
      const out = Uint8Array.from(b);
      const i = at();
      out[i] = (out[i] as number) ^ (1 << rng.int(8));
      return out;
    }
    case 'set': {
      if (!b.length) return b;
      const out = Uint8Array.from(b);
      out[at()] = rng.chance(0.5) ? rng.pick(INTERESTING_BYTES) : rng.int(256);
      return out;
    }
    case 'insert': {
      const i = at(1);
      const n = 1 + rng.int(rng.chance(0.9) ? 4 : 64);
      const ins = Array.from({ length: n }, () => (rng.chance(0.5) ? rng.pick(INTERESTING_BYTES) : rng.int(256)));
      return concat(b.subarray(0, i), ins, b.subarray(i));
    }
    case 'delete': {
      if (!b.length) return b;
      const i = at();
      const n = 1 + rng.int(rng.chance(0.8) ? 8 : Math.max(1, b.length - i));
      return concat(b.subarray(0, i), b.subarray(i + n));
    }
    case 'duplicate': {
      if (!b.length) return b;
      const i = at();
      const n = 1 + rng.int(Math.min(256, b.length - i));
      const chunk = b.subarray(i, i + n);
      const times = rng.chance(0.9) ? 1 + rng.int(3) : 1 + rng.int(200);
      const copies: Uint8Array[] = [];
      for (let k = 0; k < times; k++) copies.push(chunk);
      const where = at(1);
      return concat(b.subarray(0, where), ...copies, b.subarray(where));
    }
    case 'truncate':
      return b.subarray(0, at(1));
    case 'splice': {
      const o = others.length ? rng.pick(others) : b;
      const i = at(1);
      const j = rng.int(o.length + 1);
      return rng.chance(0.5) ? concat(b.subarray(0, i), o.subarray(j)) : concat(b.subarray(0, i), o.subarray(j, j + 1 + rng.int(256)), b.subarray(i));
    }
    case 'token': {
      const t = enc.encode(rng.pick(TOKENS));
      const i = at(1);
      return rng.chance(0.7) ? concat(b.subarray(0, i), t, b.subarray(i)) : concat(b.subarray(0, i), t, b.subarray(i + t.length));
    }
    case 'mbuint': {
      // A boundary number where a WBXML length, offset or code point is read: replace the
      // multi-byte integer that starts at i (or just the byte) with one of the boundaries.
      const i = at(1);
      let end = i;
      while (end < b.length && end - i < 5 && ((b[end] as number) & 0x80) !== 0) end++;
      end = Math.min(b.length, end + 1);
      const v = rng.pick(BOUNDARY_NUMBERS) + (rng.chance(0.3) ? rng.int(3) - 1 : 0);
      const bytes = mbUint(Math.max(0, v));
      // A few over-long forms too: 0x80 0x80 … 0x00 is legal WBXML for 0 but long.
      if (rng.chance(0.1)) bytes.unshift(0x80, 0x80, 0x80, 0x80, 0x80, 0x80);
      return concat(b.subarray(0, i), bytes, b.subarray(end));
    }
    case 'digits': {
      // Replace a run of ASCII digits with a boundary number.
      const starts: number[] = [];
      for (let k = 0; k < b.length; k++) {
        const c = b[k] as number;
        if (c >= 0x30 && c <= 0x39 && (k === 0 || (b[k - 1] as number) < 0x30 || (b[k - 1] as number) > 0x39)) starts.push(k);
      }
      if (!starts.length) return b;
      const s = rng.pick(starts);
      let e = s;
      while (e < b.length && (b[e] as number) >= 0x30 && (b[e] as number) <= 0x39) e++;
      const choices = [...BOUNDARY_NUMBERS.map(String), '-1', '00000000000000000000001', '1e400', '9'.repeat(400), ''];
      return concat(b.subarray(0, s), enc.encode(rng.pick(choices)), b.subarray(e));
    }
  }
}

/** Stacks 1..maxOps random mutations on a sample. */
export function mutate(rng: Rng, sample: Uint8Array, opts: MutateOptions = {}): Uint8Array {
  const maxLen = opts.maxLen ?? 256 * 1024;
  const ops = 1 + rng.int(opts.maxOps ?? 4);
  let b = sample;
  for (let k = 0; k < ops; k++) {
    b = mutateOnce(rng, b, rng.pick(OPS), opts.others);
    if (b.length > maxLen) b = b.subarray(0, maxLen);
  }
  return b;
}

/** How an input is shown in a failure: printable ASCII as is, the rest escaped; long ones
 *  cut in the middle. */
export function showInput(x: Uint8Array | string, max = 600): string {
  const s = typeof x === 'string' ? x : Buffer.from(x).toString('latin1');
  const esc = JSON.stringify(s);
  const kind = typeof x === 'string' ? 'string' : 'bytes(latin1)';
  if (esc.length <= max) return `${kind} ${esc}`;
  return `${kind} ${esc.slice(0, max / 2)} … ${esc.slice(-max / 2)} (${s.length} chars)`;
}
