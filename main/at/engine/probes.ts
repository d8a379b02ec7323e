/**
 * The lines a resynchronisation writes to prove a port clean. Each sets the line discipline the station relies on
 * (V.250 basic commands: E1 echo on, V1 verbose result codes, Q0 result codes sent), so a resync also undoes a
 * stray ATE0, ATV0 or ATQ1, and each is spelled differently: the three commands in any order, each letter and the
 * `AT` prefix in either case (modules accept both, and echo what they read byte for byte). The engine writes only
 * a spelling that is not already on the wire unanswered, so the echo of the probe it just wrote can be told from
 * every other line still to come: that echo, then a final result, proves that everything written before has
 * been answered or lost.
 */
const COMMANDS = ['E1', 'V1', 'Q0'] as const;

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

function spell(prefix: string, commands: readonly string[], lowerMask: number): string {
  const body = commands.map((command, i) => ((lowerMask >> i) & 1 ? command.toLowerCase() : command)).join('');
  return prefix + body;
}

/** Every probe spelling, the plain `ATE1V1Q0` first (96 in all). */
export const PROBES: readonly string[] = (() => {
  const orders = permutations(COMMANDS);
  const out: string[] = [];
  for (let mask = 0; mask < 16; mask++) {
    const prefix = mask & 1 ? 'at' : 'AT';
    for (const order of orders) out.push(spell(prefix, order, mask >> 1));
  }
  return out;
})();

/** The first probe spelling for which `taken` is false, or null when every spelling is still unanswered. */
export function chooseProbe(taken: (line: string) => boolean): string | null {
  for (const probe of PROBES) if (!taken(probe)) return probe;
  return null;
}
