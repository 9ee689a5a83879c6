// Writing a contact as a vCard 2.1, 3.0 or 4.0.
//
// 2.1 goes to old phones: non-ASCII and line breaks travel as
// `CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE` (what Nokia and Sony Ericsson send themselves),
// types are bare parameters, and a long text line is QP-encoded with soft breaks rather
// than folded, because 2.1 unfolding keeps the folding white space and phones differ on it.
// 3.0 and 4.0 are UTF-8, folded at 75 octets, never inside a UTF-8 sequence.
import { canonicalType, derivedName, type Contact, type ExtraProperty } from '../contact';
import { qpTokens, utf8Bytes, utf8Length } from './encoding';
import { componentFor, escapeText, splitUnescaped } from './escape';
import { encodingOf, paramValues, parseParams } from './lines';
import { VCardError, VERSIONS, type VCardVersion, type WriteOptions } from './types';

interface Prop {
  name: string;
  params: string[];
  value: string;
  /** BASE64 data: laid out as base64, never QP-encoded. */
  b64?: boolean;
}

/** The parameter-free type names of vCard 2.1 (section 2.4 of the spec); others are
 *  written as `TYPE=x`, which 2.1 also allows. */
const TYPES_21 = new Set([
  'DOM', 'INTL', 'POSTAL', 'PARCEL', 'HOME', 'WORK', 'PREF', 'VOICE', 'FAX', 'MSG', 'CELL', 'PAGER',
  'BBS', 'MODEM', 'CAR', 'ISDN', 'VIDEO', 'INTERNET', 'AOL', 'APPLELINK', 'ATTMAIL', 'CIS',
  'EWORLD', 'IBMMAIL', 'MCIMAIL', 'POWERSHARE', 'PRODIGY', 'TLX', 'X400',
  'GIF', 'CGM', 'WMF', 'BMP', 'MET', 'PMB', 'DIB', 'PICT', 'TIFF', 'PDF', 'PS', 'JPEG', 'MPEG', 'MPEG2', 'AVI', 'QTIME',
]);
const MEDIA_PROPS = new Set(['PHOTO', 'LOGO']);
const EXTRA_NAME = /^(?:[A-Za-z0-9_-]+\.)?[A-Za-z0-9_-]+$/;
const SAFE_PARAM_21 = /^[A-Za-z0-9_-]+$/;

