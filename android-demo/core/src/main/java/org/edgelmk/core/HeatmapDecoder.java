package org.edgelmk.core;

import java.util.List;
import java.util.Map;

/**
 * Heatmaps of one image to keypoints: the Java twin of {@code edgelmk.codecs} ({@code Codec.decode}
 * and {@code Codec.decode_int8}), checked against it on vectors the Python side generates.
 *
 * <p>Coordinates follow {@code edgelmk/geometry.py}: pixel centres at integers, and
 * {@code x_image = (x_heatmap + 0.5) * stride - 0.5} with {@code stride = input W / heatmap W}.
 *
 * <p>Integer decode: an int8 / uint8 map is read as exact integer activations {@code q - zeroPoint}
 * (never multiplied by the scale). Every sum the decoders then form is an integer below 2^53, so
 * double arithmetic on them is exact integer arithmetic, the same as the int32 sums of
 * {@code edgelmk.codecs.peaks}; the one division per keypoint and the scale applied to the peak
 * score are the only non-integer steps, as in Python, so results agree bit for bit.
 */
public abstract class HeatmapDecoder {
    public final int inputHeight;
    public final int inputWidth;
    public final int heatmapHeight;
    public final int heatmapWidth;

    protected HeatmapDecoder(int[] inputHw, int[] heatmapHw) {
        inputHeight = inputHw[0];
        inputWidth = inputHw[1];
        heatmapHeight = heatmapHw[0];
        heatmapWidth = heatmapHw[1];
    }

    /**
     * The decoder of a codec config as model.json stores it (codec.to_config() in Python).
     *
     * @throws IllegalArgumentException for an unknown codec or a bad option, naming it
     */
    public static HeatmapDecoder fromConfig(Map<String, Object> config) {
        Object name = config.get("name");
        int[] inputHw = sizePair(config, "input_hw");
        int[] heatmapHw = sizePair(config, "heatmap_hw");
        if ("gaussian".equals(name)) {
            return new GaussianDecoder(inputHw, heatmapHw, flag(config, "quarter_shift", true));
        }
        if ("h3r".equals(name)) {
            String mode = config.containsKey("decode") ? String.valueOf(config.get("decode")) : "window";
            return new H3RDecoder(inputHw, heatmapHw, mode, count(config, "window", 3), count(config, "topk", 4));
        }
        if ("dsnt".equals(name)) {
            return new DsntDecoder(inputHw, heatmapHw);
        }
        throw new IllegalArgumentException("unknown codec '" + name + "'; this app decodes gaussian, h3r and dsnt");
    }

    /** Codec name as in the recipe ("gaussian", "h3r", "dsnt"). */
    public abstract String name();

    /** Whether int8 maps are decoded on their integers; otherwise they are dequantized first, as in Python. */
    public boolean decodesInt8() {
        return true;
    }

    /**
     * Decodes float maps of one image.
     *
     * @param maps K * H * W values, (H, W, K) order when {@code channelsLast} (TFLite NHWC), else (K, H, W)
     * @return keypoints in input-crop pixels; scores are the codec's peak values
     */
    public Keypoints decode(float[] maps, boolean channelsLast, int keypointCount) {
        checkLength(maps.length, keypointCount);
        double[] map = new double[heatmapHeight * heatmapWidth];
        Keypoints out = new Keypoints(keypointCount);
        double[] xy = new double[2];
        for (int k = 0; k < keypointCount; k++) {
            for (int i = 0; i < map.length; i++) {
                map[i] = maps[flatIndex(k, i, channelsLast, keypointCount)];
            }
            double peak = locate(map, xy);
            store(out, k, xy, (float) peak);
        }
        return out;
    }

