// Broken and hostile input: parseVCards reports, never throws, and its work stays bounded.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_CARD_SIZE, MAX_LINE_SIZE, parseVCard, parseVCards, VCardError } from '../../../../main/core/vcard';

const ok = 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Good\r\nEND:VCARD\r\n';

function timed<T>(f: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = f();
  return { value, ms: performance.now() - t0 };
}

/** Deterministic pseudo-random bytes (xorshift), so a failure can be replayed. */
function junk(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('malformed input', () => {
  it('an unterminated card is an error; the cards before it are kept', () => {
    const r = parseVCards(`${ok}BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cut off`);
    expect(r.cards.map((c) => c.contact.fn)).toEqual(['Good']);
    expect(r.errors).toEqual([{ index: 1, line: 5, message: 'the card begun at line 5 has no END:VCARD' }]);
    expect(() => parseVCard('BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\n')).toThrow(VCardError);
    try {
      parseVCard('BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\n');
    } catch (e) {
      expect((e as VCardError).line).toBe(1);
    }
  });

  it('a BEGIN inside a card reports the card missing its END, and reads the next one', () => {
    const r = parseVCards(`BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Lost\r\n${ok}`);
    expect(r.errors).toEqual([{ index: 0, line: 1, message: expect.stringMatching(/no END:VCARD before the BEGIN:VCARD at line 4/) }]);
    expect(r.cards.map((c) => c.contact.fn)).toEqual(['Good']);
  });

  it('a stray END is reported outside any card', () => {
    const r = parseVCards(`${ok}END:VCARD\r\n${ok}`);
    expect(r.cards).toHaveLength(2);
    expect(r.errors).toEqual([{ index: -1, line: 5, message: 'END:VCARD at line 5 without BEGIN:VCARD' }]);
  });

  it('bad quoted-printable keeps the text and warns', () => {
    const c = parseVCard('BEGIN:VCARD\r\nVERSION:2.1\r\nNOTE;ENCODING=QUOTED-PRINTABLE:50=% off =ZZ=C3=A9\r\nEND:VCARD\r\n');
    expect(c.contact.note).toBe('50=% off =ZZé');
    expect(c.warnings.join()).toMatch(/bad QUOTED-PRINTABLE/);
  });

  it('garbage bytes: no card, an error, no exception', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = parseVCards(junk(20_000, seed));
      expect(r.cards).toEqual([]);
      expect(r.errors.length).toBeGreaterThan(0);
    }
  });

  it('garbage inside a card gives warnings, not an exception', () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('BEGIN:VCARD\r\nVERSION:2.1\r\nFN:x\r\n'),
      ...junk(5000, 7).map((b) => (b === 0x0a ? 0x20 : b)),
      ...new TextEncoder().encode('\r\nNOTE;CHARSET=UTF-8:\xff\r\nEND:VCARD\r\n'),
    ]);
    const r = parseVCards(bytes);
    expect(r.errors).toEqual([]);
    expect(r.cards).toHaveLength(1);
    expect(r.cards[0]?.warnings.length).toBeGreaterThan(0);
  });

  it('a 1 MB line is refused quickly with a clear error', () => {
    const line = `NOTE:${'x'.repeat(1024 * 1024)}`;
    const { value: r, ms } = timed(() => parseVCards(`BEGIN:VCARD\r\nVERSION:3.0\r\n${line}\r\nEND:VCARD\r\n${ok}`));
    expect(r.errors).toEqual([{ index: 0, line: 3, message: `line 3 is longer than ${MAX_LINE_SIZE} characters` }]);
    expect(r.cards.map((c) => c.contact.fn)).toEqual(['Good']);
    expect(ms).toBeLessThan(2000);
  });

  it('a card over 10 MB is refused', () => {
    const body = `NOTE:${'y'.repeat(70)}\r\n`.repeat(Math.ceil(MAX_CARD_SIZE / 77) + 10);
    const { value: r, ms } = timed(() => parseVCards(`BEGIN:VCARD\r\nVERSION:3.0\r\n${body}END:VCARD\r\n`));
    expect(r.cards).toEqual([]);
    expect(r.errors[0]?.message).toMatch(/larger than 10485760/);
    expect(ms).toBeLessThan(5000);
  });

  it('one folded property over 10 MB is refused', () => {
    const body = `NOTE:a\r\n${' bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n'.repeat(Math.ceil(MAX_CARD_SIZE / 60))}`;
    const r = parseVCards(`BEGIN:VCARD\r\nVERSION:3.0\r\n${body}END:VCARD\r\n`);
    expect(r.errors[0]?.message).toMatch(/longer than 10485760/);
  });

  it('hostile shapes stay linear', () => {
    // Each shape with what it must give: one card read whole, or no card and the reason.
    const one = { cards: 1, error: null };
    const cases: [input: string, outcome: { cards: number; error: RegExp | null }][] = [
      [`BEGIN:VCARD\r\nX-A${';'.repeat(400_000)}:v\r\nEND:VCARD\r\n`, one],
      [`BEGIN:VCARD\r\nX-A;${'"'.repeat(400_001)}\r\nEND:VCARD\r\n`, one],
      [`BEGIN:VCARD\r\nX-A;${'a='.repeat(200_000)}\r\nEND:VCARD\r\n`, one],
      [`BEGIN:VCARD\r\nVERSION:2.1\r\nNOTE;ENCODING=QUOTED-PRINTABLE:=\r\n${'=\r\n'.repeat(200_000)}END:VCARD\r\n`, one],
      [`BEGIN:VCARD\r\nVERSION:2.1\r\nPHOTO;ENCODING=BASE64:\r\n${'QUFB\r\n'.repeat(200_000)}\r\nEND:VCARD\r\n`, one],
      ['BEGIN:VCARD\r\n'.repeat(100_000), { cards: 0, error: /no END:VCARD before the BEGIN:VCARD at line 2/ }],
      [`BEGIN:VCARD\r\nAGENT:\r\n${'BEGIN:VCARD\r\n'.repeat(100_000)}`, { cards: 0, error: /has no END:VCARD/ }],
      [`${'\\'.repeat(400_000)}\r\n`, { cards: 0, error: /no BEGIN:VCARD found/ }],
      [`BEGIN:VCARD\r\nVERSION:3.0\r\n${'ADR:'.concat('\\;'.repeat(200_000))}\r\nEND:VCARD\r\n`, one],
      [`BEGIN:VCARD\r\nVERSION:3.0\r\n${'item1.X-Y:z\r\n'.repeat(100_000)}END:VCARD\r\n`, one],
    ];
    for (const [input, outcome] of cases) {
      const { value: r, ms } = timed(() => parseVCards(input));
      expect(r.cards).toHaveLength(outcome.cards);
      if (outcome.error) expect(r.errors[0]?.message).toMatch(outcome.error);
      else expect(r.errors).toEqual([]);
      expect(ms).toBeLessThan(3000);
    }
  });

  it('fuzz: vCard-shaped noise never makes parseVCards throw', () => {
    const token = fc.constantFrom(
      'BEGIN:VCARD', 'END:VCARD', 'VERSION:2.1', 'VERSION:3.0', 'VERSION:4.0', 'VERSION:9', '\r\n', '\n', '\r', ' ', '\t',
      ';', ':', '=', '"', ',', '\\', 'TEL', 'N', 'FN', 'ADR', 'item1.', 'ENCODING=QUOTED-PRINTABLE', 'ENCODING=b', 'BASE64',
      'CHARSET=', 'UTF-8', 'SHIFT_JIS', 'X-NO-SUCH', '=C3', '=BC', '=0D=0A', 'é', '😀', 'TYPE=', 'AGENT:', 'PHOTO', 'data:',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 200 }), fc.boolean(), (tokens, asBytes) => {
        const s = tokens.join('');
        const r = parseVCards(asBytes ? new TextEncoder().encode(s) : s);
        expect(Array.isArray(r.cards) && Array.isArray(r.errors)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const r = parseVCards(new Uint8Array([...new TextEncoder().encode('BEGIN:VCARD\r\n'), ...bytes, ...new TextEncoder().encode('\r\nEND:VCARD\r\n')]));
        expect(r.cards.length + r.errors.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });
});
