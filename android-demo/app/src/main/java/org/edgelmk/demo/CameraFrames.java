package org.edgelmk.demo;

import android.content.Context;
import android.graphics.ImageFormat;
import android.hardware.camera2.CameraAccessException;
import android.hardware.camera2.CameraCaptureSession;
import android.hardware.camera2.CameraCharacteristics;
import android.hardware.camera2.CameraDevice;
import android.hardware.camera2.CameraManager;
import android.hardware.camera2.CaptureRequest;
import android.hardware.camera2.params.StreamConfigurationMap;
import android.media.Image;
import android.media.ImageReader;
import android.os.Handler;
import android.util.Size;
import java.nio.ByteBuffer;
import java.util.Collections;
import org.edgelmk.core.Yuv420;

/**
 * Camera2 frames as upright ARGB pixels: the front camera (else the first one), YUV frames near
 * 640x480 through an ImageReader, converted on the background handler's thread.
 */
final class CameraFrames {
    /** Receives frames and failures on the background thread. */
    interface Listener {
        void onFrame(int[] argb, int width, int height);

        void onCameraError(String message);
    }

    private static final int WANTED_PIXELS = 640 * 480;

    private final CameraManager manager;
    private final Handler handler;
    private final Listener listener;
    private CameraDevice camera;
    private ImageReader reader;
    private int rotation;
    private boolean mirror;
    private final byte[][] planes = new byte[3][];
    private int[] argb;

    CameraFrames(Context context, Handler handler, Listener listener) {
        this.manager = (CameraManager) context.getSystemService(Context.CAMERA_SERVICE);
        this.handler = handler;
        this.listener = listener;
    }

    /** Opens the camera; the CAMERA permission must be granted. */
    void start() throws CameraAccessException {
        String[] ids = manager.getCameraIdList();
        if (ids.length == 0) {
            listener.onCameraError("This device reports no camera.");
            return;
        }
        String chosen = ids[0];
        for (String id : ids) {
            Integer facing = manager.getCameraCharacteristics(id).get(CameraCharacteristics.LENS_FACING);
            if (facing != null && facing == CameraCharacteristics.LENS_FACING_FRONT) {
                chosen = id;
                break;
            }
        }
        CameraCharacteristics characteristics = manager.getCameraCharacteristics(chosen);
        Integer sensorOrientation = characteristics.get(CameraCharacteristics.SENSOR_ORIENTATION);
        Integer facing = characteristics.get(CameraCharacteristics.LENS_FACING);
        rotation = sensorOrientation == null ? 0 : sensorOrientation;
        mirror = facing != null && facing == CameraCharacteristics.LENS_FACING_FRONT;
        Size size = closestSize(characteristics.get(CameraCharacteristics.SCALER_STREAM_CONFIGURATION_MAP));
        reader = ImageReader.newInstance(size.getWidth(), size.getHeight(), ImageFormat.YUV_420_888, 2);
        reader.setOnImageAvailableListener(new ImageReader.OnImageAvailableListener() {
            @Override
            public void onImageAvailable(ImageReader source) {
                deliver(source);
            }
        }, handler);
        manager.openCamera(chosen, new CameraDevice.StateCallback() {
            @Override
            public void onOpened(CameraDevice device) {
                camera = device;
                startSession();
            }

            @Override
            public void onDisconnected(CameraDevice device) {
                device.close();
                camera = null;
            }

            @Override
            public void onError(CameraDevice device, int error) {
                device.close();
                camera = null;
                listener.onCameraError("The camera failed to open (Camera2 error " + error
                        + "). Close other apps that use the camera and reopen this one.");
            }
        }, handler);
    }

    void stop() {
        if (camera != null) {
            camera.close();
            camera = null;
        }
        if (reader != null) {
            reader.close();
            reader = null;
        }
    }

    private static Size closestSize(StreamConfigurationMap map) {
        Size best = null;
        for (Size size : map.getOutputSizes(ImageFormat.YUV_420_888)) {
            if (best == null || Math.abs(size.getWidth() * size.getHeight() - WANTED_PIXELS)
                    < Math.abs(best.getWidth() * best.getHeight() - WANTED_PIXELS)) {
                best = size;
            }
        }
        return best;
    }

    private void startSession() {
        try {
            camera.createCaptureSession(Collections.singletonList(reader.getSurface()),
                    new CameraCaptureSession.StateCallback() {
                        @Override
                        public void onConfigured(CameraCaptureSession session) {
                            if (camera == null) {
                                return;
                            }
                            try {
                                CaptureRequest.Builder request = camera.createCaptureRequest(CameraDevice.TEMPLATE_PREVIEW);
                                request.addTarget(reader.getSurface());
                                session.setRepeatingRequest(request.build(), null, handler);
                            } catch (CameraAccessException e) {
                                listener.onCameraError("The camera stopped: " + e.getMessage());
                            }
                        }

                        @Override
                        public void onConfigureFailed(CameraCaptureSession session) {
                            listener.onCameraError("The camera refused the YUV stream this demo needs.");
                        }
                    }, handler);
        } catch (CameraAccessException e) {
            listener.onCameraError("The camera stopped: " + e.getMessage());
        }
    }

    private void deliver(ImageReader source) {
        Image image = source.acquireLatestImage();
        if (image == null) {
            return;
        }
        int width = image.getWidth();
        int height = image.getHeight();
        Image.Plane[] imagePlanes = image.getPlanes();
        Yuv420.Plane[] yuv = new Yuv420.Plane[3];
        for (int i = 0; i < 3; i++) {
            ByteBuffer buffer = imagePlanes[i].getBuffer();
            if (planes[i] == null || planes[i].length != buffer.remaining()) {
                planes[i] = new byte[buffer.remaining()];
            }
            buffer.get(planes[i]);
            yuv[i] = new Yuv420.Plane(planes[i], imagePlanes[i].getRowStride(), imagePlanes[i].getPixelStride());
        }
        image.close();
        if (argb == null || argb.length != width * height) {
            argb = new int[width * height];
        }
        Yuv420.toArgb(yuv[0], yuv[1], yuv[2], width, height, rotation, mirror, argb);
        listener.onFrame(argb, Yuv420.uprightWidth(width, height, rotation), Yuv420.uprightHeight(width, height, rotation));
    }
}
