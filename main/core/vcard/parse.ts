// Reading vCards (2.1, 3.0, 4.0) into contacts.
//
// Each card is normalized the same way whatever its version (vcard-notes.md): unfold,
// decode QUOTED-PRINTABLE and CHARSET, read bare 2.1 parameters as TYPE=, then map the
// modelled properties onto the Contact and keep every other property, as the device sent
// it, in `contact.extra`.
import { canonicalType, emptyContact, type Contact, type ExtraProperty } from '../contact';
import {
  binaryToBytes,
  bytesToBinary,
  decodeBase64,
  decodeBytes,
  decodeQuotedPrintable,
} from './encoding';
import { canonicalComponent, splitUnescaped, unescapeText } from './escape';
import { encodingOf, logicalLines, paramValues, parseContentLine, type ContentLine, type Param } from './lines';
import {
  MAX_CARD_SIZE,
  VCardError,
  type CardProblem,
  type ParsedCard,
  type VCardVersion,
} from './types';

const LIST_PROPS = { TEL: 'tel', EMAIL: 'email', ADR: 'adr', URL: 'url' } as const;
const SINGLE_PROPS = { FN: 'fn', N: 'n', ORG: 'org', TITLE: 'title', BDAY: 'bday', NOTE: 'note' } as const;
const HIGH_BYTES = /[\x80-\xff]/;

function isBinaryEncoding(enc: string): boolean {
  return enc === 'B' || enc === 'BASE64';
}

function typeOf(params: readonly Param[]): string {
  const labels = paramValues(params, 'TYPE');
  // 4.0 says PREF=1..100; 2.1/3.0 say TYPE=PREF. The model keeps one label, `pref`.
  if (params.some((p) => p.name === 'PREF')) labels.push('pref');
  return canonicalType(labels.join(','));
}

/** Parameters of an unmodelled property, normalized to the card's version: transport
 *  parameters the parser has undone (CHARSET, QUOTED-PRINTABLE) dropped, bare 2.1
 *  parameters named, all TYPE values merged into one `TYPE=a,b` (Radicale merges
 *  `TYPE=a;TYPE=b` so, and the same card must give the same extras from every server),
 *  parameter names in upper case, values as received. */
function extraParams(params: readonly Param[], version: VCardVersion): string {
  const out: string[] = [];
  const types: string[] = [];
  let typeAt = -1;
  const enc = encodingOf(params);
  for (const p of params) {
    if (p.name === 'CHARSET' && !isBinaryEncoding(enc)) continue;
    if (p.name === 'ENCODING') {
      const u = p.value.toUpperCase();
      if (isBinaryEncoding(u)) out.push(`ENCODING=${version === '2.1' ? 'BASE64' : 'b'}`);
      else if (u !== 'QUOTED-PRINTABLE' && u !== '7BIT' && u !== '8BIT') out.push(`ENCODING=${p.raw}`);
      continue;
    }
    if (p.name === 'TYPE') {
      if (typeAt < 0) {
        typeAt = out.length;
        out.push('');
      }
      types.push(...(p.bare ? [p.value] : p.value.split(',')).filter((t) => t !== ''));
      continue;
    }
    out.push(`${p.name}=${p.raw}`);
  }
  if (typeAt >= 0) out[typeAt] = `TYPE=${types.join(',')}`;
  return out.join(';');
}

interface Decoder {
  binary: boolean;
  warn: (line: number, msg: string) => void;
}

/** Undoes the transport encoding of a value: QUOTED-PRINTABLE, BASE64 (only when
 *  `decodeB64`: binary data such as photos stays base64) and the charset. */
function decodeValue(cl: ContentLine, d: Decoder, decodeB64: boolean): string {
  const enc = encodingOf(cl.params);
  const charset = paramValues(cl.params, 'CHARSET')[0];
  const fromBytes = (bytes: Uint8Array): string => {
    const r = decodeBytes(bytes, charset);
    if (r.warning) d.warn(cl.line, `${cl.name}: ${r.warning}`);
    return r.text;
  };
  if (enc === 'QUOTED-PRINTABLE') {
    const { bytes, bad } = decodeQuotedPrintable(cl.value, d.binary);
    if (bad) d.warn(cl.line, `${cl.name}: bad QUOTED-PRINTABLE escape kept as text`);
    return fromBytes(bytes);
  }
  if (isBinaryEncoding(enc)) {
    const raw = cl.value.replace(/\s+/g, '');
    if (!decodeB64) return raw;
    const bytes = decodeBase64(raw);
    if (bytes) return fromBytes(bytes);
    d.warn(cl.line, `${cl.name}: bad BASE64 kept as text`);
    return raw;
  }
  if (d.binary && HIGH_BYTES.test(cl.value)) return fromBytes(binaryToBytes(cl.value));
  return cl.value;
}

