import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isQuadStreamError } from '../src/core/errors.ts';
import {
  ClockSync,
  av1CodecStringFromTemporalUnit,
  clockOffsetMs,
  decodeClientMessage,
  decodeMessage,
  decodeServerMessage,
  encodeClientHello,
  encodeFeedback,
  encodeFrameStart,
  encodeKeyframeRequest,
  encodePing,
  encodePong,
  encodeServerHello,
  encodeStreamConfig,
  encodeVideoFrame,
  encodeVideoFrameHeader,
  estimatedCodecString,
  h264CodecStringFromAnnexB,
  nextSequence,
  roundTripMs,
  sequenceAfter,
  sequenceDelta,
  vp9CodecStringFromFrame,
  type Message,
} from '../src/core/protocol.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

function protocolError(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => isQuadStreamError(e) && e.code === code && e.kind === 'transport');
}

test('video frame: the 44-byte header is byte-exact and the payload follows it', () => {
  const header = encodeVideoFrameHeader({
    streamId: 0x0102,
    sequence: 0xdeadbeef,
    flags: 0x03,
    ptsUs: 1,
    captureMs: 2,
    encodedMs: 4,
    sentMs: 8,
  });
  assert.equal(
    hex(header),
    '0101' +
      '0102' +
      'deadbeef' +
      '03' +
      '000000' +
      '3ff0000000000000' +
      '4000000000000000' +
      '4010000000000000' +
      '4020000000000000',
  );
  const whole = encodeVideoFrame({
    streamId: 1,
    sequence: 7,
    flags: 1,
    ptsUs: 16667,
    captureMs: 1_700_000_000_000.25,
    encodedMs: 1_700_000_000_003.5,
    sentMs: 1_700_000_000_003.75,
    payload: bytes('00000001 6742c01f'),
  });
  assert.equal(whole.length, 44 + 8);
  assert.equal(hex(whole.subarray(44)), '000000016742c01f');
  const m = decodeServerMessage(whole);
  assert.equal(m.type, 'videoFrame');
  if (m.type !== 'videoFrame') return;
  assert.deepEqual(
    { ...m, payload: hex(m.payload) },
    {
      type: 'videoFrame',
      streamId: 1,
      sequence: 7,
      flags: 1,
      ptsUs: 16667,
      captureMs: 1_700_000_000_000.25,
      encodedMs: 1_700_000_000_003.5,
      sentMs: 1_700_000_000_003.75,
      payload: '000000016742c01f',
    },
  );
});

test('server hello, stream config and client hello are byte-exact', () => {
  const hello = encodeServerHello({
    streamId: 1,
    viewerId: 2,
    width: 1920,
    height: 1080,
    frameRate: [60, 1],
    offers: [
      { codec: 'h264', codecString: 'avc1.42C02A' },
      { codec: 'av1', codecString: 'av01' },
    ],
  });
  assert.equal(
    hex(hello),
    '0102' +
      '0001' +
      '00000002' +
      '0780' +
      '0438' +
      '003c' +
      '0001' +
      '02' +
      '01' +
      '0b' +
      Buffer.from('avc1.42C02A').toString('hex') +
      '04' +
      '04' +
      Buffer.from('av01').toString('hex'),
  );
  const config = encodeStreamConfig({
    streamId: 1,
    generation: 3,
    width: 640,
    height: 360,
    frameRate: [30000, 1001],
    codec: 'vp9',
    codecString: 'vp09',
    format: 0,
    description: new Uint8Array([0xaa, 0xbb]),
  });
  assert.equal(
    hex(config),
    '0103' +
      '0001' +
      '00000003' +
      '0280' +
      '0168' +
      '7530' +
      '03e9' +
      '03' +
      '00' +
      '04' +
      Buffer.from('vp09').toString('hex') +
      '0002' +
      'aabb',
  );
  const client = encodeClientHello({ flags: 1, codecs: ['h264', 'vp9', 'av1'], label: 'é' });
  assert.equal(hex(client), '0110' + '01' + '03' + '010304' + '02' + 'c3a9');
  for (const m of [hello, config]) assert.deepEqual(encodeAgain(decodeServerMessage(m)), hex(m));
  assert.deepEqual(decodeClientMessage(client), {
    type: 'clientHello',
    flags: 1,
    codecs: ['h264', 'vp9', 'av1'],
    label: 'é',
  });
});

function encodeAgain(m: Message): string {
  switch (m.type) {
    case 'serverHello':
      return hex(encodeServerHello(m));
    case 'streamConfig':
      return hex(encodeStreamConfig(m));
    default:
      throw new Error(m.type);
  }
}

