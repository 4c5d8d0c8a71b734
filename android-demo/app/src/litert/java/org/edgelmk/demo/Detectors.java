package org.edgelmk.demo;

import android.content.res.AssetFileDescriptor;
import android.content.res.AssetManager;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.edgelmk.core.BoxCalibration;
import org.edgelmk.core.CropTransform;
import org.edgelmk.core.ModelSpec;
import org.edgelmk.core.SsdDecoder;
import org.tensorflow.lite.Interpreter;

/**
 * The LiteRT build's face detector: MediaPipe's BlazeFace (short range) with the core's decoding and
 * the box calibration edgelmk ships for the model's landmark scheme. Its file
 * ({@code face_detection_short_range.tflite}: {@code edgelmk models get blazeface}, then copy it into
 * {@code app/src/main/assets/}) is optional: without it Android's FaceDetector is used and the status says so.
 */
final class Detectors {
    static final String BLAZEFACE_ASSET = "face_detection_short_range.tflite";
    static final String CALIBRATION_ASSET = "blazeface.json";

    private Detectors() {
    }

    static FaceFinder open(AssetManager assets, ModelSpec spec, int threads) {
        ByteBuffer model;
        try {
            model = map(assets, BLAZEFACE_ASSET);
        } catch (IOException e) {
            return new FaceBoxes(" (no " + BLAZEFACE_ASSET + " in assets: edgelmk models get blazeface)");
        }
        BoxCalibration calibration = null;
        try {
            calibration = BoxCalibration.find(read(assets, CALIBRATION_ASSET), "blazeface", spec.scheme);
        } catch (IOException e) {
            // no calibration file: boxes as BlazeFace draws them (the status says so)
        }
        return new BlazeFaceFinder(model, calibration, threads);
    }

    private static ByteBuffer map(AssetManager assets, String name) throws IOException {
        AssetFileDescriptor file = assets.openFd(name);
        FileChannel channel = new FileInputStream(file.getFileDescriptor()).getChannel();
        MappedByteBuffer buffer = channel.map(FileChannel.MapMode.READ_ONLY, file.getStartOffset(),
                file.getDeclaredLength());
        file.close();
        return buffer;
    }

    private static String read(AssetManager assets, String name) throws IOException {
        InputStream stream = assets.open(name);
        try {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            byte[] chunk = new byte[8192];
            for (int n; (n = stream.read(chunk)) > 0; ) {
                bytes.write(chunk, 0, n);
            }
            return new String(bytes.toByteArray(), StandardCharsets.UTF_8);
        } finally {
            stream.close();
        }
    }

    /** BlazeFace through LiteRT: letterbox, [-1, 1] input, the core's SsdDecoder, then the calibration. */
    static final class BlazeFaceFinder implements FaceFinder {
        private final Interpreter interpreter;
        private final BoxCalibration calibration;
        private final SsdDecoder decoder = SsdDecoder.blazeFace();
        private final byte[] rgb;
        private final FloatBuffer input;
        private final float[][][] regressions;
        private final float[][][] scores;
        private final int regressionsIndex;
        private final int scoresIndex;

        BlazeFaceFinder(ByteBuffer model, BoxCalibration calibration, int threads) {
            Interpreter.Options options = new Interpreter.Options();
            options.setNumThreads(threads);
            interpreter = new Interpreter(model, options);
            this.calibration = calibration;
            int side = decoder.inputSize;
            rgb = new byte[side * side * 3];
            input = ByteBuffer.allocateDirect(side * side * 3 * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
            int anchors = decoder.anchorCount();
            regressions = new float[1][anchors][4 + 2 * decoder.keypointCount];
            scores = new float[1][anchors][1];
            boolean firstIsBoxes = interpreter.getOutputTensor(0).shape()[2] == 4 + 2 * decoder.keypointCount;
            regressionsIndex = firstIsBoxes ? 0 : 1;
            scoresIndex = firstIsBoxes ? 1 : 0;
        }

        @Override
        public String description() {
            return "detector: BlazeFace" + (calibration == null ? " (no calibration for this scheme)" : ", calibrated");
        }

        @Override
        public List<double[]> find(int[] argb, int width, int height) {
            double[] matrix = decoder.letterbox(height, width);
            int side = decoder.inputSize;
            new CropTransform(matrix, side, side).warp(argb, width, height, rgb);
            input.rewind();
            for (byte value : rgb) {
                input.put((value & 0xFF) / 127.5f - 1f);
            }
            input.rewind();
            Map<Integer, Object> outputs = new HashMap<Integer, Object>();
            outputs.put(regressionsIndex, regressions);
            outputs.put(scoresIndex, scores);
            interpreter.runForMultipleInputsOutputs(new Object[] {input}, outputs);
            int anchors = decoder.anchorCount();
            int stride = 4 + 2 * decoder.keypointCount;
            float[] flat = new float[anchors * stride];
            float[] logits = new float[anchors];
            for (int a = 0; a < anchors; a++) {
                System.arraycopy(regressions[0][a], 0, flat, a * stride, stride);
                logits[a] = scores[0][a][0];
            }
            List<double[]> boxes = new ArrayList<double[]>();
            for (SsdDecoder.Detection found : decoder.decode(flat, logits, matrix)) {
                boxes.add(calibration == null ? found.box : calibration.apply(found.box, found.keypoints));
            }
            return boxes;
        }

        @Override
        public void close() {
            interpreter.close();
        }
    }
}
