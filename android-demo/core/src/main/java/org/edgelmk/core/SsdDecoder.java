package org.edgelmk.core;

import java.util.ArrayList;
import java.util.List;

/**
 * MediaPipe's single-shot detector outputs to detections, as
 * {@code edgelmk.runtime.detectors.mediapipe.SsdDetector.decode} (tested against it): anchors on
 * grids per stride, box and keypoint offsets in input pixels, sigmoid scores, weighted NMS,
 * and the letterboxed input mapped back to frame pixels.
 */
public final class SsdDecoder {
    /** One detection: box x0, y0, x1, y1 and keypoints x0, y0, x1, y1, ... in frame pixels. */
    public static final class Detection {
        public final double[] box;
        public final double score;
        public final double[] keypoints;

        Detection(double[] box, double score, double[] keypoints) {
            this.box = box;
            this.score = score;
            this.keypoints = keypoints;
        }
    }

    public final int inputSize;
    public final int keypointCount;
    private final double minScore;
    private final double nmsIou;
    private final float[] anchors;  // x, y per anchor, units of the input side

    public SsdDecoder(int inputSize, int[] strides, int anchorsPerLayer, int keypointCount, double minScore,
                      double nmsIou) {
        this.inputSize = inputSize;
        this.keypointCount = keypointCount;
        this.minScore = minScore;
        this.nmsIou = nmsIou;
        List<float[]> centres = new ArrayList<float[]>();
        for (int i = 0; i < strides.length; i++) {
            if (i > 0 && strides[i] == strides[i - 1]) {
                continue;  // layers of one stride share a grid
            }
            int layers = 0;
            for (int stride : strides) {
                layers += stride == strides[i] ? 1 : 0;
            }
            int cells = (inputSize + strides[i] - 1) / strides[i];
            for (int row = 0; row < cells; row++) {
                for (int column = 0; column < cells; column++) {
                    for (int a = 0; a < anchorsPerLayer * layers; a++) {
                        centres.add(new float[] {(float) ((column + 0.5) / cells), (float) ((row + 0.5) / cells)});
                    }
                }
            }
        }
        anchors = new float[centres.size() * 2];
        for (int i = 0; i < centres.size(); i++) {
            anchors[2 * i] = centres.get(i)[0];
            anchors[2 * i + 1] = centres.get(i)[1];
        }
    }

    /** BlazeFace short range ({@code face_detection_short_range.tflite}): 128 x 128, 896 anchors, 6 keypoints. */
    public static SsdDecoder blazeFace() {
        return new SsdDecoder(128, new int[] {8, 16, 16, 16}, 2, 6, 0.5, 0.3);
    }

    public int anchorCount() {
        return anchors.length / 2;
    }

    /** The frame to input matrix {a, b, c, d, e, f}: the whole frame scaled to fit the square, centred. */
    public double[] letterbox(int height, int width) {
        double scale = (double) inputSize / Math.max(height, width);
        return new double[] {scale, 0, (inputSize - width * scale + scale - 1) / 2,
                             0, scale, (inputSize - height * scale + scale - 1) / 2};
    }

