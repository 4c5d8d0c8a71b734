package org.edgelmk.core;

import org.junit.runner.JUnitCore;
import org.junit.runner.Result;
import org.junit.runner.notification.Failure;

/** Runs every JUnit test class of the core and prints one "N passed, N failed" line (exit 1 on failures). */
public final class RunAllTests {
    private RunAllTests() {
    }

    public static void main(String[] args) {
        Result result = JUnitCore.runClasses(JsonTest.class, Yuv420Test.class, ModelSpecTest.class,
                SidecarVectorsTest.class, DecoderVectorsTest.class, CropVectorsTest.class, PipelineVectorsTest.class,
                DetectorVectorsTest.class, TrackerVectorsTest.class);
        for (Failure failure : result.getFailures()) {
            System.out.println("FAILED " + failure.getTestHeader() + ": " + failure.getMessage());
        }
        int failed = result.getFailureCount();
        System.out.println((result.getRunCount() - failed) + " passed, " + failed + " failed");
        System.exit(failed == 0 && result.getRunCount() > 0 ? 0 : 1);
    }
}
