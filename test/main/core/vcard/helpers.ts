import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { contactSignature, equalContacts, normalizeContact, type Contact } from '../../../../main/core/contact';

export const FIXTURES = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../fixtures/vcard');

export function fixtureNames(): string[] {
  return fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.vcf')).sort();
}

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.join(FIXTURES, name)));
}

export function norm(c: Contact): Contact {
  return normalizeContact(c, 'GB');
}

/** Equal as the hub compares contacts; on failure the two signatures are shown. */
export function expectSameContact(actual: Contact, expected: Contact): void {
  const a = norm(actual);
  const e = norm(expected);
  if (!equalContacts(a, e)) expect(contactSignature(a)).toBe(contactSignature(e));
}

/** Every physical line of a written card, without the line ending. */
export function physicalLines(card: string): string[] {
  return card.split(/\r?\n/).slice(0, -1);
}

export function octets(s: string): number {
  return new TextEncoder().encode(s).length;
}
