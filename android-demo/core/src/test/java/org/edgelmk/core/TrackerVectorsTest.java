package org.edgelmk.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * FaceTracker + FaceSmoother against edgelmk.runtime.Pipeline.stream on a recorded two-face video
 * (tracker.json): the detector runs on the same frames, the tracker asks for landmarks in the same
 * boxes, and the faces (ids, boxes, filtered keypoints) agree within 1e-4 px.
 */
public class TrackerVectorsTest {
    private static final double TOLERANCE = 1e-4;

    private static float[] floats(Map<String, Object> object, String key) {
        return Vectors.floats(object, key);
    }

    @Test
    public void tracksLikeThePythonPipeline() {
        Map<String, Object> file = Vectors.load("tracker.json");
        double[] oneEuro = Vectors.doubles(file, "one_euro");
        FaceTracker tracker = new FaceTracker(Vectors.integer(file, "redetect_every"),
                Vectors.number(file, "lost_ratio"), Vectors.number(file, "max_resize"),
                Vectors.number(file, "box_motion"), true, oneEuro);
        int width = Vectors.integer(file, "width");
        int height = Vectors.integer(file, "height");
        double dt = 1.0 / Vectors.number(file, "fps");
        int frameIndex = 0;
        int faceCount = 0;
        for (Object item : Vectors.list(file, "frames")) {
            Map<String, Object> frame = ModelSpec.asObject(item);
            final String where = "frame " + frameIndex;
            Object detections = frame.get("detections");
            assertEquals(where + ": detector runs", detections != null, tracker.needsDetection());
            if (detections != null) {
                List<double[]> boxes = new ArrayList<double[]>();
                for (Object box : (List<?>) detections) {
                    List<?> values = (List<?>) box;
                    double[] edges = new double[4];
                    for (int i = 0; i < 4; i++) {
                        edges[i] = ((Number) values.get(i)).doubleValue();
                    }
                    boxes.add(edges);
                }
                tracker.detected(boxes);
            }
            final List<Object> calls = Vectors.list(frame, "calls");
            final int[] asked = {0};
            List<FaceTracker.Face> faces = tracker.update(new FaceTracker.Landmarks() {
                public Keypoints predict(double[] box) {
                    assertTrue(where + ": more landmark calls than Python made", asked[0] < calls.size());
                    Map<String, Object> call = ModelSpec.asObject(calls.get(asked[0]++));
                    assertBox(where + " landmark box", Vectors.doubles(call, "box"), box);
                    float[] x = floats(call, "x");
                    Keypoints keypoints = new Keypoints(x.length);
                    System.arraycopy(x, 0, keypoints.x, 0, x.length);
                    System.arraycopy(floats(call, "y"), 0, keypoints.y, 0, x.length);
                    System.arraycopy(floats(call, "scores"), 0, keypoints.scores, 0, x.length);
                    return keypoints;
                }
            }, width, height, dt);
            assertEquals(where + ": landmark calls", calls.size(), asked[0]);
            List<Object> expected = Vectors.list(frame, "faces");
            assertEquals(where + ": faces", expected.size(), faces.size());
            for (int i = 0; i < faces.size(); i++) {
                Map<String, Object> want = ModelSpec.asObject(expected.get(i));
                FaceTracker.Face face = faces.get(i);
                assertEquals(where + ": id", Vectors.integer(want, "id"), face.id);
                assertBox(where + " face box", Vectors.doubles(want, "box"), face.box);
                float[] x = floats(want, "x");
                float[] y = floats(want, "y");
                for (int k = 0; k < x.length; k++) {
                    assertEquals(where + " x" + k, x[k], face.keypoints.x[k], TOLERANCE);
                    assertEquals(where + " y" + k, y[k], face.keypoints.y[k], TOLERANCE);
                }
            }
            faceCount += faces.size();
            frameIndex++;
        }
        assertTrue("the recording holds faces", faceCount > 50);
    }

    private static void assertBox(String what, double[] expected, double[] actual) {
        for (int i = 0; i < 4; i++) {
            assertEquals(what + "[" + i + "]", expected[i], actual[i], TOLERANCE);
        }
    }

    @Test
    public void oneEuroLeavesAStillPointAndBadSettingsAreRefused() {
        OneEuroFilter filter = new OneEuroFilter(0.5, 4.0, 1.0);
        Keypoints point = new Keypoints(1);
        point.x[0] = 10;
        point.y[0] = 20;
        for (int i = 0; i < 3; i++) {
            filter.apply(point, 1 / 30.0, 50);
            assertEquals(10, point.x[0], 1e-6);
            assertEquals(20, point.y[0], 1e-6);
        }
        try {
            new OneEuroFilter(0, 1, 1);
            throw new AssertionError("min_cutoff 0 accepted");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("min_cutoff > 0"));
        }
        try {
            new FaceTracker(10, 0.5, 0.25, 0.5, true, new double[] {0.3, 12, 0.85});
            throw new AssertionError("three One Euro values accepted");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("oneEuro needs 4 values"));
        }
        try {
            new FaceTracker(10, 0.5, 0.25, 1.5, true, null);
            throw new AssertionError("boxMotion 1.5 accepted");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("0 <= boxMotion <= 1"));
        }
    }
}
