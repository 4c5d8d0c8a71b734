package org.edgelmk.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;

/**
 * Crop, input encoding and the mapping back to frame pixels against the Python runtime
 * (preprocess.crop_matrix + warp, i.e. OpenCV warpAffine, encode_input, to_original): crops and encoded inputs
 * byte for byte, frame points within 1e-4 px.
 */
@RunWith(Parameterized.class)
public class CropVectorsTest {
    private static Map<String, Object> file;

    @Parameterized.Parameters(name = "box {0}")
    public static Collection<Object[]> cases() {
        file = Vectors.load("crops.json");
        Collection<Object[]> cases = new ArrayList<Object[]>();
        for (Object item : Vectors.list(file, "cases")) {
            Map<String, Object> c = ModelSpec.asObject(item);
            cases.add(new Object[] {c.get("box"), c});
        }
        return cases;
    }

    private final Map<String, Object> vector;

    public CropVectorsTest(Object name, Map<String, Object> vector) {
        this.vector = vector;
    }

    private CropTransform transform() {
        double[] box = Vectors.doubles(vector, "box");
        List<Object> hw = Vectors.list(vector, "input_hw");
        return CropTransform.forBox(box[0], box[1], box[2], box[3], Vectors.number(vector, "margin"),
                ((Number) hw.get(0)).intValue(), ((Number) hw.get(1)).intValue());
    }

    @Test
    public void matrixMatches() {
        assertArrayEquals(Vectors.doubles(vector, "matrix"), transform().matrix, 1e-12);
    }

    @Test
    public void cropMatchesOpenCv() {
        CropTransform crop = transform();
        byte[] rgb = new byte[crop.outputHeight * crop.outputWidth * 3];
        crop.warp(Vectors.argb(file, "image"), Vectors.integer(file, "width"), Vectors.integer(file, "height"), rgb);
        assertArrayEquals("crop pixels (python made them with OpenCV " + file.get("opencv") + ")",
                Vectors.bytes(vector, "crop"), rgb);
    }

    @Test
    public void encodedInputMatches() {
        Map<String, Object> input = Vectors.object(vector, "input");
        List<Object> hw = Vectors.list(vector, "input_hw");
        int height = ((Number) hw.get(0)).intValue();
        int width = ((Number) hw.get(1)).intValue();
        TensorSpec.DataType type = TensorSpec.DataType.valueOf(((String) input.get("dtype")).toUpperCase());
        TensorSpec spec = new TensorSpec("NHWC", new int[] {1, height, width, 3}, type,
                Vectors.number(input, "scale"), Vectors.integer(input, "zero_point"));
        ByteBuffer tensor = ByteBuffer.allocate(spec.byteCount()).order(ByteOrder.nativeOrder());
        new InputEncoder(spec).encode(Vectors.bytes(vector, "crop"), tensor);
        tensor.rewind();
        if (type == TensorSpec.DataType.FLOAT32) {
            float[] got = new float[spec.elementCount()];
            tensor.asFloatBuffer().get(got);
            assertArrayEquals(Vectors.floats(vector, "encoded"), got, 0f);
        } else {
            assertArrayEquals(Vectors.bytes(vector, "encoded"), tensor.array());
        }
    }

    @Test
    public void framePointsMatch() {
        float[] crop = Vectors.floats(vector, "crop_points");
        float[] expected = Vectors.floats(vector, "frame_points");
        Keypoints points = new Keypoints(crop.length / 2);
        for (int k = 0; k < points.count(); k++) {
            points.x[k] = crop[2 * k];
            points.y[k] = crop[2 * k + 1];
        }
        Keypoints frame = transform().toFrame(points);
        for (int k = 0; k < points.count(); k++) {
            assertEquals(expected[2 * k], frame.x[k], 1e-4);
            assertEquals(expected[2 * k + 1], frame.y[k], 1e-4);
        }
    }
}
