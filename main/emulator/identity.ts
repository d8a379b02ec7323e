/**
 * The identity of one virtual module, derived from a seed so that the same index always gives the same module:
 * tests and production-line rehearsals can name modules by IMEI and get the same ones every run.
 */

export const MODELS = ['EC200U', 'EC600U', 'EG500U', 'EG700U'] as const;
export type ModuleModel = (typeof MODELS)[number];

export interface ModuleIdentity {
  readonly model: ModuleModel;
  /** 15 digits, the last one the Luhn check digit (as on the label and in AT+GSN). */
  readonly imei: string;
  /** 20 digits, `8986` (China) issuer prefix, as AT+QCCID prints it. */
  readonly iccid: string;
  /** 15 digits, MCC 460 + MNC 00 (China Mobile). */
  readonly imsi: string;
  /** Firmware revision as ATI / AT+QGMR print it, e.g. `EC200UCNAAR03A03M08`. */
  readonly revision: string;
  /** RSSI reported by AT+CSQ (0-31). */
  readonly rssi: number;
}

/** A small deterministic generator (mulberry32): good enough for identities, not for anything secret. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The Luhn check digit for a string of digits (the IMEI's 15th digit). */
export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    // Double every second digit counting from the right of the payload (the check digit goes to its right).
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

export function isValidLuhn(digits: string): boolean {
  if (!/^\d{2,}$/.test(digits)) return false;
  return luhnCheckDigit(digits.slice(0, -1)) === Number(digits[digits.length - 1]);
}

function digits(random: () => number, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += String(Math.floor(random() * 10));
  return out;
}

/** Type allocation codes per model (8 digits; Quectel-like, not registered values). */
const TAC: Record<ModuleModel, string> = {
  EC200U: '86869105',
  EC600U: '86487106',
  EG500U: '86155206',
  EG700U: '86155307',
};

const REVISION: Record<ModuleModel, string> = {
  EC200U: 'EC200UCNAAR03A03M08',
  EC600U: 'EC600UCNLBR03A03M08',
  EG500U: 'EG500UCNLBR01A02M08',
  EG700U: 'EG700UCNLBR01A02M08',
};

/** The identity of module number `index` of a fleet started with `seed`. */
export function moduleIdentity(index: number, seed = 0): ModuleIdentity {
  const random = seededRandom((seed * 7919 + index * 104729 + 17) >>> 0);
  const model = MODELS[index % MODELS.length] ?? 'EC200U';
  // The serial part carries the index so that a fleet never repeats an IMEI.
  const serial = String((index * 7 + Math.floor(random() * 7)) % 1_000_000).padStart(6, '0');
  const body = TAC[model] + serial;
  const imei = body + String(luhnCheckDigit(body));
  const iccidBody = '898600' + digits(random, 8) + String(index).padStart(5, '0');
  const iccid = iccidBody + String(luhnCheckDigit(iccidBody));
  const imsi = '46000' + digits(random, 4) + String(index).padStart(6, '0');
  return { model, imei, iccid, imsi, revision: REVISION[model], rssi: 14 + Math.floor(random() * 17) };
}
