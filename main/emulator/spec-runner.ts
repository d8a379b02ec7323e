import type { Step } from './spec-examples';
import type { TestHost } from './test-host';

/** What a step produced, for exact comparison with what it documents. */
export interface StepResult {
  readonly step: Step;
  readonly got: string;
  readonly want: string;
}

/**
 * Plays steps against a host: sends each command line (its echo is expected first, echo being on), waits for
 * exactly the documented bytes, then for the URCs that follow. `publish` plays "another device".
 */
export async function runSteps(
  host: TestHost,
  steps: readonly Step[],
  publish: (topic: string, payload: string, qos: 0 | 1 | 2) => void | Promise<void>,
): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const step of steps) {
    let want: string;
    if ('send' in step) {
      await host.send(`${step.send}\r`);
      want = `${step.send}\r${step.expect}${step.then ?? ''}`;
    } else if ('payload' in step) {
      await host.send(step.payload);
      want = `${step.expect}${step.then ?? ''}`;
    } else {
      await publish(step.broker.topic, step.broker.payload, step.broker.qos);
      want = step.expect;
    }
    // Wait for as many bytes as documented, then compare them whole.
    const got = await host.until(new RegExp(`^[\\s\\S]{${Buffer.byteLength(want, 'latin1')}}`));
    results.push({ step, got, want });
  }
  return results;
}
