/**
 * The test pattern's FFmpeg filter graph: `testsrc2` (moving gradient, shapes and text) over the
 * top half, and over the bottom half two fine-detail textures moving in different directions and
 * blended at half strength (a Sierpinski carpet panning sideways, a rule-30 cellular automaton scrolling down),
 * so that the encoder meets motion and detail it cannot predict away, as on real content. At
 * 1080p60 and 8 Mbit/s, x264 ultrafast fills about its whole bitrate budget with it.
 */

/** A lavfi graph (without the `lavfi:` prefix) producing the pattern in yuv420p. */
export function testPatternGraph(width: number, height: number, fpsNum: number, fpsDen: number): string {
  const rate = `${fpsNum}/${fpsDen}`;
  const half = Math.max(2, Math.floor(height / 4) * 2);
  const top = height - half;
  // Each texture is rendered once (trim to one frame), looped, and a moving window cropped out of it.
  const still = `format=yuv420p,trim=end_frame=1,loop=loop=-1:size=1,setpts=N/(${rate})/TB`;
  const pan =
    `sierpinski=size=${width * 2}x${half}:rate=${rate}:type=carpet:seed=3,${still},` +
    `crop=w=${width}:h=${half}:x='mod(n*6\\,${width})':y=0`;
  const scroll =
    `cellauto=size=${width}x${half * 2}:rule=30:rate=${rate}:random_fill_ratio=0.5:random_seed=7,${still},` +
    `crop=w=${width}:h=${half}:x=0:y='mod(n*3\\,${half})'`;
  return (
    `testsrc2=size=${width}x${height}:rate=${rate},format=yuv420p[base];` +
    `${pan}[pan];${scroll}[scroll];[pan][scroll]blend=all_mode=average:all_opacity=0.5[detail];` +
    `[base][detail]overlay=x=0:y=${top}:shortest=1,format=yuv420p`
  );
}
