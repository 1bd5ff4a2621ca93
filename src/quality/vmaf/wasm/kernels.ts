/**
 * The WebAssembly kernels of the VMAF features. Their source is the WebAssembly text next to this
 * file (`vif.wat`, `adm.wat`, `motion.wat`), compiled with wabt when this module is first imported
 * in a thread (about 60 ms) and kept for the thread's lifetime: there is no build step and no
 * binary in the repository. Compiling at import keeps the extractors' constructors synchronous.
 * The kernels use 128-bit SIMD, which every Node.js release this project supports has.
 */
import { readFile } from 'node:fs/promises';
import wabtInit from 'wabt';
import { describeError, QuadStreamError } from '../../../core/errors.ts';
import type { LumaPlane } from '../plane.ts';

/** The kernel modules, one per `.wat` file. */
export const VMAF_KERNEL_NAMES = ['vif', 'adm', 'motion'] as const;
export type VmafKernelName = (typeof VMAF_KERNEL_NAMES)[number];

/** Compiled kernel modules, one per `.wat` file. */
export type VmafKernels = Readonly<Record<VmafKernelName, WebAssembly.Module>>;

/**
 * Compiles the kernels. Throws a `QuadStreamError` of kind `internal` when a `.wat` file cannot be
 * read or compiled.
 */
async function compileKernels(): Promise<VmafKernels> {
  const wabt = await wabtInit();
  const compile = async (name: VmafKernelName): Promise<WebAssembly.Module> => {
    const url = new URL(`./${name}.wat`, import.meta.url);
    try {
      const text = await readFile(url, 'utf8');
      const parsed = wabt.parseWat(`${name}.wat`, text, { simd: true });
      try {
        parsed.resolveNames();
        parsed.validate();
        // A fresh ArrayBuffer-backed copy: wabt hands out a view typed as possibly shared.
        const bytes = new Uint8Array(parsed.toBinary({ write_debug_names: true }).buffer);
        return await WebAssembly.compile(bytes);
      } finally {
        parsed.destroy();
      }
    } catch (error) {
      throw new QuadStreamError(
        'internal',
        'internal.vmaf-kernel',
        `${url.pathname}: cannot compile the VMAF kernel: ${describeError(error)}`,
        { cause: error, subject: url.pathname },
      );
    }
  };
  const [vif, adm, motion] = await Promise.all(VMAF_KERNEL_NAMES.map(compile));
  return {
    vif: vif as WebAssembly.Module,
    adm: adm as WebAssembly.Module,
    motion: motion as WebAssembly.Module,
  };
}

/** This thread's compiled kernels; each extractor instantiates its own (with its own memory). */
export const VMAF_KERNELS: VmafKernels = await compileKernels();

/**
 * The linear memory of a kernel instance (its `memory` export), grown to at least `bytes`. Take
 * views of its buffer only after growing: growing detaches the old buffer.
 */
export function instanceMemory(instance: WebAssembly.Instance, bytes: number): WebAssembly.Memory {
  const memory = instance.exports.memory as WebAssembly.Memory;
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
  return memory;
}

/**
 * Hands out the offsets of a kernel's buffers in its linear memory, in order and 16-byte aligned.
 * Offset 0 stays unused, so a zero pointer never names a buffer.
 */
export class MemoryLayout {
  #end = 64;

  /** Reserves `bytes` plus `slack` bytes after them (for vector reads past the end). */
  take(bytes: number, slack = 16): number {
    const at = this.#end;
    this.#end = Math.ceil((at + bytes + slack) / 16) * 16;
    return at;
  }

  /** Bytes the memory must hold. */
  get size(): number {
    return this.#end;
  }
}

/** Copies `plane` into `bytes` at `at`, tightly packed (`width` bytes per row). */
export function writePlane(bytes: Uint8Array, at: number, plane: LumaPlane): void {
  const { width, height, stride, data } = plane;
  if (stride === width) {
    bytes.set(data.subarray(0, width * height), at);
    return;
  }
  for (let y = 0; y < height; ++y) bytes.set(data.subarray(y * stride, y * stride + width), at + y * width);
}
