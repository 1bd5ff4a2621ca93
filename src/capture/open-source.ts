/**
 * Opens a live source from its command-line spelling: `test`, `file:PATH`, `screen[:DISPLAY]`,
 * `camera[:DEVICE]`. Opening checks the source (missing file, no display, no camera) so that
 * mistakes surface at start, as one-line `input` errors.
 */
import { QuadStreamError } from '../core/errors.ts';
import { openCameraSource, openScreenSource } from './device-source.ts';
import { openFileSource } from './file-source.ts';
import { openTestSource } from './test-source.ts';
import type { FrameSource } from './types.ts';

/** What the caller wants from the source; sizes and rates are hints for device and file sources. */
export interface SourceRequest {
  /** `test`, `file:PATH`, `screen`, `screen:DISPLAY`, `camera`, `camera:DEVICE`. */
  readonly spec: string;
  /** Picture size: the test source's size; scaling for files; grab region / mode for devices. */
  readonly width?: number;
  readonly height?: number;
  readonly frameRate: readonly [number, number];
}

/** Opens the source `request.spec` names. The caller closes it. */
export async function openSource(request: SourceRequest): Promise<FrameSource> {
  const { spec, frameRate } = request;
  const size =
    request.width !== undefined && request.height !== undefined
      ? { width: request.width, height: request.height }
      : {};
  if (spec === 'test') {
    return openTestSource({ width: request.width ?? 1920, height: request.height ?? 1080, frameRate });
  }
  if (spec.startsWith('file:')) {
    const path = spec.slice('file:'.length);
    if (path === '')
      throw new QuadStreamError('input', 'capture.bad-source', 'file: source needs a path (file:PATH)');
    return openFileSource(path, size);
  }
  if (spec === 'screen' || spec.startsWith('screen:')) {
    const display = spec === 'screen' ? undefined : spec.slice('screen:'.length);
    return openScreenSource({ frameRate, ...size, ...(display === undefined ? {} : { display }) });
  }
  if (spec === 'camera' || spec.startsWith('camera:')) {
    const device = spec === 'camera' ? undefined : spec.slice('camera:'.length);
    return openCameraSource({ frameRate, ...size, ...(device === undefined ? {} : { device }) });
  }
  throw new QuadStreamError(
    'input',
    'capture.bad-source',
    `unknown source "${spec}" (use test, file:PATH, screen[:DISPLAY] or camera[:DEVICE])`,
  );
}
