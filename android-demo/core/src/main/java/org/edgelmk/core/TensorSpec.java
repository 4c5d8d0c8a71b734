package org.edgelmk.core;

/**
 * One model input or output as model.json describes it: layout, shape, element type and the
 * affine quantization {@code real = scale * (q - zeroPoint)} (scale 1, zero point 0 for float32).
 */
public final class TensorSpec {
    /** The element types an edgelmk export uses. */
    public enum DataType {
        FLOAT32(4), INT8(1), UINT8(1);

        /** Bytes per element. */
        public final int bytes;

        DataType(int bytes) {
            this.bytes = bytes;
        }

        /** The sidecar's spelling ("float32", "int8", "uint8"). */
        public String jsonName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public final String layout;
    public final int[] shape;
    public final DataType type;
    public final double scale;
    public final int zeroPoint;

    public TensorSpec(String layout, int[] shape, DataType type, double scale, int zeroPoint) {
        this.layout = layout;
        this.shape = shape.clone();
        this.type = type;
        this.scale = scale;
        this.zeroPoint = zeroPoint;
    }

    /** Number of elements (product of the shape). */
    public int elementCount() {
        int count = 1;
        for (int size : shape) {
            count *= size;
        }
        return count;
    }

    /** Size of the tensor in bytes. */
    public int byteCount() {
        return elementCount() * type.bytes;
    }

    /** Shape and type as "[1, 64, 64, 3] int8", for messages. */
    public static String describe(int[] shape, DataType type) {
        return java.util.Arrays.toString(shape) + " " + type.jsonName();
    }

    @Override
    public String toString() {
        return describe(shape, type) + " " + layout;
    }
}
