package org.edgelmk.demo;

import java.nio.ByteBuffer;
import org.edgelmk.core.LandmarkInterpreter;
import org.edgelmk.core.ModelSpec;
import org.edgelmk.core.TensorSpec;

/**
 * The offline build has no TFLite runtime (it is not packaged by Debian): this stand-in takes the
 * tensor shapes from model.json and answers with one fixed peak per keypoint on a ring, so that
 * camera, crop, decode and overlay run end to end. The screen says the dots are not predictions.
 */
final class Interpreters {
    static final String DESCRIPTION = "STAND-IN interpreter (offline build): dots are NOT predictions";

    private Interpreters() {
    }

    static LandmarkInterpreter open(ByteBuffer model, final ModelSpec spec, int threads) {
        return new LandmarkInterpreter() {
            @Override
            public int[] inputShape() {
                return spec.input.shape;
            }

            @Override
            public TensorSpec.DataType inputType() {
                return spec.input.type;
            }

            @Override
            public int[] outputShape() {
                return spec.output.shape;
            }

            @Override
            public TensorSpec.DataType outputType() {
                return spec.output.type;
            }

            @Override
            public void run(ByteBuffer input, ByteBuffer output) {
                int height = spec.output.shape[1];
                int width = spec.output.shape[2];
                int count = spec.output.shape[3];
                boolean quantized = spec.output.type != TensorSpec.DataType.FLOAT32;
                int top = spec.output.type == TensorSpec.DataType.UINT8 ? 255 : 127;
                byte low = (byte) spec.output.zeroPoint;
                byte high = (byte) Math.min(spec.output.zeroPoint + 100, top);
                for (int pixel = 0; pixel < height * width; pixel++) {
                    for (int k = 0; k < count; k++) {
                        double angle = 2 * Math.PI * k / count;
                        int x = (int) Math.round((width - 1) / 2.0 * (1 + 0.6 * Math.cos(angle)));
                        int y = (int) Math.round((height - 1) / 2.0 * (1 + 0.6 * Math.sin(angle)));
                        boolean peak = pixel == y * width + x;
                        if (quantized) {
                            output.put(peak ? high : low);
                        } else {
                            output.putFloat(peak ? 1f : 0f);
                        }
                    }
                }
            }

            @Override
            public void close() {
            }
        };
    }
}
