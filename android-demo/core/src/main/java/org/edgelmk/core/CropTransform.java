package org.edgelmk.core;

/**
 * The square crop around a box that the model sees, as {@code edgelmk.preprocess.crop_matrix} makes
 * it for training and the runtime (no jitter, no rotation): side {@code max(box w, h, 1) * (1 + margin)},
 * centred on the box.
 *
 * <p>{@link #warp} resamples the frame like OpenCV 4.11's {@code warpAffine} (INTER_LINEAR,
 * BORDER_CONSTANT 0) including its fixed-point arithmetic (5 fractional bits per coordinate,
 * 15-bit weights), so a crop equals the Python runtime's crop pixel for pixel.
 */
public final class CropTransform {
    private static final int INTER_BITS = 5;
    private static final int INTER_TAB_SIZE = 1 << INTER_BITS;
    private static final int AB_BITS = 10;
    private static final int AB_SCALE = 1 << AB_BITS;
    private static final int ROUND_DELTA = AB_SCALE / INTER_TAB_SIZE / 2;

    /** Frame pixels to crop pixels: {@code [a, b, c, d, e, f]} maps (x, y) to (a x + b y + c, d x + e y + f). */
    public final double[] matrix;
    public final int outputHeight;
    public final int outputWidth;

    public CropTransform(double[] matrix, int outputHeight, int outputWidth) {
        if (matrix.length != 6) {
            throw new IllegalArgumentException("an affine matrix has 6 entries (2 rows of 3), got " + matrix.length);
        }
        this.matrix = matrix.clone();
        this.outputHeight = outputHeight;
        this.outputWidth = outputWidth;
    }

    /**
     * The crop of box (x0, y0, x1, y1), frame pixels, at the model's input size. The box is
     * rounded to float32 first, as the Python runtime stores boxes.
     *
     * @throws IllegalArgumentException when x1 <= x0 or y1 <= y0
     */
    public static CropTransform forBox(double x0, double y0, double x1, double y1, double margin,
                                       int outputHeight, int outputWidth) {
        if (!(x1 > x0) || !(y1 > y0)) {
            throw new IllegalArgumentException("box must be x0, y0, x1, y1 with x1 > x0 and y1 > y0, got "
                    + x0 + ", " + y0 + ", " + x1 + ", " + y1);
        }
        x0 = (float) x0;
        y0 = (float) y0;
        x1 = (float) x1;
        y1 = (float) y1;
        double side = Math.max(Math.max(x1 - x0, y1 - y0), 1.0) * (1 + margin);
        double scale = Math.min(outputHeight, outputWidth) / side;
        double centreX = (x0 + x1) / 2;
        double centreY = (y0 + y1) / 2;
        double[] m = {scale, 0.0, (outputWidth - 1) / 2.0 - scale * centreX,
                      0.0, scale, (outputHeight - 1) / 2.0 - scale * centreY};
        return new CropTransform(m, outputHeight, outputWidth);
    }

    /** The inverse matrix (crop pixels to frame pixels), same layout as {@link #matrix}. */
    public double[] inverse() {
        double[] m = matrix;
        double det = m[0] * m[4] - m[1] * m[3];
        if (Math.abs(det) < 1e-12) {
            throw new IllegalArgumentException("the crop matrix is singular (zero scale?)");
        }
        double d = 1.0 / det;
        double a11 = m[4] * d;
        double a22 = m[0] * d;
        double a12 = -m[1] * d;
        double a21 = -m[3] * d;
        return new double[] {a11, a12, -a11 * m[2] - a12 * m[5], a21, a22, -a21 * m[2] - a22 * m[5]};
    }

    /** Keypoints in crop pixels to a new set in frame pixels (scores copied). */
    public Keypoints toFrame(Keypoints crop) {
        double[] inv = inverse();
        Keypoints frame = new Keypoints(crop.count());
        for (int k = 0; k < crop.count(); k++) {
            double x = crop.x[k];
            double y = crop.y[k];
            frame.x[k] = (float) (inv[0] * x + inv[1] * y + inv[2]);
            frame.y[k] = (float) (inv[3] * x + inv[4] * y + inv[5]);
            frame.scores[k] = crop.scores[k];
        }
        return frame;
    }

