package io.hydragen.model;

/**
 * A model that cannot be used: a missing file, an unsupported architecture, a corrupt or lying
 * safetensors header, a missing or mis-shaped tensor. The message names the file and the problem in
 * one line, so the CLI and Spark can show it as is.
 */
public class ModelException extends RuntimeException {
    public ModelException(String message) { super(message); }

    public ModelException(String message, Throwable cause) { super(message, cause); }
}
