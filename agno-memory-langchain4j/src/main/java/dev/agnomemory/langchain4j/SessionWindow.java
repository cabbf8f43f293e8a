package dev.agnomemory.langchain4j;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.RunStatus;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.StaleTurnException;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ChatMessageDeserializer;
import dev.langchain4j.data.message.ChatMessageSerializer;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a session's memory holds between calls, as a cache of storage: the service's system message, the last
 * completed runs the history window may use, the composed system message, and the run being written.
 *
 * <p>Rules:
 * <ul>
 *   <li><b>Storage is the source of truth.</b> At the start of every call (and, without listeners, whenever the
 *       prompt is read between runs) the session's version is read from storage (O(1), no history read); if it
 *       differs from the version this cache reflects, the window is reloaded. So a turn written by another
 *       provider, another service or another process on the same storage is in the next prompt, and so is a
 *       summary the after-run work saved. The user's memories version is checked the same way.</li>
 *   <li><b>Deleted sessions start fresh.</b> A session deleted from storage (while its memory was cached, even in
 *       the middle of a call) is an empty session for the next write, which creates it again.</li>
 *   <li><b>Runs.</b> Every message is written through when added; where runs start and end is
 *       {@link RunBoundaries}' rule. A message that ends its run by itself (without listeners) is written together
 *       with the run's end, in one durable write.</li>
 *   <li><b>Replacing messages.</b> {@link #set} replaces messages of the run being written only, as LangChain4j
 *       does when it rolls back a tool result after a later tool of the same call failed; see
 *       {@link AgnoChatMemory#set}.</li>
 * </ul>
 * All methods are synchronized: one session's window is used by one call at a time (the turn), but the
 * application may read it meanwhile.
 */
final class SessionWindow {

    private static final Logger log = LoggerFactory.getLogger(SessionWindow.class);

    /** Session data key under which the service's system message is kept (LangChain4j's JSON form). */
    static final String SYSTEM_MESSAGE_KEY = "agno.system_message";

    /**
     * What every window of a provider shares.
     *
     * @param stateDefaults the provider's default session state, or null
     * @param overwriteDbSessionState whether a call's own state replaces the stored one
     */
    record Context(MemoryStorage storage, String agentId, HistoryWindow history, SystemPromptComposer composer,
            RunBoundaries runs, SessionWindows windows, ObjectNode stateDefaults, boolean overwriteDbSessionState) {
    }

    private final SessionKey key;
    private final Context ctx;

    // ---- what storage holds, as last read ----
    private boolean loaded;
    /** The stored session as last read; null when there is none (never written, or deleted). */
    private Session header;
    private SystemMessage base;
    private final ArrayDeque<List<ChatMessage>> completed = new ArrayDeque<>();
    private long runCount;
    private long memoriesVersion;

    // ---- the prompt, cached ----
    private List<ChatMessage> history;
    private SystemPromptComposer.Inputs composedFrom;
    private SystemMessage composed;
    /** The composed system message and the history, as sent before the current run; null when either changed. */
    private List<ChatMessage> beforeRun;
    /** Whether an input of the system message may have changed since it was composed. */
    private boolean inputsChanged = true;

    // ---- the call and the run being written ----
    private Call call;
    private String query;
    private String runId;
    /** The text of the current run's user message: the query of semantic retrieval without listeners. */
    private String runQuery;
    private final List<ChatMessage> run = new ArrayList<>();
    private final List<String> runMessageIds = new ArrayList<>();
    private int pins;
    /** Set when the provider's cache dropped this window: handles then look the session up again. */
    private volatile boolean dropped;

    SessionWindow(SessionKey key, Context ctx) {
        this.key = key;
        this.ctx = ctx;
    }

    SessionKey key() {
        return key;
    }

    // ---- calls ----

    /**
     * Where this session's writes go: the fenced view of the current call's turn, so a call that lost its turn
     * (a zombie) stores nothing; the storage itself between calls and without listeners.
     */
    private MemoryStorage writes() {
        return call == null ? ctx.storage() : call.writes(ctx.storage());
    }

    /** A call takes the session: its prompt is built from what storage holds now. */
    synchronized void beginCall(Call c) {
        if (pins++ == 0) {
            ctx.windows().pin(this);
        }
        refresh();
        if (runId != null) {
            abandonRun();
        }
        call = c;
        query = c.userText;
        inputsChanged = true;
        loadSessionState(c);
    }

    /** Agno's precedence on load: see {@link SessionStates}. */
    private void loadSessionState(Call c) {
        if (ctx.stateDefaults() == null && c.sessionState == null) {
            return;
        }
        ensureSession();
        writes().updateSessionState(key, stored -> SessionStates.onLoad(ctx.stateDefaults(), stored,
                c.sessionState, ctx.overwriteDbSessionState())).ifPresent(updated -> {
                    if (updated.runCount() == runCount) {
                        header = updated;
                    }
                });
    }

    /**
     * A streaming call starts: what LangChain4j added while creating it is written now, and the prompt of its
     * first request built.
     *
     * @param c the call
     * @param requestUserMessage the user message LangChain4j put last into the request (it may carry retrieved
     *     content the memory does not store)
     * @return the messages of the first request
     */
    synchronized List<ChatMessage> beginStream(Call c, UserMessage requestUserMessage) {
        beginCall(c);
        if (c.pendingSystem != null) {
            replaceBase(c.pendingSystem);
        }
        if (c.pendingUser != null) {
            addToRun(c.pendingUser);
        }
        List<ChatMessage> prompt = prompt();
        int last = prompt.size() - 1;
        if (requestUserMessage != null && last >= 0 && prompt.get(last) instanceof UserMessage) {
            prompt.set(last, requestUserMessage);
        }
        return prompt;
    }

    /**
     * The call ended: its run is finished with {@code outcome}.
     *
     * @return the id of the run when it completed (the caller then starts the after-run work), else null
     */
    synchronized String finishCall(Call c, RunOutcome outcome) {
        String completedRun = null;
        if (call == c) {
            completedRun = finishRun(outcome);
            call = null;
            query = null;
            inputsChanged = true;
        }
        if (pins > 0 && --pins == 0) {
            ctx.windows().unpin(this);
        }
        return completedRun;
    }

    // ---- ChatMemory ----

    /**
     * @return the id of a run the message completed (without listeners), else null
     */
    synchronized String add(ChatMessage message) {
        CallCoordinator.throwIfRefused(key);
        Call creating = CallCoordinator.creatingOn(key);
        if (creating != null) {
            if (message instanceof SystemMessage system) {
                creating.pendingSystem = system;
                return null;
            }
            if (message instanceof UserMessage user) {
                creating.pendingUser = user;
                CallCoordinator.creationDone();
                return null;
            }
        }
        if (!loaded) {
            refresh();
        }
        if (message instanceof SystemMessage system) {
            replaceBase(system);
            return null;
        }
        if (call == null && RunBoundaries.endsRunWithoutListeners(message)) {
            return addAndFinishRun(message, RunOutcome.completed());
        }
        addToRun(message);
        return null;
    }

    synchronized List<ChatMessage> messages() {
        CallCoordinator.throwIfRefused(key);
        Call creating = CallCoordinator.creatingOn(key);
        if (call == null && runId == null) {
            refresh(); // without listeners this may be the start of a call
        }
        if (creating != null) {
            return creationPrompt(creating);
        }
        return prompt();
    }

    /**
     * Replaces the messages of the run being written (see {@link AgnoChatMemory#set}).
     *
     * @throws IllegalArgumentException when {@code messages} differs from {@link #messages()} anywhere else than in
     *     tool results of the run being written
     */
    synchronized void set(List<ChatMessage> messages) {
        List<ChatMessage> current = prompt();
        if (messages.equals(current)) {
            return;
        }
        int before = current.size() - run.size();
        if (messages.size() != current.size() || !messages.subList(0, before).equals(current.subList(0, before))) {
            throw refusal();
        }
        List<Integer> replaced = new ArrayList<>();
        for (int i = 0; i < run.size(); i++) {
            ChatMessage now = run.get(i);
            ChatMessage next = messages.get(before + i);
            if (now.equals(next)) {
                continue;
            }
            if (!(now instanceof ToolExecutionResultMessage a) || !(next instanceof ToolExecutionResultMessage b)
                    || !Objects.equals(a.id(), b.id())) {
                throw refusal();
            }
            replaced.add(i);
        }
        for (int i : replaced) {
            ChatMessage next = messages.get(before + i);
            Message core = ChatMessages.toCore(next).toBuilder().id(runMessageIds.get(i)).build();
            writes().appendMessage(key, runId, core);
            run.set(i, next);
        }
    }

    private static IllegalArgumentException refusal() {
        return new IllegalArgumentException("AgnoChatMemory.set can only replace tool results of the run being "
                + "written (what LangChain4j does when it rolls back a tool call); the history lives in storage and "
                + "is not rewritten. Use clear() to delete the session.");
    }

    synchronized void clear() {
        writes().deleteSession(key);
        ctx.runs().deleted(key);
        resetToEmpty();
        loaded = true;
        runId = null;
        run.clear();
        runMessageIds.clear();
    }

    // ---- internals ----

    private List<ChatMessage> prompt() {
        if (!loaded) {
            refresh();
        }
        if (inputsChanged) {
            boolean queryKnown = call != null || runId != null;
            String currentQuery = call != null ? query : runId != null ? runQuery : null;
            SystemPromptComposer.Inputs inputs = ctx.composer().inputs(base, header, memoriesVersion, currentQuery);
            if (composedFrom == null || !composedFrom.equals(inputs)) {
                composed = ctx.composer().compose(key, inputs, queryKnown);
                composedFrom = inputs;
                beforeRun = null;
            }
            inputsChanged = false;
        }
        if (history == null) {
            history = ctx.history().select(new ArrayList<>(completed));
            beforeRun = null;
        }
        if (beforeRun == null) {
            List<ChatMessage> prefix = new ArrayList<>(history.size() + 1);
            if (composed != null) {
                prefix.add(composed);
            }
            prefix.addAll(history);
            beforeRun = prefix;
        }
        List<ChatMessage> out = new ArrayList<>(beforeRun.size() + run.size());
        out.addAll(beforeRun);
        out.addAll(run);
        return out;
    }

    /** The prompt of a stream being created: as it would be sent now, without any other call's run. */
    private List<ChatMessage> creationPrompt(Call creating) {
        if (!loaded) {
            refresh();
        }
        SystemMessage system = creating.pendingSystem != null ? creating.pendingSystem : base;
        SystemPromptComposer.Inputs inputs = ctx.composer().inputs(system, header, memoriesVersion,
                creating.userText);
        SystemMessage composedNow = ctx.composer().compose(key, inputs, true);
        List<ChatMessage> out = new ArrayList<>();
        if (composedNow != null) {
            out.add(composedNow);
        }
        out.addAll(ctx.history().select(new ArrayList<>(completed)));
        return out;
    }

    /** Reads the session's version (and the user's memories version) and reloads what changed. */
    private void refresh() {
        inputsChanged = true;
        OptionalLong version = ctx.storage().sessionVersion(key);
        if (version.isEmpty()) {
            if (header != null) {
                log.debug("{} was deleted from storage; its memory starts afresh", key);
            }
            if (!loaded || header != null) {
                resetToEmpty();
            }
            loaded = true;
        } else if (!loaded || header == null || header.version() != version.getAsLong()) {
            reload();
        }
        if (ctx.composer().usesMemories()) {
            memoriesVersion = ctx.storage().memoriesVersion(key.userId());
        }
    }

    private void reload() {
        Optional<Session> session = ctx.storage().session(key);
        resetToEmpty();
        loaded = true;
        if (session.isEmpty()) {
            return;
        }
        header = session.get();
        runCount = header.runCount();
        base = storedSystemMessage(header);
        for (Run r : ctx.storage().lastCompletedRuns(key, ctx.history().capacity())) {
            try {
                completed.addLast(StoredMessages.effective(r.messages()).stream().map(ChatMessages::toLangChain4j)
                        .toList());
            } catch (RuntimeException e) {
                log.warn("Leaving run {} of {} out of the history: a message cannot be read", r.runId(), key, e);
            }
        }
    }

    private SystemMessage storedSystemMessage(Session session) {
        String json = session.data().get(SYSTEM_MESSAGE_KEY);
        if (json == null) {
            return null;
        }
        try {
            return (SystemMessage) ChatMessageDeserializer.messageFromJson(json);
        } catch (RuntimeException e) {
            log.warn("Ignoring the stored system message of {}: it cannot be read", key, e);
            return null;
        }
    }

    private void resetToEmpty() {
        header = null;
        base = null;
        completed.clear();
        runCount = 0;
        history = null;
        composedFrom = null;
        composed = null;
        beforeRun = null;
        inputsChanged = true;
    }

    private void replaceBase(SystemMessage system) {
        if (system.equals(base)) {
            return;
        }
        base = system;
        inputsChanged = true;
        String json = ChatMessageSerializer.messageToJson(system);
        ensureSession();
        writes().updateSessionData(key, data -> {
            Map<String, String> next = new HashMap<>(data);
            next.put(SYSTEM_MESSAGE_KEY, json);
            return next;
        });
    }

    private void addToRun(ChatMessage message) {
        Message core = openRunFor(message);
        writeToRun(w -> w.appendMessage(key, runId, core));
        run.add(message);
        runMessageIds.add(core.id());
    }

    /**
     * Adds the message that ends the run and finishes the run in one durable write (see
     * {@link MemoryStorage#finishRun(SessionKey, String, List, RunOutcome)}).
     *
     * @return the id of the run when it completed, else null
     */
    private String addAndFinishRun(ChatMessage message, RunOutcome outcome) {
        Message core = openRunFor(message);
        String finished = runId;
        writeToRun(w -> {
            ctx.runs().finishWith(w, key, finished, core, outcome);
            return null;
        });
        run.add(message);
        List<ChatMessage> messages = List.copyOf(run);
        runId = null;
        run.clear();
        runMessageIds.clear();
        return ended(finished, messages, true, outcome);
    }

    /** Starts a run when {@code message} starts one or none is open; returns the message as stored. */
    private Message openRunFor(ChatMessage message) {
        if (RunBoundaries.startsRun(message) || runId == null) {
            if (runId != null) {
                abandonRun();
            }
            if (call != null && !call.runWritten) {
                runId = call.id;
                call.runWritten = true;
            } else {
                runId = UUID.randomUUID().toString();
            }
            runCount++;
            runQuery = message instanceof UserMessage user ? ChatMessages.text(user) : null;
            inputsChanged = true;
        }
        return ChatMessages.toCore(message);
    }

    /**
     * Writes to the current run. A session deleted during the run is created again and the write repeated: what is
     * left of the run goes into the new session.
     */
    private <T> T writeToRun(Function<MemoryStorage, T> write) {
        ensureSession();
        try {
            return write.apply(writes());
        } catch (StaleTurnException e) {
            loaded = false; // another instance has the session now: read it again at the next call
            throw e;
        } catch (IllegalStateException e) {
            if (ctx.storage().sessionVersion(key).isPresent()) {
                throw e;
            }
            // Deleted during the call: what is left of the run goes into the session created again.
            log.debug("{} was deleted from storage during run {}; the session is created again", key, runId);
            resetToEmpty();
            run.clear();
            runMessageIds.clear();
            ensureSession();
            T result = write.apply(writes());
            runCount = 1;
            return result;
        }
    }

    private void ensureSession() {
        if (header == null) {
            header = writes().getOrCreateSession(key, ctx.agentId());
        }
    }

    /** A run left open by a call that never finished it (without listeners, a failed call) stays RUNNING. */
    private void abandonRun() {
        log.debug("Run {} of {} ended without an answer; it stays in storage as running", runId, key);
        runId = null;
        run.clear();
        runMessageIds.clear();
    }

    private String finishRun(RunOutcome outcome) {
        if (runId == null) {
            return null;
        }
        String finished = runId;
        List<ChatMessage> messages = List.copyOf(run);
        runId = null;
        run.clear();
        runMessageIds.clear();
        boolean stored;
        try {
            stored = ctx.runs().finish(writes(), key, finished, outcome);
        } catch (StaleTurnException e) {
            loaded = false; // another instance has the session now: read it again at the next call
            throw e;
        }
        return ended(finished, messages, stored, outcome);
    }

    /** After a run's end was written (or refused: {@code stored} false): the history and the header follow. */
    private String ended(String finished, List<ChatMessage> messages, boolean stored, RunOutcome outcome) {
        boolean completedNow = stored && outcome.status() == RunStatus.COMPLETED;
        if (completedNow) {
            completed.addLast(messages);
            while (completed.size() > ctx.history().capacity()) {
                completed.removeFirst();
            }
            history = null;
        }
        afterOwnWrites();
        return completedNow ? finished : null;
    }

    /**
     * After this window's own writes, the stored header is read again (O(1)) so the next call does not reload the
     * history for changes it made itself; a run count other than expected means someone else wrote runs too, and
     * the next call reloads.
     */
    private void afterOwnWrites() {
        Optional<Session> session = ctx.storage().session(key);
        if (session.isEmpty()) {
            resetToEmpty();
        } else if (session.get().runCount() == runCount) {
            header = session.get();
            inputsChanged = true;
        } else {
            loaded = false;
        }
    }

    // ---- for SessionWindows and tests ----

    void dropped() {
        dropped = true;
    }

    void kept() {
        dropped = false;
    }

    /** @return whether this window may still be used (a pinned window always may) */
    boolean current() {
        return !dropped || ctx.windows().isPinned(this);
    }

    synchronized boolean busy() {
        return pins > 0;
    }
}
