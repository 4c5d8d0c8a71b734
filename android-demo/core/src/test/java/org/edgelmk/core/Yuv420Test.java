package org.edgelmk.core;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class Yuv420Test {
    /** A 4x2 frame whose luma encodes the pixel index, neutral chroma (grey pixels). */
    private static int[] convert(int rotation, boolean mirror) {
        int width = 4;
        int height = 2;
        byte[] luma = new byte[width * height];
        for (int i = 0; i < luma.length; i++) {
            luma[i] = (byte) (10 * i);
        }
        byte[] chroma = {(byte) 128, (byte) 128, (byte) 128, (byte) 128};
        Yuv420.Plane y = new Yuv420.Plane(luma, width, 1);
        Yuv420.Plane uv = new Yuv420.Plane(chroma, 2, 1);
        int[] out = new int[width * height];
        Yuv420.toArgb(y, uv, uv, width, height, rotation, mirror, out);
        int[] lumaOut = new int[out.length];
        for (int i = 0; i < out.length; i++) {
            assertEquals("grey stays grey", out[i] & 0xFF, (out[i] >> 16) & 0xFF);
            lumaOut[i] = (out[i] & 0xFF) / 10;
        }
        return lumaOut;
    }

    @Test
    public void turnsClockwiseAndMirrors() {
        // frame indices:  0 1 2 3 / 4 5 6 7
        org.junit.Assert.assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, convert(0, false));
        org.junit.Assert.assertArrayEquals(new int[] {4, 0, 5, 1, 6, 2, 7, 3}, convert(90, false));
        org.junit.Assert.assertArrayEquals(new int[] {7, 6, 5, 4, 3, 2, 1, 0}, convert(180, false));
        org.junit.Assert.assertArrayEquals(new int[] {3, 7, 2, 6, 1, 5, 0, 4}, convert(270, false));
        org.junit.Assert.assertArrayEquals(new int[] {0, 4, 1, 5, 2, 6, 3, 7}, convert(90, true));
    }

    @Test
    public void fullRangeBt601Colours() {
        assertEquals(0xFFFF0000 & 0xFFF00000, Yuv420.rgb(76, 85, 255) & 0xFFF00000);  // red
        assertEquals(0xFF000000 | 128 << 16 | 128 << 8 | 128, Yuv420.rgb(128, 128, 128));
    }
}
