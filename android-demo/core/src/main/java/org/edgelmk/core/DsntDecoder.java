package org.edgelmk.core;

/**
 * DSNT soft-argmax ({@code DSNTCodec}, Nibali et al. 2018): softmax over all pixels of a logit
 * map, then the expected pixel-centre position; the score is the peak probability. It has no
 * integer decode: int8 logits are dequantized first, exactly as the Python runtime does.
 */
public final class DsntDecoder extends HeatmapDecoder {
    public DsntDecoder(int[] inputHw, int[] heatmapHw) {
        super(inputHw, heatmapHw);
    }

    @Override
    public String name() {
        return "dsnt";
    }

    @Override
    public boolean decodesInt8() {
        return false;
    }

    @Override
    protected double locate(double[] logits, double[] xy) {
        double max = logits[argmax(logits)];
        double total = 0;
        double[] probabilities = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            probabilities[i] = Math.exp(logits[i] - max);
            total += probabilities[i];
        }
        double x = 0;
        double y = 0;
        double peak = 0;
        for (int i = 0; i < probabilities.length; i++) {
            double p = probabilities[i] / total;
            x += p * (i % heatmapWidth);
            y += p * (i / heatmapWidth);
            peak = Math.max(peak, p);
        }
        xy[0] = x;
        xy[1] = y;
        return peak;
    }
}