    /**
     * Resamples an ARGB frame into the crop.
     *
     * @param argb frame pixels, row-major, {@code 0xAARRGGBB} (Android's Bitmap.getPixels layout)
     * @param rgb receives outputHeight * outputWidth * 3 bytes, RGB, row-major (unsigned values)
     */
    public void warp(int[] argb, int width, int height, byte[] rgb) {
        if (argb.length < width * height) {
            throw new IllegalArgumentException("frame holds " + argb.length + " pixels, " + width + "x" + height
                    + " needs " + width * height);
        }
        if (rgb.length != outputHeight * outputWidth * 3) {
            throw new IllegalArgumentException("crop buffer holds " + rgb.length + " bytes, needs "
                    + outputHeight * outputWidth * 3);
        }
        double[] inv = inverse();
        int[] deltaX = new int[outputWidth];
        int[] deltaY = new int[outputWidth];
        for (int u = 0; u < outputWidth; u++) {
            deltaX[u] = roundToInt(inv[0] * u * AB_SCALE);
            deltaY[u] = roundToInt(inv[3] * u * AB_SCALE);
        }
        int out = 0;
        for (int v = 0; v < outputHeight; v++) {
            int rowX = roundToInt((inv[1] * v + inv[2]) * AB_SCALE) + ROUND_DELTA;
            int rowY = roundToInt((inv[4] * v + inv[5]) * AB_SCALE) + ROUND_DELTA;
            for (int u = 0; u < outputWidth; u++) {
                int fixedX = (rowX + deltaX[u]) >> (AB_BITS - INTER_BITS);
                int fixedY = (rowY + deltaY[u]) >> (AB_BITS - INTER_BITS);
                int sx = fixedX >> INTER_BITS;
                int sy = fixedY >> INTER_BITS;
                int fx = fixedX & (INTER_TAB_SIZE - 1);
                int fy = fixedY & (INTER_TAB_SIZE - 1);
                // OpenCV's bilinear table entries are exact here: 32 * (32 - f) * (32 - g) etc., summing to 2^15
                int w00 = 32 * (INTER_TAB_SIZE - fx) * (INTER_TAB_SIZE - fy);
                int w01 = 32 * fx * (INTER_TAB_SIZE - fy);
                int w10 = 32 * (INTER_TAB_SIZE - fx) * fy;
                int w11 = 32 * fx * fy;
                int p00 = pixel(argb, width, height, sx, sy);
                int p01 = pixel(argb, width, height, sx + 1, sy);
                int p10 = pixel(argb, width, height, sx, sy + 1);
                int p11 = pixel(argb, width, height, sx + 1, sy + 1);
                for (int shift = 16; shift >= 0; shift -= 8) {
                    int sum = ((p00 >> shift) & 0xFF) * w00 + ((p01 >> shift) & 0xFF) * w01
                            + ((p10 >> shift) & 0xFF) * w10 + ((p11 >> shift) & 0xFF) * w11;
                    rgb[out++] = (byte) ((sum + (1 << 14)) >> 15);
                }
            }
        }
    }

    /** The pixel, or black (the constant border) outside the frame. */
    private static int pixel(int[] argb, int width, int height, int x, int y) {
        return x >= 0 && y >= 0 && x < width && y < height ? argb[y * width + x] : 0;
    }

    /** OpenCV's saturate_cast&lt;int&gt;(double): round half to even, clamped to the int range. */
    private static int roundToInt(double value) {
        double rounded = Math.rint(value);
        return rounded >= Integer.MAX_VALUE ? Integer.MAX_VALUE
                : rounded <= Integer.MIN_VALUE ? Integer.MIN_VALUE : (int) rounded;
    }
}
