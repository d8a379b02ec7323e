import { z } from 'zod';
import { contractErrorSchema } from './errors';

/**
 * The messages of the web shell's WebSocket. Requests carry an id chosen by the client so that answers can
 * come back in any order; events carry no id.
 */
export const clientMessageSchema = z.strictObject({
  kind: z.literal('request'),
  id: z.number().int().nonnegative(),
  name: z.string().max(64),
  input: z.unknown(),
});
export type ClientMessage = z.infer<typeof clientMessageSchema>;

export const resultSchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: contractErrorSchema }),
]);

export const serverMessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('response'), id: z.number().int().nonnegative(), result: resultSchema }),
  z.object({ kind: z.literal('event'), name: z.string(), payload: z.unknown() }),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;

/** The web shell's HTTP routes: POST /api/<name>. */
export const apiPrefix = '/api/';
export const socketPath = '/ws';
