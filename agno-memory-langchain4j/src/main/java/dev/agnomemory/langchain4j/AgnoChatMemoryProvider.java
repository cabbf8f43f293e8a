package dev.agnomemory.langchain4j;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.internal.Require;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.TokenCountEstimator;
import dev.langchain4j.observability.api.listener.AiServiceListener;
import dev.langchain4j.service.AiServices;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

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
public final class AgnoChatMemoryProvider implements ChatMemoryProvider, AutoCloseable {

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
    private final MemoryFeatures features;
    private final MemoryManager memoryManager;
    private final SessionSummarizer summarizer;
    private final boolean agenticMemory;
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
        this.agenticMemory = b.agenticMemory;
        UserMemoryRetriever retriever = null;
        if (b.createUserMemories || b.agenticMemory) {
            UserMemoryRetriever.Builder r = UserMemoryRetriever.builder().storage(storage).retrieval(b.retrieval);
            if (b.numMemories > 0) {
                r.limit(b.numMemories);
            }
            if (b.embeddingModel != null) {
                r.embeddingModel(b.embeddingModel);
            }
            retriever = r.build();
        }
        AtomicLong version = new AtomicLong();
        UserMemoryRetriever changes = retriever;
        this.memoryManager = b.memoryModel == null ? null : MemoryManager.builder().chatModel(b.memoryModel)
                .storage(storage).onChange(update -> {
                    if (changes != null) {
                        update.added().forEach(changes::memoryChanged);
                        update.updated().forEach(changes::memoryChanged);
                        update.deleted().forEach(m -> changes.memoryDeleted(m.userId(), m.memoryId()));
                    }
                    version.incrementAndGet();
                }).build();
        this.summarizer = b.memoryModel == null ? null : SessionSummarizer.builder().chatModel(b.memoryModel)
                .storage(storage).build();
        AfterRunWork afterRun = new AfterRunWork(
                b.createUserMemories && b.updateUserMemoriesAfterRun ? memoryManager : null,
                b.createSessionSummary && b.updateSessionSummaryAfterRun ? summarizer : null,
                b.backgroundQueue, b.closeWait);
        this.features = new MemoryFeatures(b.createUserMemories, retriever, b.createSessionSummary, afterRun,
                version);
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
        return create(memoryId, key, null);
    }

    AgnoChatMemory create(Object memoryId, SessionKey key, AutoCloseable owner) {
        return memories.computeIfAbsent(key, k -> new AgnoChatMemory(memoryId, k, agentId, storage, window,
                coordinator, features, owner));
    }

    /**
     * The memory manager, for updating memories by hand (Agno's {@code memory.update_memory()}), or empty without
     * a {@link Builder#memoryModel(ChatModel)}.
     *
     * @return the manager
     */
    public Optional<MemoryManager> memoryManager() {
        return Optional.ofNullable(memoryManager);
    }

    /**
     * The session summarizer, for summarizing by hand (Agno's {@code create_session_summary()}), or empty without a
     * {@link Builder#memoryModel(ChatModel)}.
     *
     * @return the summarizer
     */
    public Optional<SessionSummarizer> sessionSummarizer() {
        return Optional.ofNullable(summarizer);
    }

    /**
     * The {@code update_user_memory} tool (Agno's agentic memory), reaching only the user of the call's memory id.
     *
     * @return the tool
     * @throws IllegalStateException without a {@link Builder#memoryModel(ChatModel)}
     */
    public UserMemoryTool userMemoryTool() {
        if (memoryManager == null) {
            throw new IllegalStateException("update_user_memory needs a memoryModel(...) to carry out its tasks");
        }
        return new UserMemoryTool(memoryManager, resolver);
    }

    /** Finishes the after-run memory work still queued (when it runs in the background). */
    @Override
    public void close() {
        features.afterRun().close();
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
        if (agenticMemory) {
            services.tools(userMemoryTool());
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
        private boolean createUserMemories;
        private boolean updateUserMemoriesAfterRun = true;
        private boolean createSessionSummary;
        private boolean updateSessionSummaryAfterRun = true;
        private boolean agenticMemory;
        private ChatModel memoryModel;
        private MemoryRetrieval retrieval = MemoryRetrieval.LAST_N;
        private int numMemories;
        private EmbeddingModel embeddingModel;
        private int backgroundQueue;
        private Duration closeWait = Duration.ofMinutes(1);

        private Builder() {
        }

        /**
         * @param create Agno's {@code create_user_memories} (default false): the user's memories go into the system
         *     message, and (with {@link #updateUserMemoriesAfterRun(boolean)}) the memory model extracts new ones
         *     after each run
         * @return this builder
         */
        public Builder createUserMemories(boolean create) {
            this.createUserMemories = create;
            return this;
        }

        /**
         * @param update Agno's {@code update_user_memories_after_run} (default true); when false, memories change
         *     only through {@link AgnoChatMemoryProvider#memoryManager()} or the {@code update_user_memory} tool
         * @return this builder
         */
        public Builder updateUserMemoriesAfterRun(boolean update) {
            this.updateUserMemoriesAfterRun = update;
            return this;
        }

        /**
         * @param create Agno's {@code create_session_summary} (default false): the session summary goes into the
         *     system message once the session has runs older than the history window, and (with
         *     {@link #updateSessionSummaryAfterRun(boolean)}) it is updated after each run
         * @return this builder
         */
        public Builder createSessionSummary(boolean create) {
            this.createSessionSummary = create;
            return this;
        }

        /**
         * @param update Agno's {@code update_session_summary_after_run} (default true)
         * @return this builder
         */
        public Builder updateSessionSummaryAfterRun(boolean update) {
            this.updateSessionSummaryAfterRun = update;
            return this;
        }

        /**
         * @param enable Agno's agentic memory: {@link AgnoChatMemoryProvider#attachTo} adds the
         *     {@code update_user_memory} tool (needs a {@link #memoryModel(ChatModel)})
         * @return this builder
         */
        public Builder enableAgenticMemory(boolean enable) {
            this.agenticMemory = enable;
            return this;
        }

        /**
         * @param model the model for memory work (extraction, summaries); may differ from the agent's model, any
         *     LangChain4j {@link ChatModel}
         * @return this builder
         */
        public Builder memoryModel(ChatModel model) {
            this.memoryModel = model;
            return this;
        }

        /**
         * @param retrieval how memories are picked for the prompt (default {@link MemoryRetrieval#LAST_N})
         * @return this builder
         */
        public Builder memoryRetrieval(MemoryRetrieval retrieval) {
            this.retrieval = retrieval;
            return this;
        }

        /**
         * @param n how many memories go into the prompt (default: all for last/first, 5 for semantic)
         * @return this builder
         */
        public Builder numMemories(int n) {
            this.numMemories = Require.positive(n, "numMemories");
            return this;
        }

        /**
         * @param model the embedding model for {@link MemoryRetrieval#SEMANTIC} (default: the in-process
         *     all-MiniLM-L6-v2)
         * @return this builder
         */
        public Builder embeddingModel(EmbeddingModel model) {
            this.embeddingModel = model;
            return this;
        }

        /**
         * Runs the after-run memory work on one background thread, so the user's reply is not delayed. At most
         * {@code queueSize} runs wait; beyond that the caller does the work itself (nothing is dropped).
         * {@link AgnoChatMemoryProvider#close()} finishes the queued work.
         *
         * @param queueSize how many runs may wait, greater than 0
         * @return this builder
         */
        public Builder afterRunInBackground(int queueSize) {
            this.backgroundQueue = Require.positive(queueSize, "queueSize");
            return this;
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
            Require.notNull(retrieval, "memoryRetrieval");
            boolean modelWork = (createUserMemories && updateUserMemoriesAfterRun)
                    || (createSessionSummary && updateSessionSummaryAfterRun) || agenticMemory;
            if (modelWork && memoryModel == null) {
                throw new IllegalArgumentException("memoryModel must not be null when memories or summaries are "
                        + "updated after runs, or agentic memory is enabled");
            }
            return new AgnoChatMemoryProvider(this);
        }
    }
}
