package dev.agnomemory.langchain4j;

import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the runs of a session after a cursor (a run sequence), for the after-run work that catches up from one.
 * Runs may be appended while it reads (the next call does not wait for background work), which shifts what
 * {@code lastRuns(n)} returns; so it reads more until the window reaches back to the cursor. Costs O(runs after
 * the cursor), not O(session).
 */
final class RunsAfter {

    private RunsAfter() {
    }

    /**
     * @param cursor the last run already handled; -1 for none
     * @param expected how many runs are expected after it
     * @return the runs after {@code cursor}, oldest first
     */
    static List<Run> read(MemoryStorage storage, SessionKey key, long cursor, long expected) {
        int read = (int) Math.max(1, Math.min(expected, Integer.MAX_VALUE / 2));
        List<Run> recent;
        while (true) {
            recent = storage.lastRuns(key, read);
            if (recent.size() < read || recent.get(0).sequence() <= cursor + 1 || read >= Integer.MAX_VALUE / 2) {
                break;
            }
            read *= 2;
        }
        List<Run> after = new ArrayList<>();
        for (Run run : recent) {
            if (run.sequence() > cursor) {
                after.add(run);
            }
        }
        return after;
    }
}
