package org.edgelmk.core;

/** Argmax decode, optionally moved a quarter pixel toward the higher neighbour ({@code GaussianCodec}). */
public final class GaussianDecoder extends HeatmapDecoder {
    private final boolean quarterShift;

    public GaussianDecoder(int[] inputHw, int[] heatmapHw, boolean quarterShift) {
        super(inputHw, heatmapHw);
        this.quarterShift = quarterShift;
    }

    @Override
    public String name() {
        return "gaussian";
    }

    @Override
    protected double locate(double[] map, double[] xy) {
        int best = argmax(map);
        int x = best % heatmapWidth;
        int y = best / heatmapWidth;
        xy[0] = x;
        xy[1] = y;
        if (quarterShift) {
            if (x > 0 && x < heatmapWidth - 1) {
                xy[0] += 0.25 * Math.signum(map[best + 1] - map[best - 1]);
            }
            if (y > 0 && y < heatmapHeight - 1) {
                xy[1] += 0.25 * Math.signum(map[best + heatmapWidth] - map[best - heatmapWidth]);
            }
        }
        return map[best];
    }
}
