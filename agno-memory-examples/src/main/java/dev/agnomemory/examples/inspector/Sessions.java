package dev.agnomemory.examples.inspector;

import dev.agnomemory.core.Run;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import java.util.stream.Stream;

/** Looking up the session a command names. */
final class Sessions {

    private Sessions() {
    }

    /** @return the key of the {@code <user> <session>} arguments at positions 0 and 1 */
    static SessionKey key(Arguments args) {
        return SessionKey.of(args.positional(0), args.positional(1));
    }

    /**
     * @return the session
     * @throws InspectorException when there is no such session
     */
    static Session require(MemoryStorage storage, SessionKey key) {
        return storage.session(key).orElseThrow(() -> InspectorException.problem(
                "no session " + key.sessionId() + " of user " + key.userId()));
    }

    /** @return how many messages the session's runs hold, reading them page by page */
    static long messageCount(MemoryStorage storage, SessionKey key) {
        try (Stream<Run> runs = storage.runs(key)) {
            return runs.mapToLong(r -> r.messages().size()).sum();
        }
    }

    /** @return for example {@code 1 run} or {@code 2 runs} */
    static String count(long n, String noun) {
        return count(n, noun, noun + "s");
    }

    /** @return for example {@code 1 memory} or {@code 2 memories} */
    static String count(long n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }

    /** @return for example {@code s1 of user alice} */
    static String describe(SessionKey key) {
        return key.sessionId() + " of user " + key.userId();
    }
}
