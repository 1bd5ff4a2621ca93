/**
 * Prediction with a libsvm nu-SVR model and an RBF kernel, as libvmaf's bundled libsvm computes it
 * (`svm_predict` → `svm_predict_values`): `sum_i coef_i * exp(-gamma * |x - sv_i|^2) - rho`.
 */

/** A parsed libsvm regression model with dense support vectors. */
export interface SvmModel {
  /** Kernel width of the RBF kernel. */
  readonly gamma: number;
  /** Bias subtracted from the kernel sum. */
  readonly rho: number;
  /** Number of features (support vector dimension). */
  readonly dimension: number;
  /** Coefficient of each support vector. */
  readonly coefficients: Float64Array;
  /** Support vectors, `dimension` values each, row after row (absent indices are 0). */
  readonly supportVectors: Float64Array;
}

/**
 * Parses libsvm's text model format (the `model` string of a VMAF JSON model). Only
 * `svm_type nu_svr` or `epsilon_svr` with `kernel_type rbf` is accepted.
 */
export function parseSvmModel(text: string, dimension: number): SvmModel {
  const lines = text.split('\n');
  let gamma = Number.NaN;
  let rho = Number.NaN;
  let svStart = -1;
  for (let i = 0; i < lines.length; ++i) {
    const [key, value] = (lines[i] as string).trim().split(/\s+/);
    if (key === 'svm_type' && value !== 'nu_svr' && value !== 'epsilon_svr') {
      throw new Error(`unsupported svm_type ${String(value)}`);
    }
    if (key === 'kernel_type' && value !== 'rbf') throw new Error(`unsupported kernel_type ${String(value)}`);
    if (key === 'gamma') gamma = Number.parseFloat(value ?? '');
    if (key === 'rho') rho = Number.parseFloat(value ?? '');
    if (key === 'SV') {
      svStart = i + 1;
      break;
    }
  }
  if (!Number.isFinite(gamma) || !Number.isFinite(rho) || svStart < 0) {
    throw new Error('libsvm model lacks gamma, rho or SV section');
  }
  const rows = lines.slice(svStart).filter((line) => line.trim() !== '');
  const coefficients = new Float64Array(rows.length);
  const supportVectors = new Float64Array(rows.length * dimension);
  rows.forEach((line, r) => {
    const parts = line.trim().split(/\s+/);
    coefficients[r] = Number.parseFloat(parts[0] ?? '');
    for (const part of parts.slice(1)) {
      const [index, value] = part.split(':');
      const k = Number.parseInt(index ?? '', 10) - 1;
      if (!(k >= 0 && k < dimension)) throw new Error(`support vector index out of range: ${part}`);
      supportVectors[r * dimension + k] = Number.parseFloat(value ?? '');
    }
  });
  return { gamma, rho, dimension, coefficients, supportVectors };
}

/** The decision value of `model` for the (already normalised) feature vector `x`. */
export function svmPredict(model: SvmModel, x: ArrayLike<number>): number {
  const { gamma, dimension, coefficients, supportVectors } = model;
  let sum = 0;
  for (let i = 0; i < coefficients.length; ++i) {
    let dist = 0;
    const base = i * dimension;
    for (let k = 0; k < dimension; ++k) {
      const d = (x[k] as number) - (supportVectors[base + k] as number);
      dist += d * d;
    }
    sum += (coefficients[i] as number) * Math.exp(-gamma * dist);
  }
  return sum - model.rho;
}
