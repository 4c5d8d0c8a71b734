package org.edgelmk.core;

/**
 * Camera frames (YUV 4:2:0 with row and pixel strides, Android's YUV_420_888 planes) to upright
 * ARGB pixels, rotated by the sensor orientation and optionally mirrored (front camera).
 * Colours use the full-range BT.601 (JFIF) matrix that Android cameras produce.
 */
public final class Yuv420 {
    private Yuv420() {
    }

    /** One plane: its bytes, the byte distance between rows and between neighbouring samples. */
    public static final class Plane {
        public final byte[] data;
        public final int rowStride;
        public final int pixelStride;

        public Plane(byte[] data, int rowStride, int pixelStride) {
            this.data = data;
            this.rowStride = rowStride;
            this.pixelStride = pixelStride;
        }

        int at(int column, int row) {
            return data[row * rowStride + column * pixelStride] & 0xFF;
        }
    }

    /** Width of the upright image for a sensor frame of width x height turned by rotationDegrees. */
    public static int uprightWidth(int width, int height, int rotationDegrees) {
        return rotationDegrees % 180 == 0 ? width : height;
    }

    /** Height of the upright image (see {@link #uprightWidth}). */
    public static int uprightHeight(int width, int height, int rotationDegrees) {
        return rotationDegrees % 180 == 0 ? height : width;
    }

    /**
     * Converts and turns a frame.
     *
     * @param width sensor frame width, pixels
     * @param height sensor frame height, pixels
     * @param rotationDegrees clockwise turn that makes the frame upright: 0, 90, 180 or 270
     * @param mirror flip the upright image left-right (selfie view)
     * @param argb receives uprightWidth * uprightHeight pixels {@code 0xFFRRGGBB}
     */
    public static void toArgb(Plane y, Plane u, Plane v, int width, int height, int rotationDegrees, boolean mirror,
                              int[] argb) {
        if (rotationDegrees % 90 != 0 || rotationDegrees < 0 || rotationDegrees >= 360) {
            throw new IllegalArgumentException("rotation must be 0, 90, 180 or 270 degrees, got " + rotationDegrees);
        }
        if (argb.length < width * height) {
            throw new IllegalArgumentException("output holds " + argb.length + " pixels, needs " + width * height);
        }
        int outWidth = uprightWidth(width, height, rotationDegrees);
        int outHeight = uprightHeight(width, height, rotationDegrees);
        for (int oy = 0; oy < outHeight; oy++) {
            for (int ox = 0; ox < outWidth; ox++) {
                int column = mirror ? outWidth - 1 - ox : ox;
                int sx;
                int sy;
                switch (rotationDegrees) {
                    case 90:
                        sx = oy;
                        sy = height - 1 - column;
                        break;
                    case 180:
                        sx = width - 1 - column;
                        sy = height - 1 - oy;
                        break;
                    case 270:
                        sx = width - 1 - oy;
                        sy = column;
                        break;
                    default:
                        sx = column;
                        sy = oy;
                }
                argb[oy * outWidth + ox] = rgb(y.at(sx, sy), u.at(sx / 2, sy / 2), v.at(sx / 2, sy / 2));
            }
        }
    }

    /** Full-range BT.601 in 16-bit fixed point. */
    static int rgb(int luma, int cb, int cr) {
        int d = cb - 128;
        int e = cr - 128;
        int r = clamp(luma + ((91881 * e + 32768) >> 16));
        int g = clamp(luma - ((22554 * d + 46802 * e + 32768) >> 16));
        int b = clamp(luma + ((116130 * d + 32768) >> 16));
        return 0xFF000000 | (r << 16) | (g << 8) | b;
    }

    private static int clamp(int value) {
        return value < 0 ? 0 : Math.min(value, 255);
    }
}
