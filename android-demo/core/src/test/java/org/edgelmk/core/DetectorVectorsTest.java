package org.edgelmk.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;

import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * SsdDecoder (BlazeFace's anchors, decoding, weighted NMS, letterbox) and BoxCalibration against
 * edgelmk's Python ones on made-up BlazeFace outputs (detector.json): boxes and keypoints within
 * 1e-3 px, scores within 1e-9, calibrated boxes (the shipped calibration file) within 1e-3 px.
 */
public class DetectorVectorsTest {
    private static final double PIXELS = 1e-3;

    @Test
    public void decodesAndCalibratesLikePython() {
        Map<String, Object> file = Vectors.load("detector.json");
        SsdDecoder decoder = SsdDecoder.blazeFace();
        assertEquals(Vectors.integer(file, "anchors"), decoder.anchorCount());
        double[] matrix = decoder.letterbox(Vectors.integer(file, "height"), Vectors.integer(file, "width"));
        double[] expectedMatrix = Vectors.doubles(file, "matrix");
        for (int i = 0; i < 6; i++) {
            assertEquals("letterbox " + i, expectedMatrix[i], matrix[i], 1e-12);
        }
        List<SsdDecoder.Detection> found = decoder.decode(Vectors.floats(file, "regressions"),
                Vectors.floats(file, "logits"), matrix);
        List<Object> expected = Vectors.list(file, "detections");
        assertEquals("detections", expected.size(), found.size());
        for (int i = 0; i < found.size(); i++) {
            Map<String, Object> want = ModelSpec.asObject(expected.get(i));
            assertEquals("score " + i, Vectors.number(want, "score"), found.get(i).score, 1e-9);
            assertClose("box " + i, Vectors.doubles(want, "box"), found.get(i).box);
            assertClose("keypoints " + i, Vectors.doubles(want, "keypoints"), found.get(i).keypoints);
        }
        String calibrations = (String) file.get("calibrations_json");
        for (Object item : Vectors.list(file, "calibrated")) {
            Map<String, Object> c = ModelSpec.asObject(item);
            BoxCalibration calibration = BoxCalibration.find(calibrations, "blazeface", (String) c.get("scheme"));
            assertNotNull(calibration);
            assertEquals(c.get("keypoints_used"), calibration.usesKeypoints());
            List<Object> boxes = Vectors.list(c, "boxes");
            for (int i = 0; i < found.size(); i++) {
                double[] want = toDoubles((List<?>) boxes.get(i));
                double[] got = calibration.apply(found.get(i).box, found.get(i).keypoints);
                assertClose(c.get("scheme") + " box " + i, want, got);
            }
        }
        assertEquals(null, BoxCalibration.find(calibrations, "blazeface", "no_such_scheme"));
    }

    private static double[] toDoubles(List<?> values) {
        double[] out = new double[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) values.get(i)).doubleValue();
        }
        return out;
    }

    private static void assertClose(String what, double[] expected, double[] actual) {
        assertEquals(what + " length", expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(what + "[" + i + "]", expected[i], actual[i], PIXELS);
        }
    }
}
