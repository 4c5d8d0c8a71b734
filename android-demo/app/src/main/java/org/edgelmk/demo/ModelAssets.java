package org.edgelmk.demo;

import android.content.res.AssetManager;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import org.edgelmk.core.ModelSpec;
import org.edgelmk.core.ModelSpecException;

/** Reads model.tflite and model.json from the APK's assets, with messages that say how to fix a problem. */
final class ModelAssets {
    static final String MODEL = "model.tflite";
    static final String SIDECAR = "model.json";

    final ModelSpec spec;
    final ByteBuffer model;

    private ModelAssets(ModelSpec spec, ByteBuffer model) {
        this.spec = spec;
        this.model = model;
    }

    static ModelAssets load(AssetManager assets) throws ModelSpecException {
        byte[] sidecar = read(assets, SIDECAR);
        ModelSpec spec = ModelSpec.parse(new String(sidecar, Charset.forName("UTF-8")), "assets/" + SIDECAR);
        spec.requireTfliteImageModel();
        byte[] model = read(assets, MODEL);
        if (model.length < 8 || model[4] != 'T' || model[5] != 'F' || model[6] != 'L' || model[7] != '3') {
            throw new ModelSpecException("assets/" + MODEL + " is not a TFLite flatbuffer; copy the model.tflite "
                    + "written by `edgelmk export --target tflite --int8`");
        }
        ByteBuffer buffer = ByteBuffer.allocateDirect(model.length).order(ByteOrder.nativeOrder());
        buffer.put(model);
        buffer.rewind();
        return new ModelAssets(spec, buffer);
    }

    private static byte[] read(AssetManager assets, String name) throws ModelSpecException {
        InputStream in = null;
        try {
            in = assets.open(name);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] chunk = new byte[1 << 16];
            int count;
            while ((count = in.read(chunk)) > 0) {
                out.write(chunk, 0, count);
            }
            return out.toByteArray();
        } catch (FileNotFoundException e) {
            throw new ModelSpecException("assets/" + name + " is missing: copy model.tflite and model.json from "
                    + "`edgelmk export --target tflite --int8 --out DIR` into android-demo/app/src/main/assets "
                    + "and rebuild (android-demo/README.md)");
        } catch (IOException e) {
            throw new ModelSpecException("cannot read assets/" + name + ": " + e.getMessage());
        } finally {
            if (in != null) {
                try {
                    in.close();
                } catch (IOException ignored) {
                    // nothing was written; a failed close loses nothing
                }
            }
        }
    }
}
