// The character sets of TS 27.007 AT+CSCS, as bytes on the wire. Pure functions, shared by
// the driver and the handset simulator.
//
// GSM: the GSM 03.38 default alphabet, one byte per septet (unpacked), with the extension
// table reached through 0x1B. UCS2: each UTF-16 code unit as four hex digits (phones and
// Gammu pass astral characters as surrogate pairs this way). UTF-8 as is. IRA: 7-bit ASCII.

export type Charset = 'GSM' | 'UCS2' | 'UTF-8' | 'IRA';

// prettier-ignore
const GSM_BASIC = [
  '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
  'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u001b', 'Æ', 'æ', 'ß', 'É',
  ' ', '!', '"', '#', '¤', '%', '&', "'", '(', ')', '*', '+', ',', '-', '.', '/',
  '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
  '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
  'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
  '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
  'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
];
const GSM_EXT: Record<number, string> = {
  0x0a: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2f: '\\', 0x3c: '[', 0x3d: '~', 0x3e: ']', 0x40: '|', 0x65: '€',
};
const GSM_ESC = 0x1b;

const toGsm = new Map<string, number[]>();
GSM_BASIC.forEach((ch, i) => {
  if (i !== GSM_ESC) toGsm.set(ch, [i]);
});
for (const [code, ch] of Object.entries(GSM_EXT)) toGsm.set(ch, [GSM_ESC, Number(code)]);

/** Characters that can never be part of a quoted AT string parameter. */
const UNQUOTABLE = new Set(['"', '\r', '\n', '\f', '\u001b']);

/** Whether `ch` (one code point) can travel in a quoted string in `cs`. */
export function representable(ch: string, cs: Charset): boolean {
  if (UNQUOTABLE.has(ch)) return false;
  switch (cs) {
    case 'GSM':
      return toGsm.has(ch);
    case 'IRA':
      return ch >= ' ' && ch <= '~';
    case 'UCS2':
    case 'UTF-8':
      return ch.codePointAt(0)! >= 0x20;
  }
}

/** `s` with every character `cs` cannot carry replaced by '?', as a phone shows it. */
export function toRepresentable(s: string, cs: Charset): string {
  let out = '';
  for (const ch of s) out += representable(ch, cs) ? ch : '?';
  return out;
}

export function encodeText(s: string, cs: Charset): Buffer {
  switch (cs) {
    case 'GSM': {
      const bytes: number[] = [];
      for (const ch of s) bytes.push(...(toGsm.get(ch) ?? [0x3f]));
      return Buffer.from(bytes);
    }
    case 'IRA':
      return Buffer.from(toRepresentable(s, 'IRA'), 'latin1');
    case 'UTF-8':
      return Buffer.from(s, 'utf8');
    case 'UCS2': {
      let hex = '';
      for (let i = 0; i < s.length; i++) hex += s.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0');
      return Buffer.from(hex, 'latin1');
    }
  }
}

/** Decodes a string parameter's bytes; null when they are not valid in `cs` (garbled). */
export function decodeText(b: Uint8Array, cs: Charset): string | null {
  switch (cs) {
    case 'GSM': {
      let out = '';
      for (let i = 0; i < b.length; i++) {
        const c = b[i]!;
        if (c > 0x7f) return null;
        if (c === GSM_ESC) {
          const ext = GSM_EXT[b[i + 1] ?? -1];
          if (ext === undefined) return null;
          out += ext;
          i++;
        } else {
          out += GSM_BASIC[c];
        }
      }
      return out;
    }
    case 'IRA': {
      for (const c of b) if (c > 0x7f) return null;
      return Buffer.from(b).toString('latin1');
    }
    case 'UTF-8': {
      const s = Buffer.from(b).toString('utf8');
      return s.includes('\ufffd') ? null : s;
    }
    case 'UCS2': {
      const hex = Buffer.from(b).toString('latin1');
      if (hex.length % 4 !== 0 || !/^[0-9A-Fa-f]*$/.test(hex)) return null;
      let out = '';
      for (let i = 0; i < hex.length; i += 4) out += String.fromCharCode(parseInt(hex.slice(i, i + 4), 16));
      return out;
    }
  }
}

/** The charset names phones use for the same thing. */
export function charsetOf(name: string): Charset | null {
  const n = name.toUpperCase();
  if (n === 'GSM') return 'GSM';
  if (n === 'UCS2' || n === 'UCS-2') return 'UCS2';
  if (n === 'UTF-8' || n === 'UTF8') return 'UTF-8';
  if (n === 'IRA' || n === 'ASCII') return 'IRA';
  return null;
}
