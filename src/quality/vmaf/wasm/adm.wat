;; ADM of libvmaf 3.2.0's integer_adm.c for 8-bit luma with VMAF v0.6.1's options: the db2
;; wavelet (adm_dwt2_8 at scale 0, adm_dwt2_s123_combined at scales 1..3), the decoupling into
;; restored and additive detail (adm_decouple, adm_decouple_s123) with the contrast sensitivity
;; weighting of the additive part (adm_csf, i4_adm_csf), the denominators (adm_csf_den_scale,
;; adm_csf_den_s123) and the contrast-masked numerators (adm_cm, i4_adm_cm) up to their int64
;; sums. The float pooling of those sums is left to adm.ts.
;;
;; Bands are int32 (libvmaf keeps scale 0 in int16; every scale-0 value is wrapped to 16 bits
;; where libvmaf stores it), `stride` lanes apart. The caller (adm.ts) owns the memory and passes
;; pointers; the h, v and d bands of a set lie `bb` bytes apart (h, then v, then d).
(module
  (memory (export "memory") 1)

  ;; Sign-extends the low 16 bits (libvmaf's int16 stores).
  (func $wrap16 (param $v i32) (result i32)
    (i32.shr_s (i32.shl (local.get $v) (i32.const 16)) (i32.const 16)))

  ;; Scale-0 DWT of a packed uint8 picture (adm_dwt2_8). indY and indX hold the four mirrored
  ;; source rows / columns of every output row / column; tmp holds 2 * w int32.
  (func (export "dwt8") (param $src i32) (param $w i32) (param $h i32) (param $indY i32) (param $indX i32)
    (param $tmp i32) (param $a i32) (param $hb i32) (param $v i32) (param $d i32) (param $stride i32)
    (local $i i32) (local $j i32) (local $bw i32) (local $bh i32)
    (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32)
    (local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32) (local $p i32) (local $o i32) (local $x i32)
    (local.set $bw (i32.shr_u (i32.add (local.get $w) (i32.const 1)) (i32.const 1)))
    (local.set $bh (i32.shr_u (i32.add (local.get $h) (i32.const 1)) (i32.const 1)))
    (loop $rows
      (local.set $p (i32.add (local.get $indY) (i32.shl (local.get $i) (i32.const 4))))
      (local.set $r0 (i32.add (local.get $src) (i32.mul (i32.load (local.get $p)) (local.get $w))))
      (local.set $r1 (i32.add (local.get $src) (i32.mul (i32.load offset=4 (local.get $p)) (local.get $w))))
      (local.set $r2 (i32.add (local.get $src) (i32.mul (i32.load offset=8 (local.get $p)) (local.get $w))))
      (local.set $r3 (i32.add (local.get $src) (i32.mul (i32.load offset=12 (local.get $p)) (local.get $w))))
      (local.set $j (i32.const 0))
      (loop $vert
        (local.set $s0 (i32.load8_u (i32.add (local.get $r0) (local.get $j))))
        (local.set $s1 (i32.load8_u (i32.add (local.get $r1) (local.get $j))))
        (local.set $s2 (i32.load8_u (i32.add (local.get $r2) (local.get $j))))
        (local.set $s3 (i32.load8_u (i32.add (local.get $r3) (local.get $j))))
        (local.set $p (i32.add (local.get $tmp) (i32.shl (local.get $j) (i32.const 2))))
        ;; lo: sum(lo[k] * s[k]) - 46342 * 128, then (x + 128) >> 8.
        (i32.store (local.get $p) (call $wrap16 (i32.shr_s
          (i32.add (call $dot (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3) (i32.const 0))
            (i32.const -5931648))
          (i32.const 8))))
        (i32.store (i32.add (local.get $p) (i32.shl (local.get $w) (i32.const 2)))
          (call $wrap16 (i32.shr_s
            (i32.add (call $dot (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3) (i32.const 1))
              (i32.const 128))
            (i32.const 8))))
        (br_if $vert (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $w))))
      (local.set $j (i32.const 0))
      (loop $horiz
        (local.set $p (i32.add (local.get $indX) (i32.shl (local.get $j) (i32.const 4))))
        (local.set $o (i32.shl (i32.add (i32.mul (local.get $i) (local.get $stride)) (local.get $j)) (i32.const 2)))
        ;; Low-pass row: approximation (a) and vertical detail (v).
        (local.set $x (local.get $tmp))
        (local.set $s0 (i32.load (i32.add (local.get $x) (i32.shl (i32.load (local.get $p)) (i32.const 2)))))
        (local.set $s1 (i32.load (i32.add (local.get $x) (i32.shl (i32.load offset=4 (local.get $p)) (i32.const 2)))))
        (local.set $s2 (i32.load (i32.add (local.get $x) (i32.shl (i32.load offset=8 (local.get $p)) (i32.const 2)))))
        (local.set $s3 (i32.load (i32.add (local.get $x) (i32.shl (i32.load offset=12 (local.get $p)) (i32.const 2)))))
        (i32.store (i32.add (local.get $a) (local.get $o)) (call $wrap16 (i32.shr_s
          (i32.add (call $dot (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3) (i32.const 0)) (i32.const 32768))
          (i32.const 16))))
        (i32.store (i32.add (local.get $v) (local.get $o)) (call $wrap16 (i32.shr_s
          (i32.add (call $dot (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3) (i32.const 1)) (i32.const 32768))
          (i32.const 16))))
        ;; High-pass row: horizontal (h) and diagonal (d) detail.
        (local.set $x (i32.add (local.get $tmp) (i32.shl (local.get $w) (i32.const 2))))
        (local.set $s0 (i32.load (i32.add (local.get $x) (i32.shl (i32.load (local.get $p)) (i32.const 2)))))
        (local.set $s1 (i32.load (i32.add (local.get $x) (i32.shl (i32.load offset=4 (local.get $p)) (i32.const 2)))))
        (local.set $s2 (i32.load (i32.add (local.get $x) (i32.shl (i32.load offset=8 (local.get $p)) (i32.const 2)))))
        (local.set $s3 (i32.load (i32.add (local.get $x) (i32.shl (i32.load offset=12 (local.get $p)) (i32.const 2)))))
        (i32.store (i32.add (local.get $hb) (local.get $o)) (call $wrap16 (i32.shr_s
          (i32.add (call $dot (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3) (i32.const 0)) (i32.const 32768))
          (i32.const 16))))
        (i32.store (i32.add (local.get $d) (local.get $o)) (call $wrap16 (i32.shr_s
          (i32.add (call $dot (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3) (i32.const 1)) (i32.const 32768))
          (i32.const 16))))
        (br_if $horiz (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $bw))))
      (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $bh)))))

  ;; The db2 filters: lo = {15826, 27411, 7345, -4240}, hi = {-4240, -7345, 27411, -15826}.
  (func $dot (param $s0 i32) (param $s1 i32) (param $s2 i32) (param $s3 i32) (param $high i32) (result i32)
    (if (result i32) (local.get $high)
      (then
        (i32.add
          (i32.add (i32.mul (local.get $s0) (i32.const -4240)) (i32.mul (local.get $s1) (i32.const -7345)))
          (i32.add (i32.mul (local.get $s2) (i32.const 27411)) (i32.mul (local.get $s3) (i32.const -15826)))))
      (else
        (i32.add
          (i32.add (i32.mul (local.get $s0) (i32.const 15826)) (i32.mul (local.get $s1) (i32.const 27411)))
          (i32.add (i32.mul (local.get $s2) (i32.const 7345)) (i32.mul (local.get $s3) (i32.const -4240)))))))

  (func $dot64 (param $s0 i64) (param $s1 i64) (param $s2 i64) (param $s3 i64) (param $high i32) (result i64)
    (if (result i64) (local.get $high)
      (then
        (i64.add
          (i64.add (i64.mul (local.get $s0) (i64.const -4240)) (i64.mul (local.get $s1) (i64.const -7345)))
          (i64.add (i64.mul (local.get $s2) (i64.const 27411)) (i64.mul (local.get $s3) (i64.const -15826)))))
      (else
        (i64.add
          (i64.add (i64.mul (local.get $s0) (i64.const 15826)) (i64.mul (local.get $s1) (i64.const 27411)))
          (i64.add (i64.mul (local.get $s2) (i64.const 7345)) (i64.mul (local.get $s3) (i64.const -4240)))))))

  ;; DWT of scales 1..3 (adm_dwt2_s123_combined) on the previous approximation band src (w x h,
  ;; `stride` lanes per row), with int64 sums: vertical (s + vpAdd) >> vpShift, horizontal
  ;; (s + hpAdd) >> hpShift, both stored as int32. tmp holds 2 * w int32.
  (func (export "dwt123") (param $src i32) (param $w i32) (param $h i32)
    (param $vpAdd i64) (param $vpShift i64) (param $hpAdd i64) (param $hpShift i64)
    (param $indY i32) (param $indX i32)
    (param $tmp i32) (param $a i32) (param $hb i32) (param $v i32) (param $d i32) (param $stride i32)
    (local $i i32) (local $j i32) (local $bw i32) (local $bh i32)
    (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32)
    (local $s0 i64) (local $s1 i64) (local $s2 i64) (local $s3 i64) (local $p i32) (local $o i32) (local $x i32)
    (local.set $bw (i32.shr_u (i32.add (local.get $w) (i32.const 1)) (i32.const 1)))
    (local.set $bh (i32.shr_u (i32.add (local.get $h) (i32.const 1)) (i32.const 1)))
    (loop $rows
      (local.set $p (i32.add (local.get $indY) (i32.shl (local.get $i) (i32.const 4))))
      (local.set $r0 (i32.add (local.get $src) (i32.shl (i32.mul (i32.load (local.get $p)) (local.get $stride)) (i32.const 2))))
      (local.set $r1 (i32.add (local.get $src) (i32.shl (i32.mul (i32.load offset=4 (local.get $p)) (local.get $stride)) (i32.const 2))))
      (local.set $r2 (i32.add (local.get $src) (i32.shl (i32.mul (i32.load offset=8 (local.get $p)) (local.get $stride)) (i32.const 2))))
      (local.set $r3 (i32.add (local.get $src) (i32.shl (i32.mul (i32.load offset=12 (local.get $p)) (local.get $stride)) (i32.const 2))))
      (local.set $j (i32.const 0))
      (loop $vert
        (local.set $o (i32.shl (local.get $j) (i32.const 2)))
        (local.set $s0 (i64.load32_s (i32.add (local.get $r0) (local.get $o))))
        (local.set $s1 (i64.load32_s (i32.add (local.get $r1) (local.get $o))))
        (local.set $s2 (i64.load32_s (i32.add (local.get $r2) (local.get $o))))
        (local.set $s3 (i64.load32_s (i32.add (local.get $r3) (local.get $o))))
        (i32.store (i32.add (local.get $tmp) (local.get $o)) (i32.wrap_i64 (i64.shr_s
          (i64.add (call $dot64 (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3) (i32.const 0)) (local.get $vpAdd))
          (local.get $vpShift))))
        (i32.store (i32.add (i32.add (local.get $tmp) (i32.shl (local.get $w) (i32.const 2))) (local.get $o))
          (i32.wrap_i64 (i64.shr_s
            (i64.add (call $dot64 (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3) (i32.const 1)) (local.get $vpAdd))
            (local.get $vpShift))))
        (br_if $vert (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $w))))
      (local.set $j (i32.const 0))
      (loop $horiz
        (local.set $p (i32.add (local.get $indX) (i32.shl (local.get $j) (i32.const 4))))
        (local.set $o (i32.shl (i32.add (i32.mul (local.get $i) (local.get $stride)) (local.get $j)) (i32.const 2)))
        (local.set $x (local.get $tmp))
        (local.set $s0 (i64.load32_s (i32.add (local.get $x) (i32.shl (i32.load (local.get $p)) (i32.const 2)))))
        (local.set $s1 (i64.load32_s (i32.add (local.get $x) (i32.shl (i32.load offset=4 (local.get $p)) (i32.const 2)))))
        (local.set $s2 (i64.load32_s (i32.add (local.get $x) (i32.shl (i32.load offset=8 (local.get $p)) (i32.const 2)))))
        (local.set $s3 (i64.load32_s (i32.add (local.get $x) (i32.shl (i32.load offset=12 (local.get $p)) (i32.const 2)))))
        (i32.store (i32.add (local.get $a) (local.get $o)) (i32.wrap_i64 (i64.shr_s
          (i64.add (call $dot64 (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3) (i32.const 0)) (local.get $hpAdd))
          (local.get $hpShift))))
        (i32.store (i32.add (local.get $v) (local.get $o)) (i32.wrap_i64 (i64.shr_s
          (i64.add (call $dot64 (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3) (i32.const 1)) (local.get $hpAdd))
          (local.get $hpShift))))
        (local.set $x (i32.add (local.get $tmp) (i32.shl (local.get $w) (i32.const 2))))
        (local.set $s0 (i64.load32_s (i32.add (local.get $x) (i32.shl (i32.load (local.get $p)) (i32.const 2)))))
        (local.set $s1 (i64.load32_s (i32.add (local.get $x) (i32.shl (i32.load offset=4 (local.get $p)) (i32.const 2)))))
        (local.set $s2 (i64.load32_s (i32.add (local.get $x) (i32.shl (i32.load offset=8 (local.get $p)) (i32.const 2)))))
        (local.set $s3 (i64.load32_s (i32.add (local.get $x) (i32.shl (i32.load offset=12 (local.get $p)) (i32.const 2)))))
        (i32.store (i32.add (local.get $hb) (local.get $o)) (i32.wrap_i64 (i64.shr_s
          (i64.add (call $dot64 (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3) (i32.const 0)) (local.get $hpAdd))
          (local.get $hpShift))))
        (i32.store (i32.add (local.get $d) (local.get $o)) (i32.wrap_i64 (i64.shr_s
          (i64.add (call $dot64 (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3) (i32.const 1)) (local.get $hpAdd))
          (local.get $hpShift))))
        (br_if $horiz (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $bw))))
      (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $bh)))))

  ;; |v| as libvmaf's abs() leaves it: INT_MIN stays INT_MIN.
  (func $abs (param $v i32) (result i32)
    (select (i32.sub (i32.const 0) (local.get $v)) (local.get $v) (i32.lt_s (local.get $v) (i32.const 0))))

  ;; (float)(x * y + z * w) of int32 operands, the int64 sum converted once.
  (func $dotf (param $x i32) (param $y i32) (param $z i32) (param $w i32) (result f64)
    (f64.promote_f32 (f32.convert_i64_s (i64.add
      (i64.mul (i64.extend_i32_s (local.get $x)) (i64.extend_i32_s (local.get $y)))
      (i64.mul (i64.extend_i32_s (local.get $z)) (i64.extend_i32_s (local.get $w)))))))

  ;; The restored part of one detail coefficient o given the distorted t: k = clamp(t / o, 0, 1)
  ;; in Q15 through libvmaf's reciprocal table (the best 15 bits of |o| when |o| >= 32768),
  ;; rst = (k * o + 16384) >> 15, then the enhancement-gain limit when the angle test passed.
  (func $restore (param $o i32) (param $t i32) (param $angle i32) (param $gain f64) (param $div i32)
    (result i32)
    (local $abs i32) (local $msb i32) (local $shift i32) (local $k i64) (local $rst i32) (local $g f64)
    (if (i32.eqz (local.get $o))
      (then (local.set $k (i64.const 32768)))
      (else
        (local.set $abs (call $abs (local.get $o)))
        (local.set $msb (local.get $abs))
        (if (i32.ge_u (local.get $abs) (i32.const 32768))
          (then
            (local.set $shift (i32.sub (i32.const 17) (i32.clz (local.get $abs))))
            (local.set $msb (i32.shr_u
              (i32.add (local.get $abs) (i32.shl (i32.const 1) (i32.sub (local.get $shift) (i32.const 1))))
              (local.get $shift)))))
        (local.set $k (i64.mul
          (i64.load32_s (i32.add (local.get $div) (i32.shl (i32.add (local.get $msb) (i32.const 32768)) (i32.const 2))))
          (i64.extend_i32_s (local.get $t))))
        (if (i32.lt_s (local.get $o) (i32.const 0))
          (then (local.set $k (i64.sub (i64.const 0) (local.get $k)))))
        ;; The rounding term is the int 1 << (14 + shift) (negative for shift 17, as in C).
        (local.set $k (i64.shr_s
          (i64.add (local.get $k) (i64.extend_i32_s (i32.shl (i32.const 1) (i32.add (i32.const 14) (local.get $shift)))))
          (i64.extend_i32_u (i32.add (i32.const 15) (local.get $shift)))))
        (if (i64.lt_s (local.get $k) (i64.const 0)) (then (local.set $k (i64.const 0))))
        (if (i64.gt_s (local.get $k) (i64.const 32768)) (then (local.set $k (i64.const 32768))))))
    (local.set $rst (i32.wrap_i64 (i64.shr_s
      (i64.add (i64.mul (local.get $k) (i64.extend_i32_s (local.get $o))) (i64.const 16384))
      (i64.const 15))))
    (if (i32.and (local.get $angle) (i64.gt_s (local.get $k) (i64.const 0)))
      (then
        (local.set $g (f64.mul (f64.convert_i32_s (local.get $rst)) (local.get $gain)))
        (if (i32.gt_s (local.get $o) (i32.const 0))
          (then
            (local.set $rst (i32.trunc_sat_f64_s
              (select (local.get $g) (f64.convert_i32_s (local.get $t))
                (f64.lt (local.get $g) (f64.convert_i32_s (local.get $t))))))))
        (if (i32.lt_s (local.get $o) (i32.const 0))
          (then
            (local.set $rst (i32.trunc_sat_f64_s
              (select (local.get $g) (f64.convert_i32_s (local.get $t))
                (f64.gt (local.get $g) (f64.convert_i32_s (local.get $t))))))))))
    (local.get $rst))

  ;; Decoupling (adm_decouple / adm_decouple_s123) over rows [top, bottom) and columns
  ;; [left, right), with the contrast sensitivity weighting of the additive part fused in
  ;; (adm_csf / i4_adm_csf): restored detail to r, CSF-weighted additive detail to csfA and its
  ;; masking filter input to csfF. At scale 0 (`scale` 0) every store wraps to int16 and the CSF
  ;; uses libvmaf's Q21/Q23 factors; at scales 1..3 the Q32 factors rf0..rf2 (uint32 bits).
  (func (export "decouple") (param $ref i32) (param $dis i32) (param $r i32) (param $csfA i32) (param $csfF i32)
    (param $bb i32) (param $stride i32) (param $top i32) (param $bottom i32) (param $left i32) (param $right i32)
    (param $scale i32) (param $gain f64) (param $div i32) (param $cos1sq f64)
    (param $rf0 i32) (param $rf1 i32) (param $rf2 i32)
    (local $i i32) (local $j i32) (local $p i32) (local $band i32)
    (local $oh i32) (local $ov i32) (local $od i32) (local $th i32) (local $tv i32) (local $td i32)
    (local $ot f64) (local $om f64) (local $tm f64) (local $angle i32)
    (local $o i32) (local $t i32) (local $rst i32) (local $add i32) (local $c i32) (local $rf i32)
    (local.set $i (local.get $top))
    (block $end
      (br_if $end (i32.ge_s (local.get $i) (local.get $bottom)))
      (br_if $end (i32.ge_s (local.get $left) (local.get $right)))
      (loop $rows
        (local.set $j (local.get $left))
        (loop $cols
          (local.set $p (i32.shl (i32.add (i32.mul (local.get $i) (local.get $stride)) (local.get $j)) (i32.const 2)))
          (local.set $oh (i32.load (i32.add (local.get $ref) (local.get $p))))
          (local.set $ov (i32.load (i32.add (i32.add (local.get $ref) (local.get $bb)) (local.get $p))))
          (local.set $th (i32.load (i32.add (local.get $dis) (local.get $p))))
          (local.set $tv (i32.load (i32.add (i32.add (local.get $dis) (local.get $bb)) (local.get $p))))
          ;; Angle test in libvmaf's mix of float and double: the int64 products are converted to
          ;; float, divided by 4096.0 (exact), and compared in double.
          (local.set $ot (f64.mul (call $dotf (local.get $oh) (local.get $th) (local.get $ov) (local.get $tv))
            (f64.const 0x1p-12)))
          (local.set $om (f64.mul (call $dotf (local.get $oh) (local.get $oh) (local.get $ov) (local.get $ov))
            (f64.const 0x1p-12)))
          (local.set $tm (f64.mul (call $dotf (local.get $th) (local.get $th) (local.get $tv) (local.get $tv))
            (f64.const 0x1p-12)))
          (local.set $angle (i32.and (f64.ge (local.get $ot) (f64.const 0))
            (f64.ge (f64.mul (local.get $ot) (local.get $ot))
              (f64.mul (f64.mul (local.get $cos1sq) (local.get $om)) (local.get $tm)))))
          ;; The three orientations h, v, d.
          (local.set $band (i32.const 0))
          (loop $bands
            (local.set $c (i32.add (i32.mul (local.get $band) (local.get $bb)) (local.get $p)))
            (local.set $o (i32.load (i32.add (local.get $ref) (local.get $c))))
            (local.set $t (i32.load (i32.add (local.get $dis) (local.get $c))))
            (local.set $rst (call $restore (local.get $o) (local.get $t) (local.get $angle) (local.get $gain) (local.get $div)))
            (local.set $add (i32.sub (local.get $t) (local.get $rst)))
            (if (i32.eqz (local.get $scale))
              (then
                (local.set $rst (call $wrap16 (local.get $rst)))
                (local.set $add (call $wrap16 (local.get $add)))
                ;; adm_csf: (rf * a + {16384, 16384, 65535}) >> {15, 15, 17} as int16, and
                ;; (4369 * |csf| + 2048) >> 12 as int16 for the masking filter.
                (local.set $add (call $wrap16
                  (if (result i32) (i32.eq (local.get $band) (i32.const 2))
                    (then (i32.shr_s (i32.add (i32.mul (local.get $add) (i32.const 49417)) (i32.const 65535)) (i32.const 17)))
                    (else (i32.shr_s (i32.add (i32.mul (local.get $add) (i32.const 36453)) (i32.const 16384)) (i32.const 15))))))
                (i32.store (i32.add (local.get $csfF) (local.get $c)) (call $wrap16 (i32.shr_s
                  (i32.add (i32.mul (call $abs (local.get $add)) (i32.const 4369)) (i32.const 2048))
                  (i32.const 12)))))
              (else
                ;; i4_adm_csf: (int32)((rf * a + 2^27) >> 28), and
                ;; (int32)((143165577 * |csf| - 2^31) >> 32) for the masking filter.
                (local.set $rf (select (local.get $rf2)
                  (select (local.get $rf1) (local.get $rf0) (i32.eq (local.get $band) (i32.const 1)))
                  (i32.eq (local.get $band) (i32.const 2))))
                (local.set $add (i32.wrap_i64 (i64.shr_s
                  (i64.add (i64.mul (i64.extend_i32_u (local.get $rf)) (i64.extend_i32_s (local.get $add)))
                    (i64.const 134217728))
                  (i64.const 28))))
                (i32.store (i32.add (local.get $csfF) (local.get $c)) (i32.wrap_i64 (i64.shr_s
                  (i64.add (i64.mul (i64.const 143165577) (i64.extend_i32_s (call $abs (local.get $add))))
                    (i64.const -2147483648))
                  (i64.const 32))))))
            (i32.store (i32.add (local.get $r) (local.get $c)) (local.get $rst))
            (i32.store (i32.add (local.get $csfA) (local.get $c)) (local.get $add))
            (br_if $bands (i32.lt_u (local.tee $band (i32.add (local.get $band) (i32.const 1))) (i32.const 3))))
          (br_if $cols (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $right))))
        (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $bottom))))))

  ;; Denominator sums of one reference band over rows [top, bottom), columns [left, right):
  ;; per row the uint64 sum of libvmaf's cube of |x|, then (row + addAccum) >> shiftAccum added
  ;; to the uint64 total, returned as a double (converted once, as C does).
  ;; Scale 0 (adm_csf_den_scale): |x|^3. Scales 1..3 (adm_csf_den_s123):
  ;; ((((|x|^2 + addSq) >> shiftSq) * |x|) + addCub) >> shiftCub.
  (func (export "den") (param $band i32) (param $stride i32)
    (param $top i32) (param $bottom i32) (param $left i32) (param $right i32) (param $scale i32)
    (param $addSq i64) (param $shiftSq i64) (param $addCub i64) (param $shiftCub i64)
    (param $addAccum i64) (param $shiftAccum i64) (result f64)
    (local $i i32) (local $j i32) (local $x i64) (local $row i64) (local $total i64) (local $p i32)
    (local.set $i (local.get $top))
    (block $end
      (br_if $end (i32.ge_s (local.get $i) (local.get $bottom)))
      (loop $rows
        (local.set $row (i64.const 0))
        (local.set $j (local.get $left))
        (block $rowEnd
          (br_if $rowEnd (i32.ge_s (local.get $j) (local.get $right)))
          (loop $cols
            (local.set $p (i32.add (local.get $band)
              (i32.shl (i32.add (i32.mul (local.get $i) (local.get $stride)) (local.get $j)) (i32.const 2))))
            (local.set $x (i64.extend_i32_u (call $abs (i32.load (local.get $p)))))
            (if (i32.eqz (local.get $scale))
              (then (local.set $row (i64.add (local.get $row)
                (i64.mul (i64.mul (local.get $x) (local.get $x)) (local.get $x)))))
              (else (local.set $row (i64.add (local.get $row)
                (i64.shr_u
                  (i64.add
                    (i64.mul
                      (i64.shr_u (i64.add (i64.mul (local.get $x) (local.get $x)) (local.get $addSq)) (local.get $shiftSq))
                      (local.get $x))
                    (local.get $addCub))
                  (local.get $shiftCub))))))
            (br_if $cols (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $right)))))
        (local.set $total (i64.add (local.get $total)
          (i64.shr_u (i64.add (local.get $row) (local.get $addAccum)) (local.get $shiftAccum))))
        (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $bottom)))))
    (f64.convert_i64_u (local.get $total)))

  ;; Contrast masking (adm_cm at scale 0, i4_adm_cm at scales 1..3) of the restored bands r over
  ;; rows [top, bottom), columns [left, right) of a w x h band: per pixel the masking threshold
  ;; from csfA (centre) and csfF (3 x 3 neighbourhood, mirrored at the edges) summed over the
  ;; orientations, then per orientation x = max(|scale(r)| - (thr << shiftSub), 0),
  ;; x_sq = (int32)((x^2 + addSq) >> shiftSq), val = (x_sq * x + addCub) >> shiftCub; each row's
  ;; int64 sum is added as (row + addInner) >> shiftInner. The three totals are stored as
  ;; doubles at out. Scale 0: scale(r) = r * {36453, 36453, 49417}, shiftSub 10/10/12,
  ;; shiftSq 29/29/30, shiftCub cubHV/cubHV/cubD. Scales 1..3: scale(r) = (int32)((r * rf + 2^27)
  ;; >> 28), shiftSub 0, shiftSq 30, shiftCub cubHV for all. addCub* = 2^(shiftCub - 1), 0 for shift 0.
  (func (export "cm") (param $r i32) (param $csfA i32) (param $csfF i32) (param $bb i32) (param $stride i32)
    (param $w i32) (param $h i32) (param $top i32) (param $bottom i32) (param $left i32) (param $right i32)
    (param $scale i32) (param $rf0 i32) (param $rf1 i32) (param $rf2 i32)
    (param $cubHV i64) (param $addCubHV i64) (param $cubD i64) (param $addCubD i64)
    (param $addInner i64) (param $shiftInner i64) (param $out i32)
    (local $i i32) (local $j i32) (local $up i32) (local $mid i32) (local $down i32) (local $jm i32) (local $jp i32)
    (local $band i32) (local $thr i32) (local $c i32) (local $f i32) (local $sum i32)
    (local $x i32) (local $xs i64) (local $xsq i64) (local $shiftCub i64) (local $addCub i64) (local $rf i32)
    (local $row0 i64) (local $row1 i64) (local $row2 i64) (local $t0 i64) (local $t1 i64) (local $t2 i64) (local $val i64)
    (local.set $i (local.get $top))
    (block $end
      (br_if $end (i32.ge_s (local.get $i) (local.get $bottom)))
      (loop $rows
        (local.set $up (i32.mul (select (i32.const 1) (i32.sub (local.get $i) (i32.const 1)) (i32.eqz (local.get $i)))
          (local.get $stride)))
        (local.set $mid (i32.mul (local.get $i) (local.get $stride)))
        (local.set $down (i32.mul
          (select (local.get $i) (i32.add (local.get $i) (i32.const 1))
            (i32.eq (local.get $i) (i32.sub (local.get $h) (i32.const 1))))
          (local.get $stride)))
        (local.set $row0 (i64.const 0))
        (local.set $row1 (i64.const 0))
        (local.set $row2 (i64.const 0))
        (local.set $j (local.get $left))
        (block $rowEnd
          (br_if $rowEnd (i32.ge_s (local.get $j) (local.get $right)))
          (loop $cols
            (local.set $jm (select (i32.const 1) (i32.sub (local.get $j) (i32.const 1)) (i32.eqz (local.get $j))))
            (local.set $jp (select (local.get $j) (i32.add (local.get $j) (i32.const 1))
              (i32.eq (local.get $j) (i32.sub (local.get $w) (i32.const 1)))))
            ;; Masking threshold: for each orientation, the 3 x 3 csfF neighbourhood with the
            ;; centre replaced by its csfA counterpart scaled by 1/15; int32 sums.
            (local.set $thr (i32.const 0))
            (local.set $band (i32.const 0))
            (loop $bands
              (local.set $f (i32.add (local.get $csfF) (i32.mul (local.get $band) (local.get $bb))))
              (local.set $c (i32.load (i32.add (i32.add (local.get $csfA) (i32.mul (local.get $band) (local.get $bb)))
                (i32.shl (i32.add (local.get $mid) (local.get $j)) (i32.const 2)))))
              (local.set $c (if (result i32) (i32.eqz (local.get $scale))
                (then (call $wrap16 (i32.shr_s
                  (i32.add (i32.mul (call $abs (local.get $c)) (i32.const 8738)) (i32.const 2048)) (i32.const 12))))
                (else (i32.wrap_i64 (i64.shr_s
                  (i64.add (i64.mul (i64.const 286331153) (i64.extend_i32_s (call $abs (local.get $c))))
                    (i64.const -2147483648))
                  (i64.const 32))))))
              (local.set $sum (i32.add
                (i32.add
                  (i32.add (call $at (local.get $f) (local.get $up) (local.get $jm))
                    (i32.add (call $at (local.get $f) (local.get $up) (local.get $j))
                      (call $at (local.get $f) (local.get $up) (local.get $jp))))
                  (i32.add (call $at (local.get $f) (local.get $mid) (local.get $jm))
                    (i32.add (local.get $c) (call $at (local.get $f) (local.get $mid) (local.get $jp)))))
                (i32.add (call $at (local.get $f) (local.get $down) (local.get $jm))
                  (i32.add (call $at (local.get $f) (local.get $down) (local.get $j))
                    (call $at (local.get $f) (local.get $down) (local.get $jp))))))
              (local.set $thr (i32.add (local.get $thr) (local.get $sum)))
              (br_if $bands (i32.lt_u (local.tee $band (i32.add (local.get $band) (i32.const 1))) (i32.const 3))))
            ;; The three orientations' contributions.
            (local.set $band (i32.const 0))
            (loop $bands2
              (local.set $x (i32.load (i32.add (i32.add (local.get $r) (i32.mul (local.get $band) (local.get $bb)))
                (i32.shl (i32.add (local.get $mid) (local.get $j)) (i32.const 2)))))
              (local.set $rf (select (local.get $rf2)
                (select (local.get $rf1) (local.get $rf0) (i32.eq (local.get $band) (i32.const 1)))
                (i32.eq (local.get $band) (i32.const 2))))
              (local.set $shiftCub (select (local.get $cubD) (local.get $cubHV) (i32.eq (local.get $band) (i32.const 2))))
              (local.set $addCub (select (local.get $addCubD) (local.get $addCubHV) (i32.eq (local.get $band) (i32.const 2))))
              (if (i32.eqz (local.get $scale))
                (then
                  (local.set $x (i32.sub (call $abs (i32.mul (local.get $x) (local.get $rf)))
                    (i32.shl (local.get $thr) (select (i32.const 12) (i32.const 10) (i32.eq (local.get $band) (i32.const 2))))))
                  (local.set $xs (i64.extend_i32_s (local.get $x)))
                  (local.set $xsq (select
                    (i64.extend_i32_s (i32.wrap_i64 (i64.shr_s (i64.add (i64.mul (local.get $xs) (local.get $xs)) (i64.const 536870912)) (i64.const 30))))
                    (i64.extend_i32_s (i32.wrap_i64 (i64.shr_s (i64.add (i64.mul (local.get $xs) (local.get $xs)) (i64.const 268435456)) (i64.const 29))))
                    (i32.eq (local.get $band) (i32.const 2)))))
                (else
                  (local.set $x (i32.sub
                    (call $abs (i32.wrap_i64 (i64.shr_s
                      (i64.add (i64.mul (i64.extend_i32_s (local.get $x)) (i64.extend_i32_u (local.get $rf))) (i64.const 134217728))
                      (i64.const 28))))
                    (local.get $thr)))
                  (local.set $xs (i64.extend_i32_s (local.get $x)))
                  (local.set $xsq (i64.extend_i32_s (i32.wrap_i64
                    (i64.shr_s (i64.add (i64.mul (local.get $xs) (local.get $xs)) (i64.const 536870912)) (i64.const 30)))))))
              (if (i32.gt_s (local.get $x) (i32.const 0))
                (then
                  (local.set $val (i64.shr_s
                    (i64.add (i64.mul (local.get $xsq) (local.get $xs)) (local.get $addCub))
                    (local.get $shiftCub)))
                  (if (i32.eqz (local.get $band)) (then (local.set $row0 (i64.add (local.get $row0) (local.get $val)))))
                  (if (i32.eq (local.get $band) (i32.const 1)) (then (local.set $row1 (i64.add (local.get $row1) (local.get $val)))))
                  (if (i32.eq (local.get $band) (i32.const 2)) (then (local.set $row2 (i64.add (local.get $row2) (local.get $val)))))))
              (br_if $bands2 (i32.lt_u (local.tee $band (i32.add (local.get $band) (i32.const 1))) (i32.const 3))))
            (br_if $cols (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $right)))))
        (local.set $t0 (i64.add (local.get $t0) (i64.shr_s (i64.add (local.get $row0) (local.get $addInner)) (local.get $shiftInner))))
        (local.set $t1 (i64.add (local.get $t1) (i64.shr_s (i64.add (local.get $row1) (local.get $addInner)) (local.get $shiftInner))))
        (local.set $t2 (i64.add (local.get $t2) (i64.shr_s (i64.add (local.get $row2) (local.get $addInner)) (local.get $shiftInner))))
        (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $bottom)))))
    (f64.store (local.get $out) (f64.convert_i64_s (local.get $t0)))
    (f64.store offset=8 (local.get $out) (f64.convert_i64_s (local.get $t1)))
    (f64.store offset=16 (local.get $out) (f64.convert_i64_s (local.get $t2))))

  ;; band[row + j] for a row offset in lanes.
  (func $at (param $band i32) (param $row i32) (param $j i32) (result i32)
    (i32.load (i32.add (local.get $band) (i32.shl (i32.add (local.get $row) (local.get $j)) (i32.const 2)))))
)
