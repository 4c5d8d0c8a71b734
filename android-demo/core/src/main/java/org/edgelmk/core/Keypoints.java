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

    /** The mean x, y of the keypoints, pixels (0, 0 for none). */
    public double[] mean() {
        double sumX = 0;
        double sumY = 0;
        for (int k = 0; k < x.length; k++) {
            sumX += x[k];
            sumY += y[k];
        }
        int count = Math.max(x.length, 1);
        return new double[] {sumX / count, sumY / count};
    }
}
