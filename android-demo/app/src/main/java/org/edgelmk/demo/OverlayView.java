package org.edgelmk.demo;

import android.content.Context;
import android.graphics.Bitmap;
import android.graphics.Canvas;
import android.graphics.Color;
import android.graphics.Paint;
import android.graphics.RectF;
import android.view.View;
import java.util.Collections;
import java.util.List;
import org.edgelmk.core.FaceTracker;
import org.edgelmk.core.Keypoints;

/**
 * Draws the latest analysed frame, each face's box, track id and keypoints, and the timings; or a
 * message in place of all that (missing model, permission denied, camera error).
 */
final class OverlayView extends View {
    private final Paint points = new Paint(Paint.ANTI_ALIAS_FLAG);
    private final Paint box = new Paint(Paint.ANTI_ALIAS_FLAG);
    private final Paint text = new Paint(Paint.ANTI_ALIAS_FLAG);
    private final RectF target = new RectF();

    private Bitmap frame;
    private List<FaceTracker.Face> faces = Collections.emptyList();
    private String[] status = new String[0];
    private String message;

    OverlayView(Context context) {
        super(context);
        points.setColor(Color.rgb(0, 230, 118));
        box.setColor(Color.YELLOW);
        box.setStyle(Paint.Style.STROKE);
        box.setStrokeWidth(3);
        text.setColor(Color.WHITE);
        text.setTextSize(36);
        text.setShadowLayer(4, 0, 0, Color.BLACK);
        setBackgroundColor(Color.BLACK);
    }

    /** Shows a frame with its results (called on the UI thread). */
    void show(Bitmap frame, List<FaceTracker.Face> faces, String[] status) {
        this.frame = frame;
        this.faces = faces;
        this.status = status;
        this.message = null;
        invalidate();
    }

    /** Replaces everything with a message (called on the UI thread). */
    void showMessage(String message) {
        this.message = message;
        invalidate();
    }

    @Override
    protected void onDraw(Canvas canvas) {
        if (message != null) {
            drawWrapped(canvas, message);
            return;
        }
        if (frame == null) {
            return;
        }
        float scale = Math.min((float) getWidth() / frame.getWidth(), (float) getHeight() / frame.getHeight());
        float left = (getWidth() - frame.getWidth() * scale) / 2;
        float top = (getHeight() - frame.getHeight() * scale) / 2;
        target.set(left, top, left + frame.getWidth() * scale, top + frame.getHeight() * scale);
        canvas.drawBitmap(frame, null, target, null);
        float radius = Math.max(3, 2 * scale);
        for (FaceTracker.Face face : faces) {
            canvas.drawRect(left + (float) face.box[0] * scale, top + (float) face.box[1] * scale,
                    left + (float) face.box[2] * scale, top + (float) face.box[3] * scale, box);
            canvas.drawText(String.valueOf(face.id), left + (float) face.box[0] * scale,
                    top + (float) face.box[1] * scale - 8, text);
            Keypoints keypoints = face.keypoints;
            for (int k = 0; k < keypoints.count(); k++) {
                canvas.drawCircle(left + keypoints.x[k] * scale, top + keypoints.y[k] * scale, radius, points);
            }
        }
        float line = text.getTextSize() * 1.25f;
        for (int i = 0; i < status.length; i++) {
            canvas.drawText(status[i], 24, 24 + line * (i + 1), text);
        }
    }

    private void drawWrapped(Canvas canvas, String content) {
        float width = getWidth() - 48;
        float y = getHeight() / 3f;
        float line = text.getTextSize() * 1.3f;
        StringBuilder current = new StringBuilder();
        for (String word : content.split(" ")) {
            if (current.length() > 0 && text.measureText(current + " " + word) > width) {
                canvas.drawText(current.toString(), 24, y, text);
                y += line;
                current.setLength(0);
            }
            current.append(current.length() > 0 ? " " : "").append(word);
        }
        canvas.drawText(current.toString(), 24, y, text);
    }
}
