// Content lines: physical lines → unfolded logical lines → (group, name, params, value).
//
// Everything here is a single forward scan with indexOf and short anchored regexes on
// bounded strings, so the work is linear in the input however hostile it is.
import { MAX_CARD_SIZE, MAX_LINE_SIZE } from './types';

export interface Param {
  /** Upper case; for a bare 2.1 parameter (`TEL;CELL`) the name it stands for. */
  name: string;
  /** As received, quotes included. */
  raw: string;
  /** Without surrounding quotes. */
  value: string;
  bare: boolean;
}

export interface ContentLine {
  /** 1-based physical line where the logical line starts. */
  line: number;
  group: string;
  /** As received (case kept). */
  name: string;
  params: Param[];
  /** Unfolded, still encoded (QP/BASE64) and escaped; for byte input a binary string. */
  value: string;
}

export type LogicalLine = { line: number; text: string; tooLong?: undefined } | { line: number; tooLong: string; text?: undefined };

const ENCODINGS = new Set(['QUOTED-PRINTABLE', 'BASE64', 'B', '7BIT', '8BIT']);
const VALUE_TYPES = new Set(['INLINE', 'URL', 'CONTENT-ID', 'CID']);

/** What a parameter without a name means in 2.1: an encoding, a value location or,
 *  most often, a type (`TEL;CELL;WORK`). */
function bareParamName(v: string): string {
  const u = v.toUpperCase();
  if (ENCODINGS.has(u)) return 'ENCODING';
  if (VALUE_TYPES.has(u)) return 'VALUE';
  // Seen from broken writers: `N;UTF-8;QUOTED-PRINTABLE:`.
  if (u === 'UTF-8' || u.startsWith('ISO-8859-') || u.startsWith('WINDOWS-125')) return 'CHARSET';
  return 'TYPE';
}

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

function splitParams(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === ';' && !quoted) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

export function parseParams(text: string): Param[] {
  const params: Param[] = [];
  if (text === '') return params;
  for (const p of splitParams(text)) {
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq < 0) {
      params.push({ name: bareParamName(p.trim()), raw: p.trim(), value: p.trim(), bare: true });
    } else {
      const raw = p.slice(eq + 1).trim();
      params.push({ name: p.slice(0, eq).trim().toUpperCase(), raw, value: unquote(raw), bare: false });
    }
  }
  return params;
}

const NAME_RE = /^(?:([A-Za-z0-9_-]+)\.)?([A-Za-z0-9_-]+)$/;

/** Splits `group.NAME;params:value`. undefined when the line is not a property. */
export function parseContentLine(text: string, line: number): ContentLine | undefined {
  // The name ends at the first ';' or ':'.
  let i = 0;
  while (i < text.length && text[i] !== ';' && text[i] !== ':') i++;
  if (i >= text.length || i > 200) return undefined;
  const m = NAME_RE.exec(text.slice(0, i));
  if (!m) return undefined;
  let colon = -1;
  if (text[i] === ':') colon = i;
  else {
    // Parameter values may be quoted and hold ':' (3.0/4.0); 2.1 has no quoting, so an
    // unbalanced quote falls back to the first ':'.
    let quoted = false;
    for (let j = i; j < text.length; j++) {
      const c = text[j];
      if (c === '"') quoted = !quoted;
      else if (c === ':' && !quoted) {
        colon = j;
        break;
      }
    }
    if (colon < 0) colon = text.indexOf(':', i);
    if (colon < 0) return undefined;
  }
  return {
    line,
    group: m[1] ?? '',
    name: m[2] ?? '',
    params: text[i] === ';' ? parseParams(text.slice(i + 1, colon)) : [],
    value: text.slice(colon + 1),
  };
}

export function paramValues(params: readonly Param[], name: string): string[] {
  const out: string[] = [];
  for (const p of params) {
    if (p.name !== name) continue;
    // TYPE=a,b (3.0/4.0) and TYPE="a,b" (4.0) are lists.
    for (const v of p.bare ? [p.value] : p.value.split(',')) if (v.trim()) out.push(v.trim());
  }
  return out;
}

export function encodingOf(params: readonly Param[]): string {
  return (paramValues(params, 'ENCODING')[0] ?? '').toUpperCase();
}

const BASE64_LINE = /^[A-Za-z0-9+/=]+$/;

function isEndOrBegin(s: string): boolean {
  const u = s.trim().toUpperCase();
  return u === 'END:VCARD' || u === 'BEGIN:VCARD';
}

/** Physical lines → logical lines. Folding: a line starting with a space or tab continues
 *  the previous one (one whitespace character removed, as every device folds). 2.1
 *  QUOTED-PRINTABLE: a line ending in `=` continues on the next line as it is. 2.1
 *  BASE64: some phones put the following base64 lines without indentation. */
export function* logicalLines(input: string): Generator<LogicalLine> {
  // LF and CRLF; a file with bare CRs only (old Mac exports) is split on those.
  const phys = input.split(input.includes('\n') ? '\n' : '\r');
  const at = (i: number): string => {
    const l = phys[i] ?? '';
    return l.endsWith('\r') ? l.slice(0, -1) : l;
  };
  let i = 0;
  while (i < phys.length) {
    const start = i + 1;
    const first = at(i++);
    if (first.length > MAX_LINE_SIZE) {
      yield { line: start, tooLong: `line ${start} is longer than ${MAX_LINE_SIZE} characters` };
      continue;
    }
    const parts = [first];
    let size = first.length;
    let tooLong: string | undefined;
    let kind: 'qp' | 'b64' | '' | undefined;
    const kindOf = () => {
      if (kind === undefined) {
        const cl = parseContentLine(first, start);
        const enc = cl ? encodingOf(cl.params) : '';
        kind = enc === 'QUOTED-PRINTABLE' ? 'qp' : enc === 'B' || enc === 'BASE64' ? 'b64' : '';
      }
      return kind;
    };
    while (i < phys.length) {
      const l = at(i);
      const last = parts[parts.length - 1] ?? '';
      let add: string | undefined;
      if (last.endsWith('=') && kindOf() === 'qp' && !isEndOrBegin(l)) {
        parts[parts.length - 1] = last.slice(0, -1);
        add = l;
      } else if (l.startsWith(' ') || l.startsWith('\t')) {
        add = l.slice(1);
      } else if (l.length > 0 && l.length <= MAX_LINE_SIZE && kindOf() === 'b64' && BASE64_LINE.test(l)) {
        add = l;
      }
      if (add === undefined) break;
      i++;
      if (l.length > MAX_LINE_SIZE) tooLong ??= `line ${i} is longer than ${MAX_LINE_SIZE} characters`;
      size += add.length;
      if (size > MAX_CARD_SIZE) tooLong ??= `the property starting at line ${start} is longer than ${MAX_CARD_SIZE} characters`;
      if (!tooLong) parts.push(add);
    }
    yield tooLong ? { line: start, tooLong } : { line: start, text: parts.join('') };
  }
}
