package dev.agnomemory.examples;

import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionFilter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Lists a user's stored sessions of the chat and asks whether to continue one (by number or id) or start a new
 * one with a generated id.
 */
final class SessionChooser {

    private final MemoryStorage storage;
    private final BufferedReader in;
    private final PrintStream out;

    SessionChooser(MemoryStorage storage, BufferedReader in, PrintStream out) {
        this.storage = storage;
        this.in = in;
        this.out = out;
    }

    /**
     * @param userId whose sessions
     * @param agentId the chat's agent id, whose sessions are listed
     * @return the chosen session, or empty when the input ended
     */
    Optional<SessionKey> choose(String userId, String agentId) throws IOException {
        List<Session> sessions = storage.sessions(SessionFilter.byUserAndAgent(userId, agentId));
        if (sessions.isEmpty()) {
            SessionKey key = newSession(userId);
            out.println("No stored sessions of user " + userId + "; starting new session " + key.sessionId() + ".");
            return Optional.of(key);
        }
        out.println("Stored sessions of user " + userId + " (most recent first):");
        out.printf("  %3s  %-40s  %-20s  %s%n", "#", "SESSION", "UPDATED (UTC)", "RUNS");
        for (int i = 0; i < sessions.size(); i++) {
            Session s = sessions.get(i);
            out.printf("  %3d  %-40s  %-20s  %d%n", i + 1, s.sessionId(),
                    s.updatedAt().truncatedTo(ChronoUnit.SECONDS), s.runCount());
        }
        while (true) {
            out.print("Continue a session (its number or id), or press Enter for a new one: ");
            out.flush();
            String answer = in.readLine();
            if (answer == null) {
                out.println();
                return Optional.empty();
            }
            answer = answer.strip();
            if (answer.isEmpty() || answer.equalsIgnoreCase("new")) {
                SessionKey key = newSession(userId);
                out.println("Starting new session " + key.sessionId() + ".");
                return Optional.of(key);
            }
            Optional<Session> chosen = find(sessions, answer);
            if (chosen.isPresent()) {
                Session s = chosen.get();
                out.println("Continuing session " + s.sessionId() + " (" + s.runCount()
                        + (s.runCount() == 1 ? " run)." : " runs)."));
                return Optional.of(s.key());
            }
            out.println("There is no session '" + answer + "' in the list.");
        }
    }

    private static Optional<Session> find(List<Session> sessions, String answer) {
        for (Session s : sessions) {
            if (s.sessionId().equals(answer)) {
                return Optional.of(s);
            }
        }
        try {
            int number = Integer.parseInt(answer);
            if (number >= 1 && number <= sessions.size()) {
                return Optional.of(sessions.get(number - 1));
            }
        } catch (NumberFormatException e) {
            // not a number either
        }
        return Optional.empty();
    }

    /** A short generated id no session of the user has yet (of any agent: ids are unique per user). */
    private SessionKey newSession(String userId) {
        while (true) {
            SessionKey key = SessionKey.of(userId, "chat-" + UUID.randomUUID().toString().substring(0, 8));
            if (storage.session(key).isEmpty()) {
                return key;
            }
        }
    }
}
