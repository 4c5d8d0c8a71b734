package org.edgelmk.demo;

import android.content.res.AssetManager;
import org.edgelmk.core.ModelSpec;

/** The stand-in build's face detector: Android's FaceDetector (the build has no TFLite runtime for BlazeFace). */
final class Detectors {
    private Detectors() {
    }

    static FaceFinder open(AssetManager assets, ModelSpec spec, int threads) {
        return new FaceBoxes(" (stand-in build)");
    }
}
