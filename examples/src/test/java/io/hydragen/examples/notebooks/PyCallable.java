package io.hydragen.examples.notebooks;

import java.util.List;
import java.util.Map;

/** A function or bound method of the runner's PySpark stand-ins. */
@FunctionalInterface
interface PyCallable {
    Object call(List<Object> args, Map<String, Object> kwargs);
}
