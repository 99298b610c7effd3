// RUN: moe-opt %s --moe-lower-to-linalg | FileCheck %s

// Group-limited routing (DeepSeek-V3): the biased scores viewed as
// [tokens, groups, experts per group]; each expert's rank in its group; a
// group's score sums its members ranked below 2; the groups' ranks; experts
// of groups ranked 2 or lower get the outside score (0.0 here); then the
// experts are ranked as without groups. Numerics: test/e2e/torch-moe-raised.test.

// CHECK-DAG: #[[GROUP3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[OFGROUP:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @v3
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[TWO:.*]] = arith.constant 2 : index
// CHECK:     %[[BIASED:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %arg1 : tensor<?x16xf32>, tensor<16xf32>)
// CHECK:     %[[GROUPED:.*]] = tensor.expand_shape %[[BIASED]] {{\[}}[0], [1, 2]] output_shape [%{{.*}}, 4, 4] : tensor<?x16xf32> into tensor<?x4x4xf32>
// CHECK:     %[[INGROUP:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[GROUPED]], %[[GROUPED]] :
// CHECK:     %[[GSCORE:.*]] = linalg.generic {{.*}} ins(%[[GROUPED]], %[[INGROUP]] : tensor<?x4x4xf32>, tensor<?x4x4xindex>) outs(%{{.*}} : tensor<?x4xf32>)
// CHECK:       arith.cmpi ult, %{{.*}}, %[[TWO]] : index
// CHECK:     %[[GRANK:.*]] = linalg.generic {{.*}} ins(%[[GSCORE]], %[[GSCORE]] : tensor<?x4xf32>, tensor<?x4xf32>) outs(%{{.*}} : tensor<?x4xindex>)
// CHECK:     %[[LIMITED:.*]] = linalg.generic {indexing_maps = [#[[GROUP3]], #[[OFGROUP]], #[[GROUP3]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[GROUPED]], %[[GRANK]] :
// CHECK:       %[[KEPT:.*]] = arith.cmpi ult, %{{.*}}, %[[TWO]] : index
// CHECK:       arith.select %[[KEPT]], %{{.*}}, %[[ZERO]] : f32
// CHECK:     %[[FLAT:.*]] = tensor.collapse_shape %[[LIMITED]] {{\[}}[0], [1, 2]] : tensor<?x4x4xf32> into tensor<?x16xf32>
// CHECK:     linalg.generic {{.*}} ins(%[[FLAT]], %[[FLAT]] : tensor<?x16xf32>, tensor<?x16xf32>) outs(%{{.*}} : tensor<?x16xindex>)
func.func @v3(%l: tensor<?x16xf32>, %b: tensor<16xf32>) -> (tensor<?x4xf32>, tensor<?x4xi32>) {
  %w, %i = moe.route sigmoid %l bias %b {k = 4 : i64, n_group = 4 : i64, topk_group = 2 : i64, group_score = #moe.group_score<sum_top2>, outside_group_score = 0.0 : f64, renormalize} : tensor<?x16xf32>, tensor<16xf32> -> tensor<?x4xf32>, tensor<?x4xi32>
  return %w, %i : tensor<?x4xf32>, tensor<?x4xi32>
}

// DeepSeek-V2: a group scores by its best expert (rank below 1); the
// default outside score -inf excludes the other groups' experts.
// CHECK-LABEL: func.func @v2
// CHECK-DAG: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1 : index
// CHECK:     tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2]] output_shape [8, 2, 4] : tensor<8x8xf32> into tensor<8x2x4xf32>
// CHECK:     arith.cmpi ult, %{{.*}}, %[[ONE]] : index
// CHECK:     %[[KEPT:.*]] = arith.cmpi ult, %{{.*}}, %[[ONE]] : index
// CHECK:     arith.select %[[KEPT]], %{{.*}}, %[[NEGINF]] : f32
func.func @v2(%l: tensor<8x8xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>) {
  %w, %i = moe.route softmax %l {k = 2 : i64, n_group = 2 : i64, topk_group = 1 : i64} : tensor<8x8xf32> -> tensor<8x2xf32>, tensor<8x2xi32>
  return %w, %i : tensor<8x2xf32>, tensor<8x2xi32>
}
