/**
 * Painting decoded pictures: a 2D canvas (`drawImage` of the YUV frame, the browser converting),
 * WebGL 2 (the picture's Y, U and V planes uploaded as three one-channel textures and converted to
 * RGB in a fragment shader, drawn as one triangle; a frame in another format is uploaded as an RGB
 * texture instead), or a `bitmaprenderer` showing bitmaps the worker made.
 */
import type { PlanarPicture } from './messages.ts';

/** What the worker hands the page to paint. */
export type Picture = VideoFrame | ImageBitmap | PlanarPicture;

/** Paints pictures on a canvas. */
export interface Renderer {
  readonly kind: 'webgl' | '2d' | 'bitmap';
  draw(picture: Picture): void;
}

/** Releases what a picture holds (a frame's decoder buffer, a bitmap's memory). */
export function closePicture(picture: Picture): void {
  if (picture instanceof VideoFrame || picture instanceof ImageBitmap) picture.close();
}

/** Width and height of a picture. */
function sizeOf(p: Picture): { width: number; height: number } {
  if (p instanceof VideoFrame) return { width: p.displayWidth, height: p.displayHeight };
  return { width: p.width, height: p.height };
}

/**
 * The largest size with `width`×`height`'s aspect ratio that fits `canvas` on screen (device
 * pixels), never larger than the source, with even sides.
 */
export function fittedSize(
  canvas: HTMLCanvasElement,
  width: number,
  height: number,
): { width: number; height: number } {
  const dpr = window.devicePixelRatio || 1;
  const scale = Math.min(1, (canvas.clientWidth * dpr) / width, (canvas.clientHeight * dpr) / height);
  if (!(scale > 0)) return { width, height };
  return {
    width: Math.max(2, Math.round((width * scale) / 2) * 2),
    height: Math.max(2, Math.round((height * scale) / 2) * 2),
  };
}

/**
 * Sizes the canvas: the picture's own size, or (`fitToWindow`) its size on screen (see
 * {@link fittedSize}): a smaller backing store costs the compositor less.
 */
function fit(canvas: HTMLCanvasElement, picture: Picture, fitToWindow: boolean): void {
  const own = sizeOf(picture);
  const { width, height } = fitToWindow ? fittedSize(canvas, own.width, own.height) : own;
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
}

/** Shows bitmaps made in the worker without copying them (`bitmaprenderer`). */
class BitmapRenderer implements Renderer {
  readonly kind = 'bitmap' as const;
  readonly #ctx: ImageBitmapRenderingContext;

  constructor(ctx: ImageBitmapRenderingContext) {
    this.#ctx = ctx;
  }

  draw(picture: Picture): void {
    if (!(picture instanceof ImageBitmap)) throw new Error('the bitmap renderer needs bitmaps');
    this.#ctx.transferFromImageBitmap(picture);
  }
}

class Canvas2dRenderer implements Renderer {
  readonly kind = '2d' as const;
  readonly #canvas: HTMLCanvasElement;
  readonly #ctx: CanvasRenderingContext2D;
  readonly #fitToWindow: boolean;

  constructor(canvas: HTMLCanvasElement, ctx: CanvasRenderingContext2D, fitToWindow: boolean) {
    this.#canvas = canvas;
    this.#ctx = ctx;
    this.#fitToWindow = fitToWindow;
  }

