import { z } from 'zod';
import { moduleInfoSchema, transcriptLineSchema } from './model';

/**
 * Every event main pushes to the renderer, declared once. High-rate streams (transcript lines) are batched in
 * main before they cross the boundary, so one event carries many lines.
 */
export const events = {
  /** The full module list, whenever a module is added, removed or changes state or identity. */
  modulesChanged: z.array(moduleInfoSchema),
  /** New transcript lines of any modules since the last batch, in order. */
  transcriptLines: z.array(transcriptLineSchema),
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<N extends EventName> = z.output<Events[N]>;

export const eventNames = Object.keys(events) as EventName[];

export function isEventName(name: string): name is EventName {
  return Object.hasOwn(events, name);
}