    /**
     * Decodes quantized maps of one image ({@code real = scale * (q - zeroPoint)}).
     *
     * @param maps K * H * W bytes in the order of {@link #decode}; read as uint8 when {@code unsigned}
     * @return keypoints in input-crop pixels; scores are the dequantized peak values
     */
    public Keypoints decodeQuantized(byte[] maps, boolean unsigned, double scale, int zeroPoint,
                                     boolean channelsLast, int keypointCount) {
        checkLength(maps.length, keypointCount);
        if (!(scale > 0)) {
            throw new IllegalArgumentException("scale must be positive, got " + scale);
        }
        if (!decodesInt8()) {
            return decode(dequantize(maps, unsigned, scale, zeroPoint), channelsLast, keypointCount);
        }
        double[] activations = new double[heatmapHeight * heatmapWidth];
        Keypoints out = new Keypoints(keypointCount);
        double[] xy = new double[2];
        for (int k = 0; k < keypointCount; k++) {
            for (int i = 0; i < activations.length; i++) {
                byte q = maps[flatIndex(k, i, channelsLast, keypointCount)];
                activations[i] = (unsigned ? q & 0xFF : q) - zeroPoint;
            }
            double peak = locate(activations, xy);
            store(out, k, xy, (float) (scale * peak));
        }
        return out;
    }

    /**
     * Finds one keypoint on one map.
     *
     * @param map H * W activations in row-major order (float values, or exact integers q - zeroPoint)
     * @param xy receives x, y in heatmap pixels
     * @return the peak activation (the score before any scale)
     */
    protected abstract double locate(double[] map, double[] xy);

    /** Index of the maximum, the first one on ties (as numpy's argmax). */
    protected static int argmax(double[] map) {
        int best = 0;
        for (int i = 1; i < map.length; i++) {
            if (map[i] > map[best]) {
                best = i;
            }
        }
        return best;
    }

    /** {@code scale * (q - zeroPoint)} in float32, as numpy computes it for a float decoder. */
    static float[] dequantize(byte[] maps, boolean unsigned, double scale, int zeroPoint) {
        float[] values = new float[maps.length];
        float scale32 = (float) scale;
        for (int i = 0; i < maps.length; i++) {
            values[i] = (float) ((unsigned ? maps[i] & 0xFF : maps[i]) - zeroPoint) * scale32;
        }
        return values;
    }

    private int flatIndex(int k, int pixel, boolean channelsLast, int keypointCount) {
        return channelsLast ? pixel * keypointCount + k : k * heatmapHeight * heatmapWidth + pixel;
    }

    private void checkLength(int length, int keypointCount) {
        int expected = keypointCount * heatmapHeight * heatmapWidth;
        if (length != expected) {
            throw new IllegalArgumentException("heatmaps hold " + length + " values; " + keypointCount + " maps of "
                    + heatmapHeight + "x" + heatmapWidth + " need " + expected);
        }
    }

    private void store(Keypoints out, int k, double[] xy, float score) {
        double strideX = (double) inputWidth / heatmapWidth;
        double strideY = (double) inputHeight / heatmapHeight;
        out.x[k] = (float) ((xy[0] + 0.5) * strideX - 0.5);
        out.y[k] = (float) ((xy[1] + 0.5) * strideY - 0.5);
        out.scores[k] = score;
    }

    // --- config reading -----------------------------------------------------------------------

    private static int[] sizePair(Map<String, Object> config, String key) {
        Object value = config.get(key);
        if (value instanceof List && ((List<?>) value).size() == 2) {
            List<?> pair = (List<?>) value;
            if (pair.get(0) instanceof Long && pair.get(1) instanceof Long
                    && (Long) pair.get(0) > 0 && (Long) pair.get(1) > 0) {
                return new int[] {(int) (long) (Long) pair.get(0), (int) (long) (Long) pair.get(1)};
            }
        }
        throw new IllegalArgumentException(key + " must be a pair [H, W] of positive integers, got " + value);
    }

    private static boolean flag(Map<String, Object> config, String key, boolean fallback) {
        Object value = config.containsKey(key) ? config.get(key) : fallback;
        if (!(value instanceof Boolean)) {
            throw new IllegalArgumentException(key + " must be true or false, got " + value);
        }
        return (Boolean) value;
    }

    private static int count(Map<String, Object> config, String key, int fallback) {
        Object value = config.containsKey(key) ? config.get(key) : (long) fallback;
        if (!(value instanceof Long) || (Long) value < 1) {
            throw new IllegalArgumentException(key + " must be a positive integer, got " + value);
        }
        return (int) (long) (Long) value;
    }
}
