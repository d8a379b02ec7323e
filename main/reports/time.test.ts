import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoWithOffset, parseTime, TimeSyntaxError } from './time';

const ZONES = ['UTC', 'Europe/Paris', 'America/St_Johns', 'Asia/Kathmandu', 'Pacific/Chatham', 'America/Los_Angeles'];
/** 1970 to 2100: the station's clock, with room. */
const instant = fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) });

describe('isoWithOffset', () => {
  it("writes the zone's offset at that instant, summer time included", () => {
    const winter = Date.UTC(2026, 10, 30, 9, 15, 3, 120);
    const summer = Date.UTC(2027, 5, 15, 6, 0, 0, 5);
    expect(isoWithOffset(winter, 'Europe/Paris')).toBe('2026-11-30T10:15:03.120+01:00');
    expect(isoWithOffset(summer, 'Europe/Paris')).toBe('2027-06-15T08:00:00.005+02:00');
    expect(isoWithOffset(winter, 'UTC')).toBe('2026-11-30T09:15:03.120+00:00');
    expect(isoWithOffset(winter, 'America/St_Johns')).toBe('2026-11-30T05:45:03.120-03:30');
    expect(isoWithOffset(winter, 'Asia/Kathmandu')).toBe('2026-11-30T15:00:03.120+05:45');
    expect(isoWithOffset(winter, 'America/Los_Angeles')).toBe('2026-11-30T01:15:03.120-08:00');
  });

  it('names the exact instant in any zone, and in the local one (property)', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom(...ZONES, undefined), (ms, zone) => {
        const text = isoWithOffset(ms, zone);
        expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
        expect(Date.parse(text)).toBe(ms);
      }),
    );
  });
});

describe('parseTime', () => {
  const now = Date.UTC(2026, 10, 30, 12, 0, 0, 0);

  it('reads ISO 8601 with an offset, in UTC, or in the local zone', () => {
    expect(parseTime('2026-11-30T08:00:00+01:00', now)).toBe(Date.UTC(2026, 10, 30, 7));
    expect(parseTime('2026-11-30T08:00+0100', now)).toBe(Date.UTC(2026, 10, 30, 7));
    expect(parseTime('2026-11-30T08:00-03:30', now)).toBe(Date.UTC(2026, 10, 30, 11, 30));
    expect(parseTime('2026-11-30t07:00z', now)).toBe(Date.UTC(2026, 10, 30, 7));
    expect(parseTime('2026-11-30T07:00:05.25Z', now)).toBe(Date.UTC(2026, 10, 30, 7, 0, 5, 250));
    expect(parseTime('2026-11-30 07:00:05,5+00', now)).toBe(Date.UTC(2026, 10, 30, 7, 0, 5, 500));
    expect(parseTime('2026-11-30', now)).toBe(new Date(2026, 10, 30).getTime());
    expect(parseTime(' 2026-11-30T08:30 ', now)).toBe(new Date(2026, 10, 30, 8, 30).getTime());
    expect(parseTime('2024-02-29', now)).toBe(new Date(2024, 1, 29).getTime());
  });

  it('reads a time back from now, today and yesterday', () => {
    expect(parseTime('24h', now)).toBe(now - 86_400_000);
    expect(parseTime('90s', now)).toBe(now - 90_000);
    expect(parseTime('30m', now)).toBe(now - 1_800_000);
    expect(parseTime('7d', now)).toBe(now - 7 * 86_400_000);
    expect(parseTime('2W', now)).toBe(now - 14 * 86_400_000);
    const local = new Date(now);
    expect(parseTime('today', now)).toBe(new Date(local.getFullYear(), local.getMonth(), local.getDate()).getTime());
    expect(parseTime('Yesterday', now)).toBe(
      new Date(local.getFullYear(), local.getMonth(), local.getDate() - 1).getTime(),
    );
  });

  it('refuses anything else, impossible dates included, with the forms it takes', () => {
    for (const text of [
      '',
      'tomorrow',
      '24',
      'h',
      '-24h',
      '1.5h',
      '2026-13-01',
      '2026-02-29',
      '2026-04-31',
      '2026-11-30T24:00',
      '2026-11-30T23:60',
      '2026-11-30T23:59:60',
      '2026-11-30T08:00+25:00',
      '30/11/2026',
      '1764489600000',
    ]) {
      expect(() => parseTime(text, now), text).toThrow(TimeSyntaxError);
    }
    expect(() => parseTime('next week', now)).toThrow(
      /"next week" is not a time: give an ISO 8601 date or date-time \(2026-11-30, .*24h, 7d, 2w\)/,
    );
  });

  it('reads back what isoWithOffset writes (property)', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom(...ZONES, undefined), (ms, zone) => {
        expect(parseTime(isoWithOffset(ms, zone), now)).toBe(ms);
      }),
    );
  });
});
