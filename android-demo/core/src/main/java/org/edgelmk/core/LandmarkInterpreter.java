package org.edgelmk.core;

import java.nio.ByteBuffer;

/**
 * The one thing the core needs from an inference engine: run one input tensor into one output
 * tensor. The app implements it with TensorFlow Lite / LiteRT; the offline build with a stand-in.
 */
public interface LandmarkInterpreter {
    /** Input shape, e.g. {1, 64, 64, 3}. */
    int[] inputShape();

    TensorSpec.DataType inputType();

    /** Output shape, e.g. {1, 16, 16, 68}. */
    int[] outputShape();

    TensorSpec.DataType outputType();

    /** Runs the model; both buffers are positioned at 0, in native byte order. */
    void run(ByteBuffer input, ByteBuffer output);

    /** Frees native resources. */
    void close();
}
