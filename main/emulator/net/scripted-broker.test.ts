import mqtt from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { closeScriptedBrokers, scriptedBroker } from './fixtures/scripted-broker';
import { bootInProcess, OK, urc } from '../../testing/test-module';
import { connectRequest, openPlain, recordedSession } from './fixtures/session';
import { createMqttClientSession } from './session';
import type { PacketReport } from './types';

afterEach(closeScriptedBrokers);

describe('session against a scripted broker', () => {
  it('delivers a QoS 2 message once although the broker re-sends it before PUBREL, and completes the handshake', async () => {
    const broker = await scriptedBroker();
    const rec = recordedSession();
    expect(await rec.session.open(openPlain('127.0.0.1', broker.port))).toBe(0);
    expect(await rec.session.connect(connectRequest())).toEqual({ result: 0, retCode: 0 });
    const socket = await broker.client;
    const publish = {
      cmd: 'publish',
      qos: 2,
      dup: false,
      retain: false,
      topic: 'fleet/q2',
      payload: Buffer.from('once'),
      messageId: 4242,
    } as const;
    socket.write(mqtt.generate(publish));
    expect(await broker.next('pubrec')).toMatchObject({ messageId: 4242 });
    socket.write(mqtt.generate({ ...publish, dup: true }));
    expect(await broker.next('pubrec')).toMatchObject({ messageId: 4242 });
    socket.write(mqtt.generate({ cmd: 'pubrel', messageId: 4242 }));
    expect(await broker.next('pubcomp')).toMatchObject({ messageId: 4242 });
    expect(rec.messages).toHaveLength(1);
    expect(rec.messages[0]).toMatchObject({ msgid: 4242, topic: 'fleet/q2', qos: 2, retain: false });
    // After PUBREL the id is free again: a new message with it is a new message.
    socket.write(mqtt.generate({ ...publish, payload: Buffer.from('twice') }));
    const again = await rec.nextMessage().then(() => rec.nextMessage());
    expect(Buffer.from(again.payload).toString()).toBe('twice');
    await broker.close();
  });

  it('retransmits PUBREL when PUBCOMP does not come, then completes a QoS 2 publish', async () => {
    const broker = await scriptedBroker();
    const rec = recordedSession();
    expect(await rec.session.open(openPlain('127.0.0.1', broker.port))).toBe(0);
    expect(await rec.session.connect(connectRequest({ pktTimeoutMs: 200, retryTimes: 3 }))).toEqual({
      result: 0,
      retCode: 0,
    });
    const socket = await broker.client;
    const reports: PacketReport[] = [];
    const done = rec.session.publish(300, 2, false, 'fleet/q2out', Buffer.from('exactly once'), (r) => reports.push(r));
    expect(await broker.next('publish')).toMatchObject({ messageId: 300, qos: 2, dup: false });
    socket.write(mqtt.generate({ cmd: 'pubrec', messageId: 300 }));
    expect(await broker.next('pubrel')).toMatchObject({ messageId: 300 });
    expect(await broker.next('pubrel')).toMatchObject({ messageId: 300 }); // retransmitted: PUBCOMP was withheld
    expect(rec.session.inflight).toBe(1);
    socket.write(mqtt.generate({ cmd: 'pubcomp', messageId: 300 }));
    expect(await done).toEqual({ result: 0 });
    expect(reports[0]).toEqual({ result: 1, value: 1 });
    expect(rec.session.inflight).toBe(0);
    // Had PUBREC been slow, a re-sent PUBLISH would carry DUP; only the first may be without it.
    const publishes = broker.received.filter((p) => p.cmd === 'publish');
    expect(publishes.slice(1).every((p) => p.dup)).toBe(true);
    await broker.close();
  });

  it('reassembles packets that arrive one byte per TCP segment, and several packets in one segment', async () => {
    const broker = await scriptedBroker();
    const rec = recordedSession();
    expect(await rec.session.open(openPlain('127.0.0.1', broker.port))).toBe(0);
    expect(await rec.session.connect(connectRequest())).toEqual({ result: 0, retCode: 0 });
    const socket = await broker.client;
    socket.setNoDelay(true);
    const packet = (n: number): Buffer =>
      mqtt.generate({
        cmd: 'publish',
        qos: 0,
        dup: false,
        retain: false,
        topic: `t/${n}`,
        payload: Buffer.from(`p,"${n}"\r\n`),
      });
    const first = packet(1);
    for (const byte of first) socket.write(Buffer.from([byte]));
    socket.write(Buffer.concat([packet(2), packet(3)]));
    const got = [await rec.nextMessage(), await rec.nextMessage(), await rec.nextMessage()];
    expect(got.map((m) => [m.topic, Buffer.from(m.payload).toString()])).toEqual([
      ['t/1', 'p,"1"\r\n'],
      ['t/2', 'p,"2"\r\n'],
      ['t/3', 'p,"3"\r\n'],
    ]);
    await broker.close();
  });

  it('acknowledges an incoming QoS 1 message with PUBACK carrying the broker packet id', async () => {
    const broker = await scriptedBroker();
    const rec = recordedSession();
    expect(await rec.session.open(openPlain('127.0.0.1', broker.port))).toBe(0);
    expect(await rec.session.connect(connectRequest())).toEqual({ result: 0, retCode: 0 });
    const socket = await broker.client;
    socket.write(
      mqtt.generate({
        cmd: 'publish',
        qos: 1,
        dup: false,
        retain: true,
        topic: '$sys/p/d/thing/property/post/reply',
        payload: Buffer.from('{"id":"1","code":200}'),
        messageId: 77,
      }),
    );
    expect(await broker.next('puback')).toMatchObject({ messageId: 77 });
    const message = await rec.nextMessage();
    expect(message).toMatchObject({ msgid: 77, qos: 1, retain: true, topic: '$sys/p/d/thing/property/post/reply' });
    await broker.close();
  });

  it('closes the connection itself when the broker sends bytes that are not MQTT: +QMTSTAT 8', async () => {
    const broker = await scriptedBroker();
    const rec = recordedSession();
    expect(await rec.session.open(openPlain('127.0.0.1', broker.port))).toBe(0);
    expect(await rec.session.connect(connectRequest())).toEqual({ result: 0, retCode: 0 });
    const socket = await broker.client;
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write(Buffer.from([0x00, 0x00, 0xff, 0xff]));
    expect(await rec.nextStat()).toBe(8);
    await closed;
    expect(rec.session.state).toBe('closed');
  });

  it('sends DISCONNECT and reports 0 even if the broker leaves the link open (it closes after pkt_timeout)', async () => {
    const broker = await scriptedBroker(true);
    const rec = recordedSession();
    expect(await rec.session.open(openPlain('127.0.0.1', broker.port))).toBe(0);
    expect(await rec.session.connect(connectRequest({ pktTimeoutMs: 200 }))).toEqual({ result: 0, retCode: 0 });
    const socket = await broker.client;
    const ended = new Promise((resolve) => socket.once('end', resolve));
    expect(await rec.session.disconnect()).toBe(0);
    await ended; // our FIN reached the broker, which kept its side open
    expect(socket.writable).toBe(true);
    expect(await broker.next('disconnect')).toMatchObject({ cmd: 'disconnect' });
    expect(rec.stats).toEqual([]);
    await broker.close();
  });
});

describe('AT commands against a broker that withholds its acknowledgements', () => {
  it('reports the packet that exhausted its retries (+QMTSUB: ...,2) before the link closes (+QMTSTAT: ...,6)', async () => {
    const broker = await scriptedBroker();
    const { module, host } = await bootInProcess({
      sessionFactory: createMqttClientSession,
      hostMap: new Map([['broker.local', { host: '127.0.0.1', port: broker.port }]]),
    });
    try {
      expect(await host.command('AT+QMTCFG="timeout",0,1,1,0')).toBe(OK);
      expect(await host.command('AT+QMTOPEN=0,"broker.local",1883')).toBe(OK);
      await host.until(urc('+QMTOPEN: 0,0'));
      expect(await host.command('AT+QMTCONN=0,"stalled"')).toBe(OK);
      await host.until(urc('+QMTCONN: 0,0,0'));
      expect(await host.command('AT+QMTSUB=0,3,"t",1')).toBe(OK);
      expect(await host.until(urc('+QMTSTAT: 0,6'))).toBe(urc('+QMTSUB: 0,3,2') + urc('+QMTSTAT: 0,6'));
    } finally {
      module.dispose();
    }
  });
});
