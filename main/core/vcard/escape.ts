// Backslash escaping of vCard values, and the structured values (N, ADR, ORG).
//
// Reading is lenient and the same for every version: `\\ \, \; \: \n \N` are understood
// (Apple escapes `:` in URLs, some 2.1 writers use `\n`), any other backslash is kept as
// it is. Writing follows each version: 3.0 escapes `\ , ; newline`; 4.0 escapes `;` only
// inside structured values (RFC 6350 text allows a bare `;`); 2.1 knows no `\,` or `\n`
// (commas are literal there, line breaks travel in QUOTED-PRINTABLE) and escapes `;` only
// inside structured values, so old phones do not show stray backslashes in a note.
import type { VCardVersion } from './types';

export function unescapeText(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      const d = s[i + 1];
      if (d === 'n' || d === 'N') {
        out += '\n';
        i++;
        continue;
      }
      if (d === '\\' || d === ',' || d === ';' || d === ':') {
        out += d;
        i++;
        continue;
      }
    }
    out += c;
  }
  return out;
}

/** Splits on a separator that is not escaped; the parts keep their escapes. */
export function splitUnescaped(s: string, sep: ';' | ','): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === sep) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

/** Escapes one text value for a version. `component`: part of N/ADR/ORG, where `;`
 *  separates the parts and must be escaped in every version. */
export function escapeText(s: string, version: VCardVersion, component = false): string {
  let out = '';
  for (const c of s.replace(/\r\n?/g, '\n')) {
    switch (c) {
      case '\\':
        out += '\\\\';
        break;
      case ';':
        out += version === '3.0' || component ? '\\;' : ';';
        break;
      case ',':
        out += version === '2.1' ? ',' : '\\,';
        break;
      case '\n':
        // 2.1 carries the real line break inside QUOTED-PRINTABLE (the writer encodes it).
        out += version === '2.1' ? '\n' : '\\n';
        break;
      default:
        out += c;
    }
  }
  return out;
}

/** The canonical text of one component of ADR/ORG in the contact model: 3.0/4.0 escaping
 *  (`\\ \; \, \n`), whatever version the card came in, so the same address read from a
 *  2.1 phone and from a CardDAV server is the same value. In 3.0/4.0 an unescaped comma
 *  separates list values inside a component and stays a bare comma; in 2.1 every comma is
 *  literal text. */
export function canonicalComponent(raw: string, version: VCardVersion): string {
  if (version === '2.1') return escapeText(unescapeText(raw), '3.0', true);
  return splitUnescaped(raw, ',')
    .map((v) => escapeText(unescapeText(v), '3.0', true))
    .join(',');
}

/** Model component (canonical escaping) → the text to write for a version. */
export function componentFor(canonical: string, version: VCardVersion): string {
  if (version === '2.1') return escapeText(unescapeText(canonical), '2.1', true);
  return splitUnescaped(canonical, ',')
    .map((v) => escapeText(unescapeText(v), version, true))
    .join(',');
}
