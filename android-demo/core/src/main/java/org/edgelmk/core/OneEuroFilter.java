package org.edgelmk.core;

/**
 * The One Euro filter (Casiez, Roussel and Vogel, CHI 2012) on K keypoints, as
 * {@code edgelmk.runtime.smoothing.OneEuroFilter}: each keypoint's 2-D velocity, in face sizes per
 * second, is low-passed at {@code dCutoff}, and its magnitude raises the keypoint's cutoff from
 * {@code minCutoff} by {@code beta} per (face size / s). Tested against the Python filter within 1e-4 px.
 */
public final class OneEuroFilter {
    /** The Python defaults ({@code ONE_EURO_DEFAULTS}): min_cutoff 0.3 Hz, beta 4.5, d_cutoff 0.85 Hz. */
    public static final double DEFAULT_MIN_CUTOFF = 0.3;
    public static final double DEFAULT_BETA = 4.5;
    public static final double DEFAULT_D_CUTOFF = 0.85;

    private final double minCutoff;
    private final double beta;
    private final double dCutoff;
    private double[] previousX;
    private double[] previousY;
    private double[] velocityX;
    private double[] velocityY;

    public OneEuroFilter(double minCutoff, double beta, double dCutoff) {
        if (!(minCutoff > 0) || !(dCutoff > 0) || !(beta >= 0)) {
            throw new IllegalArgumentException("One Euro needs min_cutoff > 0, d_cutoff > 0 and beta >= 0 (got "
                    + minCutoff + ", " + dCutoff + ", " + beta + ")");
        }
        this.minCutoff = minCutoff;
        this.beta = beta;
        this.dCutoff = dCutoff;
    }

    /** The smoothing factor of a first-order low-pass at {@code cutoffHz} for a step of {@code dt} seconds. */
    static double smoothingFactor(double cutoffHz, double dt) {
        double tau = 1.0 / (2 * Math.PI * cutoffHz);
        return 1.0 / (1.0 + tau / dt);
    }

    /**
     * Filters one frame's keypoints in place (x, y; scores untouched).
     *
     * @param dt seconds since the previous frame
     * @param faceSize side of the face box, pixels (the speed unit)
     */
    public void apply(Keypoints keypoints, double dt, double faceSize) {
        int count = keypoints.count();
        if (previousX == null) {
            previousX = new double[count];
            previousY = new double[count];
            velocityX = new double[count];
            velocityY = new double[count];
            for (int k = 0; k < count; k++) {
                previousX[k] = keypoints.x[k];
                previousY[k] = keypoints.y[k];
            }
            return;
        }
        if (!(dt > 0)) {
            throw new IllegalArgumentException("frames must move forward in time (dt = " + dt + " s)");
        }
        double velocityAlpha = smoothingFactor(dCutoff, dt);
        double size = Math.max(faceSize, 1e-6);
        for (int k = 0; k < count; k++) {
            double dx = keypoints.x[k] - previousX[k];
            double dy = keypoints.y[k] - previousY[k];
            velocityX[k] += velocityAlpha * (dx / dt / size - velocityX[k]);
            velocityY[k] += velocityAlpha * (dy / dt / size - velocityY[k]);
            double speed = Math.sqrt(velocityX[k] * velocityX[k] + velocityY[k] * velocityY[k]);
            double alpha = smoothingFactor(minCutoff + beta * speed, dt);
            previousX[k] += alpha * dx;
            previousY[k] += alpha * dy;
            keypoints.x[k] = (float) previousX[k];
            keypoints.y[k] = (float) previousY[k];
        }
    }
}
