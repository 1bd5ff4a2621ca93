/**
 * Hardware devices for encoders that take hardware frames (VA-API, QSV, Vulkan): opening the
 * device with a one-line reason when it is not there, and uploading software frames to it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { Frame, HardwareDeviceContext, HardwareFramesContext } from 'node-av/lib';
import {
  AV_HWDEVICE_TYPE_QSV,
  AV_HWDEVICE_TYPE_VAAPI,
  AV_HWDEVICE_TYPE_VULKAN,
  AV_PIX_FMT_QSV,
  AV_PIX_FMT_VAAPI,
  AV_PIX_FMT_VULKAN,
  type AVHWDeviceType,
  type AVPixelFormat,
} from 'node-av/constants';
import { QuadStreamError } from '../core/errors.ts';
import { avErrorText, checkAv } from './av-error.ts';

/** APIs whose encoders take frames in a hardware frames context. */
export type HardwareFramesApi = 'vaapi' | 'qsv' | 'vulkan';

const DEVICE: Record<HardwareFramesApi, { type: AVHWDeviceType; format: AVPixelFormat; label: string }> = {
  vaapi: { type: AV_HWDEVICE_TYPE_VAAPI, format: AV_PIX_FMT_VAAPI, label: 'VA-API' },
  qsv: { type: AV_HWDEVICE_TYPE_QSV, format: AV_PIX_FMT_QSV, label: 'QSV' },
  vulkan: { type: AV_HWDEVICE_TYPE_VULKAN, format: AV_PIX_FMT_VULKAN, label: 'Vulkan' },
};

/** The DRM render nodes present (`/dev/dri/renderD128`, …). */
export function renderNodes(): string[] {
  try {
    return readdirSync('/dev/dri')
      .filter((n) => n.startsWith('renderD'))
      .map((n) => `/dev/dri/${n}`);
  } catch {
    return [];
  }
}

/** Why a hardware API cannot work here, judged from device nodes alone; `null` if it might. */
export function missingDeviceReason(api: string): string | null {
  if ((api === 'vaapi' || api === 'qsv') && renderNodes().length === 0) return 'no /dev/dri render node';
  if (api === 'nvenc' && !existsSync('/dev/nvidiactl')) return 'no NVIDIA device (/dev/nvidiactl missing)';
  return null;
}

/** A hardware device and a frames context sized for one stream; frees both on dispose. */
export class HardwareUploader implements Disposable {
  readonly device: HardwareDeviceContext;
  readonly frames: HardwareFramesContext;
  #closed = false;

  private constructor(device: HardwareDeviceContext, frames: HardwareFramesContext) {
    this.device = device;
    this.frames = frames;
  }

  /** Opens the device and a frames pool of `swFormat` at `width`×`height`. */
  static open(
    api: HardwareFramesApi,
    width: number,
    height: number,
    swFormat: AVPixelFormat,
  ): HardwareUploader {
    const spec = DEVICE[api];
    const precheck = missingDeviceReason(api);
    if (precheck !== null) throw new QuadStreamError('encode', 'hardware.no-device', precheck);
    const device = new HardwareDeviceContext();
    const ret = device.create(spec.type, null, null);
    if (ret < 0) {
      device.free();
      throw new QuadStreamError(
        'encode',
        'hardware.no-device',
        `${spec.label} device open failed: ${avErrorText(ret)}`,
      );
    }
    const frames = new HardwareFramesContext();
    frames.alloc(device);
    frames.format = spec.format;
    frames.swFormat = swFormat;
    frames.width = width;
    frames.height = height;
    const initRet = frames.init();
    if (initRet < 0) {
      frames.free();
      device.free();
      checkAv(initRet, `${spec.label} frames context init`);
    }
    return new HardwareUploader(device, frames);
  }

  /** Copies a software frame into a new hardware frame (the caller frees it). */
  async upload(src: Frame): Promise<Frame> {
    const dst = new Frame();
    dst.alloc();
    checkAv(this.frames.getBuffer(dst, 0), 'hardware frame allocation');
    checkAv(await this.frames.transferData(dst, src, 0), 'upload to hardware');
    dst.pts = src.pts;
    return dst;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.frames.free();
    this.device.free();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
