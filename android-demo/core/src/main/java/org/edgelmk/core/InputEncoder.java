package org.edgelmk.core;

import java.nio.ByteBuffer;

/**
 * An RGB crop (0..255) to the model's input tensor, as {@code LandmarkModel.preprocess} does:
 * float32 values as they are, or quantized {@code q = clip(round(v / scale) + zeroPoint)}
 * (round half to even, float32 division). The model normalizes (mean / std) itself.
 */
public final class InputEncoder {
    private final TensorSpec spec;

    public InputEncoder(TensorSpec spec) {
        if (!"NHWC".equals(spec.layout)) {
            throw new IllegalArgumentException("the input encoder writes NHWC tensors, the model wants " + spec.layout);
        }
        this.spec = spec;
    }

    /**
     * Writes the crop into {@code tensor} from its position 0 (its byte order must be the
     * interpreter's, usually native); leaves the position at the end.
     *
     * @param rgb H * W * 3 unsigned bytes, row-major
     */
    public void encode(byte[] rgb, ByteBuffer tensor) {
        if (rgb.length * spec.type.bytes != spec.byteCount()) {
            throw new IllegalArgumentException("crop holds " + rgb.length + " values, the input " + spec + " needs "
                    + spec.elementCount());
        }
        tensor.rewind();
        float scale = (float) spec.scale;
        for (byte b : rgb) {
            int value = b & 0xFF;
            switch (spec.type) {
                case FLOAT32:
                    tensor.putFloat(value);
                    break;
                case INT8:
                    tensor.put((byte) quantize(value, scale, -128, 127));
                    break;
                default:
                    tensor.put((byte) quantize(value, scale, 0, 255));
            }
        }
    }

    private int quantize(int value, float scale, int low, int high) {
        double q = Math.rint((float) value / scale) + spec.zeroPoint;
        return (int) Math.max(low, Math.min(high, q));
    }
}