test('keyframe request, feedback, ping and pong are byte-exact and round-trip', () => {
  assert.equal(
    hex(encodeKeyframeRequest({ reason: 1, lastSequence: 0x0a0b0c0d })),
    '0111' + '01' + '00' + '0a0b0c0d',
  );
  const fb = encodeFeedback([
    { sequence: 5, flags: 2, receivedMs: 1, decodedMs: Number.NaN, renderedMs: 2 },
    { sequence: 6, flags: 0, receivedMs: 0.5, decodedMs: 4, renderedMs: 8 },
  ]);
  assert.equal(
    hex(fb),
    '0112' +
      '0002' +
      '00000005' +
      '02' +
      '000000' +
      '3ff0000000000000' +
      '7ff8000000000000' +
      '4000000000000000' +
      '00000006' +
      '00' +
      '000000' +
      '3fe0000000000000' +
      '4010000000000000' +
      '4020000000000000',
  );
  const back = decodeClientMessage(fb);
  assert.equal(back.type, 'feedback');
  if (back.type === 'feedback') {
    assert.equal(back.entries.length, 2);
    assert.ok(Number.isNaN(back.entries[0]!.decodedMs));
    assert.deepEqual(back.entries[1], {
      sequence: 6,
      flags: 0,
      receivedMs: 0.5,
      decodedMs: 4,
      renderedMs: 8,
    });
  }
  assert.equal(
    hex(encodePing({ id: 0x01020304, originMs: 1.5 })),
    '0113' + '0000' + '01020304' + '3ff8000000000000',
  );
  const pong = encodePong({ id: 9, originMs: 1, receivedMs: 2, sentMs: 4 });
  assert.equal(
    hex(pong),
    '0114' + '0000' + '00000009' + '3ff0000000000000' + '4000000000000000' + '4010000000000000',
  );
  assert.deepEqual(decodeMessage(pong), { type: 'pong', id: 9, originMs: 1, receivedMs: 2, sentMs: 4 });
});

test('frame start: 16 bytes, server to viewer only, reported back with the frameStart feedback flag', () => {
  const m = encodeFrameStart({ sequence: 0x01020304, sentMs: 1.5 });
  assert.equal(hex(m), '0115 0000 01020304 3ff8000000000000'.replace(/\s+/g, ''));
  assert.deepEqual(decodeServerMessage(m), { type: 'frameStart', sequence: 0x01020304, sentMs: 1.5 });
  protocolError(() => decodeClientMessage(m), 'protocol.unexpected');
  // Trailing bytes or a short message are refused.
  protocolError(() => decodeMessage(new Uint8Array([...m, 0])), 'protocol.malformed');
  protocolError(() => decodeMessage(m.subarray(0, 12)), 'protocol.truncated');
  const fb = encodeFeedback([
    { sequence: 7, flags: 0x04, receivedMs: 10, decodedMs: Number.NaN, renderedMs: Number.NaN },
  ]);
  const back = decodeClientMessage(fb);
  assert.equal(back.type === 'feedback' && back.entries[0]?.flags, 0x04);
  // The client hello's flag bit 1 asks for markers.
  const hello = decodeClientMessage(encodeClientHello({ flags: 0x03, codecs: ['h264'], label: '' }));
  assert.equal(hello.type === 'clientHello' && hello.flags, 0x03);
});

test('malformed messages are transport errors with protocol codes, never exceptions of another kind', () => {
  protocolError(() => decodeMessage(new Uint8Array([1])), 'protocol.truncated');
  protocolError(() => decodeMessage(bytes('0213')), 'protocol.version');
  protocolError(() => decodeMessage(bytes('017f')), 'protocol.unknown-type');
  protocolError(() => decodeMessage(bytes('0113 0000 0102')), 'protocol.truncated');
  protocolError(() => decodeMessage(bytes('0113 0000 01020304 3ff8000000000000 00')), 'protocol.malformed');
  // A hello claiming 2 codecs but carrying 1.
  protocolError(() => decodeMessage(bytes('0110 00 02 01')), 'protocol.truncated');
  // Codec id 9 does not exist.
  protocolError(() => decodeMessage(bytes('0110 00 01 09 00')), 'protocol.malformed');
  // A label that is not UTF-8.
  protocolError(() => decodeMessage(bytes('0110 00 00 01 ff')), 'protocol.malformed');
  // Feedback with more entries than allowed.
  protocolError(() => decodeMessage(bytes('0112 0401')), 'protocol.malformed');
  // A video frame shorter than its header.
  protocolError(() => decodeMessage(encodePing({ id: 1, originMs: 0 }).with(1, 0x01)), 'protocol.truncated');
  // A server message sent by a viewer, and the other way round.
  protocolError(
    () =>
      decodeClientMessage(
        encodeVideoFrameHeader({
          streamId: 1,
          sequence: 1,
          flags: 0,
          ptsUs: 0,
          captureMs: 0,
          encodedMs: 0,
          sentMs: 0,
        }),
      ),
    'protocol.unexpected',
  );
  protocolError(
    () => decodeServerMessage(encodeKeyframeRequest({ reason: 0, lastSequence: 0 })),
    'protocol.unexpected',
  );
  // Encoding refuses values that do not fit.
  protocolError(
    () =>
      encodeVideoFrameHeader({
        streamId: 70000,
        sequence: 0,
        flags: 0,
        ptsUs: 0,
        captureMs: 0,
        encodedMs: 0,
        sentMs: 0,
      }),
    'protocol.malformed',
  );
  protocolError(
    () => encodeClientHello({ flags: 0, codecs: [], label: 'x'.repeat(256) }),
    'protocol.malformed',
  );
});

