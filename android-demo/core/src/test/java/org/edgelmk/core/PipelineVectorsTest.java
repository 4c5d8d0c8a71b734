package org.edgelmk.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Map;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;

/**
 * Frame to keypoints through LandmarkPipeline with a recorded interpreter: the input it receives
 * must be the Python runtime's input byte for byte, and the keypoints decoded from the recorded
 * output must be the Python runtime's (frame pixels). pipeline.json records output made from a
 * codec's targets; pipeline_export.json (when test.sh is given an export) a real int8 TFLite model's.
 */
@RunWith(Parameterized.class)
public class PipelineVectorsTest {
    @Parameterized.Parameters(name = "{0}")
    public static Collection<Object[]> files() {
        Collection<Object[]> files = new ArrayList<Object[]>();
        files.add(new Object[] {"pipeline.json"});
        if (new File(System.getProperty("edgelmk.vectors"), "pipeline_export.json").isFile()) {
            files.add(new Object[] {"pipeline_export.json"});
        }
        return files;
    }

    private final Map<String, Object> vector;

    public PipelineVectorsTest(String file) {
        vector = Vectors.load(file);
    }

    /** Checks the input it is given and answers with fixed output bytes. */
    static final class RecordedInterpreter implements LandmarkInterpreter {
        final ModelSpec spec;
        final byte[] output;
        final int[] outputShape;
        byte[] received;

        RecordedInterpreter(ModelSpec spec, byte[] output, int[] outputShape) {
            this.spec = spec;
            this.output = output;
            this.outputShape = outputShape;
        }

        public int[] inputShape() {
            return spec.input.shape;
        }

        public TensorSpec.DataType inputType() {
            return spec.input.type;
        }

        public int[] outputShape() {
            return outputShape;
        }

        public TensorSpec.DataType outputType() {
            return spec.output.type;
        }

        public void run(ByteBuffer input, ByteBuffer out) {
            received = new byte[input.remaining()];
            input.get(received);
            out.put(output);
        }

        public void close() {
        }
    }

    private ModelSpec spec() throws ModelSpecException {
        return ModelSpec.parse((String) vector.get("sidecar"), "model.json");
    }

    @Test
    public void frameToKeypointsMatchesPython() throws ModelSpecException {
        ModelSpec spec = spec();
        RecordedInterpreter interpreter = new RecordedInterpreter(spec, Vectors.bytes(vector, "output"), spec.output.shape);
        LandmarkPipeline pipeline = new LandmarkPipeline(spec, interpreter);
        LandmarkPipeline.Result result = pipeline.run(Vectors.argb(vector, "image"), Vectors.integer(vector, "width"),
                Vectors.integer(vector, "height"), Vectors.doubles(vector, "box"));
        assertArrayEquals("model input", Vectors.bytes(vector, "input"), interpreter.received);
        float[] x = Vectors.floats(vector, "x");
        float[] y = Vectors.floats(vector, "y");
        float[] scores = Vectors.floats(vector, "scores");
        assertEquals(x.length, result.keypoints.count());
        for (int k = 0; k < x.length; k++) {
            assertEquals("x of keypoint " + k, x[k], result.keypoints.x[k], 1e-4);
            assertEquals("y of keypoint " + k, y[k], result.keypoints.y[k], 1e-4);
            assertEquals("score of keypoint " + k, scores[k], result.keypoints.scores[k], 0f);
        }
        assertTrue(result.preprocessMs >= 0 && result.inferenceMs >= 0 && result.decodeMs >= 0);
    }

    @Test
    public void modelAndSidecarFromDifferentExportsAreRefused() throws ModelSpecException {
        ModelSpec spec = spec();
        int[] shape = spec.output.shape.clone();
        shape[3] -= 1;
        try {
            new LandmarkPipeline(spec, new RecordedInterpreter(spec, new byte[0], shape));
            fail("a model with another output shape was accepted");
        } catch (ModelSpecException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("different exports"));
        }
    }
}
