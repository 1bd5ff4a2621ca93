/**
 * Joining encoded segments (NUT files, in order) and prepared audio into the output container:
 * packets are copied, not re-encoded; timestamps stay those of the input (so variable frame rates
 * are kept), shifted so the first video frame is at 0 with the audio shifted alike; colour, sample
 * aspect ratio and rotation are written both into the video bitstream (a `*_metadata` bitstream
 * filter) and into the container.
 */
import {
  avGetCodecName,
  BitStreamFilter,
  BitStreamFilterContext,
  Packet,
  Rational,
  type CodecParameters,
  type Stream,
} from 'node-av/lib';
import { AVERROR_EAGAIN, AVERROR_EOF, type AVPacketSideDataType } from 'node-av/constants';
import { QuadStreamError } from '../core/errors.ts';
import type { ColourInfo, Fraction } from './analyze.ts';
import type { OutputContainer, PreparedAudio } from './audio.ts';
import { avErrorText, checkAv } from './av-error.ts';
import { openInput, videoStreamOf } from './input.ts';
import { MediaWriter, type OutputStreamSpec } from './mux.ts';
import { readPackets } from './read-packets.ts';

/** The video's metadata to carry into the output. */
export interface CarriedVideoMetadata {
  readonly colour: ColourInfo;
  /** `[0, 1]` when unknown. */
  readonly sampleAspectRatio: Fraction;
  readonly frameRate: Fraction;
  /** Stream side data from the input (display matrix, mastering display, content light level). */
  readonly sideData: readonly { readonly type: AVPacketSideDataType; readonly data: Buffer }[];
}

/** What to join. */
export interface JoinRequest {
  readonly output: string;
  readonly container: OutputContainer;
  /** Segment files in order. */
  readonly segments: readonly string[];
  /** Prepared audio streams, on the input's clock. */
  readonly audio: readonly PreparedAudio[];
  /** The input time that becomes 0 in the output: the first video frame's pts and its time base. */
  readonly origin: { readonly pts: number; readonly timeBase: Fraction };
  /** Ticks (of `origin.timeBase`) the segment files' timestamps are ahead of the input's. */
  readonly segmentOffsetTicks: number;
  /** The shortest frame duration of the video (in `origin.timeBase` ticks), for missing decode timestamps. */
  readonly minFrameTicks: number;
  readonly metadata: CarriedVideoMetadata;
}

/** What the join wrote. */
export interface JoinResult {
  readonly videoPackets: number;
  readonly audioPackets: readonly number[];
  /** The bitstream filter applied to the video, in FFmpeg CLI syntax, or null. */
  readonly bitstreamFilter: string | null;
}

/** A bitstream filter with its options. */
export interface MetadataFilter {
  readonly name: string;
  readonly options: Readonly<Record<string, string>>;
}

const VP9_SPACES: Record<number, string> = {
  0: 'rgb',
  1: 'bt709',
  5: 'bt601',
  6: 'smpte170',
  7: 'smpte240',
  9: 'bt2020',
};

/**
 * The `*_metadata` bitstream filter that writes `metadata`'s colour description (and, for H.264
 * and HEVC, the sample aspect ratio) into a `codec` bitstream, or null when there is nothing to write.
 */
export function metadataFilter(codec: string, metadata: CarriedVideoMetadata): MetadataFilter | null {
  const c = metadata.colour;
  const o: Record<string, string> = {};
  const [sn, sd] = metadata.sampleAspectRatio;
  const sar = sn > 0 && sd > 0 && sn !== sd ? `${sn}/${sd}` : null;
  if (codec === 'h264' || codec === 'hevc') {
    if (c.range !== 0) o['video_full_range_flag'] = c.range === 2 ? '1' : '0';
    if (c.primaries !== 2) o['colour_primaries'] = String(c.primaries);
    if (c.transfer !== 2) o['transfer_characteristics'] = String(c.transfer);
    if (c.matrix !== 2) o['matrix_coefficients'] = String(c.matrix);
    if (c.chromaLocation > 0) o['chroma_sample_loc_type'] = String(c.chromaLocation - 1);
    if (sar !== null) o['sample_aspect_ratio'] = sar;
  } else if (codec === 'av1') {
    if (c.range !== 0) o['color_range'] = c.range === 2 ? 'pc' : 'tv';
    if (c.primaries !== 2) o['color_primaries'] = String(c.primaries);
    if (c.transfer !== 2) o['transfer_characteristics'] = String(c.transfer);
    if (c.matrix !== 2) o['matrix_coefficients'] = String(c.matrix);
  } else if (codec === 'vp9') {
    if (c.range !== 0) o['color_range'] = c.range === 2 ? 'pc' : 'tv';
    const space = VP9_SPACES[c.matrix];
    if (space !== undefined) o['color_space'] = space;
  } else {
    return null;
  }
  return Object.keys(o).length === 0 ? null : { name: `${codec}_metadata`, options: o };
}

