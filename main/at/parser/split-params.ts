/**
 * Splits the parameter text of an AT line (what follows `+NAME: `) on its top-level commas.
 *
 * Why hand-written rather than `split(',')`: quoted strings carry commas (`"a,b"`), and test-command answers
 * carry lists in parentheses or brackets (`(0-5),"hostname",(1-65535)`, `(0,1)`), which must stay one parameter
 * each. Quotes are removed from quoted strings, whose content is kept exactly; unquoted pieces are trimmed. An
 * unterminated quote runs to the end of the text (the parser never rejects a line for it). Empty text gives no
 * parameters. (No closures inside: this runs for every line, in the parser's hot path.)
 */
export function splitParams(text: string): string[] {
  const params: string[] = [];
  if (text.trim() === '') return params;
  let current = '';
  let quoted = false;
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quoted) {
      if (c === QUOTE) {
        current += text.slice(start, i);
        start = i + 1;
        quoted = false;
      }
    } else if (c === QUOTE) {
      current += text.slice(start, i).trim();
      start = i + 1;
      quoted = true;
    } else if (c === OPEN_PAREN || c === OPEN_BRACKET) {
      depth++;
    } else if ((c === CLOSE_PAREN || c === CLOSE_BRACKET) && depth > 0) {
      depth--;
    } else if (c === COMMA && depth === 0) {
      params.push(current + text.slice(start, i).trim());
      current = '';
      start = i + 1;
    }
  }
  params.push(quoted ? current + text.slice(start) : current + text.slice(start).trim());
  return params;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
