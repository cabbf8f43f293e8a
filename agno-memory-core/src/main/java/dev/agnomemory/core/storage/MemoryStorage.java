package dev.agnomemory.core.storage;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryChangeCause;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.internal.Require;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Where sessions, runs, session summaries and user memories live: what Agno's {@code AgentStorage} and memory
 * database offer, shaped for append-only use.
 *
 * <p>Contract for every implementation (the abstract {@code MemoryStorageContractTest} in this module's test jar
 * checks each rule; an implementation passes it to call itself one):
 * <ul>
 *   <li><b>Keys.</b> A session is identified by a {@link SessionKey} (user id and session id): equal session ids of
 *       two users are two sessions, and no method given one user's id ever reads or changes another user's data.
 *       Null or blank ids are rejected with an {@link IllegalArgumentException} naming the parameter.</li>
 *   <li><b>Unknown sessions.</b> Reading an unknown session gives an empty result, never an error; appending to or
 *       finishing a run of one is an {@link IllegalStateException}; updating or summarizing one returns empty or
 *       false and stores nothing.</li>
 *   <li><b>Append-only.</b> {@link #appendMessages} and {@link #finishRun} cost O(1) in the number of runs
 *       already stored; {@link #lastRuns} costs O(n); no operation rewrites a whole session.</li>
 *   <li><b>Order.</b> A session's messages are kept in the order the appends returned, at {@link MessagePosition}s
 *       that never change; appends to one session from several threads (or processes, for a server database) are
 *       serialized, never interleaved inside one call, never lost or duplicated.</li>
 *   <li><b>Run rules.</b> Messages go to the session's current run; a new run id starts a new run, and the previous
 *       run, if unfinished, stays {@link dev.agnomemory.core.RunStatus#RUNNING} for good. Each of these is an
 *       {@link IllegalStateException} that changes nothing: appending with the id of an earlier run; appending to
 *       the current run after it finished; finishing a run that is not the current one (or a session without
 *       runs). Finishing an already finished run does nothing: the first outcome stays.</li>
 *   <li><b>Durability.</b> A method that returns normally has made its write durable; one that throws
 *       {@link StorageException} may or may not have, and never left part of one call's messages stored.</li>
 *   <li><b>Versions.</b> {@link Session#version()} grows with every change of a session and never repeats for a
 *       key, even across delete and re-create; {@link #sessionVersion} reads it without reading the session's
 *       history. {@link #memoriesVersion} does the same for a user's memories.</li>
 *   <li><b>Atomic updates.</b> The functions given to {@link #updateSessionData} and {@link #updateSessionState}
 *       may run more than once (a server database retries them on a conflict): they must be side-effect free and
 *       must not call the storage.</li>
 *   <li><b>Streams.</b> {@link #runs} reads lazily in pages and holds no resources between pages: it need not be
 *       closed, and may be consumed slowly.</li>
 *   <li><b>Lossless.</b> Every text (any Unicode, including NUL and unpaired surrogates, of any length) and every
 *       time (to the nanosecond) reads back exactly as it was given.</li>
 *   <li><b>Message ids.</b> {@link Message#id()} is the caller's and is kept verbatim; the storage does not check
 *       it for uniqueness. A stored message is identified by its session and {@link MessagePosition}.</li>
 *   <li><b>Memories.</b> Every save and delete of a user memory is recorded in its history
 *       ({@link #memoryHistory}); {@link #deleteMemories} deletes a user's memories, their embeddings and their
 *       history.</li>
 *   <li><b>Turns.</b> {@link #turns()} offers one turn per session, shared by everyone who uses the same store (every
 *       process, for a server database), with the rules of {@link SessionTurns}: writes through a turn's
 *       {@link SessionTurn#storage()} carry its epoch and are refused with {@link StaleTurnException} once it is
 *       stale; writes through the storage itself are not fenced.</li>
 *   <li><b>Threads.</b> Implementations are thread-safe. After {@link #close()}, every call throws
 *       {@link IllegalStateException}.</li>
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
     * The session's {@link Session#version()}, read without its history, summary or data: the cheap check a cache
     * makes before each use.
     *
     * @param key the user and session id
     * @return the version, or empty when there is no such session
     */
    OptionalLong sessionVersion(SessionKey key);

    /**
     * Changes the session's data map (name, state, anything small a user attaches) atomically: {@code update}
     * gets the current map and returns the new one, and no other write to the session comes in between. Keys
     * starting with {@code agno.} are reserved for the adapters of this library.
     *
     * @param key the user and session id
     * @param update from the current data to the new data; may run more than once, so it must be side-effect free
     *     and must not call this storage
     * @return the updated session, or empty when there is no such session
     */
    Optional<Session> updateSessionData(SessionKey key, UnaryOperator<Map<String, String>> update);

    /**
     * Changes the session's state (Agno's {@code session_state}, a JSON object) atomically, like
     * {@link #updateSessionData}.
     *
     * @param key the user and session id
     * @param update from the current state's JSON text to the new one, which must be one JSON object; may run more
     *     than once, so it must be side-effect free and must not call this storage
     * @return the updated session, or empty when there is no such session
     * @throws IllegalArgumentException when the new state is not a JSON object (nothing is stored)
     */
    Optional<Session> updateSessionState(SessionKey key, UnaryOperator<String> update);

    /**
     * Names the session (Agno's {@code session_name}), or removes its name.
     *
     * @param key the user and session id
     * @param name the new name, or null to remove it; not blank
     * @return the updated session, or empty when there is no such session
     */
    Optional<Session> renameSession(SessionKey key, String name);

    /**
     * Lists sessions, most recently updated first (ties by user id, then session id), one page as the filter says.
     *
     * @param filter which sessions, and which page of them
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
     * The stamp (key, version, creation time) of every session of a user, read without the sessions' summaries,
     * state or data: the cheap check a derived index makes before each use (which of the user's sessions changed,
     * which are gone). The default lists {@link #sessions(SessionFilter)}; a storage that can read the stamps alone
     * overrides it.
     *
     * @param userId the user, not blank
     * @return one stamp per session of the user, in no particular order; empty when the user has none
     */
    default List<SessionStamp> sessionStamps(String userId) {
        return sessions(SessionFilter.byUser(userId)).stream().map(SessionStamp::of).toList();
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
     * with that id starts; the previous run, if it was never finished, stays
     * {@link dev.agnomemory.core.RunStatus#RUNNING}.
     *
     * @param key the user and session id
     * @param runId the run the message belongs to
     * @param message the message
     * @return the message's position in the session
     * @throws IllegalStateException when the session does not exist, or {@code runId} names an earlier run of
     *     the session, or the current run with that id is already finished
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
     * Finishes the session's current run with an outcome: its status, error and metrics are stored, its finish
     * time set, and its metrics added to the session's totals. Finishing an already finished run does nothing (the
     * first outcome stays).
     *
     * @param key the user and session id
     * @param runId the id of the session's current run
     * @param outcome how the run ended
     * @throws IllegalStateException when the session does not exist or {@code runId} is not its current run
     */
    void finishRun(SessionKey key, String runId, RunOutcome outcome);

    /**
     * Appends a run's last messages and finishes the run, in one durable write: what an agent does when its answer
     * ends the run, for the cost of one flush instead of two. Either both are stored or neither is.
     * <ul>
     *   <li>The messages follow {@link #appendMessages}' rules: they go to the current run, or start a new run when
     *       {@code runId} is not the current run's id (that run then holds just these messages).</li>
     *   <li>The run is then finished as {@link #finishRun(SessionKey, String, RunOutcome)} does.</li>
     *   <li>A run that is already finished cannot take messages: that is an {@link IllegalStateException}, as for
     *       {@link #appendMessages}, and nothing is stored (to finish a run without messages, use
     *       {@link #finishRun(SessionKey, String, RunOutcome)}).</li>
     * </ul>
     *
     * @param key the user and session id
     * @param runId the run the messages belong to, which this call finishes
     * @param lastMessages the run's last messages, in order; not empty
     * @param outcome how the run ended
     * @return the positions of the messages, in order
     * @throws IllegalStateException when the session does not exist, or {@code runId} names an earlier run of the
     *     session, or the current run with that id is already finished; nothing is stored
     */
    List<MessagePosition> finishRun(SessionKey key, String runId, List<Message> lastMessages, RunOutcome outcome);

    /**
     * Finishes the session's current run as completed, without metrics: {@code finishRun(key, runId,
     * RunOutcome.completed())}.
     *
     * @param key the user and session id
     * @param runId the id of the session's current run
     * @throws IllegalStateException when the session does not exist or {@code runId} is not its current run
     */
    default void completeRun(SessionKey key, String runId) {
        finishRun(key, runId, RunOutcome.completed());
    }

    /**
     * The last {@code n} runs of the session, oldest first, whatever their status.
     *
     * @param key the user and session id
     * @param n how many runs, greater than 0
     * @return up to {@code n} runs; empty for an unknown session
     */
    List<Run> lastRuns(SessionKey key, int n);

    /**
     * The last {@code n} completed runs of the session, oldest first; runs that are still running, were cut off,
     * failed or were cancelled are skipped.
     *
     * @param key the user and session id
     * @param n how many runs, greater than 0
     * @return up to {@code n} completed runs; empty for an unknown session
     */
    List<Run> lastCompletedRuns(SessionKey key, int n);

    /**
     * The session's runs, oldest first, read lazily in pages so a long session is not loaded at once. Runs
     * appended while the stream is consumed may or may not be included. The stream holds no resources between
     * pages and need not be closed.
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
     * Adds the memory, or replaces the user's memory with the same id, and records the change in the memory's
     * history. Saving a memory equal to the stored one changes nothing and records nothing.
     *
     * @param memory the memory
     * @param cause what made the change
     */
    void saveMemory(UserMemory memory, MemoryChangeCause cause);

    /**
     * {@link #saveMemory(UserMemory, MemoryChangeCause)} as a change of the application.
     *
     * @param memory the memory
     */
    default void saveMemory(UserMemory memory) {
        saveMemory(memory, MemoryChangeCause.application());
    }

    /**
     * @param userId the user
     * @param memoryId the memory's id
     * @return the memory, or empty
     */
    Optional<UserMemory> memory(String userId, String memoryId);

    /**
     * All memories of one user, oldest first by creation time (ties by memory id).
     *
     * @param userId the user
     * @return the memories; empty when the user has none
     */
    List<UserMemory> memories(String userId);

    /**
     * One page of {@link #memories(String)}: the memories at {@code offset} to {@code offset + limit}, oldest first.
     *
     * @param userId the user
     * @param offset how many to skip, not negative
     * @param limit at most how many to return, greater than 0
     * @return the memories
     */
    default List<UserMemory> memories(String userId, int offset, int limit) {
        Require.notNegative(offset, "offset");
        Require.positive(limit, "limit");
        List<UserMemory> all = memories(userId);
        int from = Math.min(offset, all.size());
        return List.copyOf(all.subList(from, (int) Math.min(all.size(), (long) from + limit)));
    }

    /**
     * A number that grows with every change of the user's memories (save or delete) and never repeats, read without
     * reading the memories: the cheap check a cache makes before each use.
     *
     * @param userId the user
     * @return the version; 0 when the user never had memories
     */
    long memoriesVersion(String userId);

    /**
     * The history of one memory (Mem0's {@code history(memory_id)}): every add, update and delete, oldest first.
     * The history of a deleted memory stays until {@link #deleteMemories} deletes the user's memories.
     *
     * @param userId the user
     * @param memoryId the memory's id
     * @return the changes; empty when the memory never existed
     */
    List<MemoryChange> memoryHistory(String userId, String memoryId);

    /**
     * Deletes one memory of one user (and its embedding), and records the deletion in its history.
     *
     * @param userId the user
     * @param memoryId the memory's id
     * @param cause what made the change
     * @return whether there was such a memory
     */
    boolean deleteMemory(String userId, String memoryId, MemoryChangeCause cause);

    /**
     * {@link #deleteMemory(String, String, MemoryChangeCause)} as a change of the application.
     *
     * @param userId the user
     * @param memoryId the memory's id
     * @return whether there was such a memory
     */
    default boolean deleteMemory(String userId, String memoryId) {
        return deleteMemory(userId, memoryId, MemoryChangeCause.application());
    }

    /**
     * Deletes all memories of one user, with their embeddings and their histories, and no one else's.
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

    // ---- turns ----

    /**
     * The turns of this store's sessions: what lets calls on one session take turns across threads and processes,
     * with fenced writes. See {@link SessionTurns} for the rules.
     *
     * @return the turns, the same object on every call
     */
    SessionTurns turns();

    /**
     * Closes the storage; later calls fail with {@link IllegalStateException}. Turns it holds are released and
     * waits for turns end. Closing twice does nothing.
     */
    @Override
    void close();
}
