package dev.agnomemory.langchain4j;

import com.github.benmanes.caffeine.cache.Ticker;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.internal.Require;
import dev.agnomemory.core.search.ConversationSearch;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.model.TokenCountEstimator;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.observability.api.listener.AiServiceListener;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.tool.AiServiceTool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Agno's persistent agent memory for every session of an AI service: one {@link AgnoChatMemory} per
 * {@code @MemoryId}. The memory id is turned into a user and session by a {@link SessionKeyResolver} (pass
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
 * <p>{@link #attachTo(AiServices)} plugs in every piece; each can also be set by hand:
 * <ul>
 *   <li>{@code .chatMemoryProvider(memory)}: the memories;</li>
 *   <li>{@code .registerListeners(memory.listeners())}: each call becomes one run named by its invocation id,
 *       with its status and metrics, and calls on one session take turns ({@link CallCoordinator}'s rules);
 *       without them runs get generated ids, no metrics, and concurrent calls on one session are the caller's
 *       to serialize;</li>
 *   <li>{@code .chatRequestTransformer(memory.chatRequestTransformer())}: a streamed call's first request is built
 *       when the stream starts, not when the method is called;</li>
 *   <li>{@code .tools(memory.tools())}: the tools that are on ({@code get_chat_history},
 *       {@code get_tool_call_history}, {@code update_user_memory}, {@code search_past_sessions}, ...); a warning
 *       tells once when they are on but never fetched;</li>
 *   <li>{@code .toolArgumentsErrorHandler(ToolArgumentErrors.answerToModel())}, unless
 *       {@link Builder#answerToolArgumentErrors(boolean)} is off.</li>
 * </ul>
 *
 * <p>Caching: the memories are caches of storage, kept for at most {@link Builder#maxCachedSessions(int)} sessions
 * and {@link Builder#sessionIdleTime(Duration)}; {@link #evict(Object)} (and LangChain4j's
 * {@code ChatMemoryAccess.evictChatMemory}) drops one. The listener API used is LangChain4j's
 * {@code dev.langchain4j.observability.api}, {@code @Experimental} in 1.19; this version is tested with
 * LangChain4j 1.19.0.
 */
public final class AgnoChatMemoryProvider implements ChatMemoryProvider, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AgnoChatMemoryProvider.class);

    /**
     * The invocation parameter that gives one call its own session state (Agno's {@code session_state} argument of
     * {@code run}): a JSON object's text, a {@code Map} or a Jackson {@code ObjectNode}. Pass
     * {@code InvocationParameters.from(SESSION_STATE, Map.of("cart", List.of()))} as an argument of the AI
     * service method.
     */
    public static final String SESSION_STATE = "session_state";

    static final String DEFAULT_USER = "default";
    static final Duration DEFAULT_CALL_WAIT_LIMIT = Duration.ofMinutes(10);
    static final int DEFAULT_MAX_CACHED_SESSIONS = 10_000;
    static final Duration DEFAULT_SESSION_IDLE_TIME = Duration.ofMinutes(30);
    static final int DEFAULT_NUM_PAST_SESSIONS_TO_SEARCH = 20;
    static final int DEFAULT_NUM_PAST_SESSION_RUNS_IN_SEARCH = 3;

    private final MemoryStorage storage;
    private final String agentId;
    private final SessionKeyResolver resolver;
    private final boolean answerToolArgumentErrors;
    private final MemoryManager memoryManager;
    private final SessionSummarizer summarizer;
    private final RunBoundaries runs;
    private final SessionWindows windows;
    private final CallCoordinator coordinator;
    private final List<AgnoTool> tools;
    private final AtomicBoolean toolsFetched = new AtomicBoolean();
    private final AtomicBoolean warnedTools = new AtomicBoolean();

    private AgnoChatMemoryProvider(Builder b) {
        MemoryStorage storage = b.storage;
        this.resolver = b.resolver != null ? b.resolver : SessionKeyResolver.withDefaultUser(b.userId);
        this.answerToolArgumentErrors = b.answerToolArgumentErrors;
        boolean byMessages = b.numHistoryMessages != null && !b.numHistoryResponsesSet;
        if (b.numHistoryMessages != null && b.numHistoryResponsesSet) {
            log.warn("numHistoryResponses and numHistoryMessages are both set; the history is counted in runs "
                    + "({} runs), as Agno does", b.numHistoryResponses);
        }
        HistoryWindow history = new HistoryWindow(b.addHistoryToMessages, b.numHistoryResponses,
                byMessages ? b.numHistoryMessages : 0,
                b.maxToolCallsFromHistory == null ? 0 : b.maxToolCallsFromHistory,
                b.maxHistoryTokens == null ? 0 : b.maxHistoryTokens, b.tokenCountEstimator);
        String memoryAgent = b.memoryScope == MemoryScope.AGENT ? b.agentId : null;
        UserMemoryRetriever retriever = null;
        if (b.createUserMemories) {
            UserMemoryRetriever.Builder r = UserMemoryRetriever.builder().storage(storage).retrieval(b.retrieval)
                    .embeddingModel(b.embeddingModel).agentId(memoryAgent);
            if (b.numMemories != null) {
                r.limit(b.numMemories);
            }
            retriever = r.build();
        }
        UserMemoryRetriever embedNow = retriever != null && b.retrieval == MemoryRetrieval.SEMANTIC ? retriever : null;
        this.memoryManager = b.memoryModel == null ? null : MemoryManager.builder().chatModel(b.memoryModel)
                .storage(storage).agentId(memoryAgent).onChange(update -> embed(embedNow, update)).build();
        this.summarizer = b.memoryModel == null ? null : SessionSummarizer.builder().chatModel(b.memoryModel)
                .storage(storage).build();
        AfterRunWork afterRun = new AfterRunWork(storage,
                b.createUserMemories && b.updateUserMemoriesAfterRun ? memoryManager : null,
                b.createSessionSummary && b.updateSessionSummaryAfterRun ? summarizer : null,
                b.backgroundQueue, b.closeWait);
        this.runs = new RunBoundaries(afterRun,
                b.conversationSearch == null ? key -> { } : new ConversationSearchFeed(b.conversationSearch));
        SystemPromptComposer composer = new SystemPromptComposer(retriever, b.createSessionSummary,
                history.capacity(), b.addSessionStateToContext, b.relatedPastMessages == null ? null
                        : new RelatedPastMessages(b.conversationSearch, b.relatedPastMessages));
        ObjectNode stateDefaults = b.sessionState == null ? null : SessionStates.parse(b.sessionState, "sessionState");
        SessionWindows[] holder = new SessionWindows[1];
        this.windows = new SessionWindows(b.maxCachedSessions, b.sessionIdleTime, b.ticker, key -> new SessionWindow(key,
                new SessionWindow.Context(storage, b.agentId, history, composer, runs, holder[0], stateDefaults,
                        b.overwriteDbSessionState)));
        holder[0] = windows;
        this.coordinator = new CallCoordinator(resolver, windows, runs, new StorageCallTurns(storage.turns()),
                b.callWaitLimit, this::checkToolsRegistered);
        this.tools = new ArrayList<>();
        if (b.readChatHistory) {
            tools.add(new ChatHistoryTool(storage, resolver));
        }
        if (b.readToolCallHistory) {
            tools.add(new ToolCallHistoryTool(storage, resolver));
        }
        if (b.agenticMemory) {
            tools.add(new UserMemoryTool(memoryManager, resolver));
        }
        if (b.agenticState) {
            tools.add(new SessionStateTool(context -> coordinator.writes(context, storage), resolver, b.agentId));
        }
        if (b.searchPastSessions) {
            tools.add(new SearchPastSessionsTool(storage, resolver, b.numPastSessionsToSearch,
                    b.numPastSessionRunsInSearch));
            tools.add(new ReadPastSessionTool(storage, resolver));
        }
        if (b.searchConversations) {
            tools.add(new SearchConversationsTool(b.conversationSearch, storage, resolver));
        }
        this.storage = storage;
        this.agentId = b.agentId;
    }

    /** The memory model changed memories: embed them now (semantic retrieval), not at the next lookup. */
    private static void embed(UserMemoryRetriever retriever, MemoryUpdate update) {
        if (retriever == null) {
            return;
        }
        try {
            update.added().forEach(retriever::memoryChanged);
            update.updated().forEach(retriever::memoryChanged);
        } catch (RuntimeException e) {
            log.warn("Embedding {} changed memories failed; they are embedded at the next lookup",
                    update.added().size() + update.updated().size(), e);
        }
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The memory of the session that {@code memoryId} stands for. LangChain4j asks for it at the first call with
     * that id, and again after {@code ChatMemoryAccess.evictChatMemory(memoryId)}: the session's cached state is
     * then dropped too (unless a call on it is in progress), so the next call reads it from storage.
     *
     * @param memoryId the AI service's memory id, not null
     * @return the memory
     * @throws IllegalArgumentException when the memory id is null or the resolver rejects it
     */
    @Override
    public AgnoChatMemory get(Object memoryId) {
        SessionKey key = resolver.resolve(memoryId);
        checkToolsRegistered();
        windows.evict(key);
        return new AgnoChatMemory(memoryId, key, this, false);
    }

    /**
     * Drops the cached state of the session {@code memoryId} stands for (with a call in progress, when it ends);
     * the next use reads it from storage. Nothing in storage changes.
     *
     * @param memoryId the memory id
     * @return whether the session was cached
     */
    public boolean evict(Object memoryId) {
        return windows.evict(resolver.resolve(memoryId));
    }

    /**
     * Tells the memory that the streaming call on this session was cancelled through its {@code StreamingHandle}:
     * LangChain4j 1.19 reports no event for that, so otherwise the run is finished (as cancelled) only when the
     * stream is garbage-collected, and the session's next call may wait until then. The run is finished as
     * cancelled with the metrics so far, and the session's turn given back.
     *
     * @param memoryId the memory id of the cancelled stream
     * @return whether a streaming call was in progress on that session
     */
    public boolean streamCancelled(Object memoryId) {
        return coordinator.streamCancelled(resolver.resolve(memoryId));
    }

    /**
     * The name of the session {@code memoryId} stands for (Agno's {@code get_session_name}).
     *
     * @param memoryId the memory id
     * @return the name, or empty when the session has none (or does not exist)
     */
    public Optional<String> sessionName(Object memoryId) {
        return storage.session(resolver.resolve(memoryId)).flatMap(Session::name);
    }

    /**
     * Names the session {@code memoryId} stands for (Agno's {@code set_session_name}); the session is created when it
     * does not exist yet. The name is listed with the sessions ({@code MemoryStorage.sessions}).
     *
     * @param memoryId the memory id
     * @param name the name, not blank; null removes it
     */
    public void setSessionName(Object memoryId, String name) {
        SessionKey key = resolver.resolve(memoryId);
        storage.getOrCreateSession(key, agentId);
        storage.renameSession(key, name);
    }

    /**
     * The session state (Agno's {@code session_state}) of the session {@code memoryId} stands for.
     *
     * @param memoryId the memory id
     * @return the state, a JSON object's text; {@code {}} when none was set or the session does not exist
     */
    public String sessionState(Object memoryId) {
        return storage.session(resolver.resolve(memoryId)).map(Session::state).orElse(Session.EMPTY_STATE);
    }

    /**
     * Replaces the session state of the session {@code memoryId} stands for; the session is created when it does
     * not exist yet. The next call sees it (and, with {@code addSessionStateToContext}, sends it).
     *
     * @param memoryId the memory id
     * @param state a JSON object's text
     * @throws IllegalArgumentException when {@code state} is not a JSON object (nothing is stored)
     */
    public void setSessionState(Object memoryId, String state) {
        String json = SessionStates.write(SessionStates.parse(state, "state"));
        SessionKey key = resolver.resolve(memoryId);
        storage.getOrCreateSession(key, agentId);
        storage.updateSessionState(key, stored -> json);
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

    /** Finishes the after-run memory work still queued (when it runs in the background). */
    @Override
    public void close() {
        runs.afterRun().close();
    }

    /**
     * The AI service listeners that make each call one run named by its invocation id, with its status and
     * metrics, and make calls on one session take turns.
     *
     * @return the listeners, for {@code AiServices.builder(...).registerListeners(...)}
     */
    public List<AiServiceListener<?>> listeners() {
        return coordinator.listeners();
    }

    /**
     * The request transformer that builds a streamed call's first request when the stream starts (from storage as
     * it is then) instead of when the method is called; every other request passes unchanged. To combine it with
     * your own: {@code .chatRequestTransformer((request, id) -> yours(memory.chatRequestTransformer().apply(request,
     * id)))}.
     *
     * @return the transformer, for {@code AiServices.builder(...).chatRequestTransformer(...)}
     */
    public BiFunction<ChatRequest, Object, ChatRequest> chatRequestTransformer() {
        return coordinator::transform;
    }

    /**
     * The tools that are on: {@code get_chat_history} ({@link Builder#readChatHistory(boolean)}),
     * {@code get_tool_call_history} ({@link Builder#readToolCallHistory(boolean)}), {@code update_user_memory}
     * ({@link Builder#enableAgenticMemory(boolean)}), {@code update_session_state}
     * ({@link Builder#enableAgenticState(boolean)}), {@code search_past_sessions} and {@code read_past_session}
     * ({@link Builder#searchPastSessions(boolean)}), {@code search_conversations}
     * ({@link Builder#searchConversations(boolean)}). Each reads or changes only the session or user of the call's
     * memory id; arguments it cannot use are answered to the model as an error, and the call goes on.
     *
     * @return the tools, for {@code AiServices.builder(...).tools(...)}; empty when none is on
     */
    public List<AiServiceTool> tools() {
        toolsFetched.set(true);
        return tools.stream().map(AgnoTool::asAiServiceTool).toList();
    }

    /**
     * Plugs this memory into an AI service builder: the provider, the {@link #listeners()}, the
     * {@link #chatRequestTransformer()}, the {@link #tools()} that are on, and the tool-arguments error handler.
     *
     * @param services the builder
     * @param <T> the AI service type
     * @return the same builder
     */
    public <T> AiServices<T> attachTo(AiServices<T> services) {
        Require.notNull(services, "services");
        services.chatMemoryProvider(this);
        services.registerListeners(listeners());
        services.chatRequestTransformer(chatRequestTransformer());
        List<AiServiceTool> on = tools();
        if (!on.isEmpty()) {
            services.tools(on);
        }
        if (answerToolArgumentErrors) {
            services.toolArgumentsErrorHandler(ToolArgumentErrors.answerToModel());
        }
        return services;
    }

    private void checkToolsRegistered() {
        if (!tools.isEmpty() && !toolsFetched.get() && warnedTools.compareAndSet(false, true)) {
            log.warn("Memory tools are on ({}) but were never registered with the AI service: use "
                    + "memory.attachTo(AiServices.builder(...)), or .tools(memory.tools())",
                    tools.stream().map(t -> t.specification().name()).toList());
        }
    }

    // ---- package-private, for the memories and tests ----

    SessionWindow window(SessionKey key) {
        return windows.get(key);
    }

    RunBoundaries runBoundaries() {
        return runs;
    }

    SessionWindows windows() {
        return windows;
    }

    CallCoordinator coordinator() {
        return coordinator;
    }

    /** Configures an {@link AgnoChatMemoryProvider}; every value is validated in {@link #build()}. */
    public static final class Builder {
        MemoryStorage storage;
        String userId = DEFAULT_USER;
        SessionKeyResolver resolver;
        String agentId;
        boolean addHistoryToMessages = true;
        int numHistoryResponses = HistoryWindow.DEFAULT.numHistoryResponses();
        boolean numHistoryResponsesSet;
        Integer numHistoryMessages;
        Integer maxToolCallsFromHistory;
        boolean addSessionStateToContext;
        boolean agenticState;
        String sessionState;
        boolean overwriteDbSessionState;
        MemoryScope memoryScope = MemoryScope.USER;
        Integer maxHistoryTokens;
        TokenCountEstimator tokenCountEstimator;
        boolean readChatHistory;
        boolean readToolCallHistory;
        boolean answerToolArgumentErrors = true;
        Duration callWaitLimit = DEFAULT_CALL_WAIT_LIMIT;
        boolean createUserMemories;
        boolean updateUserMemoriesAfterRun = true;
        boolean createSessionSummary;
        boolean updateSessionSummaryAfterRun = true;
        boolean agenticMemory;
        ChatModel memoryModel;
        MemoryRetrieval retrieval = MemoryRetrieval.LAST_N;
        Integer numMemories;
        EmbeddingModel embeddingModel;
        int backgroundQueue;
        Duration closeWait = Duration.ofMinutes(1);
        int maxCachedSessions = DEFAULT_MAX_CACHED_SESSIONS;
        Duration sessionIdleTime = DEFAULT_SESSION_IDLE_TIME;
        Ticker ticker = Ticker.systemTicker();
        boolean searchPastSessions;
        int numPastSessionsToSearch = DEFAULT_NUM_PAST_SESSIONS_TO_SEARCH;
        int numPastSessionRunsInSearch = DEFAULT_NUM_PAST_SESSION_RUNS_IN_SEARCH;
        ConversationSearch conversationSearch;
        boolean searchConversations;
        Integer relatedPastMessages;

        private Builder() {
        }

        /** The clock of the idle-time eviction; for tests. */
        Builder ticker(Ticker ticker) {
            this.ticker = ticker;
            return this;
        }

        /**
         * @param storage where sessions and memories are stored (required)
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
         * @param add Agno's {@code add_history_to_messages} (default true): earlier runs go into the prompt
         * @return this builder
         */
        public Builder addHistoryToMessages(boolean add) {
            this.addHistoryToMessages = add;
            return this;
        }

        /**
         * @param n Agno's {@code num_history_responses}: how many completed runs go into the prompt, whole (default
         *     3, greater than 0)
         * @return this builder
         */
        public Builder numHistoryResponses(int n) {
            this.numHistoryResponses = n;
            this.numHistoryResponsesSet = true;
            return this;
        }

        /**
         * @param n Agno's {@code num_history_messages} (since 2.2.4): the history is the last {@code n} messages of
         *     the completed runs instead of the last runs, greater than 0; never a tool result without its call, never
         *     starting with an assistant message. When {@link #numHistoryResponses(int)} is set too, runs win (with a
         *     warning), as in Agno
         * @return this builder
         */
        public Builder numHistoryMessages(int n) {
            this.numHistoryMessages = n;
            return this;
        }

        /**
         * @param n Agno's {@code max_tool_calls_from_history} (since 2.2.1): only the newest {@code n} tool calls of
         *     the history keep their request and result, greater than 0 (default: all); storage keeps everything
         * @return this builder
         */
        public Builder maxToolCallsFromHistory(int n) {
            this.maxToolCallsFromHistory = n;
            return this;
        }

        /**
         * @param add Agno's {@code add_session_state_to_context} (default false): the session state goes into the
         *     system message, inside {@code <session_state>}
         * @return this builder
         */
        public Builder addSessionStateToContext(boolean add) {
            this.addSessionStateToContext = add;
            return this;
        }

        /**
         * @param enable Agno's {@code enable_agentic_state} (default false): the
         *     {@code update_session_state(session_state_updates)} tool is on; the model sets keys of the session's
         *     state
         * @return this builder
         */
        public Builder enableAgenticState(boolean enable) {
            this.agenticState = enable;
            return this;
        }

        /**
         * @param defaults Agno's {@code session_state} of the agent: a JSON object whose keys every session has unless
         *     its stored state or the call's own state (the {@value AgnoChatMemoryProvider#SESSION_STATE} invocation
         *     parameter) sets them (default none)
         * @return this builder
         */
        public Builder sessionState(String defaults) {
            this.sessionState = defaults;
            return this;
        }

        /**
         * @param overwrite Agno's {@code overwrite_db_session_state} (default false): a call that brings its own
         *     session state replaces the stored state instead of being merged into it
         * @return this builder
         */
        public Builder overwriteDbSessionState(boolean overwrite) {
            this.overwriteDbSessionState = overwrite;
            return this;
        }

        /**
         * @param scope whose memories go into the prompt and are changed (default {@link MemoryScope#USER}, as
         *     Agno); {@link MemoryScope#AGENT} needs an {@link #agentId(String)}
         * @return this builder
         */
        public Builder memoryScope(MemoryScope scope) {
            this.memoryScope = scope;
            return this;
        }

        /**
         * @param maxTokens token budget for the history, greater than 0: whole runs are dropped, oldest first
         * @param estimator counts tokens (required with a budget)
         * @return this builder
         */
        public Builder maxHistoryTokens(int maxTokens, TokenCountEstimator estimator) {
            this.maxHistoryTokens = maxTokens;
            this.tokenCountEstimator = estimator;
            return this;
        }

        /**
         * @param read Agno's {@code read_chat_history}: the {@code get_chat_history} tool is on
         * @return this builder
         */
        public Builder readChatHistory(boolean read) {
            this.readChatHistory = read;
            return this;
        }

        /**
         * @param read Agno's {@code read_tool_call_history}: the {@code get_tool_call_history} tool is on
         * @return this builder
         */
        public Builder readToolCallHistory(boolean read) {
            this.readToolCallHistory = read;
            return this;
        }

        /**
         * @param search Agno v2's {@code search_past_sessions} (default false): the tools
         *     {@code search_past_sessions()} (the user's other sessions with previews, {@link SearchPastSessionsTool})
         *     and {@code read_past_session(session_id, num_runs)} (one of the user's sessions, {@link
         *     ReadPastSessionTool}) are on; they never reach another user's sessions
         * @return this builder
         */
        public Builder searchPastSessions(boolean search) {
            this.searchPastSessions = search;
            return this;
        }

        /**
         * @param n Agno v2's {@code num_past_sessions_to_search}: how many of the user's other sessions
         *     {@code search_past_sessions} lists, most recently active first, greater than 0 (default
         *     {@value AgnoChatMemoryProvider#DEFAULT_NUM_PAST_SESSIONS_TO_SEARCH})
         * @return this builder
         */
        public Builder numPastSessionsToSearch(int n) {
            this.numPastSessionsToSearch = n;
            return this;
        }

        /**
         * @param n Agno v2's {@code num_past_session_runs_in_search}: how many of each session's first runs
         *     {@code search_past_sessions} previews, greater than 0 (default
         *     {@value AgnoChatMemoryProvider#DEFAULT_NUM_PAST_SESSION_RUNS_IN_SEARCH})
         * @return this builder
         */
        public Builder numPastSessionRunsInSearch(int n) {
            this.numPastSessionRunsInSearch = n;
            return this;
        }

        /**
         * @param search the search over everything the users said, built over the same storage (see
         *     {@code ConversationSearch.builder()}); the provider tells it of every run it stores and every session
         *     it deletes, so it indexes them in the background. Needed by {@link #searchConversations(boolean)} and
         *     {@link #addRelatedPastMessagesToContext(int)}. Neither closed nor owned by the provider: close it after
         *     the provider
         * @return this builder
         */
        public Builder conversationSearch(ConversationSearch search) {
            this.conversationSearch = search;
            return this;
        }

        /**
         * @param search whether the {@code search_conversations(query, limit)} tool is on (default false): the
         *     messages of all the user's sessions most related to the query, by meaning and by words, with their
         *     neighbours ({@link SearchConversationsTool}); needs a {@link #conversationSearch(ConversationSearch)}
         * @return this builder
         */
        public Builder searchConversations(boolean search) {
            this.searchConversations = search;
            return this;
        }

        /**
         * Adds to the system message, at every call, the {@code k} messages of the user's other sessions most related
         * to the current user message, inside {@code <related_past_messages>} (default: off). Needs a
         * {@link #conversationSearch(ConversationSearch)}; each call then waits for one search.
         *
         * @param k how many messages, greater than 0
         * @return this builder
         */
        public Builder addRelatedPastMessagesToContext(int k) {
            this.relatedPastMessages = k;
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
         * @param limit how long a call waits for its session's turn (the previous call on the session, in this or
         *     another instance on the same store), positive (default 10 minutes); when it passes, the call fails
         *     with {@code TurnTimeoutException} naming the session and writes nothing
         * @return this builder
         */
        public Builder callWaitLimit(Duration limit) {
            this.callWaitLimit = limit;
            return this;
        }

        /**
         * @param sessions how many sessions' memories are cached, greater than 0 (default 10,000); beyond it the
         *     least recently used are dropped (and read from storage again when used)
         * @return this builder
         */
        public Builder maxCachedSessions(int sessions) {
            this.maxCachedSessions = sessions;
            return this;
        }

        /**
         * @param idle how long a session's cached memory stays unused before it is dropped, positive (default 30
         *     minutes)
         * @return this builder
         */
        public Builder sessionIdleTime(Duration idle) {
            this.sessionIdleTime = idle;
            return this;
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
         * @param enable Agno's agentic memory: the {@code update_user_memory} tool is on (needs a
         *     {@link #memoryModel(ChatModel)})
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
         * @param n how many memories go into the prompt, greater than 0 (default: all for last/first, 5 for
         *     semantic)
         * @return this builder
         */
        public Builder numMemories(int n) {
            this.numMemories = n;
            return this;
        }

        /**
         * @param model the embedding model for {@link MemoryRetrieval#SEMANTIC} (default: the in-process
         *     all-MiniLM-L6-v2, an optional dependency: {@value UserMemoryRetriever#IN_PROCESS_MODEL_ARTIFACT})
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
            this.backgroundQueue = queueSize;
            return this;
        }

        /**
         * @return the provider
         * @throws IllegalArgumentException naming the parameter, when the storage is missing or a value is invalid
         */
        public AgnoChatMemoryProvider build() {
            Require.notNull(storage, "storage");
            if (resolver == null) {
                Require.notBlank(userId, "userId");
            }
            if (agentId != null) {
                Require.notBlank(agentId, "agentId");
            }
            Require.positive(numHistoryResponses, "numHistoryResponses");
            if (numHistoryMessages != null) {
                Require.positive(numHistoryMessages, "numHistoryMessages");
            }
            if (maxToolCallsFromHistory != null) {
                Require.positive(maxToolCallsFromHistory, "maxToolCallsFromHistory");
            }
            if (sessionState != null) {
                SessionStates.parse(sessionState, "sessionState");
            }
            Require.notNull(memoryScope, "memoryScope");
            if (memoryScope == MemoryScope.AGENT && agentId == null) {
                throw new IllegalArgumentException("agentId must be set when memoryScope is AGENT");
            }
            if (maxHistoryTokens != null) {
                Require.positive(maxHistoryTokens, "maxTokens");
                Require.notNull(tokenCountEstimator, "estimator");
            }
            requirePositive(callWaitLimit, "callWaitLimit");
            requirePositive(sessionIdleTime, "sessionIdleTime");
            Require.positive(maxCachedSessions, "maxCachedSessions");
            Require.notNull(retrieval, "memoryRetrieval");
            if (numMemories != null) {
                Require.positive(numMemories, "numMemories");
            }
            Require.positive(numPastSessionsToSearch, "numPastSessionsToSearch");
            Require.positive(numPastSessionRunsInSearch, "numPastSessionRunsInSearch");
            if (relatedPastMessages != null) {
                Require.positive(relatedPastMessages, "k");
            }
            if ((searchConversations || relatedPastMessages != null) && conversationSearch == null) {
                throw new IllegalArgumentException("conversationSearch must not be null when searchConversations "
                        + "or addRelatedPastMessagesToContext is on");
            }
            if (backgroundQueue < 0) {
                throw new IllegalArgumentException("queueSize must be positive, but is " + backgroundQueue);
            }
            boolean modelWork = (createUserMemories && updateUserMemoriesAfterRun)
                    || (createSessionSummary && updateSessionSummaryAfterRun) || agenticMemory;
            if (modelWork && memoryModel == null) {
                throw new IllegalArgumentException("memoryModel must not be null when memories or summaries are "
                        + "updated after runs, or agentic memory is enabled");
            }
            return new AgnoChatMemoryProvider(this);
        }

        private static void requirePositive(Duration value, String name) {
            Require.notNull(value, name);
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, but is " + value);
            }
        }
    }
}