/** Joins segments and audio into `request.output`; see the module comment. */
export async function joinSegments(request: JoinRequest, signal?: AbortSignal): Promise<JoinResult> {
  const firstPath = request.segments[0];
  if (firstPath === undefined) throw new QuadStreamError('internal', 'join.empty', 'no segments to join');
  await using first = await openInput(firstPath);
  const firstStream = videoStreamOf(first, firstPath);
  const codec = firstStream.codecpar.codecId;
  const segTb: Fraction = [firstStream.timeBase.num, firstStream.timeBase.den];
  const codecName = codecNameOf(firstStream.codecpar);
  const filterSpec = metadataFilter(codecName, request.metadata);
  using bsf = filterSpec === null ? null : MetadataBsf.open(filterSpec, firstStream.codecpar, segTb);
  const videoPar = bsf?.outputParameters ?? firstStream.codecpar;
  const c = request.metadata.colour;
  videoPar.colorRange = c.range as typeof videoPar.colorRange;
  videoPar.colorPrimaries = c.primaries as typeof videoPar.colorPrimaries;
  videoPar.colorTrc = c.transfer as typeof videoPar.colorTrc;
  videoPar.colorSpace = c.matrix as typeof videoPar.colorSpace;
  videoPar.chromaLocation = c.chromaLocation as typeof videoPar.chromaLocation;

  const audioInputs = await Promise.all(request.audio.map((a) => openAudio(a)));
  try {
    const [sn, sd] = request.metadata.sampleAspectRatio;
    const streams: OutputStreamSpec[] = [
      {
        parameters: videoPar,
        timeBase: segTb,
        frameRate: request.metadata.frameRate,
        sideData: request.metadata.sideData,
        ...(sn > 0 && sd > 0 ? { sampleAspectRatio: [sn, sd] as const } : {}),
        ...(request.container === 'mp4' && codecName === 'hevc' ? { codecTag: 'hvc1' } : {}),
      },
      ...audioInputs.map((a) => ({ parameters: a.stream.codecpar, timeBase: a.timeBase })),
    ];
    const options: Record<string, string> = request.container === 'mp4' ? { movflags: '+faststart' } : {};
    await using writer = await MediaWriter.open(request.output, request.container, streams, options);

    const sources: Source[] = [
      videoSource(
        request.segments,
        codec,
        firstStream.codecpar.extradata,
        bsf,
        shiftFor(
          { pts: request.origin.pts + request.segmentOffsetTicks, timeBase: request.origin.timeBase },
          segTb,
        ),
        // The step must not exceed the shortest frame, or decode timestamps could collide at joins.
        maxBig(1n, floorTicks({ pts: request.minFrameTicks, timeBase: request.origin.timeBase }, segTb)),
        signal,
      ),
      ...audioInputs.map((a, i) =>
        audioSource(a, shiftFor(request.origin, a.timeBase) - BigInt(a.offsetTicks), i + 1, signal),
      ),
    ];
    const counts = await interleave(sources, writer);
    await writer.finish();
    return {
      videoPackets: counts[0] ?? 0,
      audioPackets: counts.slice(1),
      bitstreamFilter:
        filterSpec === null
          ? null
          : `${filterSpec.name}=${Object.entries(filterSpec.options)
              .map(([k, v]) => `${k}=${v}`)
              .join(':')}`,
    };
  } finally {
    for (const a of audioInputs) await a.demuxer.close();
  }
}

/** An opened audio source for the join. */
interface OpenAudio {
  readonly demuxer: Awaited<ReturnType<typeof openInput>>;
  readonly path: string;
  readonly stream: Stream;
  readonly timeBase: Fraction;
  /** Ticks to subtract to get back to the input's clock (re-encoded files were raised). */
  readonly offsetTicks: number;
}

