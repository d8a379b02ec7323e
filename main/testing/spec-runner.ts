import type { Step } from '../emulator/spec-examples';
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

/**
 * The step's answer with its trailing URCs put in a canonical order. With a real broker, the URCs after a
 * QoS 1 publish to a topic the module itself subscribes to may come in either order (the broker may forward the
 * PUBLISH before it sends PUBACK), which the application note's example does not show; everything else stays exact.
 */
export function withUrcsSorted(result: StepResult): { got: string; want: string } {
  const headLength = result.want.length - ('then' in result.step ? (result.step.then ?? '').length : 0);
  const sort = (text: string) => {
    const head = text.slice(0, headLength);
    const urcs = text
      .slice(headLength)
      .split(/(?=\r\n\+)/)
      .sort();
    return head + urcs.join('');
  };
  return { got: sort(result.got), want: sort(result.want) };
}
