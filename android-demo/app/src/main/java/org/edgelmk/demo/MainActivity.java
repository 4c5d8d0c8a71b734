package org.edgelmk.demo;

import android.Manifest;
import android.app.Activity;
import android.content.pm.PackageManager;
import android.graphics.Bitmap;
import android.hardware.camera2.CameraAccessException;
import android.os.Bundle;
import android.os.Handler;
import android.os.HandlerThread;
import java.util.List;
import java.util.Locale;
import org.edgelmk.core.FaceSmoother;
import org.edgelmk.core.FaceTracker;
import org.edgelmk.core.Keypoints;
import org.edgelmk.core.LandmarkPipeline;
import org.edgelmk.core.ModelSpecException;

/**
 * Camera -> faces (detector, then each face followed by its own landmarks: the core's FaceTracker,
 * as edgelmk's Python pipeline) -> landmark model -> One Euro filter -> overlay, with FPS and
 * stage timings. Every failure (missing or mismatched model, permission denied, camera error)
 * becomes a message on screen.
 */
public final class MainActivity extends Activity implements CameraFrames.Listener {
    private static final int CAMERA_REQUEST = 1;
    private static final int THREADS = 2;
    /** While faces are followed, the detector still runs every this many frames (new faces appear then). */
    private static final int REDETECT_EVERY = 30;
    /** A face is lost when its mean landmark score falls below this fraction of its score when found. */
    private static final double LOST_RATIO = 0.5;
    /** A face is detected again when its landmark box's width or height moves this fraction from its detector box's. */
    private static final double MAX_RESIZE = 0.25;
    /** Weight of the newest step in a face's velocity, which moves the next frame's box ahead. */
    private static final double BOX_MOTION = 0.5;

    private OverlayView overlay;
    private LandmarkPipeline pipeline;
    private String runtimeName;
    private HandlerThread worker;
    private CameraFrames camera;
    private FaceFinder finder;
    private final FaceTracker tracker = new FaceTracker(REDETECT_EVERY, LOST_RATIO, MAX_RESIZE, BOX_MOTION, true,
        new double[] {FaceSmoother.DEFAULT_MIN_CUTOFF, FaceSmoother.DEFAULT_BETA, FaceSmoother.DEFAULT_D_CUTOFF,
            FaceSmoother.DEFAULT_SHAPE_BETA});
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
            finder = Detectors.open(getAssets(), model.spec, THREADS);
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
        if (finder != null) {
            finder.close();
        }
        super.onDestroy();
    }

    @Override
    public void onFrame(final int[] argb, final int width, final int height) {
        try {
            final Bitmap frame = Bitmap.createBitmap(argb, width, height, Bitmap.Config.ARGB_8888);
            long now = System.nanoTime();
            double dt = lastFrameNanos == 0 ? 1 / 30.0 : (now - lastFrameNanos) / 1e9;
            double detectMs = 0;
            boolean detected = tracker.needsDetection();
            if (detected) {
                long start = System.nanoTime();
                tracker.detected(finder.find(argb, width, height));
                detectMs = (System.nanoTime() - start) / 1e6;
            }
            final double[] stageMs = new double[3];
            final List<FaceTracker.Face> faces = tracker.update(new FaceTracker.Landmarks() {
                @Override
                public Keypoints predict(double[] box) {
                    LandmarkPipeline.Result result = pipeline.run(argb, width, height, box);
                    stageMs[0] += result.preprocessMs;
                    stageMs[1] += result.inferenceMs;
                    stageMs[2] += result.decodeMs;
                    return result.keypoints;
                }
            }, width, height, dt);
            if (lastFrameNanos != 0) {
                fps = fps == 0 ? 1 / dt : 0.9 * fps + 0.1 / dt;
            }
            lastFrameNanos = now;
            final String[] status = {
                String.format(Locale.ROOT, "%.1f FPS, %d face(s)", fps, faces.size()),
                String.format(Locale.ROOT, "inference %.1f ms", stageMs[1]),
                String.format(Locale.ROOT, "crop %.1f ms, decode %.2f ms", stageMs[0], stageMs[2]),
                detected ? String.format(Locale.ROOT, "detect %.1f ms", detectMs) : "boxes from the landmarks",
                finder.description(),
                runtimeName,
            };
            runOnUiThread(new Runnable() {
                @Override
                public void run() {
                    overlay.show(frame, faces, status);
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
