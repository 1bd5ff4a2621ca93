/**
 * Worker-thread side of {@link VmafPool}: measures frames with its own {@link FrameExtractor}
 * (one per frame size) and answers each request with its measurement or an error message.
 */
import { parentPort } from 'node:worker_threads';
import type { PoolRequest, PoolResponse } from './pool.ts';
import { FrameExtractor } from './vmaf.ts';

const port = parentPort;
if (port === null) throw new Error('pool-worker.ts must run in a worker thread');

let extractor: FrameExtractor | undefined;

port.on('message', (request: PoolRequest) => {
  let response: PoolResponse;
  try {
    const { width, height } = request;
    if (extractor === undefined || extractor.width !== width || extractor.height !== height) {
      extractor = new FrameExtractor(width, height);
    }
    const plane = (data: Uint8Array) => ({ data, width, height, stride: width });
    const measurement = extractor.measure(
      request.index,
      plane(request.ref),
      request.dis === null ? null : plane(request.dis),
      request.prevRef === null ? null : plane(request.prevRef),
    );
    response = { id: request.id, ok: true, measurement };
  } catch (error) {
    response = { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(response);
});
