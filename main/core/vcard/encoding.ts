// Transport encodings of vCard values: bytes, charsets, QUOTED-PRINTABLE and BASE64.
//
// The parser works on text in which, for byte input, every character is one byte (a
// "binary string", U+0000–U+00FF). That keeps line splitting and header parsing simple and
// lets each value be decoded with its own CHARSET= afterwards. String input is already
// Unicode; there only the bytes produced by QP or BASE64 decoding need a charset.

const CHUNK = 8192;

/** Bytes → binary string (one char per byte). Not TextDecoder('latin1'): WHATWG maps that
 *  label to windows-1252, which would change bytes 0x80–0x9F. */
export function bytesToBinary(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK) {
    parts.push(String.fromCharCode(...bytes.subarray(i, i + CHUNK)));
  }
  return parts.join('');
}

export function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

const utf8Encoder = new TextEncoder();

export function utf8Bytes(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++; // the low surrogate is part of the same 4-byte sequence
    } else n += 3;
  }
  return n;
}

// 0x80–0x9F of windows-1252. Node 20's TextDecoder('windows-1252') (and so 'iso-8859-1',
// which WHATWG maps to it) decodes these as C1 controls, losing €, curly quotes and dashes
// that Outlook and old phones send under either label.
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

function decodeWindows1252(bytes: Uint8Array): string {
  const parts: string[] = [];
  let cur: number[] = [];
  for (const b of bytes) {
    cur.push(b >= 0x80 && b < 0xa0 ? (CP1252_HIGH[b - 0x80] ?? b) : b);
    if (cur.length >= CHUNK) {
      parts.push(String.fromCharCode(...cur));
      cur = [];
    }
  }
  parts.push(String.fromCharCode(...cur));
  return parts.join('');
}

export interface Decoded {
  text: string;
  /** Set when the bytes were not what the label said and a fallback was used. */
  warning?: string;
}

/** Decodes bytes with a vCard CHARSET label. No label means UTF-8 (what every device we
 *  know sends when it says nothing); bytes that are not valid UTF-8 are then read as
 *  windows-1252, the usual unlabelled 8-bit charset of old phones and Outlook. */
export function decodeBytes(bytes: Uint8Array, charset: string | undefined): Decoded {
  const label = charset?.trim().replace(/^"|"$/g, '') || 'utf-8';
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: true });
  } catch {
    const text = new TextDecoder('utf-8').decode(bytes);
    return { text, warning: `unknown CHARSET=${label}; read as UTF-8` };
  }
  if (decoder.encoding === 'windows-1252') return { text: decodeWindows1252(bytes) };
  try {
    return { text: decoder.decode(bytes) };
  } catch {
    if (decoder.encoding === 'utf-8') {
      return { text: decodeWindows1252(bytes), warning: 'value is not valid UTF-8; read as windows-1252' };
    }
    return { text: new TextDecoder(label).decode(bytes), warning: `value is not valid ${label}; bad bytes replaced` };
  }
}

const HEX = '0123456789ABCDEF';

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** QUOTED-PRINTABLE → bytes. Soft line breaks were already removed by unfolding. A `=` not
 *  followed by two hex digits is kept literally (and reported): losing the user's text
 *  over one bad escape would be worse. `binary`: the text is a binary string (byte input);
 *  otherwise literal non-ASCII characters (a sloppy writer) are taken as their UTF-8 bytes. */
export function decodeQuotedPrintable(s: string, binary: boolean): { bytes: Uint8Array; bad: boolean } {
  const out: number[] = [];
  let bad = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 61 /* = */) {
      const h = i + 1 < s.length ? hexVal(s.charCodeAt(i + 1)) : -1;
      const l = i + 2 < s.length ? hexVal(s.charCodeAt(i + 2)) : -1;
      if (h >= 0 && l >= 0) {
        out.push(h * 16 + l);
        i += 2;
        continue;
      }
      // A '=' ending the value is a soft break before END:VCARD (the unfolder does not
      // join across it): nothing follows, nothing is lost.
      if (i === s.length - 1) continue;
      bad = true;
      out.push(61);
    } else if (c < 0x80 || (binary && c < 0x100)) {
      out.push(c);
    } else {
      const cp = s.codePointAt(i) ?? c;
      if (cp > 0xffff) i++;
      for (const b of utf8Bytes(String.fromCodePoint(cp))) out.push(b);
    }
  }
  return { bytes: Uint8Array.from(out), bad };
}

/** One QP token per byte: printable ASCII stays literal, everything else is `=XX`. */
export function qpTokens(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (const b of bytes) {
    if (b >= 33 && b <= 126 && b !== 61) out.push(String.fromCharCode(b));
    else if (b === 32) out.push(' ');
    else out.push(`=${HEX[b >> 4]}${HEX[b & 15]}`);
  }
  return out;
}

/** BASE64 → bytes; whitespace ignored. undefined when it is not base64 at all. */
export function decodeBase64(s: string): Uint8Array | undefined {
  const clean = s.replace(/[\s]+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return undefined;
  try {
    return binaryToBytes(atob(clean));
  } catch {
    return undefined;
  }
}
