;; Motion SAD of libvmaf 3.2.0's integer_motion.c (motion_score_pipeline_8) for 8-bit luma:
;; blur the difference of two frames with the 5-tap filter {3571, 16004, 26386, 16004, 3571}
;; vertically ((sum + 128) >> 8, int32) and horizontally ((sum + 32768) >> 16 on int64), and
;; sum the absolute values. Rows and columns are mirrored at the edges (-1 -> 1, n -> n - 2).
;;
;; The caller owns the memory layout: two packed w*h planes, and a row buffer of w + 16 int32
;; values. Reads may run up to 7 bytes past a plane's end, so leave 16 bytes of slack after it.
(module
  (memory (export "memory") 1)

  ;; libvmaf's mirror(): -1 -> 1, size -> size - 2.
  (func $mirror (param $i i32) (param $n i32) (result i32)
    (if (result i32) (i32.lt_s (local.get $i) (i32.const 0))
      (then (i32.sub (i32.const 0) (local.get $i)))
      (else
        (if (result i32) (i32.ge_s (local.get $i) (local.get $n))
          (then (i32.sub (i32.sub (i32.shl (local.get $n) (i32.const 1)) (local.get $i)) (i32.const 2)))
          (else (local.get $i))))))

  ;; Sum over the frame of |blur(prev - cur)| (libvmaf's `sad`, before dividing by 256 and the
  ;; pixel count), returned as a double (exact: it stays far below 2^53).
  (func (export "motion_sad")
    (param $prev i32) (param $cur i32) (param $row i32) (param $w i32) (param $h i32)
    (result f64)
    (local $i i32) (local $j i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32) (local $o4 i32)
    (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128) (local $d4 v128)
    (local $lo v128) (local $hi v128) (local $any v128) (local $acc v128)
    (local $p04 v128) (local $p13 v128) (local $v2 v128) (local $mask v128)
    (local $q v128) (local $sad i64) (local $r i32) (local $c i32)

    (loop $rows
      ;; Row offsets of the five taps, mirrored at the top and bottom.
      (local.set $o0 (i32.mul (call $mirror (i32.sub (local.get $i) (i32.const 2)) (local.get $h)) (local.get $w)))
      (local.set $o1 (i32.mul (call $mirror (i32.sub (local.get $i) (i32.const 1)) (local.get $h)) (local.get $w)))
      (local.set $o2 (i32.mul (local.get $i) (local.get $w)))
      (local.set $o3 (i32.mul (call $mirror (i32.add (local.get $i) (i32.const 1)) (local.get $h)) (local.get $w)))
      (local.set $o4 (i32.mul (call $mirror (i32.add (local.get $i) (i32.const 2)) (local.get $h)) (local.get $w)))

      ;; Vertical pass, 8 pixels at a time; results for j >= w land in the row's slack.
      (local.set $any (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (loop $vert
        (local.set $r (i32.add (local.get $prev) (local.get $j)))
        (local.set $c (i32.add (local.get $cur) (local.get $j)))
        (local.set $d0 (i16x8.sub
          (v128.load8x8_u (i32.add (local.get $r) (local.get $o0)))
          (v128.load8x8_u (i32.add (local.get $c) (local.get $o0)))))
        (local.set $d1 (i16x8.sub
          (v128.load8x8_u (i32.add (local.get $r) (local.get $o1)))
          (v128.load8x8_u (i32.add (local.get $c) (local.get $o1)))))
        (local.set $d2 (i16x8.sub
          (v128.load8x8_u (i32.add (local.get $r) (local.get $o2)))
          (v128.load8x8_u (i32.add (local.get $c) (local.get $o2)))))
        (local.set $d3 (i16x8.sub
          (v128.load8x8_u (i32.add (local.get $r) (local.get $o3)))
          (v128.load8x8_u (i32.add (local.get $c) (local.get $o3)))))
        (local.set $d4 (i16x8.sub
          (v128.load8x8_u (i32.add (local.get $r) (local.get $o4)))
          (v128.load8x8_u (i32.add (local.get $c) (local.get $o4)))))
        ;; Symmetric taps share a coefficient; |d0 + d4| <= 510 fits int16.
        (local.set $d0 (i16x8.add (local.get $d0) (local.get $d4)))
        (local.set $d1 (i16x8.add (local.get $d1) (local.get $d3)))
        (local.set $lo (i32x4.shr_s
          (i32x4.add
            (i32x4.add
              (i32x4.extmul_low_i16x8_s (local.get $d0) (v128.const i16x8 3571 3571 3571 3571 3571 3571 3571 3571))
              (i32x4.extmul_low_i16x8_s (local.get $d1) (v128.const i16x8 16004 16004 16004 16004 16004 16004 16004 16004)))
            (i32x4.add
              (i32x4.extmul_low_i16x8_s (local.get $d2) (v128.const i16x8 26386 26386 26386 26386 26386 26386 26386 26386))
              (v128.const i32x4 128 128 128 128)))
          (i32.const 8)))
        (local.set $hi (i32x4.shr_s
          (i32x4.add
            (i32x4.add
              (i32x4.extmul_high_i16x8_s (local.get $d0) (v128.const i16x8 3571 3571 3571 3571 3571 3571 3571 3571))
              (i32x4.extmul_high_i16x8_s (local.get $d1) (v128.const i16x8 16004 16004 16004 16004 16004 16004 16004 16004)))
            (i32x4.add
              (i32x4.extmul_high_i16x8_s (local.get $d2) (v128.const i16x8 26386 26386 26386 26386 26386 26386 26386 26386))
              (v128.const i32x4 128 128 128 128)))
          (i32.const 8)))
        (local.set $r (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
        (v128.store offset=8 (local.get $r) (local.get $lo))
        (v128.store offset=24 (local.get $r) (local.get $hi))
        (local.set $any (v128.or (local.get $any) (v128.or (local.get $lo) (local.get $hi))))
        (br_if $vert (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 8))) (local.get $w))))

      ;; libvmaf skips rows whose blurred difference is all zero; lanes past w may hold
      ;; garbage, so only an all-zero row is certain to be skipped (a non-zero one is still right).
      (if (v128.any_true (local.get $any))
        (then
          ;; Mirror the row: index -1 -> 1, -2 -> 2, w -> w - 2, w + 1 -> w - 3.
          (i32.store offset=4 (local.get $row) (i32.load offset=12 (local.get $row)))
          (i32.store (local.get $row) (i32.load offset=16 (local.get $row)))
          (local.set $r (i32.add (local.get $row) (i32.shl (local.get $w) (i32.const 2))))
          (i32.store offset=8 (local.get $r) (i32.load (local.get $r)))
          (i32.store offset=12 (local.get $r) (i32.load (i32.sub (local.get $r) (i32.const 4))))
          (local.set $acc (v128.const i32x4 0 0 0 0))
          (local.set $j (i32.const 0))
          (loop $horiz
            (local.set $r (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $p04 (i32x4.add (v128.load (local.get $r)) (v128.load offset=16 (local.get $r))))
            (local.set $p13 (i32x4.add (v128.load offset=4 (local.get $r)) (v128.load offset=12 (local.get $r))))
            (local.set $v2 (v128.load offset=8 (local.get $r)))
            ;; The sum reaches 65536 * 65280 in magnitude: int64 lanes.
            (local.set $lo (i64x2.shr_s
              (i64x2.add
                (i64x2.add
                  (i64x2.extmul_low_i32x4_s (local.get $p04) (v128.const i32x4 3571 3571 3571 3571))
                  (i64x2.extmul_low_i32x4_s (local.get $p13) (v128.const i32x4 16004 16004 16004 16004)))
                (i64x2.add
                  (i64x2.extmul_low_i32x4_s (local.get $v2) (v128.const i32x4 26386 26386 26386 26386))
                  (v128.const i64x2 32768 32768)))
              (i32.const 16)))
            (local.set $hi (i64x2.shr_s
              (i64x2.add
                (i64x2.add
                  (i64x2.extmul_high_i32x4_s (local.get $p04) (v128.const i32x4 3571 3571 3571 3571))
                  (i64x2.extmul_high_i32x4_s (local.get $p13) (v128.const i32x4 16004 16004 16004 16004)))
                (i64x2.add
                  (i64x2.extmul_high_i32x4_s (local.get $v2) (v128.const i32x4 26386 26386 26386 26386))
                  (v128.const i64x2 32768 32768)))
              (i32.const 16)))
            ;; |value| <= 65280: the low halves of the int64 lanes are the int32 values.
            (local.set $q (i32x4.abs (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
              (local.get $lo) (local.get $hi))))
            ;; Lanes at j >= w are outside the row.
            (local.set $mask (i32x4.lt_s
              (i32x4.add (i32x4.splat (local.get $j)) (v128.const i32x4 0 1 2 3))
              (i32x4.splat (local.get $w))))
            (local.set $acc (i32x4.add (local.get $acc) (v128.and (local.get $q) (local.get $mask))))
            (br_if $horiz (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $w))))
          ;; A row's sum stays below 2^32 (libvmaf keeps it in a uint32); each lane below 2^31.
          (local.set $sad (i64.add (local.get $sad)
            (i64.add
              (i64.add
                (i64.extend_i32_u (i32x4.extract_lane 0 (local.get $acc)))
                (i64.extend_i32_u (i32x4.extract_lane 1 (local.get $acc))))
              (i64.add
                (i64.extend_i32_u (i32x4.extract_lane 2 (local.get $acc)))
                (i64.extend_i32_u (i32x4.extract_lane 3 (local.get $acc)))))))))
      (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $h))))
    (f64.convert_i64_u (local.get $sad)))
)