  draw(picture: Picture): void {
    if (!(picture instanceof VideoFrame || picture instanceof ImageBitmap))
      throw new Error('the 2D renderer needs frames or bitmaps');
    fit(this.#canvas, picture, this.#fitToWindow);
    this.#ctx.drawImage(picture, 0, 0, this.#canvas.width, this.#canvas.height);
  }
}

// One triangle covering the viewport; the texture's first row (top of the picture) at v = 0.
const VERTEX = `#version 300 es
out vec2 uv;
void main() {
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  uv = vec2(p.x, 1.0 - p.y);
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}`;

const RGB_FRAGMENT = `#version 300 es
precision mediump float;
in vec2 uv;
uniform sampler2D picture;
out vec4 color;
void main() { color = texture(picture, uv); }`;

// Y'CbCr to R'G'B': the offsets and matrix come as uniforms (BT.709 or BT.601, limited or full).
const YUV_FRAGMENT = `#version 300 es
precision mediump float;
in vec2 uv;
uniform sampler2D planeY;
uniform sampler2D planeU;
uniform sampler2D planeV;
uniform bool interleaved;
uniform vec3 offset;
uniform mat3 matrix;
out vec4 color;
void main() {
  float y = texture(planeY, uv).r;
  vec2 c = interleaved ? texture(planeU, uv).rg : vec2(texture(planeU, uv).r, texture(planeV, uv).r);
  color = vec4(clamp(matrix * (vec3(y, c) - offset), 0.0, 1.0), 1.0);
}`;

function program(gl: WebGL2RenderingContext, fragment: string): WebGLProgram {
  const p = gl.createProgram();
  for (const [type, source] of [
    [gl.VERTEX_SHADER, VERTEX],
    [gl.FRAGMENT_SHADER, fragment],
  ] as const) {
    const shader = gl.createShader(type);
    if (shader === null) throw new Error('WebGL: cannot create a shader');
    gl.shaderSource(shader, source);
    gl.compileShader(shader);
    if (gl.getShaderParameter(shader, gl.COMPILE_STATUS) !== true)
      throw new Error(`WebGL: ${gl.getShaderInfoLog(shader) ?? 'shader error'}`);
    gl.attachShader(p, shader);
  }
  gl.linkProgram(p);
  if (gl.getProgramParameter(p, gl.LINK_STATUS) !== true)
    throw new Error(`WebGL: ${gl.getProgramInfoLog(p) ?? 'link error'}`);
  return p;
}

function texture(gl: WebGL2RenderingContext, unit: number): WebGLTexture {
  const t = gl.createTexture();
  gl.activeTexture(gl.TEXTURE0 + unit);
  gl.bindTexture(gl.TEXTURE_2D, t);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
  return t;
}

/** Column-major YUV → RGB matrices (Y scaled to 0–1 first). */
const MATRICES = {
  bt709: [1, 1, 1, 0, -0.1873, 1.8556, 1.5748, -0.4681, 0],
  bt601: [1, 1, 1, 0, -0.3441, 1.772, 1.402, -0.7141, 0],
} as const;

class WebGlRenderer implements Renderer {
  readonly kind = 'webgl' as const;
  readonly #canvas: HTMLCanvasElement;
  readonly #gl: WebGL2RenderingContext;
  readonly #fitToWindow: boolean;
  readonly #rgb: WebGLProgram;
  readonly #yuv: WebGLProgram;
  readonly #textures: WebGLTexture[];

