// How stored values are shown: numbers (kept in E.164) written the way people of the hub's
// region write them, addresses and birthdays in words. Display only: what is stored and sent
// to devices is never this text.
import { getCountryCallingCode, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/** A number as people of `region` write it: national for the region's own numbers
 *  ("07700 900123" in GB), international for others ("+49 30 901820"). Text that is not an
 *  E.164 number (a SIM's "Voicemail") is shown as it is. */
export function formatPhone(value: string, region: string): string {
  if (!/^\+\d/.test(value)) return value;
  // The list formats every row it paints, again on each scroll: parse each number once.
  const key = `${region} ${value}`;
  const hit = formatted.get(key);
  if (hit !== undefined) return hit;
  const text = formatOnce(value, region);
  if (formatted.size >= 5000) formatted.clear();
  formatted.set(key, text);
  return text;
}
const formatted = new Map<string, string>();

function formatOnce(value: string, region: string): string {
  const [number = '', ext] = value.split(';ext=');
  const p = parsePhoneNumberFromString(number);
  if (!p) return value;
  let home: string | undefined;
  try {
    home = getCountryCallingCode(region.toUpperCase() as CountryCode);
  } catch {
    home = undefined;
  }
  const text = p.countryCallingCode === home ? p.formatNational() : p.formatInternational();
  return ext ? `${text} ext. ${ext}` : text;
}

/** The components of a vCard ADR value: post office box, extended, street, locality,
 *  region, postal code, country (a ';' inside a component is escaped as '\;'). */
export function addressParts(value: string): string[] {
  const parts = value.split(/(?<!\\);/).map((p) => p.replace(/\\;/g, ';'));
  while (parts.length < 7) parts.push('');
  return parts;
}

export function addressValue(parts: string[]): string {
  const out = parts.map((p) => p.replace(/;/g, '\\;'));
  return out.every((p) => p.trim() === '') ? '' : out.join(';');
}

/** An address on one line, its empty parts left out. */
export function addressLine(value: string): string {
  return addressParts(value)
    .map((p) => p.trim())
    .filter(Boolean)
    .join(', ');
}

/** "23 April 1985", or "23 April" for a birthday stored without its year (--04-23). */
export function formatBirthday(bday: string): string {
  const m = /^(?:(\d{4})-?|--)(\d{2})-?(\d{2})$/.exec(bday.trim());
  if (!m) return bday;
  const d = new Date(Date.UTC(m[1] ? Number(m[1]) : 2000, Number(m[2]) - 1, Number(m[3])));
  if (Number.isNaN(d.getTime())) return bday;
  return d.toLocaleDateString(undefined, { day: 'numeric', month: 'long', ...(m[1] ? { year: 'numeric' } : {}), timeZone: 'UTC' });
}
