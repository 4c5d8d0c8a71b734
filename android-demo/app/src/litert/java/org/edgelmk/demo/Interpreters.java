package org.edgelmk.demo;

import java.nio.ByteBuffer;
import org.edgelmk.core.LandmarkInterpreter;
import org.edgelmk.core.ModelSpec;
import org.edgelmk.core.TensorSpec;
import org.tensorflow.lite.DataType;
import org.tensorflow.lite.Interpreter;

/** The LiteRT (TensorFlow Lite) interpreter behind the core's LandmarkInterpreter (Gradle flavor "litert"). */
final class Interpreters {
    static final String DESCRIPTION = "LiteRT interpreter, CPU";

    private Interpreters() {
    }

    static LandmarkInterpreter open(ByteBuffer model, ModelSpec spec, int threads) {
        Interpreter.Options options = new Interpreter.Options();
        options.setNumThreads(threads);
        final Interpreter interpreter = new Interpreter(model, options);
        return new LandmarkInterpreter() {
            @Override
            public int[] inputShape() {
                return interpreter.getInputTensor(0).shape();
            }

            @Override
            public TensorSpec.DataType inputType() {
                return convert(interpreter.getInputTensor(0).dataType());
            }

            @Override
            public int[] outputShape() {
                return interpreter.getOutputTensor(0).shape();
            }

            @Override
            public TensorSpec.DataType outputType() {
                return convert(interpreter.getOutputTensor(0).dataType());
            }

            @Override
            public void run(ByteBuffer input, ByteBuffer output) {
                interpreter.run(input, output);
            }

            @Override
            public void close() {
                interpreter.close();
            }
        };
    }

    private static TensorSpec.DataType convert(DataType type) {
        switch (type) {
            case FLOAT32:
                return TensorSpec.DataType.FLOAT32;
            case INT8:
                return TensorSpec.DataType.INT8;
            case UINT8:
                return TensorSpec.DataType.UINT8;
            default:
                throw new IllegalArgumentException("the model uses " + type + " tensors; edgelmk exports use "
                        + "float32, int8 or uint8");
        }
    }
}
