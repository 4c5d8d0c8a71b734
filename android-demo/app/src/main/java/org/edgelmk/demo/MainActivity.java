package org.edgelmk.demo;

import android.Manifest;
import android.app.Activity;
import android.content.pm.PackageManager;
import android.graphics.Bitmap;
import android.hardware.camera2.CameraAccessException;
import android.os.Bundle;
import android.os.Handler;
import android.os.HandlerThread;
import java.util.Locale;
import org.edgelmk.core.LandmarkPipeline;
import org.edgelmk.core.ModelSpecException;

/**
 * Camera -> face box -> landmark model -> decoder -> overlay, with FPS and stage timings.
 * Every failure (missing or mismatched model, permission denied, camera error) becomes a
 * message on screen.
 */
public final class MainActivity extends Activity implements CameraFrames.Listener {
    private static final int CAMERA_REQUEST = 1;
    private static final int THREADS = 2;
    /** Run the face detector on every n-th frame; reuse its box in between. */
    private static final int DETECT_EVERY = 5;

    private OverlayView overlay;
    private LandmarkPipeline pipeline;
    private String runtimeName;
    private HandlerThread worker;
    private CameraFrames camera;
    private final FaceBoxes faces = new FaceBoxes();
    private double[] box;
    private int frameCount;
    private long lastFrameNanos;
    private double fps;

    @Override
    protected void onCreate(Bundle savedInstanceState) {
        super.onCreate(savedInstanceState);
        overlay = new OverlayView(this);
        setContentView(overlay);
        try {
            ModelAssets model = ModelAssets.load(getAssets());
            pipeline = new LandmarkPipeline(model.spec, Interpreters.open(model.model, model.spec, THREADS));
            runtimeName = Interpreters.DESCRIPTION;
        } catch (ModelSpecException e) {
            overlay.showMessage(e.getMessage());
        } catch (RuntimeException e) {
            overlay.showMessage("The model could not be loaded by the interpreter: " + e.getMessage()
                    + ". Re-export it with `edgelmk export --target tflite --int8`.");
        }
    }

    @Override
    protected void onResume() {
        super.onResume();
        if (pipeline == null) {
            return;
        }
        if (checkSelfPermission(Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED) {
            startCamera();
        } else {
            requestPermissions(new String[] {Manifest.permission.CAMERA}, CAMERA_REQUEST);
        }
    }

    @Override
    public void onRequestPermissionsResult(int requestCode, String[] permissions, int[] results) {
        if (requestCode != CAMERA_REQUEST) {
            return;
        }
        if (results.length > 0 && results[0] == PackageManager.PERMISSION_GRANTED) {
            startCamera();
        } else {
            overlay.showMessage("Camera permission denied. This demo finds landmarks in the camera image; allow "
                    + "the camera in Settings > Apps > edgelmk landmarks > Permissions and reopen the app.");
        }
    }

    private void startCamera() {
        if (worker != null) {
            return;
        }
        worker = new HandlerThread("landmarks");
        worker.start();
        camera = new CameraFrames(this, new Handler(worker.getLooper()), this);
        try {
            camera.start();
        } catch (CameraAccessException | SecurityException e) {
            overlay.showMessage("The camera could not be opened: " + e.getMessage());
        }
    }

    @Override
    protected void onPause() {
        if (camera != null) {
            camera.stop();
            camera = null;
        }
        if (worker != null) {
            worker.quitSafely();
            worker = null;
        }
        super.onPause();
    }

    @Override
    protected void onDestroy() {
        if (pipeline != null) {
            pipeline.close();
        }
        super.onDestroy();
    }

    @Override
    public void onFrame(int[] argb, int width, int height) {
        try {
            final Bitmap frame = Bitmap.createBitmap(argb, width, height, Bitmap.Config.ARGB_8888);
            if (box == null || frameCount % DETECT_EVERY == 0) {
                box = faces.find(frame);
            }
            frameCount++;
            final LandmarkPipeline.Result result = pipeline.run(argb, width, height, box);
            long now = System.nanoTime();
            if (lastFrameNanos != 0) {
                double instant = 1e9 / (now - lastFrameNanos);
                fps = fps == 0 ? instant : 0.9 * fps + 0.1 * instant;
            }
            lastFrameNanos = now;
            final double[] shownBox = box.clone();
            final String[] status = {
                String.format(Locale.ROOT, "%.1f FPS", fps),
                String.format(Locale.ROOT, "inference %.1f ms", result.inferenceMs),
                String.format(Locale.ROOT, "crop %.1f ms, decode %.2f ms", result.preprocessMs, result.decodeMs),
                (faces.lastFromDetector ? "box: face detector" : "box: guide (no face found)"),
                runtimeName,
            };
            runOnUiThread(new Runnable() {
                @Override
                public void run() {
                    overlay.show(frame, shownBox, result.keypoints, status);
                }
            });
        } catch (RuntimeException e) {
            onCameraError("Landmark inference failed: " + e.getMessage());
        }
    }

    @Override
    public void onCameraError(final String message) {
        runOnUiThread(new Runnable() {
            @Override
            public void run() {
                overlay.showMessage(message);
            }
        });
    }
}
