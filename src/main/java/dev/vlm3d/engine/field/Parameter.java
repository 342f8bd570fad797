package dev.vlm3d.engine.field;

import ai.djl.ndarray.NDArray;

/**
 * A trainable leaf tensor with a stable name (checkpoint key) and the optimizer group it belongs to.
 *
 * @param name  unique, stable across runs, e.g. "geometry.encoding.table"
 * @param group optimizer group, see {@link ParameterGroup}
 * @param array leaf NDArray with requiresGradient set
 */
public record Parameter(String name, ParameterGroup group, NDArray array) {}