/** Byte input: names and parameters may hold UTF-8 too (4.0 LABEL=, X- parameters). */
function decodeHeader(cl: ContentLine, binary: boolean): ContentLine {
  if (!binary) return cl;
  const fix = (s: string) => (HIGH_BYTES.test(s) ? decodeBytes(binaryToBytes(s), 'utf-8').text : s);
  return { ...cl, params: cl.params.map((p) => ({ ...p, raw: fix(p.raw), value: fix(p.value) })) };
}

function versionOf(lines: readonly ContentLine[], warn: (line: number, msg: string) => void): VCardVersion {
  const v = lines.find((l) => l.name.toUpperCase() === 'VERSION');
  if (!v) {
    // Decoding does not depend on it; only the escaping of commas in ADR/ORG does.
    const looks21 = lines.some((l) => l.params.some((p) => p.bare || (p.name === 'ENCODING' && p.value.toUpperCase() === 'QUOTED-PRINTABLE')));
    const guess: VCardVersion = looks21 ? '2.1' : '3.0';
    warn(lines[0]?.line ?? 0, `no VERSION; read as ${guess}`);
    return guess;
  }
  const value = v.value.trim();
  if (value === '2.1' || value === '3.0' || value === '4.0') return value;
  throw new VCardError(`unsupported VERSION ${JSON.stringify(value.slice(0, 20))}`, v.line);
}

function components(raw: string, version: VCardVersion, trimTrailing: boolean, pad = 0): string {
  const parts = splitUnescaped(raw, ';').map((p) => canonicalComponent(p, version));
  while (parts.length < pad) parts.push('');
  if (trimTrailing) while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.join(';');
}

function text(s: string): string {
  return unescapeText(s).replace(/\r\n?/g, '\n');
}

/** Parses the content lines of one card (between BEGIN and END). */
function parseCard(lines: readonly { line: number; text: string }[], binary: boolean, startLine: number): ParsedCard {
  const warnings: string[] = [];
  const warn = (line: number, msg: string) => {
    if (warnings.length < 100) warnings.push(`line ${line}: ${msg}`);
  };
  const cls: ContentLine[] = [];
  for (const l of lines) {
    if (l.text.trim() === '') continue;
    const cl = parseContentLine(l.text, l.line);
    if (cl) cls.push(decodeHeader(cl, binary));
    else warn(l.line, `not a property, ignored: ${JSON.stringify(l.text.slice(0, 40))}`);
  }
  const version = versionOf(cls, warn);
  const d: Decoder = { binary, warn };
  const contact: Contact = emptyContact();
  const seen = new Set<string>();
  const out: ParsedCard = { contact, version, warnings };
  const extra = (cl: ContentLine, value: string): ExtraProperty => ({
    name: cl.group ? `${cl.group}.${cl.name}` : cl.name,
    params: extraParams(cl.params, version),
    value,
  });

  for (const cl of cls) {
    const name = cl.name.toUpperCase();
    switch (name) {
      case 'VERSION':
        continue;
      case 'BEGIN':
      case 'END':
        warn(cl.line, `nested ${name}:${cl.value.slice(0, 20)} ignored`);
        continue;
      case 'UID':
      case 'PRODID':
      case 'REV': {
        const key = name === 'UID' ? 'uid' : name === 'PRODID' ? 'prodid' : 'rev';
        if (out[key] === undefined) out[key] = decodeValue(cl, d, true).trim();
        else warn(cl.line, `second ${name} ignored`);
        continue;
      }
    }
    if (name in LIST_PROPS) {
      const field = LIST_PROPS[name as keyof typeof LIST_PROPS];
      const raw = decodeValue(cl, d, true);
      let value: string;
      if (field === 'adr') value = components(raw, version, false, 7);
      else if (field === 'tel' && /^tel:/i.test(raw.trim())) value = raw.trim().slice(4); // 4.0 VALUE=uri
      else value = text(raw);
      // Nokia and Sony Ericsson send empty slots (`TEL;CELL:`, `ADR;HOME:;;;;;;`); they
      // hold nothing.
      const empty = field === 'adr' ? /^;*$/.test(value) : value.trim() === '';
      if (!empty) contact[field].push({ type: typeOf(cl.params), value });
      continue;
    }
    if (name in SINGLE_PROPS && !seen.has(name)) {
      seen.add(name);
      const field = SINGLE_PROPS[name as keyof typeof SINGLE_PROPS];
      const raw = decodeValue(cl, d, true);
      switch (field) {
        case 'n': {
          const parts = splitUnescaped(raw, ';').map(text);
          while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
          contact.n = parts;
          break;
        }
        case 'org':
          contact.org = components(raw, version, true);
          break;
        case 'bday':
          contact.bday = text(raw).trim();
          break;
        default:
          contact[field] = text(raw);
      }
      continue;
    }
    // Everything else, and a second FN/N/ORG/TITLE/BDAY/NOTE, is kept as it came. A line
    // break decoded from QP in a 3.0/4.0 card (Outlook does that) is stored as the `\n`
    // that version writes, so the value stays the same through a round trip.
    let value = decodeValue(cl, d, false);
    if (version !== '2.1') value = value.replace(/\r\n|\r|\n/g, '\\n');
    contact.extra.push(extra(cl, value));
  }
  if (!seen.has('FN') && version !== '2.1') warn(startLine, 'no FN');
  return out;
}

