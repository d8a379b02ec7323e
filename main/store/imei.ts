/**
 * An IMEI is 15 decimal digits whose last one is the Luhn check digit over the first 14 (3GPP TS 23.003). It is the
 * key a unit is known by, in the ledger and in the history.
 */

/** Why `value` is not an IMEI, or undefined when it is one. */
export function imeiProblem(value: string): string | undefined {
  if (!/^\d{15}$/.test(value)) {
    if (/^\d(\.\d+)?e\+?\d+$/i.test(value)) {
      return 'must be 15 digits, got a number in exponent form (a spreadsheet turned it into a number: format the column as text)';
    }
    return `must be 15 digits, got ${describeLength(value)}`;
  }
  if (luhnCheckDigit(value.slice(0, 14)) !== Number(value[14])) {
    return 'fails the Luhn check (a digit is wrong or two are swapped)';
  }
  return undefined;
}

export function isImei(value: string): boolean {
  return imeiProblem(value) === undefined;
}

/** The Luhn check digit for a string of decimal digits. */
export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  // Doubling starts from the rightmost payload digit (the one next to the check digit).
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

function describeLength(value: string): string {
  if (value.length === 0) return 'an empty value';
  const digits = /^\d+$/.test(value);
  return digits ? `${value.length} digits` : `${value.length} characters that are not all digits`;
}
