/**
 * The element storage shared by every kernel: a typed array of floats.
 *
 * @module
 */

/** Element storage of a matrix: 32-bit floats by default, 64-bit for exact checks. */
export type FloatArray = Float32Array | Float64Array;

/** The name of an element type. */
export type DType = "float32" | "float64";
