/**
 * Splits an AT command line into the commands it joins with `;` (Quectel modules accept
 * `AT+CSQ;+QMTCONN=...`). A `;` inside double quotes belongs to a string value (a Will topic, a password) and
 * does not split. A line whose quotes are left open is read to its end as one value, so a `;` after an
 * unclosed quote cannot be told apart from a join: `ambiguous` is then true and callers must refuse the line.
 */
export function splitJoinedCommands(line: string): {
  readonly commands: readonly string[];
  readonly ambiguous: boolean;
} {
  const commands: string[] = [];
  let inQuotes = false;
  let start = 0;
  let quotedSemicolon = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') inQuotes = !inQuotes;
    else if (ch === ';') {
      if (inQuotes) quotedSemicolon = true;
      else {
        commands.push(line.slice(start, i));
        start = i + 1;
      }
    }
  }
  commands.push(line.slice(start));
  return { commands, ambiguous: inQuotes && quotedSemicolon };
}

/** True when `line` is one command: no `;` outside quotes, and no `;` after a quote that never closes. */
export function isSingleCommand(line: string): boolean {
  const { commands, ambiguous } = splitJoinedCommands(line);
  return commands.length === 1 && !ambiguous;
}
