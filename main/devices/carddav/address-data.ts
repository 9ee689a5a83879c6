// What a REPORT's CARDDAV:address-data asks for (RFC 6352 §10.4): the card in a media type
// and vCard version the server supports (§10.4: content-type "text/vcard", version "3.0" or
// "4.0"), all of it or only the properties named by CARDDAV:prop (§10.4.2), each with or
// without its value (`novalue="yes"`).
import { parseVCard, writeVCard } from '../../core/vcard';
import { CARDDAV, children, type XNode } from './xml';

export interface AddressDataRequest {
  /** Convert to this version; absent: the card as stored. */
  version?: '3.0' | '4.0';
  /** Upper-case property names to return with their values; absent: all (CARDDAV:allprop
   *  or no CARDDAV:prop). */
  props?: Set<string>;
  /** Upper-case names to return without their values. */
  novalue: Set<string>;
}

/** The request, or a reason it cannot be met (the supported-address-data precondition). */
export function addressDataRequest(node: XNode): AddressDataRequest | { unsupported: string } {
  const type = node.attrs['content-type'];
  // Media type parameters (charset) are allowed; the type itself must be vCard's.
  if (type !== undefined && !/^\s*text\/vcard\s*(;.*)?$/i.test(type)) return { unsupported: `address data as ${type} is not supported (text/vcard is)` };
  const v = node.attrs.version?.trim();
  if (v !== undefined && v !== '3.0' && v !== '4.0') return { unsupported: `vCard version ${v} is not supported (3.0 and 4.0 are)` };
  const out: AddressDataRequest = { novalue: new Set() };
  if (v) out.version = v;
  const named = children(node, CARDDAV, 'prop');
  if (named.length && !children(node, CARDDAV, 'allprop').length) {
    out.props = new Set();
    for (const p of named) {
      const name = (p.attrs.name ?? '').trim().toUpperCase();
      if (!name) continue;
      if (p.attrs.novalue === 'yes') out.novalue.add(name);
      else out.props.add(name);
    }
  }
  return out;
}

/** The properties a partial card always has: the frame and the card's identity (§10.4.2). */
const ALWAYS = new Set(['BEGIN', 'END', 'VERSION', 'UID']);

/** Index of the colon that ends a content line's name and parameters (not one quoted in a
 *  parameter value), or -1. */
function valueColon(line: string): number {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === ':' && !quoted) return i;
  }
  return -1;
}

/** The card as the request asks for it. A card that cannot be converted is served as stored
 *  (it was accepted once; the client can still read it). */
export function shapeAddressData(body: string, req: AddressDataRequest): string {
  let card = body;
  if (req.version) {
    const stored = /^VERSION:\s*([0-9.]+)\s*$/im.exec(body)?.[1];
    if (stored !== req.version) {
      try {
        const parsed = parseVCard(body);
        card = writeVCard(parsed.contact, req.version, { uid: parsed.uid, prodid: parsed.prodid, rev: parsed.rev, lineEnding: '\r\n' });
      } catch {
        card = body;
      }
    }
  }
  if (!req.props) return card;
  const keep = req.props;
  // Content lines with their folded continuations.
  const lines: { raw: string; text: string; eol: string }[] = [];
  for (const physical of card.split(/(?<=\n)/)) {
    const eol = /\r?\n$/.exec(physical)?.[0] ?? '';
    if (/^[ \t]/.test(physical) && lines.length) {
      const last = lines[lines.length - 1]!;
      last.raw += physical;
      last.text += physical.slice(1, physical.length - eol.length);
      last.eol = eol;
    } else lines.push({ raw: physical, text: physical.slice(0, physical.length - eol.length), eol });
  }
  const out: string[] = [];
  for (const l of lines) {
    const name = (/^(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)/.exec(l.text)?.[1] ?? '').toUpperCase();
    if (ALWAYS.has(name) || keep.has(name)) out.push(l.raw);
    else if (req.novalue.has(name)) {
      // The property with its parameters and an empty value.
      const colon = valueColon(l.text);
      out.push(colon < 0 ? l.raw : `${l.text.slice(0, colon + 1)}${l.eol || '\r\n'}`);
    }
  }
  return out.join('');
}
