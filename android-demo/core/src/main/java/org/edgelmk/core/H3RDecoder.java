package org.edgelmk.core;

/**
 * Randomized-rounding decode ({@code H3RCodec}, Yu & Tao, TPAMI 2021): the activation-weighted
 * mean of the points around the maximum ("window") or of the map's largest points ("topk"),
 * with negative activations clamped to 0; the argmax itself when every weight is 0.
 */
public final class H3RDecoder extends HeatmapDecoder {
    private final boolean topkMode;
    private final int radius;
    private final int topk;

    public H3RDecoder(int[] inputHw, int[] heatmapHw, String mode, int window, int topk) {
        super(inputHw, heatmapHw);
        if (!"window".equals(mode) && !"topk".equals(mode)) {
            throw new IllegalArgumentException("h3r decode must be window or topk, got '" + mode + "'");
        }
        if (window % 2 == 0) {
            throw new IllegalArgumentException("h3r window must be odd, got " + window);
        }
        if (topk > heatmapHw[0] * heatmapHw[1]) {
            throw new IllegalArgumentException("h3r topk=" + topk + " exceeds the heatmap's pixel count");
        }
        this.topkMode = "topk".equals(mode);
        this.radius = window / 2;
        this.topk = topk;
    }

    @Override
    public String name() {
        return "h3r";
    }

    @Override
    protected double locate(double[] map, double[] xy) {
        int best = argmax(map);
        double[] sums = topkMode ? topkSums(map) : windowSums(map, best % heatmapWidth, best / heatmapWidth);
        double total = sums[0];
        if (total > 0) {
            double reciprocal = 1.0 / total;
            xy[0] = sums[1] * reciprocal;
            xy[1] = sums[2] * reciprocal;
        } else {
            xy[0] = best % heatmapWidth;
            xy[1] = best / heatmapWidth;
        }
        return map[best];
    }

    /** {total, sum of w * column, sum of w * row} over the window at (x, y); outside pixels weigh 0. */
    private double[] windowSums(double[] map, int x, int y) {
        double total = 0;
        double sumX = 0;
        double sumY = 0;
        for (int row = y - radius; row <= y + radius; row++) {
            if (row < 0 || row >= heatmapHeight) {
                continue;
            }
            for (int column = x - radius; column <= x + radius; column++) {
                if (column < 0 || column >= heatmapWidth) {
                    continue;
                }
                double weight = Math.max(map[row * heatmapWidth + column], 0.0);
                total += weight;
                sumX += weight * column;
                sumY += weight * row;
            }
        }
        return new double[] {total, sumX, sumY};
    }

    /** Like {@link #windowSums} over the {@code topk} largest values (lowest index first on ties). */
    private double[] topkSums(double[] map) {
        int[] chosen = new int[topk];
        int filled = 0;
        for (int i = 0; i < map.length; i++) {
            // insertion into a list sorted by value descending, earlier indices first among equals
            int slot = filled;
            while (slot > 0 && map[i] > map[chosen[slot - 1]]) {
                slot--;
            }
            if (slot >= topk) {
                continue;
            }
            int end = Math.min(filled, topk - 1);
            System.arraycopy(chosen, slot, chosen, slot + 1, end - slot);
            chosen[slot] = i;
            filled = Math.min(filled + 1, topk);
        }
        double total = 0;
        double sumX = 0;
        double sumY = 0;
        for (int index : chosen) {
            double weight = Math.max(map[index], 0.0);
            total += weight;
            sumX += weight * (index % heatmapWidth);
            sumY += weight * (index / heatmapWidth);
        }
        return new double[] {total, sumX, sumY};
    }
}
