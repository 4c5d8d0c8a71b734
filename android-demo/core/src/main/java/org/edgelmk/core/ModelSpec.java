package org.edgelmk.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The {@code model.json} sidecar that {@code edgelmk export} writes next to a model
 * (see {@code edgelmk/runtime/sidecar.py}): tensors, codec, keypoint names and crop margin.
 */
public final class ModelSpec {
    /** The sidecar format this reader understands. */
    public static final String FORMAT = "edgelmk-model-1";

    public final String source;
    public final String modelFile;
    public final String target;
    public final TensorSpec input;
    public final TensorSpec output;
    /** Activation already applied in the graph: "none" or "spatial_softmax". */
    public final String outputActivation;
    public final HeatmapDecoder decoder;
    public final List<String> keypointNames;
    /** The square crop's side is max(box width, height) * (1 + margin). */
    public final double cropMargin;
    /** The landmark scheme's name ({@code keypoints.skeleton}: 300w, cofw...), "" when the sidecar has none. */
    public final String scheme;

    private ModelSpec(String source, Map<String, Object> content) throws ModelSpecException {
        this.source = source;
        Object format = content.get("format");
        if (!FORMAT.equals(format)) {
            throw new ModelSpecException(source + ": not an edgelmk model sidecar (format " + format
                    + ", expected " + FORMAT + "); use the model.json written by `edgelmk export`");
        }
        modelFile = text(content, "model_file");
        target = choice(content, "target", "onnx", "tflite", "lce");
        input = tensor(content, "input");
        output = tensor(content, "output");
        outputActivation = choice(content, "output.activation", "none", "spatial_softmax");
        keypointNames = names(content);
        cropMargin = number(content, "crop.margin");
        Object keypoints = content.get("keypoints");
        Object skeleton = keypoints instanceof Map ? asObject(keypoints).get("skeleton") : null;
        scheme = skeleton instanceof String ? (String) skeleton : "";
        Object codec = field(content, "codec");
        if (!(codec instanceof Map)) {
            throw new ModelSpecException(source + ": field 'codec' must be an object");
        }
        try {
            decoder = HeatmapDecoder.fromConfig(asObject(codec));
        } catch (IllegalArgumentException e) {
            throw new ModelSpecException(source + ": field 'codec': " + e.getMessage());
        }
        checkOutputMatchesCodec();
    }

    /** Parses and checks a sidecar; {@code source} names it in messages (e.g. "assets/model.json"). */
    public static ModelSpec parse(String jsonText, String source) throws ModelSpecException {
        Object content;
        try {
            content = Json.parse(jsonText);
        } catch (IllegalArgumentException e) {
            throw new ModelSpecException(source + " is not valid JSON (" + e.getMessage() + "); re-export the model");
        }
        if (!(content instanceof Map)) {
            throw new ModelSpecException(source + ": not an edgelmk model sidecar (a JSON object is expected)");
        }
        return new ModelSpec(source, asObject(content));
    }

    /**
     * Refuses what the app's TFLite interpreter cannot run: ONNX or LCE exports, inputs other than
     * one NHWC RGB image. Output maps may be channels first (edgelmk's exports) or last (older ones).
     */
    public void requireTfliteImageModel() throws ModelSpecException {
        if (!"tflite".equals(target)) {
            throw new ModelSpecException(source + ": this is a '" + target + "' export; the app runs TFLite models: "
                    + "export with `edgelmk export CHECKPOINT --target tflite --int8 --out DIR`");
        }
        int[] s = input.shape;
        if (!"NHWC".equals(input.layout) || s.length != 4 || s[0] != 1 || s[3] != 3) {
            throw new ModelSpecException(source + ": input " + input + " is not one NHWC RGB image [1, H, W, 3]");
        }
    }

    /** Whether the output maps are channels last, (1, H, W, K), rather than channels first, (1, K, H, W). */
    public boolean outputChannelsLast() {
        return "NHWC".equals(output.layout);
    }

    /** Input height in pixels. */
    public int inputHeight() {
        return "NHWC".equals(input.layout) ? input.shape[1] : input.shape[2];
    }

    /** Input width in pixels. */
    public int inputWidth() {
        return "NHWC".equals(input.layout) ? input.shape[2] : input.shape[3];
    }

    /** Number of keypoints (heatmap channels). */
    public int keypointCount() {
        return keypointNames.size();
    }

