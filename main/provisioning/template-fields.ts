import type { MqttValue, Profile, Sensitivity } from './profile';
import { promptRule, quotedRule, type FieldRule } from './text-rules';

/**
 * Every text of a profile that is filled per unit, with the rule its AT command puts on it. The schema checks,
 * `requiredColumns` and the compiler all walk this one list, so a new template field is added once.
 */
export interface TemplateField {
  /** The profile path (`auth.password`, `mqtt.will.willtopic`). */
  readonly path: string;
  readonly template: string;
  readonly rule: FieldRule;
  readonly sensitivity: Sensitivity;
  /** May use `{run_id}` and `{nonce}` (the verify message only). */
  readonly runValues: boolean;
}

/** AT+QMTCFG="aliauth" / "onenet" lengths (the builders' CREDENTIAL_RULE and KEY_RULE). */
const CREDENTIAL = quotedRule(1, 64);
const KEY = quotedRule(1, 128);
const BASE64 = {
  regex: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
  expected: 'base64, as the OneNET console shows the key',
};
/** A topic the unit publishes to: no wildcards (the builder's PUBLISH_TOPIC_RULE). */
const PUBLISH_TOPIC: FieldRule = {
  ...quotedRule(1, 256),
  forbidden: { chars: '+#', expected: 'a topic without wildcards (+ or #)' },
};

/** The texts the MQTT section carries (the Will's topic and message). */
function mqttFields(name: string, value: MqttValue | undefined): TemplateField[] {
  if (value === undefined || typeof value === 'number' || value.will_fg !== 1) return [];
  const topic = value.willtopic;
  const message = value.willmessage;
  const fields: TemplateField[] = [];
  if (typeof topic === 'string') {
    fields.push({
      path: `mqtt.${name}.willtopic`,
      template: topic,
      rule: quotedRule(1, 256),
      sensitivity: 'logged',
      runValues: false,
    });
  }
  if (typeof message === 'string') {
    fields.push({
      path: `mqtt.${name}.willmessage`,
      template: message,
      rule: name === 'willex' ? promptRule(1, 256) : quotedRule(0, 256),
      sensitivity: 'logged',
      runValues: false,
    });
  }
  return fields;
}

export function templateFields(profile: Profile): TemplateField[] {
  const field = (
    path: string,
    template: string,
    rule: FieldRule,
    sensitivity: Sensitivity,
    runValues = false,
  ): TemplateField => ({ path, template, rule, sensitivity, runValues });
  const fields: TemplateField[] = [
    ...mqttFields('will', profile.mqtt.will),
    ...mqttFields('willex', profile.mqtt.willex),
  ];
  const { auth } = profile;
  switch (auth.mode) {
    case 'none':
      fields.push(field('auth.client_id', auth.client_id, quotedRule(1, 256), 'logged'));
      break;
    case 'password':
      fields.push(
        field('auth.client_id', auth.client_id, quotedRule(1, 256), 'logged'),
        field('auth.username', auth.username, quotedRule(1, 256), 'logged'),
        field('auth.password', auth.password, quotedRule(1, 512), 'secret'),
      );
      break;
    case 'aliauth':
      fields.push(
        field('auth.client_id', auth.client_id, quotedRule(1, 256), 'logged'),
        field('auth.product_key', auth.product_key, CREDENTIAL, 'credential'),
        field('auth.device_name', auth.device_name, CREDENTIAL, 'credential'),
        field('auth.device_secret', auth.device_secret, KEY, 'secret'),
      );
      break;
    case 'onenet':
      fields.push(
        field('auth.product_id', auth.product_id, CREDENTIAL, 'credential'),
        field('auth.access_key', auth.access_key, quotedRule(1, 128, BASE64), 'secret'),
        // The device name is the MQTT client id on OneNET: it shows in the AT+QMTCONN line.
        field('auth.device_name', auth.device_name, CREDENTIAL, 'logged'),
      );
      break;
  }
  fields.push(
    field('verify.topic', profile.verify.topic, PUBLISH_TOPIC, 'logged', true),
    // The payload goes after the `>` prompt, but it comes back in a +QMTRECV URC that does not escape quotes or
    // line breaks: the quoted rule keeps the round trip unambiguous. 1500 bytes is AT+QMTPUBEX's limit.
    field('verify.payload', profile.verify.payload, quotedRule(1, 1500), 'logged', true),
  );
  return fields;
}
