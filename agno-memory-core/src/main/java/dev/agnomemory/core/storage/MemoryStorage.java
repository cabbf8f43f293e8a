package dev.agnomemory.core.storage;

import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.internal.Require;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Where sessions, runs, session summaries and user memories live: what Agno's {@code AgentStorage} and memory
 * database offer, shaped for append-only use.
 *
 * <p>Contract for every implementation:
 * <ul>
 *   <li>A session is identified by a {@link SessionKey} (user id and session id): equal session ids of two users
 *       are two sessions.</li>
 *   <li>Writes are append-only: {@link #appendMessage} and {@link #completeRun} cost O(1) in the number of runs
 *       already stored; {@link #lastRuns} costs O(n); no operation rewrites a whole session.</li>
 *   <li>A session's messages are kept in the order the appends returned; appends to one session from several
 *       threads are serialized, never interleaved inside one message.</li>
 *   <li>A method that returns normally has made its write durable.</li>
 *   <li>Reading an unknown session gives an empty result, never an error; writing to one is an
 *       {@link IllegalStateException}.</li>
 *   <li>Null or blank ids are rejected with an {@link IllegalArgumentException} naming the parameter.</li>
 *   <li>Implementations are thread-safe.</li>
 * </ul>
 */
public interface MemoryStorage extends AutoCloseable {

    // ---- sessions ----

    /**
     * Creates the session if it does not exist yet; an existing session is returned unchanged.
     *
     * @param key the user and session id
     * @param agentId the agent the session belongs to; may be null
     * @return the stored session
     */
    Session getOrCreateSession(SessionKey key, String agentId);

    /**
     * @param key the user and session id
     * @return the session, or empty when there is none
     */
    Optional<Session> session(SessionKey key);

    /**
     * Changes the session's data map (name, state, anything small a user attaches) atomically: {@code update}
     * gets the current map and returns the new one, and no other write to the session comes in between. Keys
     * starting with {@code agno.} are reserved for the adapters of this library.
     *
     * @param key the user and session id
     * @param update from the current data to the new data; must not call this storage
     * @return the updated session, or empty when there is no such session
     */
    Optional<Session> updateSessionData(SessionKey key, UnaryOperator<Map<String, String>> update);

    /**
     * Lists sessions, most recently updated first.
     *
     * @param filter which sessions
     * @return the sessions; empty when none match
     */
    List<Session> sessions(SessionFilter filter);

    /**
     * The keys of {@link #sessions(SessionFilter)}, in the same order.
     *
     * @param filter which sessions
     * @return the keys
     */
    default List<SessionKey> sessionKeys(SessionFilter filter) {
        return sessions(filter).stream().map(Session::key).toList();
    }

    /**
     * Deletes the session with all its runs, messages and summary. Implementations that keep files document
     * when the deleted content is gone from them.
     *
     * @param key the user and session id
     * @return whether there was such a session
     */
    boolean deleteSession(SessionKey key);

    // ---- runs ----

    /**
     * Appends a message to the session's current run. When {@code runId} is not the current run's id, a new run
     * with that id starts; the previous run, if it was never completed, stays as it is (not completed).
     *
     * @param key the user and session id
     * @param runId the run the message belongs to
     * @param message the message
     * @return the message's position in the session
     * @throws IllegalStateException when the session does not exist, or {@code runId} names an earlier run of
     *     the session, or the current run with that id is already completed
     */
    default MessagePosition appendMessage(SessionKey key, String runId, Message message) {
        return appendMessages(key, runId, List.of(Require.notNull(message, "message"))).get(0);
    }

    /**
     * Appends several messages to the session's current run at once (one durable write), with the same rules as
     * {@link #appendMessage}.
     *
     * @param key the user and session id
     * @param runId the run the messages belong to
     * @param messages the messages, in order; not empty
     * @return the positions of the messages, in order
     */
    List<MessagePosition> appendMessages(SessionKey key, String runId, List<Message> messages);

    /**
     * Marks the session's current run as completed. Completing an already completed run does nothing.
     *
     * @param key the user and session id
     * @param runId the id of the session's current run
     * @throws IllegalStateException when the session does not exist or {@code runId} is not its current run
     */
    void completeRun(SessionKey key, String runId);

    /**
     * The last {@code n} runs of the session, oldest first, completed or not (see {@link Run#completed()}).
     *
     * @param key the user and session id
     * @param n how many runs, greater than 0
     * @return up to {@code n} runs; empty for an unknown session
     */
    List<Run> lastRuns(SessionKey key, int n);

    /**
     * The last {@code n} completed runs of the session, oldest first; runs cut off by a crash are skipped.
     *
     * @param key the user and session id
     * @param n how many runs, greater than 0
     * @return up to {@code n} completed runs; empty for an unknown session
     */
    List<Run> lastCompletedRuns(SessionKey key, int n);

    /**
     * The session's runs, oldest first, read lazily in pages so a long session is not loaded at once. Runs
     * appended while the stream is consumed may or may not be included.
     *
     * @param key the user and session id
     * @return the runs; empty for an unknown session
     */
    Stream<Run> runs(SessionKey key);

    /**
     * The session's messages from {@code from} to {@code to}, both included, in order; runs in between are
     * crossed. Costs O(number of messages returned).
     *
     * @param key the user and session id
     * @param from the first position
     * @param to the last position, not before {@code from}
     * @return the messages; empty for an unknown session
     */
    List<Message> messagesBetween(SessionKey key, MessagePosition from, MessagePosition to);

    // ---- summaries ----

    /**
     * Stores the summary as the session's latest summary.
     *
     * @param key the user and session id
     * @param summary the summary
     * @return whether the session exists (nothing is stored otherwise)
     */
    boolean saveSummary(SessionKey key, SessionSummary summary);

    /**
     * @param key the user and session id
     * @return the session's latest summary, or empty
     */
    default Optional<SessionSummary> summary(SessionKey key) {
        return session(key).flatMap(Session::summary);
    }

    // ---- user memories ----

    /**
     * Adds the memory, or replaces the user's memory with the same id.
     *
     * @param memory the memory
     */
    void saveMemory(UserMemory memory);

    /**
     * @param userId the user
     * @param memoryId the memory's id
     * @return the memory, or empty
     */
    Optional<UserMemory> memory(String userId, String memoryId);

    /**
     * All memories of one user, oldest first by creation time.
     *
     * @param userId the user
     * @return the memories; empty when the user has none
     */
    List<UserMemory> memories(String userId);

    /**
     * Deletes one memory of one user.
     *
     * @param userId the user
     * @param memoryId the memory's id
     * @return whether there was such a memory
     */
    boolean deleteMemory(String userId, String memoryId);

    /**
     * Deletes all memories of one user, and no one else's.
     *
     * @param userId the user
     * @return how many memories were deleted
     */
    int deleteMemories(String userId);

    /**
     * Stores the embedding of one of a user's memories, replacing an earlier one. Ignored (returns false) when the
     * memory does not exist (it may have been deleted meanwhile).
     *
     * @param embedding the embedding
     * @return whether the memory exists and the embedding was stored
     */
    boolean saveMemoryEmbedding(MemoryEmbedding embedding);

    /**
     * The stored embeddings of one user's memories. Deleting a memory deletes its embedding.
     *
     * @param userId the user
     * @return the embeddings, in no particular order
     */
    List<MemoryEmbedding> memoryEmbeddings(String userId);

    /** Closes the storage; later calls fail with {@link IllegalStateException}. Closing twice does nothing. */
    @Override
    void close();
}