    private void checkOutputMatchesCodec() throws ModelSpecException {
        int[] s = output.shape;
        if (s.length != 4) {
            throw new ModelSpecException(source + ": output.shape must have 4 sizes, got " + java.util.Arrays.toString(s));
        }
        boolean nhwc = "NHWC".equals(output.layout);
        int channels = nhwc ? s[3] : s[1];
        int height = nhwc ? s[1] : s[2];
        int width = nhwc ? s[2] : s[3];
        if (channels != keypointNames.size()) {
            throw new ModelSpecException(source + ": output.shape " + java.util.Arrays.toString(s) + " has " + channels
                    + " maps but keypoints.names has " + keypointNames.size() + " names");
        }
        if (height != decoder.heatmapHeight || width != decoder.heatmapWidth) {
            throw new ModelSpecException(source + ": output maps are " + height + "x" + width + " but codec.heatmap_hw is "
                    + decoder.heatmapHeight + "x" + decoder.heatmapWidth);
        }
        if (inputHeight() != decoder.inputHeight || inputWidth() != decoder.inputWidth) {
            throw new ModelSpecException(source + ": input is " + inputHeight() + "x" + inputWidth()
                    + " but codec.input_hw is " + decoder.inputHeight + "x" + decoder.inputWidth);
        }
    }

    // --- typed field access with messages that name the field ---------------------------------

    @SuppressWarnings("unchecked")
    static Map<String, Object> asObject(Object value) {
        return (Map<String, Object>) value;
    }

    private Object field(Map<String, Object> content, String dotted) throws ModelSpecException {
        Object value = content;
        for (String key : dotted.split("\\.")) {
            if (!(value instanceof Map) || !asObject(value).containsKey(key)) {
                throw new ModelSpecException(source + ": field '" + dotted + "' is missing; re-export the model "
                        + "with `edgelmk export`");
            }
            value = asObject(value).get(key);
        }
        return value;
    }

    private String text(Map<String, Object> content, String dotted) throws ModelSpecException {
        Object value = field(content, dotted);
        if (!(value instanceof String)) {
            throw new ModelSpecException(source + ": field '" + dotted + "' must be a string, got " + value);
        }
        return (String) value;
    }

    private String choice(Map<String, Object> content, String dotted, String... options) throws ModelSpecException {
        String value = text(content, dotted);
        for (String option : options) {
            if (option.equals(value)) {
                return value;
            }
        }
        StringBuilder expected = new StringBuilder();
        for (String option : options) {
            expected.append(expected.length() > 0 ? ", " : "").append(option);
        }
        throw new ModelSpecException(source + ": field '" + dotted + "' is '" + value + "'; expected one of "
                + expected);
    }

    private double number(Map<String, Object> content, String dotted) throws ModelSpecException {
        Object value = field(content, dotted);
        if (!(value instanceof Number)) {
            throw new ModelSpecException(source + ": field '" + dotted + "' must be a number, got " + value);
        }
        return ((Number) value).doubleValue();
    }

    private int integer(Map<String, Object> content, String dotted) throws ModelSpecException {
        Object value = field(content, dotted);
        if (!(value instanceof Long)) {
            throw new ModelSpecException(source + ": field '" + dotted + "' must be an integer, got " + value);
        }
        return (int) (long) (Long) value;
    }

    private TensorSpec tensor(Map<String, Object> content, String side) throws ModelSpecException {
        String layout = choice(content, side + ".layout", "NHWC", "NCHW");
        String dtype = choice(content, side + ".dtype", "float32", "int8", "uint8");
        Object shapeValue = field(content, side + ".shape");
        if (!(shapeValue instanceof List)) {
            throw new ModelSpecException(source + ": field '" + side + ".shape' must be a list of sizes");
        }
        List<?> sizes = (List<?>) shapeValue;
        int[] shape = new int[sizes.size()];
        for (int i = 0; i < shape.length; i++) {
            Object size = sizes.get(i);
            if (!(size instanceof Long) || (Long) size < 1) {
                throw new ModelSpecException(source + ": field '" + side + ".shape' must hold positive integers, got "
                        + sizes);
            }
            shape[i] = (int) (long) (Long) size;
        }
        double scale = number(content, side + ".scale");
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new ModelSpecException(source + ": field '" + side + ".scale' must be positive, got " + scale);
        }
        TensorSpec.DataType type = TensorSpec.DataType.valueOf(dtype.toUpperCase(java.util.Locale.ROOT));
        return new TensorSpec(layout, shape, type, scale, integer(content, side + ".zero_point"));
    }

    private List<String> names(Map<String, Object> content) throws ModelSpecException {
        Object value = field(content, "keypoints.names");
        if (!(value instanceof List)) {
            throw new ModelSpecException(source + ": field 'keypoints.names' must be a list of strings");
        }
        List<String> names = new ArrayList<String>();
        for (Object name : (List<?>) value) {
            names.add(String.valueOf(name));
        }
        return Collections.unmodifiableList(names);
    }
}
