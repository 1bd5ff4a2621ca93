/**
 * Painting decoded frames: WebGL 2 (the frame uploaded as a texture, drawn as one triangle) or a
 * 2D canvas (`drawImage`). The canvas follows the frame's size; CSS scales it to the window.
 */

/** Paints frames (or bitmaps made from them) on a canvas. */
export interface Renderer {
  readonly kind: 'webgl' | '2d' | 'bitmap';
  draw(frame: VideoFrame | ImageBitmap): void;
}

/** Width and height of a frame or bitmap. */
function sizeOf(image: VideoFrame | ImageBitmap): { width: number; height: number } {
  return image instanceof VideoFrame
    ? { width: image.displayWidth, height: image.displayHeight }
    : { width: image.width, height: image.height };
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
function fit(canvas: HTMLCanvasElement, image: VideoFrame | ImageBitmap, fitToWindow: boolean): void {
  const own = sizeOf(image);
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

  draw(image: VideoFrame | ImageBitmap): void {
    if (image instanceof VideoFrame) throw new Error('the bitmap renderer needs bitmaps');
    this.#ctx.transferFromImageBitmap(image);
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

  draw(frame: VideoFrame | ImageBitmap): void {
    fit(this.#canvas, frame, this.#fitToWindow);
    this.#ctx.drawImage(frame, 0, 0, this.#canvas.width, this.#canvas.height);
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

const FRAGMENT = `#version 300 es
precision mediump float;
in vec2 uv;
uniform sampler2D picture;
out vec4 color;
void main() { color = texture(picture, uv); }`;

class WebGlRenderer implements Renderer {
  readonly kind = 'webgl' as const;
  readonly #canvas: HTMLCanvasElement;
  readonly #gl: WebGL2RenderingContext;
  readonly #fitToWindow: boolean;

  constructor(canvas: HTMLCanvasElement, gl: WebGL2RenderingContext, fitToWindow: boolean) {
    this.#canvas = canvas;
    this.#gl = gl;
    this.#fitToWindow = fitToWindow;
    const program = gl.createProgram();
    for (const [type, source] of [
      [gl.VERTEX_SHADER, VERTEX],
      [gl.FRAGMENT_SHADER, FRAGMENT],
    ] as const) {
      const shader = gl.createShader(type);
      if (shader === null) throw new Error('WebGL: cannot create a shader');
      gl.shaderSource(shader, source);
      gl.compileShader(shader);
      if (gl.getShaderParameter(shader, gl.COMPILE_STATUS) !== true)
        throw new Error(`WebGL: ${gl.getShaderInfoLog(shader) ?? 'shader error'}`);
      gl.attachShader(program, shader);
    }
    gl.linkProgram(program);
    if (gl.getProgramParameter(program, gl.LINK_STATUS) !== true)
      throw new Error(`WebGL: ${gl.getProgramInfoLog(program) ?? 'link error'}`);
    gl.useProgram(program);
    const texture = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
  }

  draw(frame: VideoFrame | ImageBitmap): void {
    const gl = this.#gl;
    fit(this.#canvas, frame, this.#fitToWindow);
    gl.viewport(0, 0, this.#canvas.width, this.#canvas.height);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, frame);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
  }
}

/**
 * A renderer of the kind asked for; WebGL falls back to 2D when WebGL 2 is not available.
 * `fitToWindow`: size the canvas to its on-screen size rather than the frame's.
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
