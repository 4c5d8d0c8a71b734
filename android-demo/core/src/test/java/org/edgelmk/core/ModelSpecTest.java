package org.edgelmk.core;

import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Map;
import org.junit.Test;

/** What the app refuses on top of the sidecar checks, with messages that say what to do. */
public class ModelSpecTest {
    private static String goodSidecar() {
        for (Object item : Vectors.list(Vectors.load("sidecars.json"), "cases")) {
            Map<String, Object> c = ModelSpec.asObject(item);
            if (Boolean.TRUE.equals(c.get("valid"))) {
                return (String) c.get("json");
            }
        }
        throw new IllegalStateException("sidecars.json holds no valid sidecar");
    }

    private static void assertRefused(String json, String expectedText) {
        try {
            ModelSpec.parse(json, "assets/model.json").requireTfliteImageModel();
            fail("accepted a sidecar that should fail with '" + expectedText + "'");
        } catch (ModelSpecException e) {
            assertTrue(e.getMessage(), e.getMessage().contains(expectedText));
            assertTrue(e.getMessage(), e.getMessage().contains("assets/model.json"));
        }
    }

    @Test
    public void refusesOtherTargetsAndLayouts() {
        String good = goodSidecar();
        assertRefused(good.replace("\"target\": \"tflite\"", "\"target\": \"lce\""), "--target tflite --int8");
        String nchwInput = good.replaceFirst("\"layout\": \"NHWC\"", "\"layout\": \"NCHW\"")
                .replace("[1, 64, 64, 3]", "[1, 3, 64, 64]");
        assertRefused(nchwInput, "not one NHWC RGB image");
    }

    @Test
    public void acceptsMapsChannelsFirstAsTodaysExportsWriteThem() throws ModelSpecException {
        String good = goodSidecar();
        assertTrue(ModelSpec.parse(good, "assets/model.json").outputChannelsLast());
        String before = "\"layout\": \"NHWC\", \"shape\": [1, 16, 16, 68]";
        assertTrue("the test sidecar's output is written as expected", good.contains(before));
        ModelSpec channelsFirst = ModelSpec.parse(good.replace(before, "\"layout\": \"NCHW\", \"shape\": [1, 68, 16, 16]"),
                "assets/model.json");
        channelsFirst.requireTfliteImageModel();
        assertTrue(!channelsFirst.outputChannelsLast());
    }

    @Test
    public void refusesCodecAndShapeMismatches() {
        String good = goodSidecar();
        assertRefused(good.replace("\"name\": \"gaussian\"", "\"name\": \"simcc\""), "unknown codec 'simcc'");
        assertRefused(good.replace("\"heatmap_hw\": [16, 16]", "\"heatmap_hw\": [32, 32]"), "codec.heatmap_hw");
        assertRefused("[1, 2]", "not an edgelmk model sidecar");
        assertRefused("{\"format\": ", "not valid JSON");
    }
}
