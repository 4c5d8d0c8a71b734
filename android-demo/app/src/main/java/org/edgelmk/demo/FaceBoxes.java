package org.edgelmk.demo;

import android.graphics.Bitmap;
import android.graphics.PointF;
import android.media.FaceDetector;
import java.util.ArrayList;
import java.util.List;

/**
 * Android's built-in {@link FaceDetector} as a {@link FaceFinder}: every face's eye midpoint and
 * distance make a box. The detector of the stand-in build, and the fallback when BlazeFace's file is
 * not in the APK. Its boxes are not calibrated on annotated photos (rule of thumb below); the
 * tracker then follows each face by its own landmarks.
 */
final class FaceBoxes implements FaceFinder {
    /** Detection runs on a frame downscaled to this width (FaceDetector is slow on full frames). */
    private static final int DETECT_WIDTH = 240;
    private static final int MAX_FACES = 4;
    /** Face box side in eye distances, centred a little below the eyes (matches landmark boxes roughly). */
    private static final float SIDE_IN_EYE_DISTANCES = 2.2f;
    private static final float CENTRE_BELOW_EYES = 0.45f;

    private final FaceDetector.Face[] faces = new FaceDetector.Face[MAX_FACES];
    private final String note;
    private Bitmap small;
    private FaceDetector detector;

    FaceBoxes(String note) {
        this.note = note;
    }

    @Override
    public String description() {
        return "detector: android.media.FaceDetector" + note;
    }

    @Override
    public List<double[]> find(int[] argb, int width, int height) {
        int smallWidth = DETECT_WIDTH & ~1;  // FaceDetector needs an even width
        int smallHeight = Math.max(2, Math.round(height * (float) smallWidth / width));
        if (small == null || small.getHeight() != smallHeight) {
            small = Bitmap.createBitmap(smallWidth, smallHeight, Bitmap.Config.RGB_565);
            detector = new FaceDetector(smallWidth, smallHeight, MAX_FACES);
        }
        Bitmap frame = Bitmap.createBitmap(argb, width, height, Bitmap.Config.ARGB_8888);
        Bitmap scaled = Bitmap.createScaledBitmap(frame, smallWidth, smallHeight, true);
        new android.graphics.Canvas(small).drawBitmap(scaled, 0, 0, null);
        scaled.recycle();
        frame.recycle();
        int count = detector.findFaces(small, faces);
        List<double[]> boxes = new ArrayList<double[]>();
        float toFrame = (float) width / smallWidth;
        PointF eyes = new PointF();
        for (int i = 0; i < count; i++) {
            faces[i].getMidPoint(eyes);
            float side = faces[i].eyesDistance() * SIDE_IN_EYE_DISTANCES * toFrame;
            float centreX = eyes.x * toFrame;
            float centreY = eyes.y * toFrame + CENTRE_BELOW_EYES * side / 2;
            boxes.add(new double[] {centreX - side / 2, centreY - side / 2, centreX + side / 2, centreY + side / 2});
        }
        return boxes;
    }

    @Override
    public void close() {
    }
}
