package org.edgelmk.core;

/**
 * The One Euro filter (Casiez, Roussel and Vogel, CHI 2012) on K points, as
 * {@code edgelmk.runtime.smoothing.OneEuroFilter}: each point's 2-D velocity, in face sizes per
 * second, is low-passed at {@code dCutoff}, and its magnitude raises the point's cutoff from
 * {@code minCutoff} by {@code beta} per (face size / s). {@link FaceSmoother} filters a face with two
 * of them. Tested against the Python filter within 1e-4 px.
 */
public final class OneEuroFilter {
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
        double[] x = new double[keypoints.count()];
        double[] y = new double[x.length];
        for (int k = 0; k < x.length; k++) {
            x[k] = keypoints.x[k];
            y[k] = keypoints.y[k];
        }
        step(x, y, dt, faceSize);
        for (int k = 0; k < x.length; k++) {
            keypoints.x[k] = (float) x[k];
            keypoints.y[k] = (float) y[k];
        }
    }

    /** {@link #apply} on points in double precision: x and y (pixels) are filtered in place. */
    void step(double[] x, double[] y, double dt, double faceSize) {
        int count = x.length;
        if (previousX == null) {
            previousX = new double[count];
            previousY = new double[count];
            velocityX = new double[count];
            velocityY = new double[count];
            System.arraycopy(x, 0, previousX, 0, count);
            System.arraycopy(y, 0, previousY, 0, count);
            return;
        }
        if (!(dt > 0)) {
            throw new IllegalArgumentException("frames must move forward in time (dt = " + dt + " s)");
        }
        double velocityAlpha = smoothingFactor(dCutoff, dt);
        double size = Math.max(faceSize, 1e-6);
        for (int k = 0; k < count; k++) {
            double dx = x[k] - previousX[k];
            double dy = y[k] - previousY[k];
            velocityX[k] += velocityAlpha * (dx / dt / size - velocityX[k]);
            velocityY[k] += velocityAlpha * (dy / dt / size - velocityY[k]);
            double speed = Math.sqrt(velocityX[k] * velocityX[k] + velocityY[k] * velocityY[k]);
            double alpha = smoothingFactor(minCutoff + beta * speed, dt);
            previousX[k] += alpha * dx;
            previousY[k] += alpha * dy;
            x[k] = previousX[k];
            y[k] = previousY[k];
        }
    }
}
