package dev.agnomemory.core;

/**
 * Where a message sits in its session: the run's sequence and the message's index in the run. Positions never
 * change once assigned, so they identify a stored message within its session, and ordering them orders the
 * session's messages.
 *
 * @param runSequence the {@link Run#sequence()} of the message's run, 0 or greater
 * @param index the message's index in the run, 0 or greater
 */
public record MessagePosition(long runSequence, int index) implements Comparable<MessagePosition> {

    /** Validates the components. */
    public MessagePosition {
        if (runSequence < 0) {
            throw new IllegalArgumentException("runSequence must not be negative, but is " + runSequence);
        }
        if (index < 0) {
            throw new IllegalArgumentException("index must not be negative, but is " + index);
        }
    }

    @Override
    public int compareTo(MessagePosition other) {
        int byRun = Long.compare(runSequence, other.runSequence);
        return byRun != 0 ? byRun : Integer.compare(index, other.index);
    }

    /** @return the compact text form {@code "run:index"}, read back by {@link #parse(String)} */
    @Override
    public String toString() {
        return runSequence + ":" + index;
    }

    /**
     * Reads the text form written by {@link #toString()}.
     *
     * @param text for example {@code "12:3"}
     * @return the position
     * @throws IllegalArgumentException when the text is not of that form
     */
    public static MessagePosition parse(String text) {
        int colon = text == null ? -1 : text.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("not a message position: " + text);
        }
        try {
            return new MessagePosition(Long.parseLong(text.substring(0, colon)),
                    Integer.parseInt(text.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a message position: " + text, e);
        }
    }
}
