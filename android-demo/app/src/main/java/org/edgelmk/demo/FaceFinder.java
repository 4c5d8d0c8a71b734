package org.edgelmk.demo;

import java.util.List;

/** A face detector for the tracker: the boxes of every face in a frame, calibrated to the model's landmark box. */
interface FaceFinder {
    /** Boxes x0, y0, x1, y1 in frame pixels, best first. */
    List<double[]> find(int[] argb, int width, int height);

    /** What it is, for the status lines. */
    String description();

    /** Frees the detector's resources. */
    void close();
}
