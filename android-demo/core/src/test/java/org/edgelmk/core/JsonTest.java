package org.edgelmk.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.Test;

public class JsonTest {
    @Test
    public void readsNestedValues() {
        Map<String, Object> object = ModelSpec.asObject(Json.parse(
                "{\"a\": [1, -2.5e-3, true, null], \"b\": {\"c\": \"x\\\"\\u00e9\\n\"}, \"d\": NaN}"));
        List<?> a = (List<?>) object.get("a");
        assertEquals(Arrays.<Object>asList(1L, -2.5e-3, Boolean.TRUE, null), a);
        assertEquals("x\"\u00e9\n", ModelSpec.asObject(object.get("b")).get("c"));
        assertTrue(Double.isNaN((Double) object.get("d")));
        assertNull(Json.parse("null"));
    }

    @Test
    public void errorsNameThePosition() {
        for (String bad : new String[] {"{\"a\": }", "[1, 2", "{\"a\": 1} x", "tru", "\"open"}) {
            try {
                Json.parse(bad);
                fail("accepted " + bad);
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage(), e.getMessage().startsWith("invalid JSON at character "));
            }
        }
    }
}
