package io.hydragen.examples.notebooks;

/** An object of the runner's PySpark stand-ins: attribute access (methods are {@link PyCallable} attributes). */
interface PyObject {
    /** The attribute's value; throws {@link IllegalArgumentException} naming it when there is no such attribute. */
    Object attr(String name);

    /** Python's {@code type(x).__name__}, for messages. */
    String typeName();

    static IllegalArgumentException noAttr(PyObject o, String name) {
        return new IllegalArgumentException("'" + o.typeName() + "' has no attribute '" + name
                + "' (the notebook runner supports only the PySpark calls the notebooks use)");
    }
}
