package org.edgelmk.core;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Map;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;

/**
 * The Java decoders against edgelmk.codecs on maps shaped like network output: float maps within
 * 1e-4 px (and score), integer decodes of int8 / uint8 maps bit for bit.
 */
@RunWith(Parameterized.class)
public class DecoderVectorsTest {
    private static final double FLOAT_TOLERANCE_PX = 1e-4;

    @Parameterized.Parameters(name = "{0}")
    public static Collection<Object[]> cases() {
        Collection<Object[]> cases = new ArrayList<Object[]>();
        int index = 0;
        for (Object item : Vectors.list(Vectors.load("decoders.json"), "cases")) {
            Map<String, Object> c = ModelSpec.asObject(item);
            Map<String, Object> codec = Vectors.object(c, "codec");
            String name = index++ + " " + codec.get("name") + " " + codec.get("decode") + " " + codec.get("heatmap_hw")
                    + " " + c.get("dtype") + " " + c.get("layout");
            cases.add(new Object[] {name, c});
        }
        return cases;
    }

    private final Map<String, Object> vector;

    public DecoderVectorsTest(String name, Map<String, Object> vector) {
        this.vector = vector;
    }

    @Test
    public void matchesPython() {
        HeatmapDecoder decoder = HeatmapDecoder.fromConfig(Vectors.object(vector, "codec"));
        String dtype = (String) vector.get("dtype");
        boolean channelsLast = "NHWC".equals(vector.get("layout"));
        int count = Vectors.integer(vector, "keypoints");
        Keypoints got;
        if ("float32".equals(dtype)) {
            got = decoder.decode(Vectors.floats(vector, "maps"), channelsLast, count);
        } else {
            got = decoder.decodeQuantized(Vectors.bytes(vector, "maps"), "uint8".equals(dtype),
                    Vectors.number(vector, "scale"), Vectors.integer(vector, "zero_point"), channelsLast, count);
        }
        float[] x = Vectors.floats(vector, "x");
        float[] y = Vectors.floats(vector, "y");
        float[] scores = Vectors.floats(vector, "scores");
        boolean exact = !"float32".equals(dtype) && decoder.decodesInt8();
        double tolerance = exact ? 0.0 : FLOAT_TOLERANCE_PX;
        for (int k = 0; k < count; k++) {
            assertEquals("x of keypoint " + k, x[k], got.x[k], tolerance);
            assertEquals("y of keypoint " + k, y[k], got.y[k], tolerance);
            assertEquals("score of keypoint " + k, scores[k], got.scores[k], exact ? 0.0 : 1e-6);
        }
    }
}
