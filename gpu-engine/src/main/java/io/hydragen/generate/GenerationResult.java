package io.hydragen.generate;

import java.util.List;

/** Completions in request order (samples of a request adjacent, by sample index), and what it cost. */
public record GenerationResult(List<Completion> completions, BatchStats stats) {}
