package org.edgelmk.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;

/** ModelSpec accepts what edgelmk.runtime.sidecar.check accepts and refuses what it refuses. */
@RunWith(Parameterized.class)
public class SidecarVectorsTest {
    @Parameterized.Parameters(name = "{0}")
    public static Collection<Object[]> cases() {
        Collection<Object[]> cases = new ArrayList<Object[]>();
        for (Object item : Vectors.list(Vectors.load("sidecars.json"), "cases")) {
            Map<String, Object> c = ModelSpec.asObject(item);
            cases.add(new Object[] {c.get("name"), c});
        }
        return cases;
    }

    private final Map<String, Object> vector;

    public SidecarVectorsTest(String name, Map<String, Object> vector) {
        this.vector = vector;
    }

    @Test
    public void agreesWithPython() {
        String json = (String) vector.get("json");
        if (Boolean.TRUE.equals(vector.get("valid"))) {
            ModelSpec spec;
            try {
                spec = ModelSpec.parse(json, "model.json");
            } catch (ModelSpecException e) {
                throw new AssertionError("a sidecar Python accepts was refused: " + e.getMessage());
            }
            List<Object> hw = Vectors.list(vector, "input_hw");
            assertEquals(Vectors.integer(vector, "keypoints"), spec.keypointCount());
            assertEquals(((Number) hw.get(0)).intValue(), spec.inputHeight());
            assertEquals(((Number) hw.get(1)).intValue(), spec.inputWidth());
            assertEquals(vector.get("codec"), spec.decoder.name());
        } else {
            try {
                ModelSpec.parse(json, "model.json");
                fail("accepted a sidecar Python refuses with: " + vector.get("python_error"));
            } catch (ModelSpecException e) {
                assertTrue("the message names the file: " + e.getMessage(), e.getMessage().contains("model.json"));
            }
        }
    }
}
