/**
 * Times in reports: ISO 8601 with the station's UTC offset (`2026-11-30T10:15:03.120+01:00`), and the times a
 * person types on the command line (`--since 2026-11-30`, `--since 24h`).
 */

const MINUTE_MS = 60_000;

/** A time zone's offset from UTC at an instant, in whole minutes (east positive). */
function offsetMinutes(ms: number, timeZone: string | undefined): number {
  if (timeZone === undefined) return -new Date(ms).getTimezoneOffset();
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(new Date(ms))
    .find((part) => part.type === 'timeZoneName')?.value;
  // `GMT`, `GMT+01:00`, `GMT-03:30`; historical offsets may carry seconds (`GMT+00:09:21`), dropped here.
  const match = /^GMT(?:([+-])(\d\d):(\d\d))?/.exec(name ?? '');
  if (match === null) throw new RangeError(`no UTC offset for the time zone ${timeZone}`);
  const [, sign, hours = '0', minutes = '0'] = match;
  const value = Number(hours) * 60 + Number(minutes);
  return sign === '-' ? -value : value;
}

/** Checks a time zone name (IANA, e.g. `Europe/Paris`) before it is used; throws a RangeError naming it. */
export function checkTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new RangeError(`unknown time zone "${timeZone}" (use an IANA name such as Europe/Paris)`);
  }
}

const pad = (value: number, size = 2): string => String(value).padStart(size, '0');

/**
 * The instant in ISO 8601 with milliseconds and the UTC offset of `timeZone` at that instant (default: the
 * station's own zone, from the system or the TZ environment variable). The text always names the exact instant:
 * the wall time shown is the instant shifted by the offset shown.
 */
export function isoWithOffset(ms: number, timeZone?: string): string {
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${ms}`);
  const offset = offsetMinutes(ms, timeZone);
  const wall = new Date(ms + offset * MINUTE_MS);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${pad(wall.getUTCFullYear(), 4)}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}` +
    `T${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}` +
    `.${pad(wall.getUTCMilliseconds(), 3)}${sign}${pad(Math.trunc(abs / 60))}:${pad(abs % 60)}`
  );
}

/** A time that could not be read: the message says what was given and what is accepted. */
export class TimeSyntaxError extends Error {
  constructor(text: string) {
    super(
      `"${text}" is not a time: give an ISO 8601 date or date-time (2026-11-30, 2026-11-30T08:00, ` +
        '2026-11-30T08:00:00+01:00, 2026-11-30T07:00Z), "today", "yesterday", or a time back from now ' +
        '(90s, 30m, 24h, 7d, 2w)',
    );
    this.name = 'TimeSyntaxError';
  }
}

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: MINUTE_MS,
  h: 60 * MINUTE_MS,
  d: 24 * 60 * MINUTE_MS,
  w: 7 * 24 * 60 * MINUTE_MS,
};

const RELATIVE = /^(\d{1,9})\s*([smhdw])$/i;
const ISO = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d{1,9}))?)?(Z|[+-]\d\d(?::?\d\d)?)?)?$/i;

function daysIn(year: number, month: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, 0);
  return date.getUTCDate();
}

/**
 * Reads a time as a person writes it, in the station's time zone where the text names no offset:
 * - ISO 8601: a date (`2026-11-30`: its midnight), a date-time with minutes, seconds or fractions
 *   (`2026-11-30T08:00`, `2026-11-30 08:00:05.250`), with an offset (`Z`, `+01:00`, `+0100`, `+01`) or without;
 * - `today` and `yesterday`: that day's midnight;
 * - a duration back from `now`: a whole number and a unit, `s`, `m`, `h`, `d` or `w` (`90s`, `30m`, `24h`, `7d`).
 * Returns epoch milliseconds; throws a TimeSyntaxError for anything else (an impossible date included).
 */
export function parseTime(text: string, now: number = Date.now()): number {
  const input = text.trim();
  const lower = input.toLowerCase();
  if (lower === 'today' || lower === 'yesterday') {
    const day = new Date(now);
    return new Date(day.getFullYear(), day.getMonth(), day.getDate() - (lower === 'today' ? 0 : 1)).getTime();
  }
  const relative = RELATIVE.exec(input);
  if (relative !== null) {
    const [, count = '0', unit = 's'] = relative;
    return now - Number(count) * (UNIT_MS[unit.toLowerCase()] ?? 0);
  }
  const iso = ISO.exec(input);
  if (iso === null) throw new TimeSyntaxError(text);
  const [, y = '', mo = '', d = '', h = '0', mi = '0', s = '0', fraction = '', zone] = iso;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) {
    throw new TimeSyntaxError(text);
  }
  const ms = Math.floor(Number(`0.${fraction || '0'}`) * 1000);
  if (zone === undefined) {
    const local = new Date(year, month - 1, day, hour, minute, second, ms);
    // Years 0-99 would be read as 1900-1999 by the Date constructor.
    local.setFullYear(year, month - 1, day);
    return local.getTime();
  }
  const utc = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
  utc.setUTCFullYear(year, month - 1, day);
  if (zone.toUpperCase() === 'Z') return utc.getTime();
  const digits = zone.slice(1).replace(':', '');
  const offsetHours = Number(digits.slice(0, 2));
  const offsetMins = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (offsetHours > 23 || offsetMins > 59) throw new TimeSyntaxError(text);
  const offset = (offsetHours * 60 + offsetMins) * (zone.startsWith('-') ? -1 : 1);
  return utc.getTime() - offset * MINUTE_MS;
}
