package org.edgelmk.core;

/** K keypoints: x, y in pixels (crop or frame, as the producer says) and a score per keypoint. */
public final class Keypoints {
    public final float[] x;
    public final float[] y;
    public final float[] scores;

    public Keypoints(int count) {
        x = new float[count];
        y = new float[count];
        scores = new float[count];
    }

    /** Number of keypoints. */
    public int count() {
        return x.length;
    }
}
