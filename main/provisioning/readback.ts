import type { QmtcfgReading, QmtcfgSetting, SslReading, SslSetting } from '../at/commands';
import { byteLength } from '../at/commands/validate';

/**
 * The `readback` step's comparison: what a setting of the plan should read back as (AT+QMTCFG / AT+QSSLCFG with
 * only the client or context), and the difference when it does not. Pure; the batch runs the queries.
 */

type Expected = Readonly<Record<string, number | string>>;

const bit = (value: boolean): number => (value ? 1 : 0);

/** The fields a query of this setting should answer (QMTCFG_FIELDS names), secrets excepted. */
export function expectedQmtcfg(setting: QmtcfgSetting): Expected {
  switch (setting.name) {
    case 'version':
      return { vsn: setting.vsn };
    case 'pdpcid':
      return { cid: setting.cid };
    case 'ssl':
      return setting.enable ? { enable: 1, contextId: setting.contextId } : { enable: 0 };
    case 'keepalive':
      return { seconds: setting.seconds };
    case 'session':
      return { clean: bit(setting.clean) };
    case 'timeout':
      return { pktTimeoutS: setting.pktTimeoutS, retryTimes: setting.retryTimes, notice: bit(setting.notice) };
    case 'will':
      if (!setting.enabled) return { enabled: 0 };
      return {
        enabled: 1,
        qos: setting.qos,
        retain: bit(setting.retain),
        topic: setting.topic,
        message: setting.message,
      };
    case 'willex':
      if (!setting.enabled) return { enabled: 0 };
      return {
        enabled: 1,
        qos: setting.qos,
        retain: bit(setting.retain),
        topic: setting.topic,
        length: typeof setting.message === 'string' ? byteLength(setting.message) : setting.message.length,
      };
    case 'recv/mode':
      return { msgRecvMode: setting.msgRecvMode, msgLenEnable: bit(setting.msgLenEnable) };
    case 'qmtping':
      return { intervalS: setting.intervalS };
    case 'send/mode':
      return { sendMode: setting.sendMode };
    case 'aliauth':
      return { productKey: setting.productKey, deviceName: setting.deviceName };
    case 'onenet':
      return { productId: setting.productId };
    case 'dataformat':
      return { sendMode: setting.sendMode, recvMode: setting.recvMode };
    case 'view/mode':
      return { viewMode: setting.viewMode };
    case 'edit/timeout':
      return setting.enable ? { enable: 1, editTimeoutS: setting.editTimeoutS } : { enable: 0 };
  }
}

function describe(field: string, wrote: number | string, read: number | string | undefined): string {
  return `${field}: wrote ${JSON.stringify(wrote)}, read ${read === undefined ? 'nothing' : JSON.stringify(read)}`;
}

/**
 * The difference between a setting written and the module's answer, in the spec's sub-command and field names
 * (`keepalive: seconds: wrote 60, read 120`), or undefined when they agree. Secrets (device secret, access key)
 * are never read back: the module must only say one is set.
 */
export function qmtcfgDifference(setting: QmtcfgSetting, reading: QmtcfgReading): string | undefined {
  if (reading.name !== setting.name) return `${setting.name}: the answer is for "${reading.name}"`;
  const differences: string[] = [];
  // Cloud credentials may come from secret manifest columns: say which field differs, never its value.
  const credential = setting.name === 'aliauth' || setting.name === 'onenet';
  for (const [field, wrote] of Object.entries(expectedQmtcfg(setting))) {
    const read = reading.values[field];
    if (read !== wrote) differences.push(credential ? `${field} differs` : describe(field, wrote, read));
  }
  if (credential && reading.secretSet !== true) {
    differences.push(`${setting.name === 'aliauth' ? 'deviceSecret' : 'accessKey'}: the module holds none`);
  }
  return differences.length === 0 ? undefined : `${setting.name}: ${differences.join('; ')}`;
}

/** What AT+QSSLCFG answers for a setting: files with their `UFS:` prefix, the cipher suite as a number. */
export function expectedSsl(setting: SslSetting): number | string {
  switch (setting.param) {
    case 'cacert':
    case 'clientcert':
    case 'clientkey':
      return setting.value.startsWith('UFS:') ? setting.value : `UFS:${setting.value}`;
    case 'ignorelocaltime':
    case 'sni':
    case 'ignoreinvalidcertsign':
    case 'ignoremulticertchainverify':
      return bit(setting.value);
    default:
      return setting.value;
  }
}

export function sslDifference(contextId: number, setting: SslSetting, reading: SslReading): string | undefined {
  if (reading.param !== setting.param || reading.contextId !== contextId) {
    return `${setting.param}: the answer is for "${reading.param}" of context ${reading.contextId}`;
  }
  const wrote = expectedSsl(setting);
  return reading.value === wrote ? undefined : describe(setting.param, wrote, reading.value);
}
