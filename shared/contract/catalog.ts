/**
 * The common commands offered by a guided AT session. Plain data, so that the renderer can show it without a
 * round trip; anything else can still be typed by hand. Only queries and harmless settings: nothing here
 * changes a module's network state or files.
 */
export interface CatalogEntry {
  readonly line: string;
  readonly title: string;
  readonly group: 'Identity' | 'Network' | 'MQTT configuration' | 'MQTT state' | 'SSL and files';
}

export const commandCatalog: readonly CatalogEntry[] = [
  { line: 'AT', title: 'Is the module answering?', group: 'Identity' },
  { line: 'ATI', title: 'Manufacturer, model and revision', group: 'Identity' },
  { line: 'AT+CGSN', title: 'IMEI', group: 'Identity' },
  { line: 'AT+GSN', title: 'IMEI (alternative form)', group: 'Identity' },
  { line: 'AT+QGMR', title: 'Firmware revision', group: 'Identity' },
  { line: 'AT+QCCID', title: 'SIM card ICCID', group: 'Identity' },
  { line: 'AT+CIMI', title: 'SIM card IMSI', group: 'Identity' },
  { line: 'AT+CPIN?', title: 'SIM state', group: 'Network' },
  { line: 'AT+CSQ', title: 'Signal quality', group: 'Network' },
  { line: 'AT+CEREG?', title: 'LTE network registration', group: 'Network' },
  { line: 'AT+COPS?', title: 'Operator', group: 'Network' },
  { line: 'AT+QIACT?', title: 'Active PDP contexts', group: 'Network' },
  { line: 'AT+QMTCFG=?', title: 'MQTT settings supported', group: 'MQTT configuration' },
  { line: 'AT+QMTCFG="version",0', title: 'MQTT protocol version (client 0)', group: 'MQTT configuration' },
  { line: 'AT+QMTCFG="keepalive",0', title: 'Keep-alive time (client 0)', group: 'MQTT configuration' },
  { line: 'AT+QMTCFG="session",0', title: 'Session type (client 0)', group: 'MQTT configuration' },
  { line: 'AT+QMTCFG="timeout",0', title: 'Packet timeout and retries (client 0)', group: 'MQTT configuration' },
  { line: 'AT+QMTCFG="ssl",0', title: 'SSL mode and context (client 0)', group: 'MQTT configuration' },
  { line: 'AT+QMTCFG="recv/mode",0', title: 'Message receiving mode (client 0)', group: 'MQTT configuration' },
  { line: 'AT+QMTCFG="will",0', title: 'Will message (client 0)', group: 'MQTT configuration' },
  { line: 'AT+QMTOPEN?', title: 'Open MQTT networks', group: 'MQTT state' },
  { line: 'AT+QMTCONN?', title: 'MQTT connection states', group: 'MQTT state' },
  { line: 'AT+QMTRECV?', title: 'Buffered incoming messages', group: 'MQTT state' },
  { line: 'AT+QFLST="*"', title: 'Files in the module', group: 'SSL and files' },
  { line: 'AT+QSSLCFG="seclevel",0', title: 'SSL security level (context 0)', group: 'SSL and files' },
];