test('sequence numbers compare across the 2^32 wrap', () => {
  assert.equal(nextSequence(0xffffffff), 0);
  assert.equal(sequenceDelta(2, 0xfffffffe), 4);
  assert.equal(sequenceDelta(0xfffffffe, 2), -4);
  assert.ok(sequenceAfter(0, 0xffffffff));
  assert.ok(!sequenceAfter(0xffffffff, 0));
  assert.ok(!sequenceAfter(5, 5));
});

test('clock sync: NTP arithmetic and the fastest exchange wins', () => {
  // Remote clock is 100 ms ahead; 4 ms each way; 1 ms processing on the remote side.
  const s = { originMs: 1000, remoteReceivedMs: 1104, remoteSentMs: 1105, arrivalMs: 1009 };
  assert.equal(roundTripMs(s), 8);
  assert.equal(clockOffsetMs(s), 100);
  const sync = new ClockSync(4);
  sync.add(s);
  // A slow, asymmetric exchange (queued on the way back) must not move the estimate.
  const est = sync.add({ originMs: 2000, remoteReceivedMs: 2104, remoteSentMs: 2104, arrivalMs: 2060 });
  assert.equal(est.offsetMs, 100);
  assert.equal(est.minRttMs, 8);
  assert.equal(est.lastRttMs, 60);
  // Once the fast exchange has left the window, the best remaining one is used.
  for (let i = 0; i < 3; i++)
    sync.add({ originMs: 3000, remoteReceivedMs: 3110, remoteSentMs: 3110, arrivalMs: 3020 });
  assert.equal(sync.estimate()?.offsetMs, 100);
  assert.equal(sync.estimate()?.minRttMs, 20);
});

test('codec strings: estimated from size and rate, and read from real bitstream headers', () => {
  assert.equal(estimatedCodecString('h264', 640, 360, 60), 'avc1.42C01F');
  assert.equal(estimatedCodecString('h264', 1920, 1080, 60), 'avc1.42C02A');
  assert.equal(estimatedCodecString('h264', 3840, 2160, 60), 'avc1.42C034');
  assert.equal(estimatedCodecString('av1', 1920, 1080, 60), 'av01.0.09M.08');
  assert.equal(estimatedCodecString('vp9', 1920, 1080, 60), 'vp09.00.41.08');
  // SPS bytes from x264 at 1080p60 (profile 66, constraints c0, level 42).
  assert.equal(h264CodecStringFromAnnexB(bytes('00000001 6742c02a da01e008 9f96')), 'avc1.42C02A');
  assert.equal(h264CodecStringFromAnnexB(bytes('00000001 68ce3880')), undefined);
  // SVT-AV1's first temporal units at 640x360 and 1920x1080: temporal delimiter, sequence header.
  assert.equal(av1CodecStringFromTemporalUnit(bytes('1200 0a0b 00000024c4ff6712be401032')), 'av01.0.04M.08');
  assert.equal(av1CodecStringFromTemporalUnit(bytes('1200 0a0b 0000004aabbfc3712be40132')), 'av01.0.09M.08');
  assert.equal(av1CodecStringFromTemporalUnit(bytes('1200')), undefined);
  assert.equal(vp9CodecStringFromFrame(bytes('824983420027f016'), 640, 360, 60), 'vp09.00.30.08');
  assert.equal(vp9CodecStringFromFrame(bytes('00'), 640, 360, 60), undefined);
});
