package dev.agnomemory.core;

/**
 * How a {@link Run} ended, as Agno's {@code RunStatus}.
 *
 * <p>Rules:
 * <ul>
 *   <li>A run is {@link #RUNNING} from its first message until it is finished with a {@link RunOutcome}; a run
 *       that is never finished (the process stopped, or the call was abandoned and a new run started) stays
 *       {@link #RUNNING} for good, and readers recognise it as cut off by {@link Run#finishedAt()} being empty
 *       while a later run exists.</li>
 *   <li>Only {@link #COMPLETED} runs go into the prompt's history; the others are kept for the application and
 *       the inspector.</li>
 *   <li>A finished run's status never changes again.</li>
 * </ul>
 */
public enum RunStatus {
    /** Started and not finished: in progress, or cut off. */
    RUNNING,
    /** Finished with a final answer. */
    COMPLETED,
    /** Finished by an error; {@link Run#error()} says which. */
    ERROR,
    /** Stopped on purpose before a final answer (for example a streaming call the caller cancelled). */
    CANCELLED;

    /** @return whether a run with this status is finished */
    public boolean isFinished() {
        return this != RUNNING;
    }
}
