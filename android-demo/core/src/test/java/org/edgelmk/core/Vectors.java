package org.edgelmk.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;

/** Reads the vector files written by android-demo/tools/make_vectors.py (folder: -Dedgelmk.vectors). */
final class Vectors {
    private Vectors() {
    }

    static Map<String, Object> load(String name) {
        String folder = System.getProperty("edgelmk.vectors");
        if (folder == null) {
            throw new IllegalStateException("set -Dedgelmk.vectors=DIR (android-demo/test.sh generates DIR)");
        }
        Path path = Paths.get(folder, name);
        try {
            return ModelSpec.asObject(Json.parse(new String(Files.readAllBytes(path), StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + path + ": " + e.getMessage()
                    + " (run android-demo/test.sh, which generates the vectors first)");
        }
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Map<String, Object> object, String key) {
        return (List<Object>) object.get(key);
    }

    static Map<String, Object> object(Map<String, Object> object, String key) {
        return ModelSpec.asObject(object.get(key));
    }

    static double number(Map<String, Object> object, String key) {
        return ((Number) object.get(key)).doubleValue();
    }

    static int integer(Map<String, Object> object, String key) {
        return ((Number) object.get(key)).intValue();
    }

    static float[] floats(Map<String, Object> object, String key) {
        List<Object> values = list(object, key);
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) values.get(i)).floatValue();
        }
        return out;
    }

    static double[] doubles(Map<String, Object> object, String key) {
        List<Object> values = list(object, key);
        double[] out = new double[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) values.get(i)).doubleValue();
        }
        return out;
    }

    /** Integer values as their low bytes (int8 and uint8 both fit). */
    static byte[] bytes(Map<String, Object> object, String key) {
        List<Object> values = list(object, key);
        byte[] out = new byte[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) ((Number) values.get(i)).intValue();
        }
        return out;
    }

    /** An RGB image stored as H * W * 3 values, as 0xFFRRGGBB pixels. */
    static int[] argb(Map<String, Object> object, String key) {
        byte[] rgb = bytes(object, key);
        int[] pixels = new int[rgb.length / 3];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = 0xFF000000 | (rgb[3 * i] & 0xFF) << 16 | (rgb[3 * i + 1] & 0xFF) << 8 | (rgb[3 * i + 2] & 0xFF);
        }
        return pixels;
    }
}