async function openAudio(a: PreparedAudio): Promise<OpenAudio> {
  const demuxer = await openInput(a.path);
  const stream = a.kind === 'input' ? demuxer.getStream(a.plan.streamIndex) : demuxer.streams[0];
  if (stream === undefined) {
    await demuxer.close();
    throw new QuadStreamError('internal', 'join.audio', `${a.path}: audio stream not found`);
  }
  if (a.kind === 'file') stream.codecpar.initialPadding = a.initialPadding;
  return {
    demuxer,
    path: a.path,
    stream,
    timeBase: [stream.timeBase.num, stream.timeBase.den],
    offsetTicks: a.kind === 'file' ? a.offsetTicks : 0,
  };
}

/** A stream of packets for one output stream, with their time in seconds for interleaving. */
type Source = AsyncGenerator<{ packet: Packet; timeS: number; stream: number }, number>;

/** `origin` expressed in ticks of `tb` (rounded). */
function shiftFor(origin: JoinRequest['origin'], tb: Fraction): bigint {
  const num = BigInt(origin.pts) * BigInt(origin.timeBase[0]) * BigInt(tb[1]);
  const den = BigInt(origin.timeBase[1]) * BigInt(tb[0]);
  const q = num / den;
  const r = num % den;
  return 2n * (r < 0n ? -r : r) >= den ? q + (num < 0n ? -1n : 1n) : q;
}

const NOPTS = -0x8000000000000000n;

function shift(packet: Packet, by: bigint): void {
  if (packet.pts !== NOPTS) packet.pts -= by;
  if (packet.dts !== NOPTS) packet.dts -= by;
}

async function* videoSource(
  segments: readonly string[],
  codec: number,
  extradata: Buffer | null,
  bsf: MetadataBsf | null,
  by: bigint,
  step: bigint,
  signal: AbortSignal | undefined,
): Source {
  let count = 0;
  for (const [i, path] of segments.entries()) {
    await using demuxer = await openInput(path);
    const stream = videoStreamOf(demuxer, path);
    const par = stream.codecpar;
    if (par.codecId !== codec || !sameBytes(par.extradata, extradata)) {
      throw new QuadStreamError(
        'encode',
        'join.mismatch',
        `segment ${i} (${path}) has different codec headers from segment 0; segments cannot be joined`,
      );
    }
    const tb = stream.timeBase;
    // NUT stores no decode timestamps: its demuxer rebuilds them, except for the first packets of
    // a stream with reordering (B-frames). Those get the first known one, minus one step each.
    const waiting: Packet[] = [];
    const release = function* (knownDts: bigint | null): Generator<Packet> {
      const base = knownDts ?? minPts(waiting);
      for (let k = 0; k < waiting.length; k++) {
        const p = waiting[k]!;
        p.dts = base - BigInt(waiting.length - k) * step;
        yield p;
      }
      waiting.length = 0;
    };
    const emit = async function* (
      raw: Packet,
    ): AsyncGenerator<{ packet: Packet; timeS: number; stream: number }> {
      const copies = bsf === null ? [raw] : await bsf.filter(raw);
      if (bsf !== null) raw.free();
      for (const copy of copies) {
        shift(copy, by);
        count++;
        yield { packet: copy, timeS: seconds(copy.dts, tb), stream: 0 };
      }
    };
    for await (const packet of readPackets(demuxer, path, signal)) {
      if (packet.streamIndex !== stream.index) continue;
      const copy = cloneOf(packet);
      if (copy.dts === NOPTS) {
        waiting.push(copy);
        continue;
      }
      for (const p of release(copy.dts)) yield* emit(p);
      yield* emit(copy);
    }
    for (const p of release(null)) yield* emit(p);
  }
  return count;
}

