;; VIF of libvmaf 3.2.0's integer_vif.c for 8-bit luma: the statistic of each scale
;; (vif_statistic_8 at scale 0, vif_statistic_16 at scales 1..3) and the decimation between
;; scales (subsample_rd_8, subsample_rd_16), with the same fixed-point filters and roundings.
;;
;; Every filter is separable and symmetric; each output row is filtered vertically into padded
;; row buffers, mirrored at the ends, filtered horizontally, and turned into the per-pixel
;; statistic. Intermediate sums are exact: where libvmaf uses uint64 (sums of filtered squares,
;; up to 2^48), a value v < 2^32 is split into v >> 16 and v & 0xffff and the two halves are
;; filtered separately in uint32 lanes (the filters sum to 65536, so neither half overflows):
;;   (sum(f * v) + 32768) >> 16 == sum(f * hi) + ((sum(f * lo) + 32768) >> 16)   (mod 2^32).
;;
;; Memory belongs to the caller (vif.ts), which passes pointers:
;;   ref, dis     the pictures: uint8 at scale 0, uint16 at scales 1..3, packed (stride = w);
;;                reads may run 16 bytes past a picture's end
;;   coef         the scale's filter as int32[fw], fw = 2 * half + 1
;;   log2         libvmaf's log2 table, uint16[65536] (entries 32767..65535 used)
;;   rows         scratch of rows_bytes() bytes: tap offsets, then 11 rows of int32 lanes:
;;                mu1, mu2, xx hi, xx lo, yy hi, yy lo, xy hi, xy lo (each padded by PAD = 8
;;                lanes on both sides), then sigma1_sq, sigma2_sq, sigma12
;;   acc          4 int64: accum_num_log, accum_den_log, accum_num_non_log, accum_den_non_log
(module
  (memory (export "memory") 1)

  ;; Bytes between two scratch rows: 8224 lanes, room for w + 2 * PAD lanes plus 16 lanes of
  ;; slack for vector tails up to w = 8192. A constant, so that the hot loops reach every row
  ;; with a constant offset from one pointer (the literal 32896 and its multiples below).
  (global $ROW_STRIDE i32 (i32.const 32896))

  ;; The widest picture the row scratch holds.
  (func (export "max_width") (result i32)
    (i32.const 8192))

  ;; Size of the `rows` scratch.
  (func (export "rows_bytes") (result i32)
    (i32.add (i32.const 128) (i32.mul (i32.const 11) (global.get $ROW_STRIDE))))

  ;; Address of lane 0 (the first pixel, after the padding) of scratch row `n`.
  (func $row (param $rows i32) (param $rs i32) (param $n i32) (result i32)
    (i32.add (i32.add (local.get $rows) (i32.const 160)) (i32.mul (local.get $n) (local.get $rs))))

  ;; Byte offsets (row * w * bytes) of the 2 * half + 1 taps around row i, mirrored at the top
  ;; and bottom (-r -> r, h - 1 + r -> h - 1 - r), stored as int32 at rows + 0.
  (func $taps (param $rows i32) (param $i i32) (param $half i32) (param $h i32) (param $stride i32)
    (local $k i32) (local $r i32)
    (local.set $k (i32.const 0))
    (loop $next
      (local.set $r (i32.add (i32.sub (local.get $i) (local.get $half)) (local.get $k)))
      (if (i32.lt_s (local.get $r) (i32.const 0))
        (then (local.set $r (i32.sub (i32.const 0) (local.get $r)))))
      (if (i32.ge_s (local.get $r) (local.get $h))
        (then (local.set $r (i32.sub (i32.shl (i32.sub (local.get $h) (i32.const 1)) (i32.const 1)) (local.get $r)))))
      (i32.store (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2)))
        (i32.mul (local.get $r) (local.get $stride)))
      (br_if $next (i32.le_s (local.tee $k (i32.add (local.get $k) (i32.const 1)))
        (i32.shl (local.get $half) (i32.const 1))))))

  ;; Mirrors lanes [0, w) of a padded row into `half` lanes on each side (PADDING_SQ_DATA).
  (func $pad (param $p i32) (param $w i32) (param $half i32)
    (local $f i32) (local $e i32)
    (local.set $e (i32.add (local.get $p) (i32.shl (i32.sub (local.get $w) (i32.const 1)) (i32.const 2))))
    (local.set $f (i32.const 4))
    (loop $next
      (i32.store (i32.sub (local.get $p) (local.get $f)) (i32.load (i32.add (local.get $p) (local.get $f))))
      (i32.store (i32.add (local.get $e) (local.get $f)) (i32.load (i32.sub (local.get $e) (local.get $f))))
      (br_if $next (i32.le_s (local.tee $f (i32.add (local.get $f) (i32.const 4)))
        (i32.shl (local.get $half) (i32.const 2))))))

  ;; Splits uint32 lanes into their high and low 16 bits and stores them at hi[j] and lo[j].
  (func $store_split (param $hi i32) (param $lo i32) (param $v v128)
    (v128.store (local.get $hi) (i32x4.shr_u (local.get $v) (i32.const 16)))
    (v128.store (local.get $lo) (v128.and (local.get $v) (v128.const i32x4 0xffff 0xffff 0xffff 0xffff))))

  ;; Vertical pass of scale 0 for row i (vif_statistic_8): per pixel, mu = (sum(f * p) + 128) >> 8
  ;; and the unrounded sums of f * ref^2, f * dis^2 and f * ref * dis (below 2^32).
  (func $vert8 (param $ref i32) (param $dis i32) (param $w i32) (param $h i32) (param $i i32)
    (param $coef i32) (param $rows i32) (param $rs i32)
    (local $j i32) (local $k i32) (local $o0 i32) (local $o1 i32) (local $f i32) (local $out i32)
    (local $f16 v128) (local $f32 v128)
    (local $a v128) (local $b v128) (local $al v128) (local $ah v128) (local $bl v128) (local $bh v128)
    (local $m1l v128) (local $m1h v128) (local $m2l v128) (local $m2h v128)
    (local $xxl v128) (local $xxh v128) (local $yyl v128) (local $yyh v128) (local $xyl v128) (local $xyh v128)
    (call $taps (local.get $rows) (local.get $i) (i32.const 8) (local.get $h) (local.get $w))
    (loop $cols
      ;; Centre tap (k = 8): products of one row fit uint16, their f-multiples uint32.
      (local.set $o0 (i32.add (i32.load offset=32 (local.get $rows)) (local.get $j)))
      (local.set $f16 (i16x8.splat (i32.load offset=32 (local.get $coef))))
      (local.set $a (v128.load8x8_u (i32.add (local.get $ref) (local.get $o0))))
      (local.set $b (v128.load8x8_u (i32.add (local.get $dis) (local.get $o0))))
      (local.set $m1l (i32x4.extmul_low_i16x8_u (local.get $a) (local.get $f16)))
      (local.set $m1h (i32x4.extmul_high_i16x8_u (local.get $a) (local.get $f16)))
      (local.set $m2l (i32x4.extmul_low_i16x8_u (local.get $b) (local.get $f16)))
      (local.set $m2h (i32x4.extmul_high_i16x8_u (local.get $b) (local.get $f16)))
      (local.set $al (i16x8.mul (local.get $a) (local.get $a)))
      (local.set $xxl (i32x4.extmul_low_i16x8_u (local.get $al) (local.get $f16)))
      (local.set $xxh (i32x4.extmul_high_i16x8_u (local.get $al) (local.get $f16)))
      (local.set $al (i16x8.mul (local.get $b) (local.get $b)))
      (local.set $yyl (i32x4.extmul_low_i16x8_u (local.get $al) (local.get $f16)))
      (local.set $yyh (i32x4.extmul_high_i16x8_u (local.get $al) (local.get $f16)))
      (local.set $al (i16x8.mul (local.get $a) (local.get $b)))
      (local.set $xyl (i32x4.extmul_low_i16x8_u (local.get $al) (local.get $f16)))
      (local.set $xyh (i32x4.extmul_high_i16x8_u (local.get $al) (local.get $f16)))
      ;; Symmetric taps k and 16 - k: interleave their pixels so that one dot product gives
      ;; f * (p0 + p1) (with f in both lanes) or p0 * q0 + p1 * q1.
      (local.set $k (i32.const 0))
      (loop $taps
        (local.set $o0 (i32.add (i32.load (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2))))
          (local.get $j)))
        (local.set $o1 (i32.add (i32.load (i32.add (local.get $rows) (i32.shl (i32.sub (i32.const 16) (local.get $k)) (i32.const 2))))
          (local.get $j)))
        (local.set $f (i32.load (i32.add (local.get $coef) (i32.shl (local.get $k) (i32.const 2)))))
        (local.set $f16 (i16x8.splat (local.get $f)))
        (local.set $f32 (i32x4.splat (local.get $f)))
        (local.set $a (v128.load8x8_u (i32.add (local.get $ref) (local.get $o0))))
        (local.set $b (v128.load8x8_u (i32.add (local.get $ref) (local.get $o1))))
        (local.set $al (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $a) (local.get $b)))
        (local.set $ah (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $a) (local.get $b)))
        (local.set $a (v128.load8x8_u (i32.add (local.get $dis) (local.get $o0))))
        (local.set $b (v128.load8x8_u (i32.add (local.get $dis) (local.get $o1))))
        (local.set $bl (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $a) (local.get $b)))
        (local.set $bh (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $a) (local.get $b)))
        (local.set $m1l (i32x4.add (local.get $m1l) (i32x4.dot_i16x8_s (local.get $al) (local.get $f16))))
        (local.set $m1h (i32x4.add (local.get $m1h) (i32x4.dot_i16x8_s (local.get $ah) (local.get $f16))))
        (local.set $m2l (i32x4.add (local.get $m2l) (i32x4.dot_i16x8_s (local.get $bl) (local.get $f16))))
        (local.set $m2h (i32x4.add (local.get $m2h) (i32x4.dot_i16x8_s (local.get $bh) (local.get $f16))))
        (local.set $xxl (i32x4.add (local.get $xxl)
          (i32x4.mul (i32x4.dot_i16x8_s (local.get $al) (local.get $al)) (local.get $f32))))
        (local.set $xxh (i32x4.add (local.get $xxh)
          (i32x4.mul (i32x4.dot_i16x8_s (local.get $ah) (local.get $ah)) (local.get $f32))))
        (local.set $yyl (i32x4.add (local.get $yyl)
          (i32x4.mul (i32x4.dot_i16x8_s (local.get $bl) (local.get $bl)) (local.get $f32))))
        (local.set $yyh (i32x4.add (local.get $yyh)
          (i32x4.mul (i32x4.dot_i16x8_s (local.get $bh) (local.get $bh)) (local.get $f32))))
        (local.set $xyl (i32x4.add (local.get $xyl)
          (i32x4.mul (i32x4.dot_i16x8_s (local.get $al) (local.get $bl)) (local.get $f32))))
        (local.set $xyh (i32x4.add (local.get $xyh)
          (i32x4.mul (i32x4.dot_i16x8_s (local.get $ah) (local.get $bh)) (local.get $f32))))
        (br_if $taps (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const 8))))
      (local.set $out (i32.shl (local.get $j) (i32.const 2)))
      (local.set $o0 (i32.add (call $row (local.get $rows) (local.get $rs) (i32.const 0)) (local.get $out)))
      (v128.store (local.get $o0)
        (i32x4.shr_u (i32x4.add (local.get $m1l) (v128.const i32x4 128 128 128 128)) (i32.const 8)))
      (v128.store offset=16 (local.get $o0)
        (i32x4.shr_u (i32x4.add (local.get $m1h) (v128.const i32x4 128 128 128 128)) (i32.const 8)))
      (local.set $o0 (i32.add (local.get $o0) (local.get $rs)))
      (v128.store (local.get $o0)
        (i32x4.shr_u (i32x4.add (local.get $m2l) (v128.const i32x4 128 128 128 128)) (i32.const 8)))
      (v128.store offset=16 (local.get $o0)
        (i32x4.shr_u (i32x4.add (local.get $m2h) (v128.const i32x4 128 128 128 128)) (i32.const 8)))
      (local.set $o0 (i32.add (local.get $o0) (local.get $rs)))
      (local.set $o1 (i32.add (local.get $o0) (local.get $rs)))
      (call $store_split (local.get $o0) (local.get $o1) (local.get $xxl))
      (call $store_split (i32.add (local.get $o0) (i32.const 16)) (i32.add (local.get $o1) (i32.const 16)) (local.get $xxh))
      (local.set $o0 (i32.add (local.get $o1) (local.get $rs)))
      (local.set $o1 (i32.add (local.get $o0) (local.get $rs)))
      (call $store_split (local.get $o0) (local.get $o1) (local.get $yyl))
      (call $store_split (i32.add (local.get $o0) (i32.const 16)) (i32.add (local.get $o1) (i32.const 16)) (local.get $yyh))
      (local.set $o0 (i32.add (local.get $o1) (local.get $rs)))
      (local.set $o1 (i32.add (local.get $o0) (local.get $rs)))
      (call $store_split (local.get $o0) (local.get $o1) (local.get $xyl))
      (call $store_split (i32.add (local.get $o0) (i32.const 16)) (i32.add (local.get $o1) (i32.const 16)) (local.get $xyh))
      (br_if $cols (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 8))) (local.get $w)))))

  ;; (sum(f * v) + 32768) >> 16 for uint32 lanes from the separately filtered halves of v.
  (func $round16 (param $hi v128) (param $lo v128) (result v128)
    (i32x4.add (local.get $hi)
      (i32x4.shr_u (i32x4.add (local.get $lo) (v128.const i32x4 32768 32768 32768 32768)) (i32.const 16))))

  ;; Vertical pass of scales 1..3 for row i (vif_statistic_16, bpc 8): every sum is rounded
  ;; with (s + 32768) >> 16; the squares (below 2^32) are filtered as 16-bit halves.
  (func $vert16 (param $ref i32) (param $dis i32) (param $w i32) (param $h i32) (param $i i32)
    (param $half i32) (param $coef i32) (param $rows i32) (param $rs i32)
    (local $j i32) (local $k i32) (local $o0 i32) (local $o1 i32) (local $f v128)
    (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128) (local $p v128) (local $q v128)
    (local $m1 v128) (local $m2 v128)
    (local $xxh v128) (local $xxl v128) (local $yyh v128) (local $yyl v128) (local $xyh v128) (local $xyl v128)
    (call $taps (local.get $rows) (local.get $i) (local.get $half) (local.get $h) (i32.shl (local.get $w) (i32.const 1)))
    (loop $cols
      ;; Centre tap.
      (local.set $o0 (i32.add (i32.load (i32.add (local.get $rows) (i32.shl (local.get $half) (i32.const 2))))
        (i32.shl (local.get $j) (i32.const 1))))
      (local.set $f (i32x4.splat (i32.load (i32.add (local.get $coef) (i32.shl (local.get $half) (i32.const 2))))))
      (local.set $a0 (v128.load16x4_u (i32.add (local.get $ref) (local.get $o0))))
      (local.set $b0 (v128.load16x4_u (i32.add (local.get $dis) (local.get $o0))))
      (local.set $m1 (i32x4.mul (local.get $a0) (local.get $f)))
      (local.set $m2 (i32x4.mul (local.get $b0) (local.get $f)))
      (local.set $p (i32x4.mul (local.get $a0) (local.get $a0)))
      (local.set $xxh (i32x4.mul (i32x4.shr_u (local.get $p) (i32.const 16)) (local.get $f)))
      (local.set $xxl (i32x4.mul (v128.and (local.get $p) (v128.const i32x4 0xffff 0xffff 0xffff 0xffff)) (local.get $f)))
      (local.set $p (i32x4.mul (local.get $b0) (local.get $b0)))
      (local.set $yyh (i32x4.mul (i32x4.shr_u (local.get $p) (i32.const 16)) (local.get $f)))
      (local.set $yyl (i32x4.mul (v128.and (local.get $p) (v128.const i32x4 0xffff 0xffff 0xffff 0xffff)) (local.get $f)))
      (local.set $p (i32x4.mul (local.get $a0) (local.get $b0)))
      (local.set $xyh (i32x4.mul (i32x4.shr_u (local.get $p) (i32.const 16)) (local.get $f)))
      (local.set $xyl (i32x4.mul (v128.and (local.get $p) (v128.const i32x4 0xffff 0xffff 0xffff 0xffff)) (local.get $f)))
      (local.set $k (i32.const 0))
      (block $done
        (br_if $done (i32.eqz (local.get $half)))
        (loop $taps
          (local.set $o0 (i32.add (i32.load (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2))))
            (i32.shl (local.get $j) (i32.const 1))))
          (local.set $o1 (i32.add
            (i32.load (i32.add (local.get $rows)
              (i32.shl (i32.sub (i32.shl (local.get $half) (i32.const 1)) (local.get $k)) (i32.const 2))))
            (i32.shl (local.get $j) (i32.const 1))))
          (local.set $f (i32x4.splat (i32.load (i32.add (local.get $coef) (i32.shl (local.get $k) (i32.const 2))))))
          (local.set $a0 (v128.load16x4_u (i32.add (local.get $ref) (local.get $o0))))
          (local.set $a1 (v128.load16x4_u (i32.add (local.get $ref) (local.get $o1))))
          (local.set $b0 (v128.load16x4_u (i32.add (local.get $dis) (local.get $o0))))
          (local.set $b1 (v128.load16x4_u (i32.add (local.get $dis) (local.get $o1))))
          (local.set $m1 (i32x4.add (local.get $m1)
            (i32x4.mul (i32x4.add (local.get $a0) (local.get $a1)) (local.get $f))))
          (local.set $m2 (i32x4.add (local.get $m2)
            (i32x4.mul (i32x4.add (local.get $b0) (local.get $b1)) (local.get $f))))
          (local.set $p (i32x4.mul (local.get $a0) (local.get $a0)))
          (local.set $q (i32x4.mul (local.get $a1) (local.get $a1)))
          (local.set $xxh (i32x4.add (local.get $xxh) (i32x4.mul (local.get $f)
            (i32x4.add (i32x4.shr_u (local.get $p) (i32.const 16)) (i32x4.shr_u (local.get $q) (i32.const 16))))))
          (local.set $xxl (i32x4.add (local.get $xxl) (i32x4.mul (local.get $f)
            (i32x4.add (v128.and (local.get $p) (v128.const i32x4 0xffff 0xffff 0xffff 0xffff))
              (v128.and (local.get $q) (v128.const i32x4 0xffff 0xffff 0xffff 0xffff))))))
          (local.set $p (i32x4.mul (local.get $b0) (local.get $b0)))
          (local.set $q (i32x4.mul (local.get $b1) (local.get $b1)))
          (local.set $yyh (i32x4.add (local.get $yyh) (i32x4.mul (local.get $f)
            (i32x4.add (i32x4.shr_u (local.get $p) (i32.const 16)) (i32x4.shr_u (local.get $q) (i32.const 16))))))
          (local.set $yyl (i32x4.add (local.get $yyl) (i32x4.mul (local.get $f)
            (i32x4.add (v128.and (local.get $p) (v128.const i32x4 0xffff 0xffff 0xffff 0xffff))
              (v128.and (local.get $q) (v128.const i32x4 0xffff 0xffff 0xffff 0xffff))))))
          (local.set $p (i32x4.mul (local.get $a0) (local.get $b0)))
          (local.set $q (i32x4.mul (local.get $a1) (local.get $b1)))
          (local.set $xyh (i32x4.add (local.get $xyh) (i32x4.mul (local.get $f)
            (i32x4.add (i32x4.shr_u (local.get $p) (i32.const 16)) (i32x4.shr_u (local.get $q) (i32.const 16))))))
          (local.set $xyl (i32x4.add (local.get $xyl) (i32x4.mul (local.get $f)
            (i32x4.add (v128.and (local.get $p) (v128.const i32x4 0xffff 0xffff 0xffff 0xffff))
              (v128.and (local.get $q) (v128.const i32x4 0xffff 0xffff 0xffff 0xffff))))))
          (br_if $taps (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $half)))))
      (local.set $o0 (i32.add (call $row (local.get $rows) (local.get $rs) (i32.const 0))
        (i32.shl (local.get $j) (i32.const 2))))
      (v128.store (local.get $o0)
        (i32x4.shr_u (i32x4.add (local.get $m1) (v128.const i32x4 32768 32768 32768 32768)) (i32.const 16)))
      (local.set $o0 (i32.add (local.get $o0) (local.get $rs)))
      (v128.store (local.get $o0)
        (i32x4.shr_u (i32x4.add (local.get $m2) (v128.const i32x4 32768 32768 32768 32768)) (i32.const 16)))
      (local.set $o0 (i32.add (local.get $o0) (local.get $rs)))
      (local.set $o1 (i32.add (local.get $o0) (local.get $rs)))
      (call $store_split (local.get $o0) (local.get $o1) (call $round16 (local.get $xxh) (local.get $xxl)))
      (local.set $o0 (i32.add (local.get $o1) (local.get $rs)))
      (local.set $o1 (i32.add (local.get $o0) (local.get $rs)))
      (call $store_split (local.get $o0) (local.get $o1) (call $round16 (local.get $yyh) (local.get $yyl)))
      (local.set $o0 (i32.add (local.get $o1) (local.get $rs)))
      (local.set $o1 (i32.add (local.get $o0) (local.get $rs)))
      (call $store_split (local.get $o0) (local.get $o1) (call $round16 (local.get $xyh) (local.get $xyl)))
      (br_if $cols (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $w)))))

  ;; High 32 bits of the uint64 products a * b + 2^31 of uint32 lanes (libvmaf's mu products).
  (func $mul_round32 (param $a v128) (param $b v128) (result v128)
    (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
      (i64x2.add (i64x2.extmul_low_i32x4_u (local.get $a) (local.get $b))
        (v128.const i64x2 0x80000000 0x80000000))
      (i64x2.add (i64x2.extmul_high_i32x4_u (local.get $a) (local.get $b))
        (v128.const i64x2 0x80000000 0x80000000))))

  ;; Horizontal pass of the padded rows and the per-pixel variances:
  ;; sigma1_sq = xx - mu1^2, sigma2_sq = max(yy - mu2^2, 0), sigma12 = xy - mu1 * mu2 (int32).
  (func $horiz (param $w i32) (param $half i32) (param $coef i32) (param $rows i32)
    (local $j i32) (local $k i32) (local $n i32) (local $c i32) (local $l i32) (local $r i32)
    (local $f v128) (local $mu1 v128) (local $mu2 v128)
    (local $xxh v128) (local $xxl v128) (local $yyh v128) (local $yyl v128) (local $xyh v128) (local $xyl v128)
    (local.set $n (i32.const 0))
    (loop $pad
      (call $pad (call $row (local.get $rows) (global.get $ROW_STRIDE) (local.get $n)) (local.get $w) (local.get $half))
      (br_if $pad (i32.lt_u (local.tee $n (i32.add (local.get $n) (i32.const 1))) (i32.const 8))))
    (local.set $c (call $row (local.get $rows) (global.get $ROW_STRIDE) (i32.const 0)))
    (loop $cols
      (local.set $f (i32x4.splat (i32.load (i32.add (local.get $coef) (i32.shl (local.get $half) (i32.const 2))))))
      (local.set $mu1 (i32x4.mul (local.get $f) (v128.load (local.get $c))))
      (local.set $mu2 (i32x4.mul (local.get $f) (v128.load offset=32896 (local.get $c))))
      (local.set $xxh (i32x4.mul (local.get $f) (v128.load offset=65792 (local.get $c))))
      (local.set $xxl (i32x4.mul (local.get $f) (v128.load offset=98688 (local.get $c))))
      (local.set $yyh (i32x4.mul (local.get $f) (v128.load offset=131584 (local.get $c))))
      (local.set $yyl (i32x4.mul (local.get $f) (v128.load offset=164480 (local.get $c))))
      (local.set $xyh (i32x4.mul (local.get $f) (v128.load offset=197376 (local.get $c))))
      (local.set $xyl (i32x4.mul (local.get $f) (v128.load offset=230272 (local.get $c))))
      (local.set $k (i32.const 0))
      (block $done
        (br_if $done (i32.eqz (local.get $half)))
        (loop $taps
          ;; Taps k and 2 * half - k, at c - 4 * (half - k) and c + 4 * (half - k).
          (local.set $r (i32.shl (i32.sub (local.get $half) (local.get $k)) (i32.const 2)))
          (local.set $l (i32.sub (local.get $c) (local.get $r)))
          (local.set $r (i32.add (local.get $c) (local.get $r)))
          (local.set $f (i32x4.splat (i32.load (i32.add (local.get $coef) (i32.shl (local.get $k) (i32.const 2))))))
          (local.set $mu1 (i32x4.add (local.get $mu1) (i32x4.mul (local.get $f)
            (i32x4.add (v128.load (local.get $l)) (v128.load (local.get $r))))))
          (local.set $mu2 (i32x4.add (local.get $mu2) (i32x4.mul (local.get $f)
            (i32x4.add (v128.load offset=32896 (local.get $l)) (v128.load offset=32896 (local.get $r))))))
          (local.set $xxh (i32x4.add (local.get $xxh) (i32x4.mul (local.get $f)
            (i32x4.add (v128.load offset=65792 (local.get $l)) (v128.load offset=65792 (local.get $r))))))
          (local.set $xxl (i32x4.add (local.get $xxl) (i32x4.mul (local.get $f)
            (i32x4.add (v128.load offset=98688 (local.get $l)) (v128.load offset=98688 (local.get $r))))))
          (local.set $yyh (i32x4.add (local.get $yyh) (i32x4.mul (local.get $f)
            (i32x4.add (v128.load offset=131584 (local.get $l)) (v128.load offset=131584 (local.get $r))))))
          (local.set $yyl (i32x4.add (local.get $yyl) (i32x4.mul (local.get $f)
            (i32x4.add (v128.load offset=164480 (local.get $l)) (v128.load offset=164480 (local.get $r))))))
          (local.set $xyh (i32x4.add (local.get $xyh) (i32x4.mul (local.get $f)
            (i32x4.add (v128.load offset=197376 (local.get $l)) (v128.load offset=197376 (local.get $r))))))
          (local.set $xyl (i32x4.add (local.get $xyl) (i32x4.mul (local.get $f)
            (i32x4.add (v128.load offset=230272 (local.get $l)) (v128.load offset=230272 (local.get $r))))))
          (br_if $taps (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $half)))))
      ;; mu1 and mu2 are uint32 sums; xx, yy, xy come back from their halves.
      (v128.store offset=263168 (local.get $c)
        (i32x4.sub (call $round16 (local.get $xxh) (local.get $xxl))
          (call $mul_round32 (local.get $mu1) (local.get $mu1))))
      (v128.store offset=296064 (local.get $c)
        (i32x4.max_s
          (i32x4.sub (call $round16 (local.get $yyh) (local.get $yyl))
            (call $mul_round32 (local.get $mu2) (local.get $mu2)))
          (v128.const i32x4 0 0 0 0)))
      (v128.store offset=328960 (local.get $c)
        (i32x4.sub (call $round16 (local.get $xyh) (local.get $xyl))
          (call $mul_round32 (local.get $mu1) (local.get $mu2))))
      (local.set $c (i32.add (local.get $c) (i32.const 16)))
      (br_if $cols (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $w)))))

  ;; log2_32 of libvmaf: table[v >> k] + 2048 * k with the top 16 bits of v.
  (func $log2_32 (param $log2 i32) (param $v i32) (result i32)
    (local $k i32)
    (local.set $k (i32.sub (i32.const 16) (i32.clz (local.get $v))))
    (i32.add
      (i32.load16_u (i32.add (local.get $log2) (i32.shl (i32.shr_u (local.get $v) (local.get $k)) (i32.const 1))))
      (i32.shl (local.get $k) (i32.const 11))))

  ;; log2_64 of libvmaf for v >= 2^17.
  (func $log2_64 (param $log2 i32) (param $v i64) (result i64)
    (local $k i64)
    (local.set $k (i64.sub (i64.const 48) (i64.clz (local.get $v))))
    (i64.add
      (i64.load16_u (i32.add (local.get $log2)
        (i32.shl (i32.wrap_i64 (i64.shr_u (local.get $v) (local.get $k))) (i32.const 1))))
      (i64.shl (local.get $k) (i64.const 11))))

  ;; The VIF statistic of one row's pixels, added to the int64 accumulators at acc.
  (func $stats (param $w i32) (param $rows i32) (param $rs i32) (param $log2 i32) (param $acc i32)
    (param $gain f64) (param $eps f64)
    (local $j i32) (local $p i32) (local $s1 i32) (local $s2 i32) (local $s12 i32) (local $sv i32)
    (local $g f64) (local $numer1 i64)
    (local $num_log i64) (local $den_log i64) (local $num_non_log i64) (local $den_non_log i64)
    (local.set $num_log (i64.load (local.get $acc)))
    (local.set $den_log (i64.load offset=8 (local.get $acc)))
    (local.set $num_non_log (i64.load offset=16 (local.get $acc)))
    (local.set $den_non_log (i64.load offset=24 (local.get $acc)))
    (local.set $p (call $row (local.get $rows) (local.get $rs) (i32.const 8)))
    (loop $cols
      (local.set $s1 (i32.load (local.get $p)))
      (local.set $s2 (i32.load (i32.add (local.get $p) (local.get $rs))))
      (if (i32.ge_s (local.get $s1) (i32.const 131072))
        (then
          (local.set $den_log (i64.add (local.get $den_log)
            (i64.extend_i32_s (i32.sub
              (call $log2_32 (local.get $log2) (i32.add (local.get $s1) (i32.const 131072)))
              (i32.const 34816)))))
          (local.set $s12 (i32.load (i32.add (local.get $p) (i32.shl (local.get $rs) (i32.const 1)))))
          (if (i32.and (i32.gt_s (local.get $s12) (i32.const 0)) (i32.gt_s (local.get $s2) (i32.const 0)))
            (then
              (local.set $g (f64.div (f64.convert_i32_s (local.get $s12))
                (f64.add (f64.convert_i32_s (local.get $s1)) (local.get $eps))))
              (local.set $sv (i32.trunc_sat_f64_s
                (f64.sub (f64.convert_i32_s (local.get $s2))
                  (f64.mul (local.get $g) (f64.convert_i32_s (local.get $s12))))))
              (if (i32.lt_s (local.get $sv) (i32.const 0)) (then (local.set $sv (i32.const 0))))
              (if (f64.gt (local.get $g) (local.get $gain)) (then (local.set $g (local.get $gain))))
              (local.set $numer1 (i64.extend_i32_u (i32.add (local.get $sv) (i32.const 131072))))
              (local.set $num_log (i64.add (local.get $num_log)
                (i64.sub
                  (call $log2_64 (local.get $log2)
                    (i64.add
                      (i64.trunc_sat_f64_s (f64.mul (f64.mul (local.get $g) (local.get $g))
                        (f64.convert_i32_s (local.get $s1))))
                      (local.get $numer1)))
                  (call $log2_64 (local.get $log2) (local.get $numer1))))))))
        (else
          (local.set $num_non_log (i64.add (local.get $num_non_log) (i64.extend_i32_s (local.get $s2))))
          (local.set $den_non_log (i64.add (local.get $den_non_log) (i64.const 1)))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $cols (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $w))))
    (i64.store (local.get $acc) (local.get $num_log))
    (i64.store offset=8 (local.get $acc) (local.get $den_log))
    (i64.store offset=16 (local.get $acc) (local.get $num_non_log))
    (i64.store offset=24 (local.get $acc) (local.get $den_non_log)))

  (func $clear_acc (param $acc i32)
    (i64.store (local.get $acc) (i64.const 0))
    (i64.store offset=8 (local.get $acc) (i64.const 0))
    (i64.store offset=16 (local.get $acc) (i64.const 0))
    (i64.store offset=24 (local.get $acc) (i64.const 0)))

  ;; Scale 0 (vif_statistic_8) of uint8 pictures; the accumulators go to acc.
  (func (export "scale0") (param $ref i32) (param $dis i32) (param $w i32) (param $h i32)
    (param $coef i32) (param $log2 i32) (param $rows i32) (param $acc i32) (param $gain f64) (param $eps f64)
    (local $i i32) (local $rs i32)
    (local.set $rs (global.get $ROW_STRIDE))
    (call $clear_acc (local.get $acc))
    (loop $rows
      (call $vert8 (local.get $ref) (local.get $dis) (local.get $w) (local.get $h) (local.get $i)
        (local.get $coef) (local.get $rows) (local.get $rs))
      (call $horiz (local.get $w) (i32.const 8) (local.get $coef) (local.get $rows))
      (call $stats (local.get $w) (local.get $rows) (local.get $rs) (local.get $log2) (local.get $acc)
        (local.get $gain) (local.get $eps))
      (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $h)))))

  ;; Scales 1..3 (vif_statistic_16, bpc 8) of uint16 pictures with the filter at coef.
  (func (export "scale16") (param $ref i32) (param $dis i32) (param $w i32) (param $h i32)
    (param $half i32) (param $coef i32) (param $log2 i32) (param $rows i32) (param $acc i32)
    (param $gain f64) (param $eps f64)
    (local $i i32) (local $rs i32)
    (local.set $rs (global.get $ROW_STRIDE))
    (call $clear_acc (local.get $acc))
    (loop $rows
      (call $vert16 (local.get $ref) (local.get $dis) (local.get $w) (local.get $h) (local.get $i)
        (local.get $half) (local.get $coef) (local.get $rows) (local.get $rs))
      (call $horiz (local.get $w) (local.get $half) (local.get $coef) (local.get $rows))
      (call $stats (local.get $w) (local.get $rows) (local.get $rs) (local.get $log2) (local.get $acc)
        (local.get $gain) (local.get $eps))
      (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $h)))))

  ;; Horizontal pass of a decimation: the padded rows 0 (ref) and 1 (dis) filtered at every
  ;; other pixel, (s + 32768) >> 16, stored as uint16 at outRef/outDis (w / 2 values; up to 3
  ;; more are written past the end).
  (func $decimate_row (param $w i32) (param $half i32) (param $coef i32) (param $rows i32) (param $rs i32)
    (param $outRef i32) (param $outDis i32)
    (local $j i32) (local $k i32) (local $c i32) (local $l i32) (local $r i32) (local $n i32)
    (local $f v128) (local $al v128) (local $ah v128) (local $bl v128) (local $bh v128)
    (call $pad (call $row (local.get $rows) (local.get $rs) (i32.const 0)) (local.get $w) (local.get $half))
    (call $pad (call $row (local.get $rows) (local.get $rs) (i32.const 1)) (local.get $w) (local.get $half))
    (local.set $c (call $row (local.get $rows) (local.get $rs) (i32.const 0)))
    (local.set $n (i32.shr_u (local.get $w) (i32.const 1)))
    (loop $cols
      ;; Eight full-resolution outputs, of which the even ones are kept.
      (local.set $f (i32x4.splat (i32.load (i32.add (local.get $coef) (i32.shl (local.get $half) (i32.const 2))))))
      (local.set $al (i32x4.mul (local.get $f) (v128.load (local.get $c))))
      (local.set $ah (i32x4.mul (local.get $f) (v128.load offset=16 (local.get $c))))
      (local.set $bl (i32x4.mul (local.get $f) (v128.load (i32.add (local.get $c) (local.get $rs)))))
      (local.set $bh (i32x4.mul (local.get $f) (v128.load offset=16 (i32.add (local.get $c) (local.get $rs)))))
      (local.set $k (i32.const 0))
      (loop $taps
        (local.set $r (i32.shl (i32.sub (local.get $half) (local.get $k)) (i32.const 2)))
        (local.set $l (i32.sub (local.get $c) (local.get $r)))
        (local.set $r (i32.add (local.get $c) (local.get $r)))
        (local.set $f (i32x4.splat (i32.load (i32.add (local.get $coef) (i32.shl (local.get $k) (i32.const 2))))))
        (local.set $al (i32x4.add (local.get $al) (i32x4.mul (local.get $f)
          (i32x4.add (v128.load (local.get $l)) (v128.load (local.get $r))))))
        (local.set $ah (i32x4.add (local.get $ah) (i32x4.mul (local.get $f)
          (i32x4.add (v128.load offset=16 (local.get $l)) (v128.load offset=16 (local.get $r))))))
        (local.set $l (i32.add (local.get $l) (local.get $rs)))
        (local.set $r (i32.add (local.get $r) (local.get $rs)))
        (local.set $bl (i32x4.add (local.get $bl) (i32x4.mul (local.get $f)
          (i32x4.add (v128.load (local.get $l)) (v128.load (local.get $r))))))
        (local.set $bh (i32x4.add (local.get $bh) (i32x4.mul (local.get $f)
          (i32x4.add (v128.load offset=16 (local.get $l)) (v128.load offset=16 (local.get $r))))))
        (br_if $taps (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $half))))
      ;; Values are at most 65280, so the saturating narrowing keeps them.
      (local.set $al (i32x4.shr_u (i32x4.add
        (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $al) (local.get $ah))
        (v128.const i32x4 32768 32768 32768 32768)) (i32.const 16)))
      (local.set $bl (i32x4.shr_u (i32x4.add
        (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $bl) (local.get $bh))
        (v128.const i32x4 32768 32768 32768 32768)) (i32.const 16)))
      (v128.store64_lane 0 (i32.add (local.get $outRef) (i32.shl (local.get $j) (i32.const 1)))
        (i16x8.narrow_i32x4_u (local.get $al) (local.get $al)))
      (v128.store64_lane 0 (i32.add (local.get $outDis) (i32.shl (local.get $j) (i32.const 1)))
        (i16x8.narrow_i32x4_u (local.get $bl) (local.get $bl)))
      (local.set $c (i32.add (local.get $c) (i32.const 32)))
      (br_if $cols (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $n)))))

  ;; Scale 0 -> 1 (subsample_rd_8 and the decimation): the 9-tap filter of scale 1 on uint8
  ;; pictures, (s + 128) >> 8 vertically, (s + 32768) >> 16 horizontally, every other row and
  ;; column kept, into packed uint16 pictures of (w / 2) x (h / 2).
  (func (export "subsample8") (param $ref i32) (param $dis i32) (param $w i32) (param $h i32)
    (param $coef i32) (param $rows i32) (param $outRef i32) (param $outDis i32)
    (local $oi i32) (local $j i32) (local $k i32) (local $o0 i32) (local $o1 i32) (local $rs i32)
    (local $f v128) (local $s v128) (local $t v128) (local $al v128) (local $ah v128) (local $bl v128) (local $bh v128)
    (local.set $rs (global.get $ROW_STRIDE))
    (loop $outRows
      (call $taps (local.get $rows) (i32.shl (local.get $oi) (i32.const 1)) (i32.const 4) (local.get $h) (local.get $w))
      (local.set $j (i32.const 0))
      (loop $cols
        (local.set $o0 (i32.add (i32.load offset=16 (local.get $rows)) (local.get $j)))
        (local.set $f (i16x8.splat (i32.load offset=16 (local.get $coef))))
        (local.set $s (v128.load8x8_u (i32.add (local.get $ref) (local.get $o0))))
        (local.set $t (v128.load8x8_u (i32.add (local.get $dis) (local.get $o0))))
        (local.set $al (i32x4.extmul_low_i16x8_u (local.get $s) (local.get $f)))
        (local.set $ah (i32x4.extmul_high_i16x8_u (local.get $s) (local.get $f)))
        (local.set $bl (i32x4.extmul_low_i16x8_u (local.get $t) (local.get $f)))
        (local.set $bh (i32x4.extmul_high_i16x8_u (local.get $t) (local.get $f)))
        (local.set $k (i32.const 0))
        (loop $taps
          (local.set $o0 (i32.add (i32.load (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2))))
            (local.get $j)))
          (local.set $o1 (i32.add (i32.load (i32.add (local.get $rows) (i32.shl (i32.sub (i32.const 8) (local.get $k)) (i32.const 2))))
            (local.get $j)))
          (local.set $f (i16x8.splat (i32.load (i32.add (local.get $coef) (i32.shl (local.get $k) (i32.const 2))))))
          (local.set $s (i16x8.add (v128.load8x8_u (i32.add (local.get $ref) (local.get $o0)))
            (v128.load8x8_u (i32.add (local.get $ref) (local.get $o1)))))
          (local.set $t (i16x8.add (v128.load8x8_u (i32.add (local.get $dis) (local.get $o0)))
            (v128.load8x8_u (i32.add (local.get $dis) (local.get $o1)))))
          (local.set $al (i32x4.add (local.get $al) (i32x4.extmul_low_i16x8_u (local.get $s) (local.get $f))))
          (local.set $ah (i32x4.add (local.get $ah) (i32x4.extmul_high_i16x8_u (local.get $s) (local.get $f))))
          (local.set $bl (i32x4.add (local.get $bl) (i32x4.extmul_low_i16x8_u (local.get $t) (local.get $f))))
          (local.set $bh (i32x4.add (local.get $bh) (i32x4.extmul_high_i16x8_u (local.get $t) (local.get $f))))
          (br_if $taps (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const 4))))
        (local.set $o0 (i32.add (call $row (local.get $rows) (local.get $rs) (i32.const 0))
          (i32.shl (local.get $j) (i32.const 2))))
        (v128.store (local.get $o0)
          (i32x4.shr_u (i32x4.add (local.get $al) (v128.const i32x4 128 128 128 128)) (i32.const 8)))
        (v128.store offset=16 (local.get $o0)
          (i32x4.shr_u (i32x4.add (local.get $ah) (v128.const i32x4 128 128 128 128)) (i32.const 8)))
        (local.set $o0 (i32.add (local.get $o0) (local.get $rs)))
        (v128.store (local.get $o0)
          (i32x4.shr_u (i32x4.add (local.get $bl) (v128.const i32x4 128 128 128 128)) (i32.const 8)))
        (v128.store offset=16 (local.get $o0)
          (i32x4.shr_u (i32x4.add (local.get $bh) (v128.const i32x4 128 128 128 128)) (i32.const 8)))
        (br_if $cols (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 8))) (local.get $w))))
      (local.set $o0 (i32.shl (i32.mul (local.get $oi) (i32.shr_u (local.get $w) (i32.const 1))) (i32.const 1)))
      (call $decimate_row (local.get $w) (i32.const 4) (local.get $coef) (local.get $rows) (local.get $rs)
        (i32.add (local.get $outRef) (local.get $o0)) (i32.add (local.get $outDis) (local.get $o0)))
      (br_if $outRows (i32.lt_s (local.tee $oi (i32.add (local.get $oi) (i32.const 1)))
        (i32.shr_u (local.get $h) (i32.const 1))))))

  ;; Scale s -> s + 1 for s >= 1 (subsample_rd_16 and the decimation) on uint16 pictures with the
  ;; filter of scale s + 1 at coef; (s + 32768) >> 16 in both directions.
  (func (export "subsample16") (param $ref i32) (param $dis i32) (param $w i32) (param $h i32)
    (param $half i32) (param $coef i32) (param $rows i32) (param $outRef i32) (param $outDis i32)
    (local $oi i32) (local $j i32) (local $k i32) (local $o0 i32) (local $o1 i32) (local $rs i32)
    (local $f v128) (local $a v128) (local $b v128)
    (local.set $rs (global.get $ROW_STRIDE))
    (loop $outRows
      (call $taps (local.get $rows) (i32.shl (local.get $oi) (i32.const 1)) (local.get $half) (local.get $h)
        (i32.shl (local.get $w) (i32.const 1)))
      (local.set $j (i32.const 0))
      (loop $cols
        (local.set $o0 (i32.add (i32.load (i32.add (local.get $rows) (i32.shl (local.get $half) (i32.const 2))))
          (i32.shl (local.get $j) (i32.const 1))))
        (local.set $f (i32x4.splat (i32.load (i32.add (local.get $coef) (i32.shl (local.get $half) (i32.const 2))))))
        (local.set $a (i32x4.mul (local.get $f) (v128.load16x4_u (i32.add (local.get $ref) (local.get $o0)))))
        (local.set $b (i32x4.mul (local.get $f) (v128.load16x4_u (i32.add (local.get $dis) (local.get $o0)))))
        (local.set $k (i32.const 0))
        (loop $taps
          (local.set $o0 (i32.add (i32.load (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2))))
            (i32.shl (local.get $j) (i32.const 1))))
          (local.set $o1 (i32.add
            (i32.load (i32.add (local.get $rows)
              (i32.shl (i32.sub (i32.shl (local.get $half) (i32.const 1)) (local.get $k)) (i32.const 2))))
            (i32.shl (local.get $j) (i32.const 1))))
          (local.set $f (i32x4.splat (i32.load (i32.add (local.get $coef) (i32.shl (local.get $k) (i32.const 2))))))
          (local.set $a (i32x4.add (local.get $a) (i32x4.mul (local.get $f)
            (i32x4.add (v128.load16x4_u (i32.add (local.get $ref) (local.get $o0)))
              (v128.load16x4_u (i32.add (local.get $ref) (local.get $o1)))))))
          (local.set $b (i32x4.add (local.get $b) (i32x4.mul (local.get $f)
            (i32x4.add (v128.load16x4_u (i32.add (local.get $dis) (local.get $o0)))
              (v128.load16x4_u (i32.add (local.get $dis) (local.get $o1)))))))
          (br_if $taps (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $half))))
        (local.set $o0 (i32.add (call $row (local.get $rows) (local.get $rs) (i32.const 0))
          (i32.shl (local.get $j) (i32.const 2))))
        (v128.store (local.get $o0)
          (i32x4.shr_u (i32x4.add (local.get $a) (v128.const i32x4 32768 32768 32768 32768)) (i32.const 16)))
        (v128.store (i32.add (local.get $o0) (local.get $rs))
          (i32x4.shr_u (i32x4.add (local.get $b) (v128.const i32x4 32768 32768 32768 32768)) (i32.const 16)))
        (br_if $cols (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $w))))
      (local.set $o0 (i32.shl (i32.mul (local.get $oi) (i32.shr_u (local.get $w) (i32.const 1))) (i32.const 1)))
      (call $decimate_row (local.get $w) (local.get $half) (local.get $coef) (local.get $rows) (local.get $rs)
        (i32.add (local.get $outRef) (local.get $o0)) (i32.add (local.get $outDis) (local.get $o0)))
      (br_if $outRows (i32.lt_s (local.tee $oi (i32.add (local.get $oi) (i32.const 1)))
        (i32.shr_u (local.get $h) (i32.const 1))))))
)
