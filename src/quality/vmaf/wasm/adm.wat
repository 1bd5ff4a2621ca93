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
;;
;; Scale 0, which holds three quarters of the work, runs four pixels per vector: int16 products
;; in i32x4 lanes (dot products in the wavelet), int64 lanes where libvmaf widens, and the
;; decoupling's reciprocal table replaced by a double division (trunc(2^30 / o) is the table's
;; entry). Scales 1..3 run the wavelet in int64 lanes and the rest one pixel at a time.
(module
  (memory (export "memory") 1)

  ;; Scale-0 DWT of a packed uint8 picture (adm_dwt2_8). indY holds the four mirrored source
  ;; rows of every output row. Vertically, each output row's four source rows are interleaved in
  ;; pairs so that i32x4 dot products apply two taps at once; the int16 results go to two padded
  ;; rows at tmp (lane 0 is column -1, mirrored like libvmaf's column indices: -1 -> 1, w -> w - 1,
  ;; w + 1 -> w - 2), 2 * (w + 32) bytes each. Horizontally, output j takes columns 2j - 1 .. 2j + 2,
  ;; so one 8-lane load from column 2j - 1 feeds the dot products of outputs j .. j + 3. Up to
  ;; three values past the end of a band row are written (into the next row, or the slack after
  ;; the band).
  (func (export "dwt8") (param $src i32) (param $w i32) (param $h i32) (param $indY i32)
    (param $tmp i32) (param $a i32) (param $hb i32) (param $v i32) (param $d i32) (param $stride i32)
    (local $i i32) (local $j i32) (local $bw i32) (local $bh i32) (local $p i32) (local $o i32) (local $x i32)
    (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32) (local $tl i32) (local $th i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $p01l v128) (local $p01h v128) (local $p23l v128) (local $p23h v128)
    (local $q0 v128) (local $q1 v128)
    (local.set $bw (i32.shr_u (i32.add (local.get $w) (i32.const 1)) (i32.const 1)))
    (local.set $bh (i32.shr_u (i32.add (local.get $h) (i32.const 1)) (i32.const 1)))
    (local.set $tl (local.get $tmp))
    (local.set $th (i32.add (local.get $tmp) (i32.shl (i32.add (local.get $w) (i32.const 32)) (i32.const 1))))
    (loop $rows
      (local.set $p (i32.add (local.get $indY) (i32.shl (local.get $i) (i32.const 4))))
      (local.set $r0 (i32.add (local.get $src) (i32.mul (i32.load (local.get $p)) (local.get $w))))
      (local.set $r1 (i32.add (local.get $src) (i32.mul (i32.load offset=4 (local.get $p)) (local.get $w))))
      (local.set $r2 (i32.add (local.get $src) (i32.mul (i32.load offset=8 (local.get $p)) (local.get $w))))
      (local.set $r3 (i32.add (local.get $src) (i32.mul (i32.load offset=12 (local.get $p)) (local.get $w))))
      (local.set $j (i32.const 0))
      (loop $vert
        (local.set $s0 (v128.load8x8_u (i32.add (local.get $r0) (local.get $j))))
        (local.set $s1 (v128.load8x8_u (i32.add (local.get $r1) (local.get $j))))
        (local.set $s2 (v128.load8x8_u (i32.add (local.get $r2) (local.get $j))))
        (local.set $s3 (v128.load8x8_u (i32.add (local.get $r3) (local.get $j))))
        (local.set $p01l (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $s0) (local.get $s1)))
        (local.set $p01h (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $s0) (local.get $s1)))
        (local.set $p23l (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $s2) (local.get $s3)))
        (local.set $p23h (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $s2) (local.get $s3)))
        (local.set $p (i32.add (i32.shl (local.get $j) (i32.const 1)) (i32.const 2)))
        ;; lo: (sum(lo[k] * s[k]) - 46342 * 128 + 128) >> 8, within int16.
        (v128.store (i32.add (local.get $tl) (local.get $p)) (i16x8.narrow_i32x4_s
          (i32x4.shr_s (i32x4.add (call $dotLo (local.get $p01l) (local.get $p23l))
            (v128.const i32x4 -5931648 -5931648 -5931648 -5931648)) (i32.const 8))
          (i32x4.shr_s (i32x4.add (call $dotLo (local.get $p01h) (local.get $p23h))
            (v128.const i32x4 -5931648 -5931648 -5931648 -5931648)) (i32.const 8))))
        ;; hi: (sum(hi[k] * s[k]) + 128) >> 8 (the hi filter sums to 0).
        (v128.store (i32.add (local.get $th) (local.get $p)) (i16x8.narrow_i32x4_s
          (i32x4.shr_s (i32x4.add (call $dotHi (local.get $p01l) (local.get $p23l))
            (v128.const i32x4 128 128 128 128)) (i32.const 8))
          (i32x4.shr_s (i32x4.add (call $dotHi (local.get $p01h) (local.get $p23h))
            (v128.const i32x4 128 128 128 128)) (i32.const 8))))
        (br_if $vert (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 8))) (local.get $w))))
      (call $mirror16 (local.get $tl) (local.get $w))
      (call $mirror16 (local.get $th) (local.get $w))
      (local.set $j (i32.const 0))
      (loop $horiz
        (local.set $o (i32.shl (i32.add (i32.mul (local.get $i) (local.get $stride)) (local.get $j)) (i32.const 2)))
        (local.set $x (i32.add (local.get $tl) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $q0 (v128.load (local.get $x)))
        (local.set $q1 (v128.load offset=4 (local.get $x)))
        (v128.store (i32.add (local.get $a) (local.get $o)) (call $round16 (i32x4.add
          (i32x4.dot_i16x8_s (local.get $q0) (v128.const i16x8 15826 27411 15826 27411 15826 27411 15826 27411))
          (i32x4.dot_i16x8_s (local.get $q1) (v128.const i16x8 7345 -4240 7345 -4240 7345 -4240 7345 -4240)))))
        (v128.store (i32.add (local.get $v) (local.get $o)) (call $round16 (i32x4.add
          (i32x4.dot_i16x8_s (local.get $q0) (v128.const i16x8 -4240 -7345 -4240 -7345 -4240 -7345 -4240 -7345))
          (i32x4.dot_i16x8_s (local.get $q1) (v128.const i16x8 27411 -15826 27411 -15826 27411 -15826 27411 -15826)))))
        (local.set $x (i32.add (local.get $th) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $q0 (v128.load (local.get $x)))
        (local.set $q1 (v128.load offset=4 (local.get $x)))
        (v128.store (i32.add (local.get $hb) (local.get $o)) (call $round16 (i32x4.add
          (i32x4.dot_i16x8_s (local.get $q0) (v128.const i16x8 15826 27411 15826 27411 15826 27411 15826 27411))
          (i32x4.dot_i16x8_s (local.get $q1) (v128.const i16x8 7345 -4240 7345 -4240 7345 -4240 7345 -4240)))))
        (v128.store (i32.add (local.get $d) (local.get $o)) (call $round16 (i32x4.add
          (i32x4.dot_i16x8_s (local.get $q0) (v128.const i16x8 -4240 -7345 -4240 -7345 -4240 -7345 -4240 -7345))
          (i32x4.dot_i16x8_s (local.get $q1) (v128.const i16x8 27411 -15826 27411 -15826 27411 -15826 27411 -15826)))))
        (br_if $horiz (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $bw))))
      (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $bh)))))

  ;; Vertical lo filter of interleaved row pairs (s0, s1) and (s2, s3).
  (func $dotLo (param $p01 v128) (param $p23 v128) (result v128)
    (i32x4.add
      (i32x4.dot_i16x8_s (local.get $p01) (v128.const i16x8 15826 27411 15826 27411 15826 27411 15826 27411))
      (i32x4.dot_i16x8_s (local.get $p23) (v128.const i16x8 7345 -4240 7345 -4240 7345 -4240 7345 -4240))))

  ;; Vertical hi filter of interleaved row pairs (s0, s1) and (s2, s3).
  (func $dotHi (param $p01 v128) (param $p23 v128) (result v128)
    (i32x4.add
      (i32x4.dot_i16x8_s (local.get $p01) (v128.const i16x8 -4240 -7345 -4240 -7345 -4240 -7345 -4240 -7345))
      (i32x4.dot_i16x8_s (local.get $p23) (v128.const i16x8 27411 -15826 27411 -15826 27411 -15826 27411 -15826))))

  ;; (s + 32768) >> 16, wrapped to int16 as libvmaf stores it.
  (func $round16 (param $s v128) (result v128)
    (i32x4.shr_s
      (i32x4.shl (i32x4.shr_s (i32x4.add (local.get $s) (v128.const i32x4 32768 32768 32768 32768)) (i32.const 16))
        (i32.const 16))
      (i32.const 16)))

  ;; Mirrors an int16 row of w values stored from lane 1: lane 0 (column -1) <- column 1,
  ;; column w <- w - 1, column w + 1 <- w - 2.
  (func $mirror16 (param $row i32) (param $w i32)
    (local $e i32)
    (i32.store16 (local.get $row) (i32.load16_u offset=4 (local.get $row)))
    (local.set $e (i32.add (local.get $row) (i32.shl (local.get $w) (i32.const 1))))
    (i32.store16 offset=2 (local.get $e) (i32.load16_u (local.get $e)))
    (i32.store16 offset=4 (local.get $e) (i32.load16_u (i32.sub (local.get $e) (i32.const 2)))))

  ;; DWT of scales 1..3 (adm_dwt2_s123_combined) on the previous approximation band src (w x h,
  ;; `stride` lanes per row), with int64 sums: vertical (s + vpAdd) >> vpShift, horizontal
  ;; (s + hpAdd) >> hpShift, both stored as int32. The vertical results go to two padded int32
  ;; rows at tmp (lane 0 is column -1, mirrored like dwt8's), 4 * (w + 32) bytes each; up to
  ;; three values past the end of a band row are written.
  (func (export "dwt123") (param $src i32) (param $w i32) (param $h i32)
    (param $vpAdd i64) (param $vpShift i32) (param $hpAdd i64) (param $hpShift i32)
    (param $indY i32) (param $tmp i32) (param $a i32) (param $hb i32) (param $v i32) (param $d i32) (param $stride i32)
    (local $i i32) (local $j i32) (local $bw i32) (local $bh i32) (local $p i32) (local $o i32) (local $x i32)
    (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32) (local $tl i32) (local $th i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $va v128) (local $ha v128)
    (local $q0 v128) (local $q1 v128) (local $q2 v128)
    (local.set $bw (i32.shr_u (i32.add (local.get $w) (i32.const 1)) (i32.const 1)))
    (local.set $bh (i32.shr_u (i32.add (local.get $h) (i32.const 1)) (i32.const 1)))
    (local.set $tl (local.get $tmp))
    (local.set $th (i32.add (local.get $tmp) (i32.shl (i32.add (local.get $w) (i32.const 32)) (i32.const 2))))
    (local.set $va (i64x2.splat (local.get $vpAdd)))
    (local.set $ha (i64x2.splat (local.get $hpAdd)))
    (loop $rows
      (local.set $p (i32.add (local.get $indY) (i32.shl (local.get $i) (i32.const 4))))
      (local.set $r0 (i32.add (local.get $src) (i32.shl (i32.mul (i32.load (local.get $p)) (local.get $stride)) (i32.const 2))))
      (local.set $r1 (i32.add (local.get $src) (i32.shl (i32.mul (i32.load offset=4 (local.get $p)) (local.get $stride)) (i32.const 2))))
      (local.set $r2 (i32.add (local.get $src) (i32.shl (i32.mul (i32.load offset=8 (local.get $p)) (local.get $stride)) (i32.const 2))))
      (local.set $r3 (i32.add (local.get $src) (i32.shl (i32.mul (i32.load offset=12 (local.get $p)) (local.get $stride)) (i32.const 2))))
      (local.set $j (i32.const 0))
      (loop $vert
        (local.set $o (i32.shl (local.get $j) (i32.const 2)))
        (local.set $s0 (v128.load (i32.add (local.get $r0) (local.get $o))))
        (local.set $s1 (v128.load (i32.add (local.get $r1) (local.get $o))))
        (local.set $s2 (v128.load (i32.add (local.get $r2) (local.get $o))))
        (local.set $s3 (v128.load (i32.add (local.get $r3) (local.get $o))))
        (v128.store offset=4 (i32.add (local.get $tl) (local.get $o))
          (call $filter64 (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3) (i32.const 0)
            (local.get $va) (local.get $vpShift)))
        (v128.store offset=4 (i32.add (local.get $th) (local.get $o))
          (call $filter64 (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3) (i32.const 1)
            (local.get $va) (local.get $vpShift)))
        (br_if $vert (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $w))))
      (call $mirror32 (local.get $tl) (local.get $w))
      (call $mirror32 (local.get $th) (local.get $w))
      (local.set $j (i32.const 0))
      (loop $horiz
        (local.set $o (i32.shl (i32.add (i32.mul (local.get $i) (local.get $stride)) (local.get $j)) (i32.const 2)))
        ;; Outputs j .. j + 3 take columns 2j - 1 + {0, 1, 2, 3} (+ 2 per output): lanes from
        ;; three loads starting at column 2j - 1, split into the four taps.
        (local.set $x (i32.add (local.get $tl) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $q0 (v128.load (local.get $x)))
        (local.set $q1 (v128.load offset=16 (local.get $x)))
        (local.set $q2 (v128.load offset=32 (local.get $x)))
        (local.set $s0 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $q0) (local.get $q1)))
        (local.set $s1 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $q0) (local.get $q1)))
        (local.set $s2 (i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 (local.get $s0) (local.get $q2)))
        (local.set $s3 (i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 20 21 22 23 (local.get $s1) (local.get $q2)))
        (v128.store (i32.add (local.get $a) (local.get $o))
          (call $filter64 (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3) (i32.const 0)
            (local.get $ha) (local.get $hpShift)))
        (v128.store (i32.add (local.get $v) (local.get $o))
          (call $filter64 (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3) (i32.const 1)
            (local.get $ha) (local.get $hpShift)))
        (local.set $x (i32.add (local.get $th) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $q0 (v128.load (local.get $x)))
        (local.set $q1 (v128.load offset=16 (local.get $x)))
        (local.set $q2 (v128.load offset=32 (local.get $x)))
        (local.set $s0 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $q0) (local.get $q1)))
        (local.set $s1 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $q0) (local.get $q1)))
        (local.set $s2 (i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 (local.get $s0) (local.get $q2)))
        (local.set $s3 (i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 20 21 22 23 (local.get $s1) (local.get $q2)))
        (v128.store (i32.add (local.get $hb) (local.get $o))
          (call $filter64 (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3) (i32.const 0)
            (local.get $ha) (local.get $hpShift)))
        (v128.store (i32.add (local.get $d) (local.get $o))
          (call $filter64 (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3) (i32.const 1)
            (local.get $ha) (local.get $hpShift)))
        (br_if $horiz (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $bw))))
      (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $bh)))))

  ;; The lo (high = 0) or hi db2 filter of four int32 lanes per tap in int64:
  ;; (sum(f[k] * s[k]) + add) >> shift, wrapped to int32.
  (func $filter64 (param $s0 v128) (param $s1 v128) (param $s2 v128) (param $s3 v128) (param $high i32)
    (param $add v128) (param $shift i32) (result v128)
    (local $f0 v128) (local $f1 v128) (local $f2 v128) (local $f3 v128)
    (if (local.get $high)
      (then
        (local.set $f0 (v128.const i32x4 -4240 -4240 -4240 -4240))
        (local.set $f1 (v128.const i32x4 -7345 -7345 -7345 -7345))
        (local.set $f2 (v128.const i32x4 27411 27411 27411 27411))
        (local.set $f3 (v128.const i32x4 -15826 -15826 -15826 -15826)))
      (else
        (local.set $f0 (v128.const i32x4 15826 15826 15826 15826))
        (local.set $f1 (v128.const i32x4 27411 27411 27411 27411))
        (local.set $f2 (v128.const i32x4 7345 7345 7345 7345))
        (local.set $f3 (v128.const i32x4 -4240 -4240 -4240 -4240))))
    (call $low_halves
      (i64x2.shr_s
        (i64x2.add
          (i64x2.add
            (i64x2.add (i64x2.extmul_low_i32x4_s (local.get $s0) (local.get $f0))
              (i64x2.extmul_low_i32x4_s (local.get $s1) (local.get $f1)))
            (i64x2.add (i64x2.extmul_low_i32x4_s (local.get $s2) (local.get $f2))
              (i64x2.extmul_low_i32x4_s (local.get $s3) (local.get $f3))))
          (local.get $add))
        (local.get $shift))
      (i64x2.shr_s
        (i64x2.add
          (i64x2.add
            (i64x2.add (i64x2.extmul_high_i32x4_s (local.get $s0) (local.get $f0))
              (i64x2.extmul_high_i32x4_s (local.get $s1) (local.get $f1)))
            (i64x2.add (i64x2.extmul_high_i32x4_s (local.get $s2) (local.get $f2))
              (i64x2.extmul_high_i32x4_s (local.get $s3) (local.get $f3))))
          (local.get $add))
        (local.get $shift))))

  ;; Mirrors an int32 row of w values stored from lane 1: lane 0 (column -1) <- column 1,
  ;; column w <- w - 1, column w + 1 <- w - 2.
  (func $mirror32 (param $row i32) (param $w i32)
    (local $e i32)
    (i32.store (local.get $row) (i32.load offset=8 (local.get $row)))
    (local.set $e (i32.add (local.get $row) (i32.shl (local.get $w) (i32.const 2))))
    (i32.store offset=4 (local.get $e) (i32.load (local.get $e)))
    (i32.store offset=8 (local.get $e) (i32.load (i32.sub (local.get $e) (i32.const 4)))))

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
  ;; [left, right): the restored detail goes to r (h, v, d). The contrast sensitivity weighting
  ;; of the additive part (adm_csf / i4_adm_csf) is fused in and reduced to what the contrast
  ;; masking reads: per pixel F = the sum over orientations of the masking filter input
  ;; (libvmaf's csf_f) and T = the sum of (csf_a's centre term - csf_f), so that the masking
  ;; threshold is the 3 x 3 sum of F plus T (int32 sums wrap the same in any order).
  ;; Scale 0 (`scale` 0) wraps every store to int16 like libvmaf and uses its Q21/Q23 factors;
  ;; scales 1..3 use the Q32 factors rf0..rf2 (uint32 bits).
  (func (export "decouple") (param $ref i32) (param $dis i32) (param $r i32) (param $fb i32) (param $tb i32)
    (param $bb i32) (param $stride i32) (param $top i32) (param $bottom i32) (param $left i32) (param $right i32)
    (param $scale i32) (param $gain f64) (param $div i32) (param $cos1sq f64)
    (param $rf0 i32) (param $rf1 i32) (param $rf2 i32)
    (if (i32.or (i32.ge_s (local.get $top) (local.get $bottom)) (i32.ge_s (local.get $left) (local.get $right)))
      (then (return)))
    (if (i32.eqz (local.get $scale))
      (then
        (call $decouple0 (local.get $ref) (local.get $dis) (local.get $r) (local.get $fb) (local.get $tb)
          (local.get $bb) (local.get $stride) (local.get $top) (local.get $bottom) (local.get $left) (local.get $right)
          (local.get $gain) (local.get $cos1sq)))
      (else
        (call $decouple123 (local.get $ref) (local.get $dis) (local.get $r) (local.get $fb) (local.get $tb)
          (local.get $bb) (local.get $stride) (local.get $top) (local.get $bottom) (local.get $left) (local.get $right)
          (local.get $gain) (local.get $div) (local.get $cos1sq) (local.get $rf0) (local.get $rf1) (local.get $rf2)))))

  ;; int32 lanes converted to float, where a lane holding INT_MIN stands for +2^31: an int16 dot
  ;; product that wrapped (no such product is -2^31).
  (func $to_f32 (param $v v128) (result v128)
    (local $f v128)
    (local.set $f (f32x4.convert_i32x4_s (local.get $v)))
    (v128.bitselect (f32x4.abs (local.get $f)) (local.get $f)
      (i32x4.eq (local.get $v) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))

  ;; libvmaf's angle test on two lanes (as doubles): ot >= 0 and ot^2 >= cos1sq * om * tm, each
  ;; term a float divided by 4096.0. Returns int64 lane masks.
  (func $angle2 (param $ot v128) (param $om v128) (param $tm v128) (param $cos1sq f64) (result v128)
    (local $a v128) (local $scale v128)
    (local.set $scale (f64x2.splat (f64.const 0x1p-12)))
    (local.set $a (f64x2.mul (f64x2.promote_low_f32x4 (local.get $ot)) (local.get $scale)))
    (v128.and (f64x2.ge (local.get $a) (f64x2.splat (f64.const 0)))
      (f64x2.ge (f64x2.mul (local.get $a) (local.get $a))
        (f64x2.mul
          (f64x2.mul (f64x2.splat (local.get $cos1sq))
            (f64x2.mul (f64x2.promote_low_f32x4 (local.get $om)) (local.get $scale)))
          (f64x2.mul (f64x2.promote_low_f32x4 (local.get $tm)) (local.get $scale))))))

  ;; Moves lanes 2, 3 of an int32/float vector to lanes 0, 1.
  (func $high_pair (param $v v128) (result v128)
    (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))

  ;; Lanes 0, 1 of a and lanes 0, 1 of b (results of the *_zero conversions).
  (func $join_pairs (param $a v128) (param $b v128) (result v128)
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a) (local.get $b)))

  ;; The low 32 bits of int64 lanes of a (lanes 0, 1) and b (lanes 2, 3).
  (func $low_halves (param $a v128) (param $b v128) (result v128)
    (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))

  ;; trunc(f64(x) * gain) for four int32 lanes, then trunc(min or max with t) in C's way
  ;; (MIN(a, b) = a < b ? a : b): returns the `pick_min` or the max variant.
  (func $gain_limit (param $x v128) (param $t v128) (param $gain f64) (param $pickMin i32) (result v128)
    (local $gl v128) (local $gh v128) (local $tl v128) (local $th v128)
    (local.set $gl (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $x)) (f64x2.splat (local.get $gain))))
    (local.set $gh (f64x2.mul (f64x2.convert_low_i32x4_s (call $high_pair (local.get $x))) (f64x2.splat (local.get $gain))))
    (local.set $tl (f64x2.convert_low_i32x4_s (local.get $t)))
    (local.set $th (f64x2.convert_low_i32x4_s (call $high_pair (local.get $t))))
    (if (result v128) (local.get $pickMin)
      (then
        (call $join_pairs
          (i32x4.trunc_sat_f64x2_s_zero (f64x2.pmin (local.get $tl) (local.get $gl)))
          (i32x4.trunc_sat_f64x2_s_zero (f64x2.pmin (local.get $th) (local.get $gh)))))
      (else
        (call $join_pairs
          (i32x4.trunc_sat_f64x2_s_zero (f64x2.pmax (local.get $tl) (local.get $gl)))
          (i32x4.trunc_sat_f64x2_s_zero (f64x2.pmax (local.get $th) (local.get $gh)))))))

  ;; Sign-extends the low 16 bits of int32 lanes.
  (func $wrap16x4 (param $v v128) (result v128)
    (i32x4.shr_s (i32x4.shl (local.get $v) (i32.const 16)) (i32.const 16)))

  ;; Scale-0 decoupling of one orientation for four pixels (int16 values in int32 lanes): the
  ;; restored part, stored at r; returns the additive part (int16).
  (func $restore0x4 (param $o v128) (param $t v128) (param $angle v128) (param $gain f64) (param $rp i32)
    (result v128)
    (local $k v128) (local $rst v128) (local $gate v128)
    ;; k = (div_lookup[o] * t + 16384) >> 15 in int64, div_lookup[o] = trunc(2^30 / o) (a double
    ;; quotient of integers is close enough to truncate right), clamped to [0, 32768]; 32768
    ;; where o is 0.
    (local.set $k (call $join_pairs
      (i32x4.trunc_sat_f64x2_s_zero
        (f64x2.div (f64x2.splat (f64.const 1073741824)) (f64x2.convert_low_i32x4_s (local.get $o))))
      (i32x4.trunc_sat_f64x2_s_zero
        (f64x2.div (f64x2.splat (f64.const 1073741824))
          (f64x2.convert_low_i32x4_s (call $high_pair (local.get $o)))))))
    (local.set $k (call $low_halves
      (i64x2.shr_s (i64x2.add (i64x2.extmul_low_i32x4_s (local.get $k) (local.get $t)) (v128.const i64x2 16384 16384))
        (i32.const 15))
      (i64x2.shr_s (i64x2.add (i64x2.extmul_high_i32x4_s (local.get $k) (local.get $t)) (v128.const i64x2 16384 16384))
        (i32.const 15))))
    (local.set $k (i32x4.min_s (i32x4.max_s (local.get $k) (v128.const i32x4 0 0 0 0))
      (v128.const i32x4 32768 32768 32768 32768)))
    (local.set $k (v128.bitselect (v128.const i32x4 32768 32768 32768 32768) (local.get $k)
      (i32x4.eq (local.get $o) (v128.const i32x4 0 0 0 0))))
    ;; rst = (k * o + 16384) >> 15, then the gain limit where the angle test passed and k > 0.
    (local.set $rst (i32x4.shr_s (i32x4.add (i32x4.mul (local.get $k) (local.get $o)) (v128.const i32x4 16384 16384 16384 16384))
      (i32.const 15)))
    (local.set $gate (v128.and (local.get $angle) (i32x4.gt_s (local.get $k) (v128.const i32x4 0 0 0 0))))
    (if (v128.any_true (local.get $gate))
      (then
        (local.set $rst (v128.bitselect (call $gain_limit (local.get $rst) (local.get $t) (local.get $gain) (i32.const 1))
          (local.get $rst)
          (v128.and (local.get $gate) (i32x4.gt_s (local.get $o) (v128.const i32x4 0 0 0 0)))))
        (local.set $rst (v128.bitselect (call $gain_limit (local.get $rst) (local.get $t) (local.get $gain) (i32.const 0))
          (local.get $rst)
          (v128.and (local.get $gate) (i32x4.lt_s (local.get $o) (v128.const i32x4 0 0 0 0)))))))
    (local.set $rst (call $wrap16x4 (local.get $rst)))
    (v128.store (local.get $rp) (local.get $rst))
    (call $wrap16x4 (i32x4.sub (local.get $t) (local.get $rst))))

  ;; Scale-0 CSF of an additive part and its two masking terms: returns
  ;; (4369 * |c| + 2048) >> 12 (csf_f) in $flt and (8738 * |c| + 2048) >> 12 (the threshold's
  ;; centre term) as the result, with c = (a * rf + add) >> shift, all wrapped to int16.
  (func $csf0x4 (param $a v128) (param $rf i32) (param $add i32) (param $shift i32) (result v128 v128)
    (local $c v128)
    (local.set $c (call $wrap16x4 (i32x4.shr_s
      (i32x4.add (i32x4.mul (local.get $a) (i32x4.splat (local.get $rf))) (i32x4.splat (local.get $add)))
      (local.get $shift))))
    (local.set $c (i32x4.abs (local.get $c)))
    (call $wrap16x4 (i32x4.shr_s (i32x4.add (i32x4.mul (local.get $c) (v128.const i32x4 4369 4369 4369 4369))
      (v128.const i32x4 2048 2048 2048 2048)) (i32.const 12)))
    (call $wrap16x4 (i32x4.shr_s (i32x4.add (i32x4.mul (local.get $c) (v128.const i32x4 8738 8738 8738 8738))
      (v128.const i32x4 2048 2048 2048 2048)) (i32.const 12))))

  ;; Scale 0, four pixels at a time (int16 values in int32 lanes). Up to three pixels past
  ;; `right` are written too; nothing reads them.
  (func $decouple0 (param $ref i32) (param $dis i32) (param $r i32) (param $fb i32) (param $tb i32)
    (param $bb i32) (param $stride i32) (param $top i32) (param $bottom i32) (param $left i32) (param $right i32)
    (param $gain f64) (param $cos1sq f64)
    (local $i i32) (local $j i32) (local $p i32)
    (local $oh v128) (local $ov v128) (local $th v128) (local $tv v128)
    (local $ot v128) (local $om v128) (local $tm v128) (local $angle v128) (local $a v128)
    (local $flt v128) (local $ctr v128) (local $f v128) (local $t v128)
    (local.set $i (local.get $top))
    (loop $rows
      (local.set $j (local.get $left))
      (loop $cols
        (local.set $p (i32.shl (i32.add (i32.mul (local.get $i) (local.get $stride)) (local.get $j)) (i32.const 2)))
        (local.set $oh (v128.load (i32.add (local.get $ref) (local.get $p))))
        (local.set $ov (v128.load (i32.add (i32.add (local.get $ref) (local.get $bb)) (local.get $p))))
        (local.set $th (v128.load (i32.add (local.get $dis) (local.get $p))))
        (local.set $tv (v128.load (i32.add (i32.add (local.get $dis) (local.get $bb)) (local.get $p))))
        ;; int16 dot products fit int32 except 2 * 32768^2, which wraps to INT_MIN; the squared
        ;; magnitudes are never negative, the dot product never -2^31.
        (local.set $ot (call $to_f32
          (i32x4.add (i32x4.mul (local.get $oh) (local.get $th)) (i32x4.mul (local.get $ov) (local.get $tv)))))
        (local.set $om (f32x4.abs (f32x4.convert_i32x4_s
          (i32x4.add (i32x4.mul (local.get $oh) (local.get $oh)) (i32x4.mul (local.get $ov) (local.get $ov))))))
        (local.set $tm (f32x4.abs (f32x4.convert_i32x4_s
          (i32x4.add (i32x4.mul (local.get $th) (local.get $th)) (i32x4.mul (local.get $tv) (local.get $tv))))))
        (local.set $angle (call $low_halves
          (call $angle2 (local.get $ot) (local.get $om) (local.get $tm) (local.get $cos1sq))
          (call $angle2 (call $high_pair (local.get $ot)) (call $high_pair (local.get $om))
            (call $high_pair (local.get $tm)) (local.get $cos1sq))))
        ;; h, v, d: restored part to r, additive part through the CSF into F and T.
        (local.set $a (call $restore0x4 (local.get $oh) (local.get $th) (local.get $angle) (local.get $gain)
          (i32.add (local.get $r) (local.get $p))))
        (call $csf0x4 (local.get $a) (i32.const 36453) (i32.const 16384) (i32.const 15))
        (local.set $ctr)
        (local.set $flt)
        (local.set $f (local.get $flt))
        (local.set $t (i32x4.sub (local.get $ctr) (local.get $flt)))
        (local.set $a (call $restore0x4 (local.get $ov) (local.get $tv) (local.get $angle) (local.get $gain)
          (i32.add (i32.add (local.get $r) (local.get $bb)) (local.get $p))))
        (call $csf0x4 (local.get $a) (i32.const 36453) (i32.const 16384) (i32.const 15))
        (local.set $ctr)
        (local.set $flt)
        (local.set $f (i32x4.add (local.get $f) (local.get $flt)))
        (local.set $t (i32x4.add (local.get $t) (i32x4.sub (local.get $ctr) (local.get $flt))))
        (local.set $a (call $restore0x4
          (v128.load (i32.add (i32.add (local.get $ref) (i32.shl (local.get $bb) (i32.const 1))) (local.get $p)))
          (v128.load (i32.add (i32.add (local.get $dis) (i32.shl (local.get $bb) (i32.const 1))) (local.get $p)))
          (local.get $angle) (local.get $gain)
          (i32.add (i32.add (local.get $r) (i32.shl (local.get $bb) (i32.const 1))) (local.get $p))))
        (call $csf0x4 (local.get $a) (i32.const 49417) (i32.const 65535) (i32.const 17))
        (local.set $ctr)
        (local.set $flt)
        (v128.store (i32.add (local.get $fb) (local.get $p)) (i32x4.add (local.get $f) (local.get $flt)))
        (v128.store (i32.add (local.get $tb) (local.get $p))
          (i32x4.add (local.get $t) (i32x4.sub (local.get $ctr) (local.get $flt))))
        (br_if $cols (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $right))))
      (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $bottom)))))

  ;; Scales 1..3, one pixel at a time in int64 where libvmaf uses it.
  (func $decouple123 (param $ref i32) (param $dis i32) (param $r i32) (param $fb i32) (param $tb i32)
    (param $bb i32) (param $stride i32) (param $top i32) (param $bottom i32) (param $left i32) (param $right i32)
    (param $gain f64) (param $div i32) (param $cos1sq f64) (param $rf0 i32) (param $rf1 i32) (param $rf2 i32)
    (local $i i32) (local $j i32) (local $p i32) (local $band i32) (local $c i32)
    (local $oh i32) (local $ov i32) (local $th i32) (local $tv i32)
    (local $ot f64) (local $om f64) (local $tm f64) (local $angle i32)
    (local $o i32) (local $t i32) (local $rst i32) (local $add i32) (local $rf i32) (local $flt i32)
    (local $f i32) (local $tt i32)
    (local.set $i (local.get $top))
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
        (local.set $f (i32.const 0))
        (local.set $tt (i32.const 0))
        (local.set $band (i32.const 0))
        (loop $bands
          (local.set $c (i32.add (i32.mul (local.get $band) (local.get $bb)) (local.get $p)))
          (local.set $o (i32.load (i32.add (local.get $ref) (local.get $c))))
          (local.set $t (i32.load (i32.add (local.get $dis) (local.get $c))))
          (local.set $rst (call $restore (local.get $o) (local.get $t) (local.get $angle) (local.get $gain) (local.get $div)))
          (i32.store (i32.add (local.get $r) (local.get $c)) (local.get $rst))
          ;; i4_adm_csf: (int32)((rf * a + 2^27) >> 28); csf_f = (int32)((143165577 * |c| - 2^31)
          ;; >> 32); the threshold's centre term uses 286331153 (libvmaf adds 1u << 31 stored in
          ;; an int32, i.e. -2^31).
          (local.set $rf (select (local.get $rf2)
            (select (local.get $rf1) (local.get $rf0) (i32.eq (local.get $band) (i32.const 1)))
            (i32.eq (local.get $band) (i32.const 2))))
          (local.set $add (call $abs (i32.wrap_i64 (i64.shr_s
            (i64.add (i64.mul (i64.extend_i32_u (local.get $rf)) (i64.extend_i32_s (i32.sub (local.get $t) (local.get $rst))))
              (i64.const 134217728))
            (i64.const 28)))))
          (local.set $flt (i32.wrap_i64 (i64.shr_s
            (i64.add (i64.mul (i64.const 143165577) (i64.extend_i32_s (local.get $add))) (i64.const -2147483648))
            (i64.const 32))))
          (local.set $f (i32.add (local.get $f) (local.get $flt)))
          (local.set $tt (i32.add (local.get $tt) (i32.sub
            (i32.wrap_i64 (i64.shr_s
              (i64.add (i64.mul (i64.const 286331153) (i64.extend_i32_s (local.get $add))) (i64.const -2147483648))
              (i64.const 32)))
            (local.get $flt))))
          (br_if $bands (i32.lt_u (local.tee $band (i32.add (local.get $band) (i32.const 1))) (i32.const 3))))
        (i32.store (i32.add (local.get $fb) (local.get $p)) (local.get $f))
        (i32.store (i32.add (local.get $tb) (local.get $p)) (local.get $tt))
        (br_if $cols (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $right))))
      (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $bottom)))))

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
  ;; rows [top, bottom), columns [left, right) of a w x h band. Per pixel the masking threshold
  ;; is the 3 x 3 sum of F (mirrored at the band's edges: -1 -> 1, w -> w - 1) plus T (see
  ;; decouple); then per orientation x = max(|scale(r)| - (thr << shiftSub), 0),
  ;; x_sq = (int32)((x^2 + addSq) >> shiftSq), val = (x_sq * x + addCub) >> shiftCub, and each
  ;; row's int64 sum is added as (row + addInner) >> shiftInner. The three totals are stored as
  ;; doubles at out. Scale 0: scale(r) = r * {36453, 36453, 49417}, shiftSub 10/10/12,
  ;; shiftSq 29/29/30, shiftCub cubHV/cubHV/cubD. Scales 1..3: scale(r) = (int32)((r * rf +
  ;; 2^27) >> 28), shiftSub 0, shiftSq 30, shiftCub cubHV for all. addCub* = 2^(shiftCub - 1).
  (func (export "cm") (param $r i32) (param $fb i32) (param $tb i32) (param $bb i32) (param $stride i32)
    (param $w i32) (param $h i32) (param $top i32) (param $bottom i32) (param $left i32) (param $right i32)
    (param $scale i32) (param $rf0 i32) (param $rf1 i32) (param $rf2 i32)
    (param $cubHV i64) (param $addCubHV i64) (param $cubD i64) (param $addCubD i64)
    (param $addInner i64) (param $shiftInner i64) (param $out i32)
    (local $i i32) (local $j i32) (local $up i32) (local $mid i32) (local $down i32) (local $jm i32) (local $jp i32)
    (local $band i32) (local $thr i32) (local $x i32) (local $xs i64) (local $xsq i64) (local $rf i32)
    (local $row0 i64) (local $row1 i64) (local $row2 i64) (local $t0 i64) (local $t1 i64) (local $t2 i64) (local $val i64)
    (local $rows v128)
    (block $end
      (br_if $end (i32.ge_s (local.get $top) (local.get $bottom)))
      (br_if $end (i32.ge_s (local.get $left) (local.get $right)))
      ;; Scale 0 away from the band's edges (every frame of 64 pixels or more): four pixels at
      ;; a time.
      (if (i32.and (i32.eqz (local.get $scale))
            (i32.and
              (i32.and (i32.ge_s (local.get $top) (i32.const 1)) (i32.ge_s (local.get $left) (i32.const 1)))
              (i32.and (i32.lt_s (local.get $bottom) (local.get $h)) (i32.lt_s (local.get $right) (local.get $w)))))
        (then
          (call $cm0 (local.get $r) (local.get $fb) (local.get $tb) (local.get $bb) (local.get $stride)
            (local.get $top) (local.get $bottom) (local.get $left) (local.get $right)
            (i32.wrap_i64 (local.get $cubHV)) (local.get $addCubHV) (i32.wrap_i64 (local.get $cubD)) (local.get $addCubD)
            (local.get $addInner) (local.get $shiftInner) (local.get $out))
          (return)))
      (local.set $i (local.get $top))
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
        (loop $cols
          (local.set $jm (select (i32.const 1) (i32.sub (local.get $j) (i32.const 1)) (i32.eqz (local.get $j))))
          (local.set $jp (select (local.get $j) (i32.add (local.get $j) (i32.const 1))
            (i32.eq (local.get $j) (i32.sub (local.get $w) (i32.const 1)))))
          (local.set $thr (i32.add
            (i32.add
              (i32.add (call $at (local.get $fb) (local.get $up) (local.get $jm))
                (i32.add (call $at (local.get $fb) (local.get $up) (local.get $j))
                  (call $at (local.get $fb) (local.get $up) (local.get $jp))))
              (i32.add (call $at (local.get $fb) (local.get $mid) (local.get $jm))
                (i32.add (call $at (local.get $fb) (local.get $mid) (local.get $j))
                  (call $at (local.get $fb) (local.get $mid) (local.get $jp)))))
            (i32.add
              (i32.add (call $at (local.get $fb) (local.get $down) (local.get $jm))
                (i32.add (call $at (local.get $fb) (local.get $down) (local.get $j))
                  (call $at (local.get $fb) (local.get $down) (local.get $jp))))
              (call $at (local.get $tb) (local.get $mid) (local.get $j)))))
          (local.set $band (i32.const 0))
          (loop $bands
            (local.set $x (call $at (i32.add (local.get $r) (i32.mul (local.get $band) (local.get $bb)))
              (local.get $mid) (local.get $j)))
            (local.set $rf (select (local.get $rf2)
              (select (local.get $rf1) (local.get $rf0) (i32.eq (local.get $band) (i32.const 1)))
              (i32.eq (local.get $band) (i32.const 2))))
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
                (local.set $val (if (result i64) (i32.eq (local.get $band) (i32.const 2))
                  (then (i64.shr_s (i64.add (i64.mul (local.get $xsq) (local.get $xs)) (local.get $addCubD)) (local.get $cubD)))
                  (else (i64.shr_s (i64.add (i64.mul (local.get $xsq) (local.get $xs)) (local.get $addCubHV)) (local.get $cubHV)))))
                (if (i32.eqz (local.get $band)) (then (local.set $row0 (i64.add (local.get $row0) (local.get $val)))))
                (if (i32.eq (local.get $band) (i32.const 1)) (then (local.set $row1 (i64.add (local.get $row1) (local.get $val)))))
                (if (i32.eq (local.get $band) (i32.const 2)) (then (local.set $row2 (i64.add (local.get $row2) (local.get $val)))))))
            (br_if $bands (i32.lt_u (local.tee $band (i32.add (local.get $band) (i32.const 1))) (i32.const 3))))
          (br_if $cols (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $right))))
        (local.set $t0 (i64.add (local.get $t0) (i64.shr_s (i64.add (local.get $row0) (local.get $addInner)) (local.get $shiftInner))))
        (local.set $t1 (i64.add (local.get $t1) (i64.shr_s (i64.add (local.get $row1) (local.get $addInner)) (local.get $shiftInner))))
        (local.set $t2 (i64.add (local.get $t2) (i64.shr_s (i64.add (local.get $row2) (local.get $addInner)) (local.get $shiftInner))))
        (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $bottom)))))
    (f64.store (local.get $out) (f64.convert_i64_s (local.get $t0)))
    (f64.store offset=8 (local.get $out) (f64.convert_i64_s (local.get $t1)))
    (f64.store offset=16 (local.get $out) (f64.convert_i64_s (local.get $t2))))

  ;; One orientation's masking sum of four scale-0 pixels, in int64 lanes: x = max(|r * rf| -
  ;; (thr << sub), 0) (zero in lanes outside the region), x_sq = (int32)((x^2 + 2^(sq-1)) >> sq),
  ;; (x_sq * x + addCub) >> cub.
  (func $cm0x4 (param $rv v128) (param $thr v128) (param $inside v128) (param $rf i32) (param $sub i32)
    (param $sq i32) (param $cub i32) (param $addCub i64) (result v128)
    (local $x v128) (local $xsq v128) (local $add v128)
    (local.set $x (v128.and (local.get $inside) (i32x4.max_s
      (i32x4.sub (i32x4.abs (i32x4.mul (local.get $rv) (i32x4.splat (local.get $rf))))
        (i32x4.shl (local.get $thr) (local.get $sub)))
      (v128.const i32x4 0 0 0 0))))
    (local.set $add (i64x2.splat (i64.shl (i64.const 1) (i64.extend_i32_u (i32.sub (local.get $sq) (i32.const 1))))))
    (local.set $xsq (call $low_halves
      (i64x2.shr_s (i64x2.add (i64x2.extmul_low_i32x4_s (local.get $x) (local.get $x)) (local.get $add)) (local.get $sq))
      (i64x2.shr_s (i64x2.add (i64x2.extmul_high_i32x4_s (local.get $x) (local.get $x)) (local.get $add)) (local.get $sq))))
    (local.set $add (i64x2.splat (local.get $addCub)))
    (i64x2.add
      (i64x2.shr_s (i64x2.add (i64x2.extmul_low_i32x4_s (local.get $xsq) (local.get $x)) (local.get $add)) (local.get $cub))
      (i64x2.shr_s (i64x2.add (i64x2.extmul_high_i32x4_s (local.get $xsq) (local.get $x)) (local.get $add)) (local.get $cub))))

  ;; Adds (row + addInner) >> shiftInner of an int64-lane row sum to the total at p.
  (func $add_row (param $p i32) (param $row v128) (param $addInner i64) (param $shiftInner i64)
    (i64.store (local.get $p) (i64.add (i64.load (local.get $p))
      (i64.shr_s
        (i64.add (i64.add (i64x2.extract_lane 0 (local.get $row)) (i64x2.extract_lane 1 (local.get $row)))
          (local.get $addInner))
        (local.get $shiftInner)))))

  ;; Scale-0 contrast masking away from the band's edges, four pixels at a time; the int64
  ;; totals are kept at out while summing and converted to doubles at the end.
  (func $cm0 (param $r i32) (param $fb i32) (param $tb i32) (param $bb i32) (param $stride i32)
    (param $top i32) (param $bottom i32) (param $left i32) (param $right i32)
    (param $cubHV i32) (param $addCubHV i64) (param $cubD i32) (param $addCubD i64)
    (param $addInner i64) (param $shiftInner i64) (param $out i32)
    (local $i i32) (local $j i32) (local $p i32) (local $q i32) (local $rs i32)
    (local $thr v128) (local $inside v128) (local $s0 v128) (local $s1 v128) (local $s2 v128)
    (i64.store (local.get $out) (i64.const 0))
    (i64.store offset=8 (local.get $out) (i64.const 0))
    (i64.store offset=16 (local.get $out) (i64.const 0))
    (local.set $rs (i32.shl (local.get $stride) (i32.const 2)))
    (local.set $i (local.get $top))
    (loop $rows
      (local.set $s0 (v128.const i64x2 0 0))
      (local.set $s1 (v128.const i64x2 0 0))
      (local.set $s2 (v128.const i64x2 0 0))
      (local.set $j (local.get $left))
      (loop $cols
        (local.set $p (i32.shl (i32.add (i32.mul (local.get $i) (local.get $stride)) (local.get $j)) (i32.const 2)))
        ;; The 3 x 3 sum of F around each pixel, plus T.
        (local.set $q (i32.sub (i32.add (local.get $fb) (local.get $p)) (local.get $rs)))
        (local.set $thr (i32x4.add
          (i32x4.add (v128.load (local.get $q))
            (i32x4.add (v128.load (i32.sub (local.get $q) (i32.const 4))) (v128.load offset=4 (local.get $q))))
          (v128.load (i32.add (local.get $tb) (local.get $p)))))
        (local.set $q (i32.add (local.get $q) (local.get $rs)))
        (local.set $thr (i32x4.add (local.get $thr)
          (i32x4.add (v128.load (local.get $q))
            (i32x4.add (v128.load (i32.sub (local.get $q) (i32.const 4))) (v128.load offset=4 (local.get $q))))))
        (local.set $q (i32.add (local.get $q) (local.get $rs)))
        (local.set $thr (i32x4.add (local.get $thr)
          (i32x4.add (v128.load (local.get $q))
            (i32x4.add (v128.load (i32.sub (local.get $q) (i32.const 4))) (v128.load offset=4 (local.get $q))))))
        (local.set $inside (i32x4.lt_s (i32x4.add (i32x4.splat (local.get $j)) (v128.const i32x4 0 1 2 3))
          (i32x4.splat (local.get $right))))
        (local.set $q (i32.add (local.get $r) (local.get $p)))
        (local.set $s0 (i64x2.add (local.get $s0) (call $cm0x4 (v128.load (local.get $q)) (local.get $thr) (local.get $inside)
          (i32.const 36453) (i32.const 10) (i32.const 29) (local.get $cubHV) (local.get $addCubHV))))
        (local.set $q (i32.add (local.get $q) (local.get $bb)))
        (local.set $s1 (i64x2.add (local.get $s1) (call $cm0x4 (v128.load (local.get $q)) (local.get $thr) (local.get $inside)
          (i32.const 36453) (i32.const 10) (i32.const 29) (local.get $cubHV) (local.get $addCubHV))))
        (local.set $q (i32.add (local.get $q) (local.get $bb)))
        (local.set $s2 (i64x2.add (local.get $s2) (call $cm0x4 (v128.load (local.get $q)) (local.get $thr) (local.get $inside)
          (i32.const 49417) (i32.const 12) (i32.const 30) (local.get $cubD) (local.get $addCubD))))
        (br_if $cols (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $right))))
      (call $add_row (local.get $out) (local.get $s0) (local.get $addInner) (local.get $shiftInner))
      (call $add_row (i32.add (local.get $out) (i32.const 8)) (local.get $s1) (local.get $addInner) (local.get $shiftInner))
      (call $add_row (i32.add (local.get $out) (i32.const 16)) (local.get $s2) (local.get $addInner) (local.get $shiftInner))
      (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $bottom))))
    (f64.store (local.get $out) (f64.convert_i64_s (i64.load (local.get $out))))
    (f64.store offset=8 (local.get $out) (f64.convert_i64_s (i64.load offset=8 (local.get $out))))
    (f64.store offset=16 (local.get $out) (f64.convert_i64_s (i64.load offset=16 (local.get $out)))))

  ;; band[row + j] for a row offset in lanes.
  (func $at (param $band i32) (param $row i32) (param $j i32) (result i32)
    (i32.load (i32.add (local.get $band) (i32.shl (i32.add (local.get $row) (local.get $j)) (i32.const 2)))))
)
