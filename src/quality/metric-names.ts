/** The metrics `compare` computes, in a module that loads nothing else (the CLI lists them cheaply). */
export const COMPARE_METRICS = ['psnr', 'ssim', 'xpsnr', 'vmaf'] as const;
export type CompareMetric = (typeof COMPARE_METRICS)[number];
