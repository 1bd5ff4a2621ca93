/**
 * VMAF models in libvmaf's JSON format, and the per-frame prediction libvmaf's `predict.c` does
 * with them: linear feature normalisation, nu-SVR, denormalisation, the optional score transform
 * and clipping.
 *
 * The bundled model is VMAF v0.6.1 (`model/vmaf_v0.6.1.json`, BSD-2-Clause-Patent, see
 * `model/LICENSE`).
 */
import { z } from 'zod';
import bundledV061 from './model/vmaf_v0.6.1.json' with { type: 'json' };
import { parseSvmModel, svmPredict, type SvmModel } from './svm.ts';

/** The features the integer VMAF extractors of this module produce, by libvmaf feature name. */
export const VMAF_FEATURES = [
  'integer_adm2',
  'integer_motion2',
  'integer_vif_scale0',
  'integer_vif_scale1',
  'integer_vif_scale2',
  'integer_vif_scale3',
] as const;
/** One of {@link VMAF_FEATURES}. */
export type VmafFeatureName = (typeof VMAF_FEATURES)[number];
/** Feature values of one frame. */
export type VmafFeatures = Readonly<Record<VmafFeatureName, number>>;

/** libvmaf's internal names of the features as they appear in model files. */
const MODEL_FEATURE_NAMES: Readonly<Record<string, VmafFeatureName>> = {
  VMAF_integer_feature_adm2_score: 'integer_adm2',
  VMAF_integer_feature_motion2_score: 'integer_motion2',
  VMAF_integer_feature_vif_scale0_score: 'integer_vif_scale0',
  VMAF_integer_feature_vif_scale1_score: 'integer_vif_scale1',
  VMAF_integer_feature_vif_scale2_score: 'integer_vif_scale2',
  VMAF_integer_feature_vif_scale3_score: 'integer_vif_scale3',
};

const optionalNumber = z.number().nullable().optional();

const modelSchema = z.object({
  model_dict: z.object({
    model_type: z.literal('LIBSVMNUSVR'),
    norm_type: z.enum(['linear_rescale', 'none']),
    feature_names: z.array(z.string()).min(1),
    slopes: z.array(z.number()),
    intercepts: z.array(z.number()),
    score_clip: z.tuple([z.number(), z.number()]).optional(),
    score_transform: z
      .object({
        enabled: z.boolean().optional(),
        p0: optionalNumber,
        p1: optionalNumber,
        p2: optionalNumber,
        knots: z
          .array(z.tuple([z.number(), z.number()]))
          .nullable()
          .optional(),
        out_lte_in: z.string().optional(),
        out_gte_in: z.string().optional(),
      })
      .optional(),
    model: z.string(),
  }),
});

/** Polynomial/piecewise-linear/rectification transform of a prediction (libvmaf `transform`). */
export interface ScoreTransform {
  /** Whether the model file itself enables the transform (`"enabled": true`). */
  readonly enabled: boolean;
  readonly p0: number | undefined;
  readonly p1: number | undefined;
  readonly p2: number | undefined;
  readonly knots: readonly (readonly [number, number])[] | undefined;
  readonly outLteIn: boolean;
  readonly outGteIn: boolean;
}

/** A loaded VMAF model. */
export interface VmafModel {
  /** The model's features in the order the SVM expects them. */
  readonly features: readonly VmafFeatureName[];
  /** `linear_rescale`: `x' = slope * x + intercept` per feature; `none`: features as they are. */
  readonly normType: 'linear_rescale' | 'none';
  /** Output slope and intercept (`slopes[0]`, `intercepts[0]`). */
  readonly outputSlope: number;
  readonly outputIntercept: number;
  /** Per-feature slopes and intercepts (`slopes[1..]`, `intercepts[1..]`). */
  readonly featureSlopes: readonly number[];
  readonly featureIntercepts: readonly number[];
  /** `[min, max]` the prediction is clipped to, if the model asks for it. */
  readonly clip: readonly [number, number] | undefined;
  readonly transform: ScoreTransform | undefined;
  readonly svm: SvmModel;
}

/**
 * Parses a VMAF model from its JSON form (already `JSON.parse`d). Throws an `Error` naming what is
 * wrong when the shape or the feature names are not supported.
 */