  constructor(canvas: HTMLCanvasElement, gl: WebGL2RenderingContext, fitToWindow: boolean) {
    this.#canvas = canvas;
    this.#gl = gl;
    this.#fitToWindow = fitToWindow;
    this.#rgb = program(gl, RGB_FRAGMENT);
    this.#yuv = program(gl, YUV_FRAGMENT);
    this.#textures = [texture(gl, 0), texture(gl, 1), texture(gl, 2)];
    gl.useProgram(this.#yuv);
    gl.uniform1i(gl.getUniformLocation(this.#yuv, 'planeY'), 0);
    gl.uniform1i(gl.getUniformLocation(this.#yuv, 'planeU'), 1);
    gl.uniform1i(gl.getUniformLocation(this.#yuv, 'planeV'), 2);
    gl.useProgram(this.#rgb);
    gl.uniform1i(gl.getUniformLocation(this.#rgb, 'picture'), 0);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
  }

  draw(picture: Picture): void {
    const gl = this.#gl;
    fit(this.#canvas, picture, this.#fitToWindow);
    gl.viewport(0, 0, this.#canvas.width, this.#canvas.height);
    if (picture instanceof VideoFrame || picture instanceof ImageBitmap) {
      gl.useProgram(this.#rgb);
      gl.activeTexture(gl.TEXTURE0);
      gl.bindTexture(gl.TEXTURE_2D, this.#textures[0]!);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, picture);
    } else {
      this.#upload(picture);
    }
    gl.drawArrays(gl.TRIANGLES, 0, 3);
  }

  #upload(p: PlanarPicture): void {
    const gl = this.#gl;
    gl.useProgram(this.#yuv);
    const cw = Math.ceil(p.width / 2);
    const ch = Math.ceil(p.height / 2);
    const planes =
      p.format === 'I420'
        ? [
            { w: p.width, h: p.height, fmt: gl.R8, src: gl.RED, bpp: 1 },
            { w: cw, h: ch, fmt: gl.R8, src: gl.RED, bpp: 1 },
            { w: cw, h: ch, fmt: gl.R8, src: gl.RED, bpp: 1 },
          ]
        : [
            { w: p.width, h: p.height, fmt: gl.R8, src: gl.RED, bpp: 1 },
            { w: cw, h: ch, fmt: gl.RG8, src: gl.RG, bpp: 2 },
          ];
    planes.forEach((plane, i) => {
      const l = p.layout[i];
      if (l === undefined) return;
      gl.activeTexture(gl.TEXTURE0 + i);
      gl.bindTexture(gl.TEXTURE_2D, this.#textures[i]!);
      gl.pixelStorei(gl.UNPACK_ROW_LENGTH, l.stride / plane.bpp);
      const bytes = new Uint8Array(p.data, l.offset, l.stride * (plane.h - 1) + plane.w * plane.bpp);
      gl.texImage2D(gl.TEXTURE_2D, 0, plane.fmt, plane.w, plane.h, 0, plane.src, gl.UNSIGNED_BYTE, bytes);
    });
    gl.pixelStorei(gl.UNPACK_ROW_LENGTH, 0);
    gl.uniform1i(gl.getUniformLocation(this.#yuv, 'interleaved'), p.format === 'NV12' ? 1 : 0);
    // Limited range: Y from 16/255 with a 219/255 span, chroma around 128/255 with 224/255.
    const [ys, cs] = p.fullRange ? [1, 1] : [255 / 219, 255 / 224];
    const m = MATRICES[p.matrix];
    const scaled = [
      m[0] * ys,
      m[1] * ys,
      m[2] * ys,
      m[3] * cs,
      m[4] * cs,
      m[5] * cs,
      m[6] * cs,
      m[7] * cs,
      m[8] * cs,
    ];
    gl.uniformMatrix3fv(gl.getUniformLocation(this.#yuv, 'matrix'), false, scaled);
    gl.uniform3f(
      gl.getUniformLocation(this.#yuv, 'offset'),
      p.fullRange ? 0 : 16 / 255,
      128 / 255,
      128 / 255,
    );
  }
}

/**
 * A renderer of the kind asked for; WebGL and bitmap fall back to 2D when not available.
 * `fitToWindow`: size the canvas to its on-screen size rather than the picture's.
 */
export function createRenderer(
  canvas: HTMLCanvasElement,
  kind: 'webgl' | '2d' | 'bitmap',
  fitToWindow: boolean,
): Renderer {
  if (kind === 'bitmap') {
    const ctx = canvas.getContext('bitmaprenderer', { alpha: false });
    if (ctx !== null) return new BitmapRenderer(ctx);
  }
  if (kind === 'webgl') {
    const gl = canvas.getContext('webgl2', { alpha: false, antialias: false, desynchronized: true });
    if (gl !== null) return new WebGlRenderer(canvas, gl, fitToWindow);
  }
  const ctx = canvas.getContext('2d', { alpha: false, desynchronized: true });
  if (ctx === null) throw new Error('no 2D canvas context');
  return new Canvas2dRenderer(canvas, ctx, fitToWindow);
}
