package io.hydragen.generate;

import java.util.concurrent.CancellationException;

/**
 * {@link Engine#generate} (or {@link Engine#promptLogits}) was abandoned because the calling thread was interrupted
 * (a cancelled Spark job or task, a speculative copy killed, a satisfied LIMIT). Not a problem with the batch: the
 * batch was fine, nobody wants its answer any more.
 *
 * <p>Contract: the engine stopped within one forward pass of the interrupt, every helper thread of that pass has
 * finished, the batch's KV memory is freed, no completion of the call is returned, the calling thread's interrupt
 * status is still set, and the engine serves the next call normally (from a thread that is not interrupted).
 * Unchecked; a {@link CancellationException} (so also an {@link IllegalStateException}) for callers that catch those.
 */
public class GenerationCancelledException extends CancellationException {
    public GenerationCancelledException(String message) { super(message); }

    public GenerationCancelledException(String message, Throwable cause) {
        super(message);
        if (cause != null) initCause(cause);
    }
}
