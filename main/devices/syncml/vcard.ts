// The contact ↔ vCard bridge of the SyncML adapter. The project's vCard codec is being
// written in main/core/vcard; until it lands this file carries a small vCard 3.0 reader and
// writer covering the modelled fields, so the protocol can be built and tested meanwhile.
// Swap the two functions' bodies for parseVCard / writeVCard when main/core/vcard exists.
import { contactOf, type Contact, type TypedValue } from '../../core/contact';

export class ContactCodecError extends Error {}

function unfold(text: string): string[] {
  return text.replace(/\r\n?/g, '\n').replace(/\n[ \t]/g, '').split('\n');
}

function unescape(v: string): string {
  return v.replace(/\\([\\,;nN])/g, (_m, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

function splitUnescaped(v: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i] as string;
    if (c === '\\' && i + 1 < v.length) {
      cur += c + (v[i + 1] as string);
      i++;
    } else if (c === sep) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function typesOf(params: string[]): string {
  const types: string[] = [];
  for (const p of params) {
    const [k, v] = p.includes('=') ? [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] : ['TYPE', p];
    if (k.toUpperCase() === 'TYPE') types.push(...v.split(',').map((t) => t.toLowerCase()));
  }
  return types.filter((t) => t !== 'pref' && t !== 'voice' && t !== 'internet').sort().join(',');
}

/** Reads one vCard (2.1/3.0 subset) into a contact. */
export function vcardToContact(text: string): Contact {
  const lines = unfold(text);
  if (!lines.some((l) => /^BEGIN:VCARD$/i.test(l.trim()))) throw new ContactCodecError('not a vCard');
  const c = contactOf({});
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const head = line.slice(0, colon);
    const value = line.slice(colon + 1);
    const [rawName = '', ...params] = head.split(';');
    const name = rawName.replace(/^item\d+\./i, '').toUpperCase();
    const tv = (): TypedValue => ({ type: typesOf(params), value: unescape(value) });
    switch (name) {
      case 'BEGIN':
      case 'END':
      case 'VERSION':
      case 'PRODID':
      case 'REV':
      case 'UID':
        break;
      case 'FN':
        c.fn = unescape(value);
        break;
      case 'N':
        c.n = splitUnescaped(value, ';').map(unescape);
        break;
      case 'TEL':
        c.tel.push(tv());
        break;
      case 'EMAIL':
        c.email.push(tv());
        break;
      case 'ADR':
        c.adr.push({ type: typesOf(params), value });
        break;
      case 'URL':
        c.url.push(tv());
        break;
      case 'ORG':
        c.org = splitUnescaped(value, ';').map(unescape).filter((x) => x).join(', ');
        break;
      case 'TITLE':
        c.title = unescape(value);
        break;
      case 'BDAY':
        c.bday = value;
        break;
      case 'NOTE':
        c.note = unescape(value);
        break;
      default:
        c.extra.push({ name: rawName, params: params.join(';'), value });
    }
  }
  while (c.n.length && c.n[c.n.length - 1] === '') c.n.pop();
  return c;
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/,/g, '\\,').replace(/;/g, '\\;');
}

function typeParam(t: string): string {
  return t ? `;TYPE=${t.toUpperCase()}` : '';
}

/** Writes a contact as vCard 3.0 (what SyncEvolution prefers, per its DevInf Rx-Pref). */
export function contactToVcard(c: Contact): string {
  const out = ['BEGIN:VCARD', 'VERSION:3.0'];
  out.push(`N:${(c.n.length ? c.n : ['']).map(esc).join(';')}`);
  out.push(`FN:${esc(c.fn)}`);
  for (const t of c.tel) out.push(`TEL${typeParam(t.type)}:${t.value}`);
  for (const e of c.email) out.push(`EMAIL${typeParam(e.type)}:${esc(e.value)}`);
  for (const a of c.adr) out.push(`ADR${typeParam(a.type)}:${a.value}`);
  for (const u of c.url) out.push(`URL${typeParam(u.type)}:${u.value}`);
  if (c.org) out.push(`ORG:${esc(c.org)}`);
  if (c.title) out.push(`TITLE:${esc(c.title)}`);
  if (c.bday) out.push(`BDAY:${c.bday}`);
  if (c.note) out.push(`NOTE:${esc(c.note)}`);
  for (const x of c.extra) out.push(`${x.name}${x.params ? `;${x.params}` : ''}:${x.value}`);
  out.push('END:VCARD');
  return out.join('\r\n') + '\r\n';
}
