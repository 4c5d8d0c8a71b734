package org.edgelmk.core;

/** A model.json that is missing, malformed, or does not match the model file; the message says how to fix it. */
public class ModelSpecException extends Exception {
    private static final long serialVersionUID = 1L;

    public ModelSpecException(String message) {
        super(message);
    }
}
