package io.hydragen.generate;

/**
 * A continuous stream of requests ({@link Engine#openStream}) run one scheduling round at a time by its caller:
 * each {@link #advance} reads ahead, admits, runs one forward pass and hands the samples that finished to the
 * session's consumer. {@link Engine#stream} is this session run to its end; a caller that is itself pulled (a Spark
 * partition iterator) instead advances only until it has a finished row to return, so rows leave as they finish and
 * the input is read a bounded look-ahead at a time, on the caller's own thread (its interrupt cancels the round).
 * A row's tokens are those of {@link Engine#stream} and {@link Engine#generate}: they depend on its prompt, settings
 * and seed only, never on when the caller advanced.
 */
public final class StreamSession implements AutoCloseable {
    private final Engine engine;
    private final ContinuousScheduler scheduler;
    private boolean done;

    StreamSession(Engine engine, ContinuousScheduler scheduler) {
        this.engine = engine;
        this.scheduler = scheduler;
    }

    /**
     * Runs one round (holding the engine's lock for it).
     *
     * @return false once every request has been answered (the session is then closed)
     * @throws GenerationCancelledException when the calling thread is interrupted; the session is then closed
     */
    public boolean advance() {
        if (done) return false;
        boolean more;
        try {
            more = engine.locked(scheduler::advance);
        } catch (RuntimeException | Error e) {
            close();   // a failed round leaves the KV in an unknown state: free it all
            throw e;
        }
        if (!more) close();
        return more;
    }

    /** What the rounds run so far did. */
    public BatchStats stats() { return scheduler.stats(); }

    /** Frees the KV of the rows still running; idempotent. Rows not yet finished are never handed out. */
    @Override
    public void close() {
        if (done) return;
        done = true;
        // the engine's own lock, without the cancellation check of a round: an interrupted caller must still free its KV
        synchronized (engine) {
            scheduler.release();
        }
    }
}
