package io.hydragen.examples.notebooks;

import java.util.List;

/** A Python tuple value. */
record PyTuple(List<Object> items) {}
