import { InvalidArgumentError } from 'commander';

/** A repeatable flag: each occurrence adds its value. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** A flag whose value is an integer from `min` to `max`. */
export function integer(min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer ${min}-${max}`);
    return n;
  };
}