export function parseVmafModel(json: unknown): VmafModel {
  const dict = modelSchema.parse(json).model_dict;
  const features = dict.feature_names.map((name) => {
    const feature = MODEL_FEATURE_NAMES[name];
    if (feature === undefined) throw new Error(`VMAF model feature not supported: ${name}`);
    return feature;
  });
  const n = features.length;
  if (dict.slopes.length !== n + 1 || dict.intercepts.length !== n + 1) {
    throw new Error(`VMAF model needs ${n + 1} slopes and intercepts`);
  }
  const t = dict.score_transform;
  return {
    features,
    normType: dict.norm_type,
    outputSlope: dict.slopes[0] as number,
    outputIntercept: dict.intercepts[0] as number,
    featureSlopes: dict.slopes.slice(1),
    featureIntercepts: dict.intercepts.slice(1),
    clip: dict.score_clip,
    transform:
      t === undefined
        ? undefined
        : {
            enabled: t.enabled === true,
            p0: t.p0 ?? undefined,
            p1: t.p1 ?? undefined,
            p2: t.p2 ?? undefined,
            knots: t.knots ?? undefined,
            outLteIn: t.out_lte_in === 'true',
            outGteIn: t.out_gte_in === 'true',
          },
    svm: parseSvmModel(dict.model, n),
  };
}

/** The bundled VMAF v0.6.1 model (what libvmaf and FFmpeg's `libvmaf` filter use by default). */
export const VMAF_V061: VmafModel = parseVmafModel(bundledV061);

/** Options of {@link predictVmaf}, mirroring libvmaf's model flags. */
export interface PredictOptions {
  /** Apply the model's score transform even if the file does not enable it (libvmaf's
   * `VMAF_MODEL_FLAG_ENABLE_TRANSFORM`, off by default and in FFmpeg). */
  readonly enableTransform?: boolean;
  /** Skip clipping (libvmaf's `VMAF_MODEL_FLAG_DISABLE_CLIP`). */
  readonly disableClip?: boolean;
}

/** The VMAF score of one frame from its features. */
export function predictVmaf(model: VmafModel, features: VmafFeatures, options: PredictOptions = {}): number {
  const x = new Float64Array(model.features.length);
  model.features.forEach((name, i) => {
    const value = features[name];
    x[i] =
      model.normType === 'linear_rescale'
        ? (model.featureSlopes[i] as number) * value + (model.featureIntercepts[i] as number)
        : value;
  });
  let score = svmPredict(model.svm, x);
  if (model.normType === 'linear_rescale') score = (score - model.outputIntercept) / model.outputSlope;
  const t = model.transform;
  if (t !== undefined && (t.enabled || options.enableTransform === true)) score = transform(t, score);
  if (model.clip !== undefined && options.disableClip !== true) {
    const [lo, hi] = model.clip;
    if (score < lo) score = lo;
    if (score > hi) score = hi;
  }
  return score;
}

function transform(t: ScoreTransform, input: number): number {
  let out = input;
  if (t.p0 !== undefined || t.p1 !== undefined || t.p2 !== undefined) {
    out = 0;
    if (t.p0 !== undefined) out += t.p0;
    if (t.p1 !== undefined) out += t.p1 * input;
    if (t.p2 !== undefined) out += t.p2 * input * input;
  }
  if (t.knots !== undefined && t.knots.length > 1) out = piecewiseLinear(out, t.knots);
  if (t.outLteIn && out > input) out = input;
  if (t.outGteIn && out < input) out = input;
  return out;
}

function piecewiseLinear(x: number, knots: readonly (readonly [number, number])[]): number {
  let y = 0;
  const segments = knots.length - 1;
  for (let i = 0; i < segments; ++i) {
    const [x0, y0] = knots[i] as readonly [number, number];
    const [x1, y1] = knots[i + 1] as readonly [number, number];
    const inside = x0 <= x && x <= x1;
    let slope = 1;
    let offset = 0;
    if (y0 !== y1) {
      if (x0 === 0) {
        offset = y0;
        slope = (y1 - offset) / x1;
      } else {
        slope = (y1 - y0) / (x1 - x0);
        offset = y0 - x0 * slope;
      }
    }
    const value = y0 === y1 ? y0 : slope * x + offset;
    if (inside) y = value;
    if (i === 0 && x < x0) y = value;
    if (i === segments - 1 && x > x1) y = value;
  }
  return y;
}
