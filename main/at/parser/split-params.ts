/**
 * The parser splits parameter lists with the catalogue's reader of AT syntax (main/catalogue/syntax.ts), the one
 * the redactor, the decoder and the data-phase guard use too: top-level commas, quoted strings kept exactly,
 * `(...)` / `[...]` lists of test answers kept whole, an unterminated quote running to the end.
 */
export { splitParams } from '../../catalogue/syntax';
