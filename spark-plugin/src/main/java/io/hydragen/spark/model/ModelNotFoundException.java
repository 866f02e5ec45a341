package io.hydragen.spark.model;

/** The model a job names does not exist (or is not a model directory); raised on the driver before any task runs. */
public final class ModelNotFoundException extends IllegalArgumentException {
    public ModelNotFoundException(String message) { super(message); }
}