interface OpenCard {
  index: number;
  start: number;
  lines: { line: number; text: string }[];
  size: number;
  failure?: { line: number; message: string };
  /** Depth of a 2.1 AGENT card nested inside this one (skipped). */
  nested: number;
}

function marker(text: string): 'BEGIN' | 'END' | undefined {
  if (text.length > 40) return undefined;
  const u = text.trim().toUpperCase();
  if (u === 'BEGIN:VCARD') return 'BEGIN';
  if (u === 'END:VCARD') return 'END';
  return undefined;
}

/** Every card in the input. Never throws: a card that cannot be read becomes an entry of
 *  `errors` (with its ordinal among all cards of the input) and the others are returned. */
export function parseVCards(input: string | Uint8Array): { cards: ParsedCard[]; errors: CardProblem[] } {
  const cards: ParsedCard[] = [];
  const errors: CardProblem[] = [];
  const binary = typeof input !== 'string';
  let textIn: string;
  try {
    textIn = binary ? bytesToBinary(input) : input;
  } catch (e) {
    return { cards, errors: [{ index: -1, line: 0, message: `unreadable input: ${String(e)}` }] };
  }
  // A byte order mark is not part of the first line.
  if (textIn.startsWith('\ufeff')) textIn = textIn.slice(1);
  else if (binary && textIn.startsWith('\xef\xbb\xbf')) textIn = textIn.slice(3);

  let card: OpenCard | undefined;
  let ordinal = 0;
  let firstStray: number | undefined;

  const finish = (c: OpenCard) => {
    if (c.failure) {
      errors.push({ index: c.index, line: c.failure.line, message: c.failure.message });
      return;
    }
    try {
      cards.push(parseCard(c.lines, binary, c.start));
    } catch (e) {
      const err = e instanceof VCardError ? e : new VCardError(`internal error: ${String(e)}`, c.start);
      errors.push({ index: c.index, line: err.line ?? c.start, message: err.message });
    }
  };

  for (const ll of logicalLines(textIn)) {
    if (ll.tooLong !== undefined) {
      if (card) card.failure ??= { line: ll.line, message: ll.tooLong };
      else errors.push({ index: -1, line: ll.line, message: ll.tooLong });
      continue;
    }
    const m = marker(ll.text);
    if (card && card.nested > 0) {
      if (m === 'BEGIN') card.nested++;
      else if (m === 'END') card.nested--;
      continue;
    }
    if (m === 'BEGIN') {
      if (card) {
        const prev = card.lines[card.lines.length - 1]?.text.trim().toUpperCase();
        if (prev === 'AGENT:' || (prev?.startsWith('AGENT;') && prev.endsWith(':'))) {
          // vCard 2.1 allows a whole card as the value of AGENT; it is not a contact.
          card.nested = 1;
          card.lines.pop();
          continue;
        }
        errors.push({
          index: card.index,
          line: card.start,
          message: `the card begun at line ${card.start} has no END:VCARD before the BEGIN:VCARD at line ${ll.line}`,
        });
      }
      card = { index: ordinal++, start: ll.line, lines: [], size: 0, nested: 0 };
      continue;
    }
    if (m === 'END') {
      if (card) finish(card);
      else errors.push({ index: -1, line: ll.line, message: `END:VCARD at line ${ll.line} without BEGIN:VCARD` });
      card = undefined;
      continue;
    }
    if (!card) {
      if (firstStray === undefined && ll.text.trim() !== '') firstStray = ll.line;
      continue;
    }
    if (card.failure) continue;
    card.size += ll.text.length + 2;
    if (card.size > MAX_CARD_SIZE) {
      card.failure = { line: card.start, message: `the card begun at line ${card.start} is larger than ${MAX_CARD_SIZE} characters` };
      card.lines = [];
      continue;
    }
    card.lines.push({ line: ll.line, text: ll.text });
  }
  if (card) {
    errors.push({ index: card.index, line: card.start, message: `the card begun at line ${card.start} has no END:VCARD` });
  }
  if (ordinal === 0 && errors.length === 0 && firstStray !== undefined) {
    errors.push({ index: -1, line: firstStray, message: 'no BEGIN:VCARD found' });
  }
  return { cards, errors };
}

/** Exactly one card; anything else throws a VCardError. */
export function parseVCard(input: string | Uint8Array): ParsedCard {
  const { cards, errors } = parseVCards(input);
  const first = errors[0];
  if (first) throw new VCardError(first.message.replace(/^line \d+: /, ''), first.line || undefined);
  const card = cards[0];
  if (!card) throw new VCardError('no vCard found');
  if (cards.length > 1) throw new VCardError(`expected one vCard, found ${cards.length}`);
  return card;
}
