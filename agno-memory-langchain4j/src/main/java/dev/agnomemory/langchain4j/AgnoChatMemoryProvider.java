package dev.agnomemory.langchain4j;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.internal.Require;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.model.TokenCountEstimator;
import dev.langchain4j.observability.api.listener.AiServiceListener;
import dev.langchain4j.service.AiServices;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@link AgnoChatMemory} per {@code @MemoryId}: Agno's persistent agent memory for every session of an AI
 * service. The memory id is turned into a user and session by a {@link SessionKeyResolver} (pass
 * {@code SessionKey.of(userId, sessionId)} as the memory id, or a plain session id of the default user).
 *
 * <pre>{@code
 * AgnoChatMemoryProvider memory = AgnoChatMemoryProvider.builder()
 *         .storage(MapDbStorage.open(Path.of("agent-memory.db")))
 *         .numHistoryResponses(3)
 *         .readChatHistory(true)
 *         .build();
 *
 * Assistant assistant = memory.attachTo(AiServices.builder(Assistant.class))
 *         .chatModel(model)
 *         .build();
 *
 * assistant.chat(SessionKey.of("alice", "trip-1"), "Hi!");
 * }</pre>
 *
 * <p>{@link #attachTo(AiServices)} sets this provider, registers the {@link #listeners()} (each call becomes one
 * run named by its invocation id, and calls on one session take turns), adds the chat-history tools when
 * {@link Builder#readChatHistory(boolean)} or {@link Builder#readToolCallHistory(boolean)} is on, and sets
 * {@link ToolArgumentErrors#answerToModel()} as the service's tool-arguments error handler (so unreadable tool
 * arguments from the model are answered to the model instead of failing the call; turn off with
 * {@link Builder#answerToolArgumentErrors(boolean)} if you set your own). Setting only
 * {@code .chatMemoryProvider(memory)} works too; runs then get generated ids and concurrent calls on one session
 * are the caller's to serialize.
 *
 * <p>Memories are kept per session for the provider's lifetime (as LangChain4j's own chat memory service does).
 */
public final class AgnoChatMemoryProvider implements ChatMemoryProvider {

    static final String DEFAULT_USER = "default";
    static final Duration DEFAULT_CALL_WAIT_LIMIT = Duration.ofMinutes(10);

    private final MemoryStorage storage;
    private final SessionKeyResolver resolver;
    private final String agentId;
    private final HistoryWindow window;
    private final boolean readChatHistory;
    private final boolean readToolCallHistory;
    private final boolean answerToolArgumentErrors;
    private final RunCoordinator coordinator;
    private final ConcurrentHashMap<SessionKey, AgnoChatMemory> memories = new ConcurrentHashMap<>();

    private AgnoChatMemoryProvider(Builder b) {
        this.storage = b.storage;
        this.resolver = b.resolver != null ? b.resolver : SessionKeyResolver.withDefaultUser(b.userId);
        this.agentId = b.agentId;
        this.window = new HistoryWindow(b.addHistoryToMessages, b.numHistoryResponses, b.maxHistoryTokens,
                b.tokenCountEstimator);
        this.readChatHistory = b.readChatHistory;
        this.readToolCallHistory = b.readToolCallHistory;
        this.answerToolArgumentErrors = b.answerToolArgumentErrors;
        this.coordinator = new RunCoordinator(resolver::resolve, memories::get, b.callWaitLimit);
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The memory of the session that {@code memoryId} stands for; the same instance for the same session.
     *
     * @param memoryId the AI service's memory id, not null
     * @return the memory
     */
    @Override
    public AgnoChatMemory get(Object memoryId) {
        SessionKey key = resolver.resolve(memoryId);
        return memories.computeIfAbsent(key, k -> new AgnoChatMemory(memoryId, k, agentId, storage, window,
                coordinator));
    }

    /**
     * The AI service listeners that make each call one run named by its invocation id, and make calls on one
     * session take turns.
     *
     * @return the listeners, for {@code AiServices.builder(...).registerListeners(...)}
     */
    public List<AiServiceListener<?>> listeners() {
        return coordinator.listeners();
    }

    /**
     * The {@code get_chat_history} tool, reading the session of the call's memory id.
     *
     * @return the tool, for {@code AiServices.builder(...).tools(...)}
     */
    public ChatHistoryTool chatHistoryTool() {
        return new ChatHistoryTool(storage, resolver);
    }

    /**
     * The {@code get_tool_call_history} tool, reading the session of the call's memory id.
     *
     * @return the tool, for {@code AiServices.builder(...).tools(...)}
     */
    public ToolCallHistoryTool toolCallHistoryTool() {
        return new ToolCallHistoryTool(storage, resolver);
    }

    /**
     * Plugs this memory into an AI service builder: sets it as the chat memory provider, registers the
     * {@link #listeners()}, and adds the {@link #chatHistoryTool()} and {@link #toolCallHistoryTool()} when reading them is enabled.
     *
     * @param services the builder
     * @param <T> the AI service type
     * @return the same builder
     */
    public <T> AiServices<T> attachTo(AiServices<T> services) {
        Require.notNull(services, "services");
        services.chatMemoryProvider(this);
        services.registerListeners(listeners());
        if (readChatHistory) {
            services.tools(chatHistoryTool());
        }
        if (readToolCallHistory) {
            services.tools(toolCallHistoryTool());
        }
        if (answerToolArgumentErrors) {
            services.toolArgumentsErrorHandler(ToolArgumentErrors.answerToModel());
        }
        return services;
    }

    static Duration requireWaitLimit(Duration limit) {
        Require.notNull(limit, "callWaitLimit");
        if (limit.isNegative() || limit.isZero()) {
            throw new IllegalArgumentException("callWaitLimit must be positive, but is " + limit);
        }
        return limit;
    }

    /** Configures an {@link AgnoChatMemoryProvider}; validation happens in {@link #build()}. */
    public static final class Builder {
        private MemoryStorage storage;
        private String userId = DEFAULT_USER;
        private SessionKeyResolver resolver;
        private String agentId;
        private boolean addHistoryToMessages = true;
        private int numHistoryResponses = HistoryWindow.DEFAULT.numHistoryResponses();
        private int maxHistoryTokens;
        private TokenCountEstimator tokenCountEstimator;
        private boolean readChatHistory;
        private boolean readToolCallHistory;
        private boolean answerToolArgumentErrors = true;
        private Duration callWaitLimit = DEFAULT_CALL_WAIT_LIMIT;

        private Builder() {
        }

        /**
         * @param storage where sessions are stored (required)
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
         * @param resolver how memory ids become users and sessions (default
         *     {@link SessionKeyResolver#withDefaultUser(String)} with {@link #userId(String)})
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
         * @param add Agno's {@code add_history_to_messages} (default true)
         * @return this builder
         */
        public Builder addHistoryToMessages(boolean add) {
            this.addHistoryToMessages = add;
            return this;
        }

        /**
         * @param n Agno's {@code num_history_responses}: earlier runs in the prompt (default 3)
         * @return this builder
         */
        public Builder numHistoryResponses(int n) {
            this.numHistoryResponses = n;
            return this;
        }

        /**
         * @param maxTokens token budget for the history, greater than 0
         * @param estimator counts tokens
         * @return this builder
         */
        public Builder maxHistoryTokens(int maxTokens, TokenCountEstimator estimator) {
            this.maxHistoryTokens = Require.positive(maxTokens, "maxTokens");
            this.tokenCountEstimator = estimator;
            return this;
        }

        /**
         * @param read Agno's {@code read_chat_history}: {@link #attachTo} adds {@code get_chat_history}
         * @return this builder
         */
        public Builder readChatHistory(boolean read) {
            this.readChatHistory = read;
            return this;
        }

        /**
         * @param read Agno's {@code read_tool_call_history}: {@link #attachTo} adds {@code get_tool_call_history}
         * @return this builder
         */
        public Builder readToolCallHistory(boolean read) {
            this.readToolCallHistory = read;
            return this;
        }

        /**
         * @param answer whether {@link AgnoChatMemoryProvider#attachTo} sets {@link ToolArgumentErrors#answerToModel()}
         *     as the service's tool-arguments error handler (default true)
         * @return this builder
         */
        public Builder answerToolArgumentErrors(boolean answer) {
            this.answerToolArgumentErrors = answer;
            return this;
        }

        /**
         * @param limit how long a call waits for the previous call on its session (default 10 minutes)
         * @return this builder
         */
        public Builder callWaitLimit(Duration limit) {
            this.callWaitLimit = limit;
            return this;
        }

        /**
         * @return the provider
         * @throws IllegalArgumentException when the storage is missing or a value is invalid
         */
        public AgnoChatMemoryProvider build() {
            Require.notNull(storage, "storage");
            if (resolver == null) {
                Require.notBlank(userId, "userId");
            }
            if (agentId != null) {
                Require.notBlank(agentId, "agentId");
            }
            requireWaitLimit(callWaitLimit);
            return new AgnoChatMemoryProvider(this);
        }
    }
}