function minPts(packets: readonly Packet[]): bigint {
  let min: bigint | null = null;
  for (const p of packets) if (p.pts !== NOPTS && (min === null || p.pts < min)) min = p.pts;
  return min ?? 0n;
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/** `t` in ticks of `tb`, rounded down. */
function floorTicks(t: JoinRequest['origin'], tb: Fraction): bigint {
  const num = BigInt(t.pts) * BigInt(t.timeBase[0]) * BigInt(tb[1]);
  const den = BigInt(t.timeBase[1]) * BigInt(tb[0]);
  return num / den;
}

async function* audioSource(
  audio: OpenAudio,
  by: bigint,
  streamIndex: number,
  signal: AbortSignal | undefined,
): Source {
  const tb = audio.stream.timeBase;
  let count = 0;
  for await (const packet of readPackets(audio.demuxer, audio.path, signal)) {
    if (packet.streamIndex !== audio.stream.index) continue;
    const copy = cloneOf(packet);
    shift(copy, by);
    count++;
    yield { packet: copy, timeS: seconds(copy.dts !== NOPTS ? copy.dts : copy.pts, tb), stream: streamIndex };
  }
  return count;
}

/** Writes packets from all sources in time order; returns the packet count of each source. */
async function interleave(sources: Source[], writer: MediaWriter): Promise<number[]> {
  const counts = sources.map(() => 0);
  const heads = await Promise.all(sources.map((s) => s.next()));
  for (;;) {
    let pick = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i]!;
      if (h.done === true) continue;
      if (pick < 0) pick = i;
      else {
        const p = heads[pick]!;
        if (p.done !== true && h.value.timeS < p.value.timeS) pick = i;
      }
    }
    if (pick < 0) break;
    const head = heads[pick]!;
    if (head.done === true) break;
    using packet = head.value.packet;
    await writer.write(packet, head.value.stream);
    counts[pick]!++;
    heads[pick] = await sources[pick]!.next();
  }
  return counts;
}

function seconds(ts: bigint, tb: Rational): number {
  return ts === NOPTS ? 0 : (Number(ts) * tb.num) / tb.den;
}

function cloneOf(packet: Packet): Packet {
  const copy = packet.clone();
  if (copy === null) throw new QuadStreamError('internal', 'join.oom', 'out of memory copying a packet');
  return copy;
}

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null || b === null) return a === b;
  return a.equals(b);
}

function codecNameOf(par: CodecParameters): string {
  return avGetCodecName(par.codecId) ?? 'unknown';
}

/** A `*_metadata` bitstream filter over the low-level context (packets in, packets out). */
class MetadataBsf implements Disposable {
  readonly #ctx: BitStreamFilterContext;
  readonly #out: Packet;

  private constructor(ctx: BitStreamFilterContext) {
    this.#ctx = ctx;
    this.#out = new Packet();
    this.#out.alloc();
  }

  static open(spec: MetadataFilter, parameters: CodecParameters, tb: Fraction): MetadataBsf {
    const filter = BitStreamFilter.getByName(spec.name);
    if (filter === null) {
      throw new QuadStreamError(
        'internal',
        'join.bsf',
        `bitstream filter ${spec.name} is not in this FFmpeg build`,
      );
    }
    const ctx = new BitStreamFilterContext();
    checkAv(ctx.alloc(filter), `allocate ${spec.name}`, 'internal', 'join.bsf');
    try {
      for (const [k, v] of Object.entries(spec.options)) {
        checkAv(ctx.setOption(k, v), `${spec.name}: set ${k}=${v}`, 'internal', 'join.bsf');
      }
      const par = ctx.inputCodecParameters;
      if (par === null)
        throw new QuadStreamError('internal', 'join.bsf', `${spec.name}: no input parameters`);
      checkAv(parameters.copy(par), `${spec.name}: copy parameters`, 'internal', 'join.bsf');
      ctx.inputTimeBase = new Rational(tb[0], tb[1]);
      checkAv(ctx.init(), `initialise ${spec.name}`, 'internal', 'join.bsf');
    } catch (error) {
      ctx.free();
      throw error;
    }
    return new MetadataBsf(ctx);
  }

  /** Parameters of the filtered stream (with rewritten headers). */
  get outputParameters(): CodecParameters | null {
    return this.#ctx.outputCodecParameters;
  }

  /** Filters one packet; returns new packets the caller frees. */
  async filter(packet: Packet): Promise<Packet[]> {
    const input = cloneOf(packet);
    try {
      const ret = await this.#ctx.sendPacket(input);
      if (ret < 0) throw new QuadStreamError('encode', 'join.bsf', `metadata filter: ${avErrorText(ret)}`);
    } finally {
      input.free();
    }
    const out: Packet[] = [];
    for (;;) {
      const ret = await this.#ctx.receivePacket(this.#out);
      if (ret === AVERROR_EAGAIN || ret === AVERROR_EOF) return out;
      if (ret < 0) throw new QuadStreamError('encode', 'join.bsf', `metadata filter: ${avErrorText(ret)}`);
      out.push(cloneOf(this.#out));
      this.#out.unref();
    }
  }

  close(): void {
    this.#out.free();
    this.#ctx.free();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
