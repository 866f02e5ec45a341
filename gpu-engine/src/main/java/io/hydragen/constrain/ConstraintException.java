package io.hydragen.constrain;

/** A constraint that cannot be compiled: bad syntax, an unsupported regex feature or JSON Schema keyword. */
public class ConstraintException extends IllegalArgumentException {
    public ConstraintException(String message) { super(message); }
}
