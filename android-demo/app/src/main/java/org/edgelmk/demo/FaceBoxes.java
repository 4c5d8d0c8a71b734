package org.edgelmk.demo;

import android.graphics.Bitmap;
import android.graphics.PointF;
import android.media.FaceDetector;

/**
 * The box handed to the landmark model: the largest face Android's built-in
 * {@link FaceDetector} finds (eye midpoint and distance), or a centred guide box when it finds none.
 */
final class FaceBoxes {
    /** Detection runs on a frame downscaled to this width (FaceDetector is slow on full frames). */
    private static final int DETECT_WIDTH = 240;
    /** Face box side in eye distances, centred a little below the eyes (matches 300W-style boxes). */
    private static final float SIDE_IN_EYE_DISTANCES = 2.6f;
    private static final float CENTRE_BELOW_EYES = 0.45f;
    private static final float GUIDE_FRACTION = 0.6f;

    private final FaceDetector.Face[] faces = new FaceDetector.Face[1];
    private Bitmap small;
    private FaceDetector detector;
    boolean lastFromDetector;

    /** The centred square guide box, frame pixels: x0, y0, x1, y1. */
    static double[] guideBox(int width, int height) {
        double side = GUIDE_FRACTION * Math.min(width, height);
        return new double[] {(width - side) / 2, (height - side) / 2, (width + side) / 2, (height + side) / 2};
    }

    /** A box for this frame (frame pixels); sets {@link #lastFromDetector}. */
    double[] find(Bitmap frame) {
        int width = frame.getWidth();
        int height = frame.getHeight();
        int smallWidth = DETECT_WIDTH & ~1;  // FaceDetector needs an even width
        int smallHeight = Math.max(2, Math.round(height * (float) smallWidth / width));
        if (small == null || small.getHeight() != smallHeight) {
            small = Bitmap.createBitmap(smallWidth, smallHeight, Bitmap.Config.RGB_565);
            detector = new FaceDetector(smallWidth, smallHeight, faces.length);
        }
        Bitmap scaled = Bitmap.createScaledBitmap(frame, smallWidth, smallHeight, true);
        new android.graphics.Canvas(small).drawBitmap(scaled, 0, 0, null);
        if (scaled != frame) {
            scaled.recycle();
        }
        lastFromDetector = detector.findFaces(small, faces) > 0 && faces[0] != null;
        if (!lastFromDetector) {
            return guideBox(width, height);
        }
        PointF eyes = new PointF();
        faces[0].getMidPoint(eyes);
        float toFrame = (float) width / smallWidth;
        float side = faces[0].eyesDistance() * SIDE_IN_EYE_DISTANCES * toFrame;
        float centreX = eyes.x * toFrame;
        float centreY = eyes.y * toFrame + CENTRE_BELOW_EYES * side / 2;
        return new double[] {centreX - side / 2, centreY - side / 2, centreX + side / 2, centreY + side / 2};
    }
}