function paramValue(v: string, version: VCardVersion): string {
  const clean = v.replace(/["\r\n]/g, '');
  if (version !== '2.1' && /[;:,]/.test(clean)) return `"${clean}"`;
  return clean;
}

function typeParams(type: string, version: VCardVersion, extra: string[] = []): string[] {
  const labels = canonicalType(type).split(',').filter((t) => t !== '');
  const pref = labels.includes('pref');
  const rest = labels.filter((t) => t !== 'pref');
  switch (version) {
    case '2.1': {
      const all = [...extra, ...rest].map((t) => t.toUpperCase());
      if (pref) all.push('PREF');
      return all.map((t) => (TYPES_21.has(t) || (t.startsWith('X-') && SAFE_PARAM_21.test(t)) ? t : `TYPE=${paramValue(t, version)}`));
    }
    case '3.0': {
      const all = [...extra, ...labels].map((t) => paramValue(t.toUpperCase(), version));
      return all.length ? [`TYPE=${all.join(',')}`] : [];
    }
    case '4.0': {
      const out = rest.length ? [`TYPE=${rest.map((t) => paramValue(t, version)).join(',')}`] : [];
      if (pref) out.push('PREF=1');
      return out;
    }
  }
}

/** The N components as a person reads them, for a formatted name. */
export function formattedName(c: Contact): string {
  return derivedName(c) || c.tel[0]?.value || c.email[0]?.value || '';
}

/** The structured name a person would give for a formatted name: `Family, Given` as
 *  written; else the last word is the family name and the words before it the given names
 *  ("Anna Maria Berg" → Berg; Anna Maria); one word is a given name ("Mum"). */
export function nameFromFormatted(fn: string): string[] {
  const s = fn.replace(/\s+/g, ' ').trim();
  if (s === '') return [];
  const comma = /^([^,]+),\s*([^,]+)$/.exec(s);
  if (comma) return [comma[1]!.trim(), comma[2]!.trim()];
  const words = s.split(' ');
  if (words.length === 1) return ['', s];
  return [words.at(-1)!, words.slice(0, -1).join(' ')];
}

/** Labels of a TEL that is not a voice line; every other 2.1 TEL says VOICE, as the phones
 *  that speak 2.1 write it themselves (`TEL;CELL;VOICE`). */
const NOT_VOICE = new Set(['fax', 'pager', 'modem', 'bbs', 'video', 'msg', 'text', 'textphone']);

/** A tel: URI is written only for what is a valid one (RFC 3966 global or local number);
 *  anything the user typed differently stays text, which 4.0 also allows. */
const TEL_URI = /^\+?[0-9*#().-]{1,40}(;ext=[0-9*#().-]{1,20})?$/;

function structured(value: string, version: VCardVersion, min: number): string {
  const parts = splitUnescaped(value, ';').map((p) => componentFor(p, version));
  while (parts.length < min) parts.push('');
  return parts.join(';');
}

/** URLs are not text values: written as they are unless they hold a backslash or a line
 *  break, which the lenient reader would otherwise take for an escape. */
function urlValue(v: string, version: VCardVersion): string {
  return /[\\\r\n]/.test(v) ? escapeText(v, version) : v;
}

function dataUri(value: string): { mime: string; data: string } | undefined {
  const m = /^data:([^,;]*)(?:;[^,;]*)*;base64,/i.exec(value.slice(0, 200));
  return m ? { mime: m[1] ?? '', data: value.slice(m[0].length) } : undefined;
}

/** An unmodelled property written back. For its own version that is the identity (the
 *  parser stored the parameters normalized to that version); for another version the
 *  encoding parameters and the photo form follow the target (3.0 `ENCODING=b;TYPE=JPEG` ↔
 *  4.0 `data:image/jpeg;base64,`, 2.1 `ENCODING=BASE64`, bare 2.1 types), since a device
 *  gets cards written for its own version. The value itself is never re-escaped. */
function extraProp(x: ExtraProperty, version: VCardVersion): Prop {
  const dot = x.name.lastIndexOf('.');
  const base = x.name.slice(dot + 1).toUpperCase();
  let params = parseParams(x.params);
  let value = x.value;
  let b64 = encodingOf(params) === 'B' || encodingOf(params) === 'BASE64';
  const data = dataUri(value);
  if (version !== '4.0' && MEDIA_PROPS.has(base) && data && !b64) {
    params = params.filter((p) => p.name !== 'VALUE' && p.name !== 'TYPE' && p.name !== 'MEDIATYPE');
    params.push({ name: 'ENCODING', raw: 'b', value: 'b', bare: false });
    const sub = data.mime.split('/')[1]?.toUpperCase();
    if (sub) params.push({ name: 'TYPE', raw: sub, value: sub, bare: false });
    value = data.data;
    b64 = true;
  } else if (version === '4.0' && MEDIA_PROPS.has(base) && b64) {
    const sub = (paramValues(params, 'TYPE')[0] ?? 'jpeg').toLowerCase();
    params = params.filter((p) => p.name !== 'ENCODING' && p.name !== 'TYPE' && p.name !== 'CHARSET');
    value = `data:${sub.includes('/') ? sub : `image/${sub}`};base64,${value}`;
    b64 = false;
  }
  const out: string[] = [];
  for (const p of params) {
    const u = p.value.toUpperCase();
    if (p.name === 'ENCODING') {
      // QP is chosen by the 2.1 writer itself; the parser removed the received one.
      if (u === 'B' || u === 'BASE64') out.push(`ENCODING=${version === '2.1' ? 'BASE64' : 'b'}`);
      else if (u !== 'QUOTED-PRINTABLE' && u !== '7BIT' && u !== '8BIT') out.push(`ENCODING=${p.raw}`);
    } else if (p.name === 'CHARSET' && !b64) {
      // Values are Unicode here; the writer says UTF-8 where it needs to.
    } else if (p.name === 'TYPE' && version === '2.1') {
      const vals = p.bare ? [p.value] : p.value.split(',');
      for (const v of vals) if (v) out.push(SAFE_PARAM_21.test(v) ? v : `TYPE=${v}`);
    } else if (p.name === 'VALUE' && (u === 'URL' || u === 'URI')) {
      out.push(`VALUE=${version === '2.1' ? 'URL' : 'uri'}`);
    } else {
      out.push(p.bare && version === '2.1' ? p.raw : `${p.name}=${p.raw}`);
    }
  }
  // 3.0/4.0 have no raw line breaks; a value from a 2.1 card (QP-decoded) may hold some.
  if (version !== '2.1' && !b64) value = value.replace(/\r\n|\r|\n/g, '\\n');
  return { name: x.name, params: out, value, b64 };
}

function fold(line: string): string[] {
  if (utf8Length(line) <= 75) return [line];
  const out: string[] = [];
  let cur = '';
  let len = 0;
  for (const ch of line) {
    const n = utf8Length(ch);
    // First line 75 octets; continuation lines 75 including their leading space.
    if (len + n > 75) {
      out.push(cur);
      cur = ' ';
      len = 1;
    }
    cur += ch;
    len += n;
  }
  out.push(cur);
  return out;
}

function qpLines(head: string, value: string): string[] {
  const tokens = qpTokens(utf8Bytes(value.replace(/\r\n|\r|\n/g, '\r\n')));
  const out: string[] = [];
  let line = `${head}:`;
  for (let i = 0; i < tokens.length; i++) {
    let t = tokens[i] ?? '';
    // White space at the end of an encoded line is lost in transport: encode it there.
    if (t === ' ' && i === tokens.length - 1) t = '=20';
    if (line.length + t.length > 75 && line.length > 0) {
      let carry = '';
      if (line.endsWith(' ')) {
        line = line.slice(0, -1);
        carry = '=20';
      }
      out.push(`${line}=`);
      line = carry;
    }
    line += t;
  }
  out.push(line);
  return out;
}

function serialize(p: Prop, version: VCardVersion): string[] {
  const head = [p.name, ...p.params].join(';');
  if (p.b64) {
    if (version !== '2.1') return fold(`${head}:${p.value}`);
    // 2.1 BASE64: indented lines, then a blank line ends the value (spec 2.1, 2.1.3).
    const out = [`${head}:`];
    for (let i = 0; i < p.value.length; i += 72) out.push(` ${p.value.slice(i, i + 72)}`);
    out.push('');
    return out;
  }
  if (version !== '2.1') return fold(`${head}:${p.value}`);
  const plain = /^[\x20-\x7e]*$/.test(p.value);
  if (plain && head.length + 1 + p.value.length <= 75) return [`${head}:${p.value}`];
  const charset = /[\u0080-\uffff]/.test(p.value) ? ';CHARSET=UTF-8' : '';
  return qpLines(`${head}${charset};ENCODING=QUOTED-PRINTABLE`, p.value);
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}

export function writeVCard(c: Contact, version: VCardVersion, opts: WriteOptions = {}): string {
  if (!VERSIONS.includes(version)) throw new VCardError(`unsupported vCard version ${JSON.stringify(version)}`);
  const props: Prop[] = [{ name: 'VERSION', params: [], value: version }];
  const text = (s: string) => escapeText(s, version);
  if (opts.prodid !== undefined) props.push({ name: 'PRODID', params: [], value: oneLine(opts.prodid) });

  // N: required in 2.1 and 3.0, optional in 4.0.
  const hasN = c.n.some((p) => p !== '');
  const derivedN = !hasN && opts.nameFromFn ? nameFromFormatted(c.fn) : [];
  if (version !== '4.0' || hasN || derivedN.length > 0) {
    const n = hasN ? [...c.n] : derivedN;
    while (n.length < 5) n.push('');
    props.push({ name: 'N', params: [], value: n.map((p) => escapeText(p, version, true)).join(';') });
  }
  // FN: required in 3.0 and 4.0, so derived when empty. 2.1 does not require it and an
  // invented FN would read back as an edit the device never made, so 2.1 derives one only
  // for a card that would otherwise have no name at all.
  if (version !== '2.1' || c.fn !== '' || !c.n.some((p) => p !== '')) {
    props.push({ name: 'FN', params: [], value: text(formattedName(c)) });
  }
  for (const t of c.tel) {
    const value = t.value.trim();
    if (version === '4.0' && TEL_URI.test(value)) {
      props.push({ name: 'TEL', params: ['VALUE=uri', ...typeParams(t.type, version)], value: `tel:${value}` });
    } else {
      const params = typeParams(t.type, version);
      if (version === '2.1' && !canonicalType(t.type).split(',').some((l) => NOT_VOICE.has(l))) {
        const pref = params.indexOf('PREF');
        params.splice(pref < 0 ? params.length : pref, 0, 'VOICE');
      }
      props.push({ name: 'TEL', params, value: text(t.value) });
    }
  }
  for (const e of c.email) {
    // Old phones expect INTERNET; canonicalType drops it again on reading.
    props.push({ name: 'EMAIL', params: typeParams(e.type, version, version === '2.1' ? ['internet'] : []), value: text(e.value) });
  }
  for (const a of c.adr) props.push({ name: 'ADR', params: typeParams(a.type, version), value: structured(a.value, version, 7) });
  for (const u of c.url) props.push({ name: 'URL', params: typeParams(u.type, version), value: urlValue(u.value, version) });
  if (c.org !== '') props.push({ name: 'ORG', params: [], value: structured(c.org, version, 0) });
  if (c.title !== '') props.push({ name: 'TITLE', params: [], value: text(c.title) });
  if (c.bday !== '') props.push({ name: 'BDAY', params: [], value: text(c.bday) });
  if (c.note !== '') props.push({ name: 'NOTE', params: [], value: text(c.note) });
  for (const x of c.extra) {
    const u = x.name.toUpperCase();
    // Those the writer emits itself; an extra of that name would make the card invalid.
    // A name that is not a vCard name cannot be written without breaking the card.
    if (u === 'VERSION' || u === 'BEGIN' || u === 'END' || u === 'UID' || !EXTRA_NAME.test(x.name)) continue;
    props.push(extraProp(x, version));
  }
  if (opts.rev !== undefined) props.push({ name: 'REV', params: [], value: oneLine(opts.rev) });
  if (opts.uid !== undefined) props.push({ name: 'UID', params: [], value: oneLine(opts.uid) });

  const eol = opts.lineEnding ?? '\r\n';
  const lines = ['BEGIN:VCARD'];
  for (const p of props) lines.push(...serialize(p, version));
  lines.push('END:VCARD');
  return lines.join(eol) + eol;
}
