package org.edgelmk.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Frame + box to keypoints in frame pixels: crop, encode, run the interpreter, decode, map back.
 * Not thread-safe (it reuses its buffers); use one per inference thread.
 */
public final class LandmarkPipeline {
    /** Keypoints in frame pixels and the milliseconds each stage took. */
    public static final class Result {
        public final Keypoints keypoints;
        public final CropTransform crop;
        public final double preprocessMs;
        public final double inferenceMs;
        public final double decodeMs;

        Result(Keypoints keypoints, CropTransform crop, double preprocessMs, double inferenceMs, double decodeMs) {
            this.keypoints = keypoints;
            this.crop = crop;
            this.preprocessMs = preprocessMs;
            this.inferenceMs = inferenceMs;
            this.decodeMs = decodeMs;
        }
    }

    private final ModelSpec spec;
    private final LandmarkInterpreter interpreter;
    private final InputEncoder encoder;
    private final byte[] cropPixels;
    private final ByteBuffer input;
    private final ByteBuffer output;

    /**
     * @throws ModelSpecException when the sidecar describes something the app cannot run, or the
     *     interpreter's tensors differ from what the sidecar says (model.tflite and model.json
     *     from different exports)
     */
    public LandmarkPipeline(ModelSpec spec, LandmarkInterpreter interpreter) throws ModelSpecException {
        spec.requireTfliteImageModel();
        check("input", interpreter.inputShape(), interpreter.inputType(), spec.input, spec.source);
        check("output", interpreter.outputShape(), interpreter.outputType(), spec.output, spec.source);
        this.spec = spec;
        this.interpreter = interpreter;
        this.encoder = new InputEncoder(spec.input);
        this.cropPixels = new byte[spec.inputHeight() * spec.inputWidth() * 3];
        this.input = ByteBuffer.allocateDirect(spec.input.byteCount()).order(ByteOrder.nativeOrder());
        this.output = ByteBuffer.allocateDirect(spec.output.byteCount()).order(ByteOrder.nativeOrder());
    }

    private static void check(String side, int[] shape, TensorSpec.DataType type, TensorSpec described, String source)
            throws ModelSpecException {
        if (!Arrays.equals(shape, described.shape) || type != described.type) {
            throw new ModelSpecException("the model's " + side + " is " + TensorSpec.describe(shape, type) + " but "
                    + source + " says " + TensorSpec.describe(described.shape, described.type)
                    + "; model.tflite and model.json come from different exports: copy both from one `edgelmk export`");
        }
    }

    public ModelSpec spec() {
        return spec;
    }

    /**
     * Keypoints for one box of a frame.
     *
     * @param argb frame pixels {@code 0xAARRGGBB}, row-major, width * height
     * @param box x0, y0, x1, y1 in frame pixels around the face
     */
    public Result run(int[] argb, int width, int height, double[] box) {
        long start = System.nanoTime();
        CropTransform crop = CropTransform.forBox(box[0], box[1], box[2], box[3], spec.cropMargin,
                spec.inputHeight(), spec.inputWidth());
        crop.warp(argb, width, height, cropPixels);
        encoder.encode(cropPixels, input);
        long encoded = System.nanoTime();
        input.rewind();
        output.rewind();
        interpreter.run(input, output);
        long inferred = System.nanoTime();
        Keypoints inCrop = decode();
        Keypoints inFrame = crop.toFrame(inCrop);
        long decoded = System.nanoTime();
        return new Result(inFrame, crop, (encoded - start) / 1e6, (inferred - encoded) / 1e6, (decoded - inferred) / 1e6);
    }

    private Keypoints decode() {
        TensorSpec out = spec.output;
        int count = spec.keypointCount();
        output.rewind();
        if (out.type == TensorSpec.DataType.FLOAT32) {
            float[] maps = new float[out.elementCount()];
            output.asFloatBuffer().get(maps);
            return spec.decoder.decode(maps, spec.outputChannelsLast(), count);
        }
        byte[] maps = new byte[out.elementCount()];
        output.get(maps);
        return spec.decoder.decodeQuantized(maps, out.type == TensorSpec.DataType.UINT8, out.scale, out.zeroPoint,
                spec.outputChannelsLast(), count);
    }

    public void close() {
        interpreter.close();
    }
}