    /**
     * Detections, best first.
     *
     * @param regressions anchorCount x (4 + 2 keypointCount) values, as the model writes them
     * @param logits anchorCount scores before the sigmoid
     * @param matrix the {@link #letterbox} matrix the input was made with
     */
    public List<Detection> decode(float[] regressions, float[] logits, double[] matrix) {
        int width = 4 + 2 * keypointCount;
        List<Integer> kept = new ArrayList<Integer>();
        List<Double> scores = new ArrayList<Double>();
        for (int i = 0; i < anchorCount(); i++) {
            double score = 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, (double) logits[i]))));
            if (score >= minScore) {
                kept.add(i);
                scores.add(score);
            }
        }
        int n = kept.size();
        float[][] boxes = new float[n][4];
        float[][] points = new float[n][2 * keypointCount];
        for (int j = 0; j < n; j++) {
            int i = kept.get(j);
            float anchorX = anchors[2 * i] * inputSize;
            float anchorY = anchors[2 * i + 1] * inputSize;
            int at = i * width;
            float centreX = anchorX + regressions[at];
            float centreY = anchorY + regressions[at + 1];
            float halfWidth = regressions[at + 2] / 2;
            float halfHeight = regressions[at + 3] / 2;
            boxes[j] = new float[] {centreX - halfWidth, centreY - halfHeight,
                                    centreX + halfWidth, centreY + halfHeight};
            for (int k = 0; k < keypointCount; k++) {
                points[j][2 * k] = anchorX + regressions[at + 4 + 2 * k];
                points[j][2 * k + 1] = anchorY + regressions[at + 5 + 2 * k];
            }
        }
        return weightedNms(boxes, scores, points, inverse(matrix));
    }

    private List<Detection> weightedNms(float[][] boxes, List<Double> scores, float[][] points, double[] toFrame) {
        List<Integer> order = new ArrayList<Integer>();
        for (int i = 0; i < boxes.length; i++) {
            order.add(i);
        }
        // stable sort by score, best first (as numpy's stable argsort of -score)
        java.util.Collections.sort(order, (java.util.Comparator<Integer>) new java.util.Comparator<Integer>() {
            public int compare(Integer a, Integer b) {
                return Double.compare(scores.get(b), scores.get(a));
            }
        });
        List<Detection> found = new ArrayList<Detection>();
        while (!order.isEmpty()) {
            float[] top = boxes[order.get(0)];
            List<Integer> members = new ArrayList<Integer>();
            List<Integer> rest = new ArrayList<Integer>();
            for (int i : order) {
                (iou(top, boxes[i]) > nmsIou ? members : rest).add(i);
            }
            if (members.isEmpty()) {
                members.add(order.get(0));
                rest.remove(order.get(0));
            }
            double total = 0;
            for (int i : members) {
                total += scores.get(i);
            }
            double[] box = new double[4];
            double[] keypoints = new double[2 * keypointCount];
            for (int i : members) {
                double weight = scores.get(i) / total;
                for (int c = 0; c < 4; c++) {
                    box[c] += weight * boxes[i][c];
                }
                for (int c = 0; c < keypoints.length; c++) {
                    keypoints[c] += weight * points[i][c];
                }
            }
            double[] frameBox = new double[4];
            mapPoint(toFrame, box[0] - 0.5, box[1] - 0.5, frameBox, 0);
            mapPoint(toFrame, box[2] - 0.5, box[3] - 0.5, frameBox, 2);
            double[] frameKeypoints = new double[keypoints.length];
            for (int k = 0; k < keypointCount; k++) {
                mapPoint(toFrame, keypoints[2 * k] - 0.5, keypoints[2 * k + 1] - 0.5, frameKeypoints, 2 * k);
            }
            found.add(new Detection(frameBox, scores.get(order.get(0)), frameKeypoints));
            order = rest;
        }
        return found;
    }

    private static void mapPoint(double[] m, double x, double y, double[] out, int at) {
        out[at] = (float) (m[0] * x + m[1] * y + m[2]);
        out[at + 1] = (float) (m[3] * x + m[4] * y + m[5]);
    }

    private static double[] inverse(double[] m) {
        double det = m[0] * m[4] - m[1] * m[3];
        double a = m[4] / det;
        double b = -m[1] / det;
        double d = -m[3] / det;
        double e = m[0] / det;
        return new double[] {a, b, -(a * m[2] + b * m[5]), d, e, -(d * m[2] + e * m[5])};
    }

    private static double iou(float[] a, float[] b) {
        double width = Math.max(Math.min(a[2], b[2]) - Math.max(a[0], b[0]), 0);
        double height = Math.max(Math.min(a[3], b[3]) - Math.max(a[1], b[1]), 0);
        double inter = width * height;
        double union = (double) (a[2] - a[0]) * (a[3] - a[1]) + (double) (b[2] - b[0]) * (b[3] - b[1]) - inter;
        return inter / Math.max(union, 1e-9);
    }
}
