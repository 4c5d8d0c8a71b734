package org.edgelmk.core;

import java.util.List;
import java.util.Map;

/**
 * A detector box to the landmark box a model was trained on, as
 * {@code edgelmk.runtime.calibration.BoxCalibration.apply} (tested against it): least-squares
 * coefficients over [1, detector keypoints relative to the box centre / box size] give the
 * centre shift (in box widths and heights) and the log size ratios. Read from the calibration
 * files edgelmk ships ({@code edgelmk/runtime/calibrations/DETECTOR.json}).
 */
public final class BoxCalibration {
    private final double[][] coefficients;

    BoxCalibration(double[][] coefficients) {
        this.coefficients = coefficients;
    }

    /** The calibration of {@code detector} for landmark scheme {@code scheme} in a calibration file, or null. */
    public static BoxCalibration find(String json, String detector, String scheme) {
        Map<String, Object> file = ModelSpec.asObject(Json.parse(json));
        for (Object item : (List<?>) file.get("calibrations")) {
            Map<String, Object> entry = ModelSpec.asObject(item);
            if (detector.equals(entry.get("detector")) && scheme.equals(entry.get("scheme"))) {
                List<?> rows = (List<?>) entry.get("coefficients");
                double[][] coefficients = new double[rows.size()][4];
                for (int r = 0; r < rows.size(); r++) {
                    List<?> row = (List<?>) rows.get(r);
                    for (int c = 0; c < 4; c++) {
                        coefficients[r][c] = ((Number) row.get(c)).doubleValue();
                    }
                }
                return new BoxCalibration(coefficients);
            }
        }
        return null;
    }

    /** Whether it reads the detector's keypoints (else it is four constants). */
    public boolean usesKeypoints() {
        return coefficients.length > 1;
    }

    /**
     * The landmark-box estimate x0, y0, x1, y1 (frame pixels, rounded to float32 as the Python one).
     *
     * @param box the detector's box, frame pixels
     * @param keypoints the detector's keypoints x0, y0, x1, y1, ... (frame pixels), or null
     */
    public double[] apply(double[] box, double[] keypoints) {
        double width = Math.max((float) box[2] - (float) box[0], 1e-6);
        double height = Math.max((float) box[3] - (float) box[1], 1e-6);
        double centreX = ((float) box[0] + (float) box[2]) / 2.0;
        double centreY = ((float) box[1] + (float) box[3]) / 2.0;
        double[] features = new double[coefficients.length];
        features[0] = 1;
        if (usesKeypoints()) {
            if (keypoints == null || keypoints.length != features.length - 1) {
                throw new IllegalArgumentException("this calibration needs " + (features.length - 1) / 2
                        + " detector keypoints");
            }
            for (int k = 0; k < keypoints.length / 2; k++) {
                features[1 + 2 * k] = ((float) keypoints[2 * k] - centreX) / width;
                features[2 + 2 * k] = ((float) keypoints[2 * k + 1] - centreY) / height;
            }
        }
        double[] out = new double[4];
        for (int f = 0; f < features.length; f++) {
            for (int c = 0; c < 4; c++) {
                out[c] += features[f] * coefficients[f][c];
            }
        }
        double x = centreX + out[0] * width;
        double y = centreY + out[1] * height;
        double halfWidth = width * Math.exp(out[2]) / 2;
        double halfHeight = height * Math.exp(out[3]) / 2;
        return new double[] {(float) (x - halfWidth), (float) (y - halfHeight), (float) (x + halfWidth),
                             (float) (y + halfHeight)};
    }
}
