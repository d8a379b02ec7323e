import { z } from 'zod';
import { moduleInfoSchema, runInfoSchema, stepProgressSchema, transcriptLineSchema } from './model';

/**
 * Every event main pushes to the renderer, declared once. Events carry one change each (one unit, one step), never
 * the whole list: a client takes the snapshot (`listModules`) after subscribing and applies the changes to it.
 * High-rate streams (transcript lines) are batched in main before they cross the boundary.
 */
export const events = {
  /** A unit was added, or its connection, activity, identity, health or problem changed: the unit as it is now. */
  moduleChanged: moduleInfoSchema,
  /** A unit left the list (its IMEI showed up on another port: it is listed there now). */
  moduleRemoved: z.object({ moduleId: z.string() }),
  /** New transcript lines of any modules since the last batch, in order. */
  transcriptLines: z.array(transcriptLineSchema),
  /** A run started, or one of its units finished, or it finished. */
  runChanged: runInfoSchema,
  /** A step started or ended on a unit. */
  stepProgress: stepProgressSchema,
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<N extends EventName> = z.output<Events[N]>;

export const eventNames = Object.keys(events) as EventName[];

export function isEventName(name: string): name is EventName {
  return Object.hasOwn(events, name);
}
