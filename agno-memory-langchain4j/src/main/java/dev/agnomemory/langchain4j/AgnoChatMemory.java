package dev.agnomemory.langchain4j;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.internal.Require;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ChatMessageDeserializer;
import dev.langchain4j.data.message.ChatMessageSerializer;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.model.TokenCountEstimator;
import dev.langchain4j.observability.api.listener.AiServiceListener;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Agno's built-in, persistent agent memory as a LangChain4j {@link ChatMemory}: one session of one user, organized
 * in runs (one AI service call each), stored in a {@link MemoryStorage}.
 *
 * <p>Rules:
 * <ul>
 *   <li><b>Runs.</b> A {@link UserMessage} starts a run; the assistant's tool calls, the tool results and the final
 *       answer join it; an {@link AiMessage} without tool calls completes it. The run id is the AI service call's
 *       invocation id when the {@link #listeners()} are registered, a generated UUID otherwise. A run still open
 *       when the next call starts (the previous call failed) is left in storage, not completed, and not sent
 *       again.</li>
 *   <li><b>Prompt.</b> {@link #messages()} returns the system message first, then the history chosen by the
 *       {@link HistoryWindow} (the last {@code numHistoryResponses} completed runs, whole runs only, within the
 *       token budget), then the current run's messages.</li>
 *   <li><b>System message.</b> There is one; a different one replaces it (and is stored with the session, so a new
 *       process starts with it). It is not part of any run.</li>
 *   <li><b>Persistence.</b> Every message is written through to storage when added; a new process with the same
 *       storage file and session continues the conversation with the earlier runs in the prompt.</li>
 *   <li><b>Concurrency.</b> Methods are thread-safe. Whole calls on one session take turns only when the
 *       {@link #listeners()} are registered on the AI service.</li>
 *   <li>{@link #clear()} deletes the session with all its runs from storage.</li>
 * </ul>
 *
 * <pre>{@code
 * AgnoChatMemory memory = AgnoChatMemory.builder()
 *         .storage(storage).userId("alice").sessionId("trip-1").numHistoryResponses(3).build();
 * Assistant assistant = AiServices.builder(Assistant.class).chatModel(model)
 *         .chatMemory(memory).registerListeners(memory.listeners()).build();
 * }</pre>
 * For one memory per {@code @MemoryId}, use {@link AgnoChatMemoryProvider}.
 */
public final class AgnoChatMemory implements ChatMemory {

    private static final Logger log = LoggerFactory.getLogger(AgnoChatMemory.class);

    /** Session data key under which the current system message is kept (LangChain4j's JSON form). */
    static final String SYSTEM_MESSAGE_KEY = "agno.system_message";

    private final Object id;
    private final SessionKey key;
    private final String agentId;
    private final MemoryStorage storage;
    private final HistoryWindow window;
    private final RunCoordinator coordinator;
    private final MemoryFeatures features;
    private final AutoCloseable owner;

    private boolean loaded;
    private long knownRuns;
    private String query;
    private List<UserMemory> retrieved;
    private long retrievedVersion = -1;
    /** What messages() sends before the current run, cached: rebuilt only when one of its inputs changes. */
    private List<ChatMessage> history;
    private SystemMessage composedSystem;
    private boolean systemStale = true;
    private SystemMessage systemMessage;
    private final Deque<List<ChatMessage>> completedRuns = new ArrayDeque<>();
    private String currentRunId;
    private final List<ChatMessage> currentRun = new ArrayList<>();

    AgnoChatMemory(Object id, SessionKey key, String agentId, MemoryStorage storage, HistoryWindow window,
            RunCoordinator coordinator, MemoryFeatures features, AutoCloseable owner) {
        this.id = id;
        this.key = key;
        this.agentId = agentId;
        this.storage = storage;
        this.window = window;
        this.coordinator = coordinator;
        this.features = features;
        this.owner = owner;
    }

    /** @return a builder for a memory of one session */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Object id() {
        return id;
    }

    /** @return the user and session this memory stores */
    public SessionKey sessionKey() {
        return key;
    }

    /**
     * The AI service listeners that make each call one run with the call's invocation id, and make calls on this
     * session take turns. Register them with {@code AiServices.builder(...).registerListeners(...)}.
     *
     * @return the listeners
     */
    public List<AiServiceListener<?>> listeners() {
        return coordinator.listeners();
    }

    /**
     * The {@code get_chat_history} tool for this memory's session, for {@code AiServices.builder(...).tools(...)}.
     *
     * @return the tool
     */
    public ChatHistoryTool chatHistoryTool() {
        return new ChatHistoryTool(storage, memoryId -> key);
    }

    /**
     * The {@code get_tool_call_history} tool for this memory's session, for
     * {@code AiServices.builder(...).tools(...)}.
     *
     * @return the tool
     */
    public ToolCallHistoryTool toolCallHistoryTool() {
        return new ToolCallHistoryTool(storage, memoryId -> key);
    }

    @Override
    public synchronized void add(ChatMessage message) {
        Require.notNull(message, "message");
        ensureLoaded();
        if (message instanceof SystemMessage system) {
            replaceSystemMessage(system);
            return;
        }
        if (message instanceof UserMessage user) {
            abandonOpenRun();
            setQuery(ChatMessages.text(user));
        }
        if (currentRunId == null) {
            String requested = coordinator.takeRunId(key);
            currentRunId = requested != null ? requested : UUID.randomUUID().toString();
        }
        storage.appendMessage(key, currentRunId, ChatMessages.toCore(message));
        currentRun.add(message);
        if (message instanceof AiMessage ai && !ai.hasToolExecutionRequests()) {
            storage.completeRun(key, currentRunId);
            completedRuns.addLast(List.copyOf(currentRun));
            while (completedRuns.size() > window.numHistoryResponses()) {
                completedRuns.removeFirst();
            }
            knownRuns++;
            history = null;
            String userText = currentRun.get(0) instanceof UserMessage user ? ChatMessages.text(user) : null;
            currentRunId = null;
            currentRun.clear();
            features.afterRun().runCompleted(key, userText);
            systemStale = true; // the summary may have changed
        }
    }

    /** The memories for the prompt: retrieved once per user message, again when memories changed. */
    private List<UserMemory> userMemories() {
        long version = features.memoryVersion().get();
        if (retrieved == null || retrievedVersion != version) {
            retrieved = features.memories(key.userId(), query);
            retrievedVersion = version;
        }
        return retrieved;
    }

    private void setQuery(String text) {
        if (!java.util.Objects.equals(query, text)) {
            query = text;
            retrieved = null;
            systemStale = true;
        }
    }

    /**
     * Closes what this memory owns: with {@link AgnoChatMemory#builder()}, the after-run work of its own provider
     * (finishing queued work). Memories from an {@link AgnoChatMemoryProvider} are closed with the provider.
     */
    public void close() {
        if (owner != null) {
            try {
                owner.close();
            } catch (Exception e) {
                log.warn("Closing memory of session {} failed", key, e);
            }
        }
    }

    @Override
    public synchronized List<ChatMessage> messages() {
        ensureLoaded();
        if (history == null) {
            history = window.select(new ArrayList<>(completedRuns));
        }
        if (features.userMemoriesInPrompt() && retrievedVersion != features.memoryVersion().get()) {
            systemStale = true;
        }
        if (systemStale) {
            composedSystem = MemoryPromptBlocks.compose(systemMessage,
                    features.userMemoriesInPrompt() ? userMemories() : null,
                    features.summaryInPrompt() && knownRuns > window.numHistoryResponses()
                            ? storage.summary(key).orElse(null) : null);
            systemStale = false;
        }
        List<ChatMessage> out = new ArrayList<>(history.size() + currentRun.size() + 1);
        if (composedSystem != null) {
            out.add(composedSystem);
        }
        out.addAll(history);
        out.addAll(currentRun);
        return out;
    }

    /** Deletes the session, with all its runs, from storage. */
    @Override
    public synchronized void clear() {
        storage.deleteSession(key);
        systemMessage = null;
        history = null;
        systemStale = true;
        completedRuns.clear();
        currentRun.clear();
        currentRunId = null;
        loaded = false;
    }

    /**
     * A new AI service call begins: a run left open by a failed call is abandoned, and the call's user message
     * becomes the query for semantic memory retrieval (the prompt is built before the message is added).
     */
    synchronized void beginCall(UserMessage userMessage) {
        abandonOpenRun();
        systemStale = true; // background memory work may have changed the summary
        if (userMessage != null) {
            setQuery(ChatMessages.text(userMessage));
        }
    }

    private void abandonOpenRun() {
        if (currentRunId != null) {
            log.debug("Run {} of session {} ended without an answer; it stays in storage, not completed",
                    currentRunId, key);
            currentRunId = null;
            currentRun.clear();
        }
    }

    private void replaceSystemMessage(SystemMessage system) {
        if (system.equals(systemMessage)) {
            return;
        }
        systemMessage = system;
        systemStale = true;
        String json = ChatMessageSerializer.messageToJson(system);
        storage.updateSessionData(key, data -> {
            Map<String, String> next = new HashMap<>(data);
            next.put(SYSTEM_MESSAGE_KEY, json);
            return next;
        });
    }

    private void ensureLoaded() {
        if (loaded) {
            return;
        }
        Session session = storage.getOrCreateSession(key, agentId);
        knownRuns = session.runCount();
        String system = session.data().get(SYSTEM_MESSAGE_KEY);
        if (system != null) {
            try {
                systemMessage = (SystemMessage) ChatMessageDeserializer.messageFromJson(system);
            } catch (RuntimeException e) {
                log.warn("Ignoring the stored system message of session {}: it cannot be read", key, e);
            }
        }
        for (Run run : storage.lastCompletedRuns(key, window.numHistoryResponses())) {
            try {
                completedRuns.addLast(run.messages().stream().map(ChatMessages::toLangChain4j).toList());
            } catch (RuntimeException e) {
                log.warn("Leaving run {} of session {} out of the history: a message cannot be read", run.runId(),
                        key, e);
            }
        }
        history = null;
        systemStale = true;
        loaded = true;
    }

    /**
     * Configures an {@link AgnoChatMemory} for one session; validation happens in {@link #build()}. The options are
     * those of {@link AgnoChatMemoryProvider.Builder} (Agno's {@code AgentMemory} and {@code Agent} settings).
     */
    public static final class Builder {
        private final AgnoChatMemoryProvider.Builder options = AgnoChatMemoryProvider.builder();
        private String userId = AgnoChatMemoryProvider.DEFAULT_USER;
        private String sessionId;
        private Object id;

        private Builder() {
        }

        /**
         * @param storage where the session is stored (required)
         * @return this builder
         */
        public Builder storage(MemoryStorage storage) {
            options.storage(storage);
            return this;
        }

        /**
         * @param userId the session's user (default {@code "default"})
         * @return this builder
         */
        public Builder userId(String userId) {
            this.userId = userId;
            return this;
        }

        /**
         * @param sessionId the session (required); the same id later, in any process, continues it
         * @return this builder
         */
        public Builder sessionId(String sessionId) {
            this.sessionId = sessionId;
            return this;
        }

        /**
         * @param agentId the agent the session belongs to (optional)
         * @return this builder
         */
        public Builder agentId(String agentId) {
            options.agentId(agentId);
            return this;
        }

        /**
         * @param id what {@link ChatMemory#id()} returns (default: the session id)
         * @return this builder
         */
        public Builder id(Object id) {
            this.id = id;
            return this;
        }

        /**
         * @param add see {@link AgnoChatMemoryProvider.Builder#addHistoryToMessages(boolean)}
         * @return this builder
         */
        public Builder addHistoryToMessages(boolean add) {
            options.addHistoryToMessages(add);
            return this;
        }

        /**
         * @param n see {@link AgnoChatMemoryProvider.Builder#numHistoryResponses(int)}
         * @return this builder
         */
        public Builder numHistoryResponses(int n) {
            options.numHistoryResponses(n);
            return this;
        }

        /**
         * @param maxTokens see {@link AgnoChatMemoryProvider.Builder#maxHistoryTokens(int, TokenCountEstimator)}
         * @param estimator counts tokens
         * @return this builder
         */
        public Builder maxHistoryTokens(int maxTokens, TokenCountEstimator estimator) {
            options.maxHistoryTokens(maxTokens, estimator);
            return this;
        }

        /**
         * @param limit see {@link AgnoChatMemoryProvider.Builder#callWaitLimit(Duration)}
         * @return this builder
         */
        public Builder callWaitLimit(Duration limit) {
            options.callWaitLimit(limit);
            return this;
        }

        /**
         * @param configure sets the user-memory and summary options (memory model, retrieval, after-run work) on
         *     the provider builder this memory is built with
         * @return this builder
         */
        public Builder memoryOptions(java.util.function.Consumer<AgnoChatMemoryProvider.Builder> configure) {
            configure.accept(options);
            return this;
        }

        /**
         * @return the memory
         * @throws IllegalArgumentException when a required value is missing or a value is invalid
         */
        public AgnoChatMemory build() {
            SessionKey key = new SessionKey(userId, sessionId);
            AgnoChatMemoryProvider provider = options.sessionKeyResolver(memoryId -> key).build();
            return provider.create(id != null ? id : sessionId, key, provider);
        }
    }
}
