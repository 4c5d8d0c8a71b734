package org.edgelmk.core;

/**
 * A face's keypoints filtered as position + shape, as {@code edgelmk.runtime.smoothing.FaceSmoother}:
 * one {@link OneEuroFilter} on the mean of the keypoints ({@code beta}) and one on each keypoint's
 * offset from that mean ({@code shapeBeta}), with the same {@code minCutoff} and {@code dCutoff}. The
 * position follows a moving face closely while its shape, which changes slowly, is smoothed hard.
 * Tested against the Python filter within 1e-4 px.
 */
public final class FaceSmoother {
    /** The Python defaults ({@code ONE_EURO_DEFAULTS}): min_cutoff 0.3 Hz, beta 12, d_cutoff 0.85 Hz, shape_beta 1. */
    public static final double DEFAULT_MIN_CUTOFF = 0.3;
    public static final double DEFAULT_BETA = 12.0;
    public static final double DEFAULT_D_CUTOFF = 0.85;
    public static final double DEFAULT_SHAPE_BETA = 1.0;

    private final OneEuroFilter position;
    private final OneEuroFilter shape;

    public FaceSmoother(double minCutoff, double beta, double dCutoff, double shapeBeta) {
        position = new OneEuroFilter(minCutoff, beta, dCutoff);
        shape = new OneEuroFilter(minCutoff, shapeBeta, dCutoff);
    }

    /**
     * Filters one frame's keypoints in place (x, y; scores untouched).
     *
     * @param dt seconds since the previous frame
     * @param faceSize side of the face box, pixels (the speed unit)
     */
    public void apply(Keypoints keypoints, double dt, double faceSize) {
        int count = keypoints.count();
        double[] mean = keypoints.mean();
        double[] centreX = {mean[0]};
        double[] centreY = {mean[1]};
        double[] offsetX = new double[count];
        double[] offsetY = new double[count];
        for (int k = 0; k < count; k++) {
            offsetX[k] = keypoints.x[k] - centreX[0];
            offsetY[k] = keypoints.y[k] - centreY[0];
        }
        position.step(centreX, centreY, dt, faceSize);
        shape.step(offsetX, offsetY, dt, faceSize);
        for (int k = 0; k < count; k++) {
            keypoints.x[k] = (float) (centreX[0] + offsetX[k]);
            keypoints.y[k] = (float) (centreY[0] + offsetY[k]);
        }
    }
}
