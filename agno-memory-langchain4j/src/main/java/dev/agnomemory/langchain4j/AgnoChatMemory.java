package dev.agnomemory.langchain4j;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
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

    private boolean loaded;
    private SystemMessage systemMessage;
    private final Deque<List<ChatMessage>> completedRuns = new ArrayDeque<>();
    private String currentRunId;
    private final List<ChatMessage> currentRun = new ArrayList<>();

    AgnoChatMemory(Object id, SessionKey key, String agentId, MemoryStorage storage, HistoryWindow window,
            RunCoordinator coordinator) {
        this.id = id;
        this.key = key;
        this.agentId = agentId;
        this.storage = storage;
        this.window = window;
        this.coordinator = coordinator;
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
        if (message instanceof UserMessage) {
            abandonOpenRun();
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
            currentRunId = null;
            currentRun.clear();
        }
    }

    @Override
    public synchronized List<ChatMessage> messages() {
        ensureLoaded();
        List<ChatMessage> out = new ArrayList<>();
        if (systemMessage != null) {
            out.add(systemMessage);
        }
        out.addAll(window.select(new ArrayList<>(completedRuns)));
        out.addAll(currentRun);
        return out;
    }

    /** Deletes the session, with all its runs, from storage. */
    @Override
    public synchronized void clear() {
        storage.deleteSession(key);
        systemMessage = null;
        completedRuns.clear();
        currentRun.clear();
        currentRunId = null;
        loaded = false;
    }

    /** A new AI service call begins: a run left open by a failed call is abandoned. */
    synchronized void beginCall() {
        abandonOpenRun();
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
        loaded = true;
    }

    /**
     * Configures an {@link AgnoChatMemory}; validation happens in {@link #build()}. Option names follow Agno's
     * {@code AgentMemory} and {@code Agent} settings.
     */
    public static final class Builder {
        private MemoryStorage storage;
        private String userId = AgnoChatMemoryProvider.DEFAULT_USER;
        private String sessionId;
        private String agentId;
        private Object id;
        private boolean addHistoryToMessages = true;
        private int numHistoryResponses = HistoryWindow.DEFAULT.numHistoryResponses();
        private int maxHistoryTokens;
        private TokenCountEstimator tokenCountEstimator;
        private Duration callWaitLimit = AgnoChatMemoryProvider.DEFAULT_CALL_WAIT_LIMIT;

        private Builder() {
        }

        /**
         * @param storage where the session is stored (required)
         * @return this builder
         */
        public Builder storage(MemoryStorage storage) {
            this.storage = storage;
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
            this.agentId = agentId;
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
         * @param add Agno's {@code add_history_to_messages}: whether earlier runs go into the prompt (default true)
         * @return this builder
         */
        public Builder addHistoryToMessages(boolean add) {
            this.addHistoryToMessages = add;
            return this;
        }

        /**
         * @param n Agno's {@code num_history_responses}: how many earlier runs at most (default 3)
         * @return this builder
         */
        public Builder numHistoryResponses(int n) {
            this.numHistoryResponses = n;
            return this;
        }

        /**
         * Limits the history to a token budget; whole runs are dropped, oldest first.
         *
         * @param maxTokens the budget for the history, greater than 0
         * @param estimator counts tokens, for example the chat model's own estimator
         * @return this builder
         */
        public Builder maxHistoryTokens(int maxTokens, TokenCountEstimator estimator) {
            this.maxHistoryTokens = Require.positive(maxTokens, "maxTokens");
            this.tokenCountEstimator = estimator;
            return this;
        }

        /**
         * @param limit how long a call waits for the previous call on the session to finish before going ahead
         *     with a warning (default 10 minutes); applies with the {@link AgnoChatMemory#listeners()}
         * @return this builder
         */
        public Builder callWaitLimit(Duration limit) {
            this.callWaitLimit = limit;
            return this;
        }

        /**
         * @return the memory
         * @throws IllegalArgumentException when a required value is missing or a value is invalid
         */
        public AgnoChatMemory build() {
            Require.notNull(storage, "storage");
            SessionKey key = new SessionKey(userId, sessionId);
            if (agentId != null) {
                Require.notBlank(agentId, "agentId");
            }
            HistoryWindow window = new HistoryWindow(addHistoryToMessages, numHistoryResponses, maxHistoryTokens,
                    tokenCountEstimator);
            AgnoChatMemoryProvider.requireWaitLimit(callWaitLimit);
            AgnoChatMemory[] self = new AgnoChatMemory[1];
            RunCoordinator coordinator = new RunCoordinator(memoryId -> key, k -> self[0], callWaitLimit);
            self[0] = new AgnoChatMemory(id != null ? id : sessionId, key, agentId, storage, window, coordinator);
            return self[0];
        }
    }
}
