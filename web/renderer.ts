/**
 * Painting decoded frames: WebGL 2 (the frame uploaded as a texture, drawn as one triangle) or a
 * 2D canvas (`drawImage`). The canvas follows the frame's size; CSS scales it to the window.
 */

/** Paints frames on a canvas. */
export interface Renderer {
  readonly kind: 'webgl' | '2d';
  draw(frame: VideoFrame): void;
}

function fit(canvas: HTMLCanvasElement, frame: VideoFrame): void {
  if (canvas.width !== frame.displayWidth || canvas.height !== frame.displayHeight) {
    canvas.width = frame.displayWidth;
    canvas.height = frame.displayHeight;
  }
}

class Canvas2dRenderer implements Renderer {
  readonly kind = '2d' as const;
  readonly #canvas: HTMLCanvasElement;
  readonly #ctx: CanvasRenderingContext2D;

  constructor(canvas: HTMLCanvasElement, ctx: CanvasRenderingContext2D) {
    this.#canvas = canvas;
    this.#ctx = ctx;
  }

  draw(frame: VideoFrame): void {
    fit(this.#canvas, frame);
    this.#ctx.drawImage(frame, 0, 0);
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

  constructor(canvas: HTMLCanvasElement, gl: WebGL2RenderingContext) {
    this.#canvas = canvas;
    this.#gl = gl;
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

  draw(frame: VideoFrame): void {
    const gl = this.#gl;
    fit(this.#canvas, frame);
    gl.viewport(0, 0, this.#canvas.width, this.#canvas.height);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, frame);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
  }
}

/** A renderer of the kind asked for; WebGL falls back to 2D when WebGL 2 is not available. */
export function createRenderer(canvas: HTMLCanvasElement, kind: 'webgl' | '2d'): Renderer {
  if (kind === 'webgl') {
    const gl = canvas.getContext('webgl2', { alpha: false, antialias: false, desynchronized: true });
    if (gl !== null) return new WebGlRenderer(canvas, gl);
  }
  const ctx = canvas.getContext('2d', { alpha: false, desynchronized: true });
  if (ctx === null) throw new Error('no 2D canvas context');
  return new Canvas2dRenderer(canvas, ctx);
}
