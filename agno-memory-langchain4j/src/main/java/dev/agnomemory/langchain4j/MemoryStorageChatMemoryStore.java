package dev.agnomemory.langchain4j;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.internal.Require;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.store.memory.chat.ChatMemoryStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * A {@link ChatMemoryStore} on any {@link MemoryStorage} (the MapDB file of
 * {@link dev.agnomemory.core.storage.mapdb.MapDbStorage}, a server database): a drop-in for LangChain4j's
 * {@code InMemoryChatMemoryStore} under {@code MessageWindowChatMemory} or {@code TokenWindowChatMemory}, that
 * survives restarts.
 *
 * <p>Rules:
 * <ul>
 *   <li>{@link #getMessages} returns exactly the list the last {@link #updateMessages} gave (every message type
 *       round-trips {@code equals}); an unknown memory id gives an empty list.</li>
 *   <li>The full history stays in storage: a message the window evicts is only dropped from the window, which is
 *       kept as a list of message-position ranges. An update writes the messages that are new (at the end) and,
 *       if the window changed, the ranges; it never rewrites the session.</li>
 *   <li>Messages are grouped into runs the way an AI service call makes them: a user message starts a run (one
 *       that holds only system messages is joined instead), an AI message without tool calls completes it.</li>
 *   <li>Memory ids become users and sessions by a {@link SessionKeyResolver}; a null id is an
 *       {@link IllegalArgumentException}. {@link #deleteMessages} deletes the session with its whole history.</li>
 *   <li>Windows are cached for at most {@link Builder#cachedSessions(int)} sessions and
 *       {@link Builder#cacheIdleTime(Duration)}; every read and update first checks the session's version in
 *       storage (O(1)), so a window another store or process changed, or a deleted session, is read again.</li>
 *   <li>Thread-safe; updates of one memory id are serialized (a lock per session that lives only while used).</li>
 * </ul>
 */
public final class MemoryStorageChatMemoryStore implements ChatMemoryStore {

    /** Session data key holding the window: ranges {@code run:first-last}, comma separated, in list order. */
    static final String WINDOW_KEY = "agno.window";

    private final MemoryStorage storage;
    private final SessionKeyResolver resolver;
    private final String agentId;
    /** Weak values: a lock exists while a thread holds or waits for it (evicting a held lock would be wrong). */
    private final Cache<SessionKey, Object> locks = Caffeine.newBuilder().weakValues().build();
    private final Cache<SessionKey, Window> cache;

    /**
     * The current window of one session: positions and the messages at them, in list order, and the session
     * version it was read or written at (-1: no session).
     */
    private record Window(List<MessagePosition> positions, List<ChatMessage> messages, String openRunId,
            boolean openRunHasUser, long version) {
    }

    private MemoryStorageChatMemoryStore(Builder b) {
        this.storage = b.storage;
        this.resolver = b.resolver != null ? b.resolver : SessionKeyResolver.withDefaultUser(b.userId);
        this.agentId = b.agentId;
        this.cache = Caffeine.newBuilder().maximumSize(b.cachedSessions).expireAfterAccess(b.cacheIdleTime).build();
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public List<ChatMessage> getMessages(Object memoryId) {
        SessionKey key = resolver.resolve(memoryId);
        synchronized (lockOf(key)) {
            return new ArrayList<>(window(key).messages());
        }
    }

    @Override
    public void updateMessages(Object memoryId, List<ChatMessage> messages) {
        SessionKey key = resolver.resolve(memoryId);
        Require.notNull(messages, "messages");
        synchronized (lockOf(key)) {
            Window old = window(key);
            storage.getOrCreateSession(key, agentId);
            List<MessagePosition> positions = new ArrayList<>(messages.size());
            String runId = old.openRunId();
            boolean runHasUser = old.openRunHasUser();
            int searchFrom = 0;
            for (ChatMessage message : messages) {
                Require.notNull(message, "messages element");
                int found = indexOf(old.messages(), message, searchFrom);
                if (found >= 0) {
                    positions.add(old.positions().get(found));
                    searchFrom = found + 1;
                    continue;
                }
                if (runId == null || (message instanceof UserMessage && runHasUser)) {
                    runId = UUID.randomUUID().toString();
                    runHasUser = false;
                }
                if (message instanceof AiMessage ai && !ai.hasToolExecutionRequests()) {
                    // the answer ends the run: stored with the run's completion, in one durable write
                    positions.addAll(storage.finishRun(key, runId, List.of(ChatMessages.toCore(message)),
                            RunOutcome.completed()));
                    runId = null;
                    runHasUser = false;
                    continue;
                }
                positions.add(storage.appendMessage(key, runId, ChatMessages.toCore(message)));
                runHasUser |= message instanceof UserMessage;
            }
            String encoded = encode(positions);
            if (!encoded.equals(encode(old.positions()))) {
                storage.updateSessionData(key, data -> {
                    Map<String, String> next = new HashMap<>(data);
                    next.put(WINDOW_KEY, encoded);
                    return next;
                });
            }
            cache.put(key, new Window(List.copyOf(positions), List.copyOf(messages), runId, runHasUser,
                    storage.sessionVersion(key).orElse(-1)));
        }
    }

    /** Deletes the session of this memory id, with its whole history. */
    @Override
    public void deleteMessages(Object memoryId) {
        SessionKey key = resolver.resolve(memoryId);
        synchronized (lockOf(key)) {
            storage.deleteSession(key);
            cache.invalidate(key);
        }
    }

    /** @return how many sessions have a lock now (for tests: only those in use) */
    long lockCount() {
        locks.cleanUp();
        return locks.estimatedSize();
    }

    /** @return how many sessions' windows are cached now (for tests) */
    long cachedWindows() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    private Object lockOf(SessionKey key) {
        return locks.get(key, k -> new Object());
    }

    private Window window(SessionKey key) {
        Window cached = cache.getIfPresent(key);
        OptionalLong version = storage.sessionVersion(key);
        if (cached != null && cached.version() == version.orElse(-1)) {
            return cached;
        }
        Window loaded = load(key);
        cache.put(key, loaded);
        return loaded;
    }

    private Window load(SessionKey key) {
        Optional<Session> session = storage.session(key);
        if (session.isEmpty()) {
            return new Window(List.of(), List.of(), null, false, -1);
        }
        List<MessagePosition> positions = new ArrayList<>();
        List<ChatMessage> messages = new ArrayList<>();
        String ranges = session.get().data().get(WINDOW_KEY);
        if (ranges != null && !ranges.isEmpty()) {
            for (String range : ranges.split(",")) {
                int colon = range.indexOf(':');
                int dash = range.indexOf('-', colon);
                long run = Long.parseLong(range.substring(0, colon));
                int first = Integer.parseInt(range.substring(colon + 1, dash));
                int last = Integer.parseInt(range.substring(dash + 1));
                List<Message> stored = storage.messagesBetween(key, new MessagePosition(run, first),
                        new MessagePosition(run, last));
                for (int i = 0; i < stored.size(); i++) {
                    positions.add(new MessagePosition(run, first + i));
                    messages.add(ChatMessages.toLangChain4j(stored.get(i)));
                }
            }
        }
        List<Run> last = storage.lastRuns(key, 1);
        Run open = last.isEmpty() || last.get(0).completed() ? null : last.get(0);
        return new Window(positions, messages, open == null ? null : open.runId(),
                open != null && open.messages().stream().map(ChatMessages::toLangChain4j)
                        .anyMatch(UserMessage.class::isInstance), session.get().version());
    }

    private static int indexOf(List<ChatMessage> messages, ChatMessage message, int from) {
        for (int i = from; i < messages.size(); i++) {
            if (messages.get(i).equals(message)) {
                return i;
            }
        }
        return -1;
    }

    /** Consecutive positions of one run become one range {@code run:first-last}. */
    static String encode(List<MessagePosition> positions) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < positions.size()) {
            MessagePosition start = positions.get(i);
            int j = i;
            while (j + 1 < positions.size() && positions.get(j + 1).runSequence() == start.runSequence()
                    && positions.get(j + 1).index() == positions.get(j).index() + 1) {
                j++;
            }
            if (out.length() > 0) {
                out.append(',');
            }
            out.append(start.runSequence()).append(':').append(start.index()).append('-')
                    .append(positions.get(j).index());
            i = j + 1;
        }
        return out.toString();
    }

    /** Configures a {@link MemoryStorageChatMemoryStore}; validation happens in {@link #build()}. */
    public static final class Builder {
        private MemoryStorage storage;
        private String userId = AgnoChatMemoryProvider.DEFAULT_USER;
        private SessionKeyResolver resolver;
        private String agentId;
        private int cachedSessions = 1_000;
        private Duration cacheIdleTime = Duration.ofMinutes(30);

        private Builder() {
        }

        /**
         * @param storage where the messages are stored (required)
         * @return this builder
         */
        public Builder storage(MemoryStorage storage) {
            this.storage = storage;
            return this;
        }

        /**
         * @param userId the user of memory ids that are not {@link SessionKey}s (default {@code "default"})
         * @return this builder
         */
        public Builder userId(String userId) {
            this.userId = userId;
            return this;
        }

        /**
         * @param resolver how memory ids become users and sessions
         * @return this builder
         */
        public Builder sessionKeyResolver(SessionKeyResolver resolver) {
            this.resolver = resolver;
            return this;
        }

        /**
         * @param agentId the agent new sessions belong to (optional)
         * @return this builder
         */
        public Builder agentId(String agentId) {
            this.agentId = agentId;
            return this;
        }

        /**
         * @param sessions how many sessions' windows are kept in memory to answer reads without storage (default
         *     1,000)
         * @return this builder
         */
        public Builder cachedSessions(int sessions) {
            this.cachedSessions = sessions;
            return this;
        }

        /**
         * @param idle how long a session's window stays cached without use (default 30 minutes)
         * @return this builder
         */
        public Builder cacheIdleTime(Duration idle) {
            this.cacheIdleTime = idle;
            return this;
        }

        /**
         * @return the store
         * @throws IllegalArgumentException naming the parameter, when a value is missing or invalid
         */
        public MemoryStorageChatMemoryStore build() {
            Require.notNull(storage, "storage");
            if (resolver == null) {
                Require.notBlank(userId, "userId");
            }
            if (agentId != null) {
                Require.notBlank(agentId, "agentId");
            }
            Require.positive(cachedSessions, "cachedSessions");
            Require.notNull(cacheIdleTime, "cacheIdleTime");
            if (cacheIdleTime.isNegative() || cacheIdleTime.isZero()) {
                throw new IllegalArgumentException("cacheIdleTime must be positive, but is " + cacheIdleTime);
            }
            return new MemoryStorageChatMemoryStore(this);
        }
    }
}
