package dev.agnomemory.langchain4j;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.model.TokenCountEstimator;
import dev.langchain4j.observability.api.listener.AiServiceListener;
import dev.langchain4j.service.tool.AiServiceTool;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Agno's built-in, persistent agent memory as a LangChain4j {@link ChatMemory}: one session of one user, organized
 * in runs (one AI service call each), stored in a {@link MemoryStorage}.
 *
 * <p>Rules:
 * <ul>
 *   <li><b>Runs.</b> A {@link UserMessage} starts a run; the assistant's tool calls, the tool results and the final
 *       answer join it. With the provider's listeners a run is one AI service call, named by its invocation id,
 *       and ends with the call (completed, error or cancelled, with its metrics); without them an
 *       {@link AiMessage} without tool calls completes it. Only completed runs are sent again.</li>
 *   <li><b>Prompt.</b> {@link #messages()} returns the system message first (the AI service's own, followed by the
 *       memory blocks that are on), then the history: the last {@code numHistoryResponses} completed runs, whole
 *       runs only (never a tool result without its call, never an unanswered call, never history starting with an
 *       assistant message), within the token budget; then the current run's messages.</li>
 *   <li><b>System message.</b> There is one; a different one replaces it (and is stored with the session, so a new
 *       process starts with it). It is not part of any run.</li>
 *   <li><b>Storage is the source of truth.</b> Every message is written through when added. The memory is a
 *       cache: at the start of every call it checks (one O(1) read) whether the session changed in storage, and
 *       reloads it if so; a session deleted from storage starts afresh at the next call. So several providers,
 *       services or processes on one storage see each other's runs.</li>
 *   <li><b>{@link #set}</b> replaces only tool results of the current run (LangChain4j's roll-back of a
 *       compensated tool); anything else is refused. <b>{@link #clear()}</b> deletes the session from storage.</li>
 *   <li><b>Concurrency.</b> Methods are thread-safe. Whole calls on one session take turns when the listeners are
 *       registered on the AI service.</li>
 * </ul>
 *
 * <p>This object is a light handle: the session's cached state lives in its provider's bounded cache, so an AI
 * service may keep one per memory id for as long as it likes. For one memory per {@code @MemoryId}, use
 * {@link AgnoChatMemoryProvider}; for a single session, {@link #builder()}:
 * <pre>{@code
 * AgnoChatMemory memory = AgnoChatMemory.builder()
 *         .storage(storage).userId("alice").sessionId("trip-1").numHistoryResponses(3).build();
 * Assistant assistant = AiServices.builder(Assistant.class).chatModel(model)
 *         .chatMemory(memory).registerListeners(memory.listeners()).tools(memory.tools()).build();
 * }</pre>
 */
public final class AgnoChatMemory implements ChatMemory, AutoCloseable {

    private final Object id;
    private final SessionKey key;
    private final AgnoChatMemoryProvider provider;
    private final boolean ownsProvider;
    /**
     * The window this handle used last, weakly: LangChain4j keeps a handle per memory id for good, and only the
     * provider's bounded cache may keep windows alive.
     */
    private volatile WeakReference<SessionWindow> last = new WeakReference<>(null);

    AgnoChatMemory(Object id, SessionKey key, AgnoChatMemoryProvider provider, boolean ownsProvider) {
        this.id = id;
        this.key = key;
        this.provider = provider;
        this.ownsProvider = ownsProvider;
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
     * The AI service listeners that make each call one run named by its invocation id, and make calls on this
     * session take turns. Register them with {@code AiServices.builder(...).registerListeners(...)}.
     *
     * @return the listeners
     */
    public List<AiServiceListener<?>> listeners() {
        return provider.listeners();
    }

    /**
     * The tools that are on ({@code get_chat_history}, ...), for {@code AiServices.builder(...).tools(...)}.
     *
     * @return the tools; empty when none is on
     */
    public List<AiServiceTool> tools() {
        return provider.tools();
    }

    @Override
    public void add(ChatMessage message) {
        if (message == null) {
            throw new IllegalArgumentException("message must not be null");
        }
        String completedRun = window().add(message);
        if (completedRun != null) {
            provider.runBoundaries().completed(key, completedRun);
        }
    }

    @Override
    public List<ChatMessage> messages() {
        return window().messages();
    }

    /**
     * Replaces messages of the run being written, which is what LangChain4j does (1.19) after a tool with a
     * compensating action succeeded and a later tool of the same call failed: it rewrites the tool result as
     * rolled back. Storage is append-only, so the new result is appended to the run with the id of the message it
     * replaces; every reader of this library (prompt history, {@code get_chat_history},
     * {@code get_tool_call_history}) reads the replacement in its place.
     *
     * @param messages what {@link #messages()} returns, with tool results of the current run replaced
     * @throws IllegalArgumentException when anything else differs (the history, the system message, the order or
     *     the number of messages); nothing is changed then. To start a session over, use {@link #clear()}.
     */
    @Override
    public void set(Iterable<ChatMessage> messages) {
        if (messages == null) {
            throw new IllegalArgumentException("messages must not be null");
        }
        List<ChatMessage> list = new ArrayList<>();
        messages.forEach(list::add);
        window().set(list);
    }

    /** Deletes the session, with all its runs, summary and state, from storage. */
    @Override
    public void clear() {
        window().clear();
    }

    /**
     * Closes what this memory owns: with {@link AgnoChatMemory#builder()}, the after-run work of its own provider
     * (finishing queued work). Memories from an {@link AgnoChatMemoryProvider} are closed with the provider.
     */
    @Override
    public void close() {
        if (ownsProvider) {
            provider.close();
        }
    }

    private SessionWindow window() {
        SessionWindow w = last.get();
        if (w == null || !w.current()) {
            w = provider.window(key);
            last = new WeakReference<>(w);
        }
        return w;
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
         * @param configure sets any other option (memories, summaries, tools, after-run work) on the provider
         *     builder this memory is built with
         * @return this builder
         */
        public Builder memoryOptions(Consumer<AgnoChatMemoryProvider.Builder> configure) {
            configure.accept(options);
            return this;
        }

        /**
         * @return the memory
         * @throws IllegalArgumentException naming the parameter, when a required value is missing or a value is
         *     invalid
         */
        public AgnoChatMemory build() {
            SessionKey key = new SessionKey(userId, sessionId);
            AgnoChatMemoryProvider provider = options.sessionKeyResolver(memoryId -> key).build();
            return new AgnoChatMemory(id != null ? id : sessionId, key, provider, true);
        }
    }
}
